"""Grouping answers into equivalence classes without comparing all pairs symbolically.

The rounding rule (``0.333`` answers ``\\frac{1}{3}``) is not transitive: ``0.333`` and ``0.3333`` both
round ``\\frac{1}{3}`` but differ from each other. Greedy clustering in input order would then make the
clusters depend on the order of the samples, so the rule is canonical instead:

1. Answers without a decimal literal ("exact" answers) are clustered first, with the exact relation
   (which is transitive), in the order of their canonical keys.
2. Each answer with a decimal literal then joins the largest exact cluster it matches (ties: the
   cluster whose representative has the smallest canonical key), in the order of the canonical keys.
3. A decimal answer that matches no exact cluster clusters only with other such answers equal to it.

Every step depends only on the set of answers, never on their order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["cluster_answers"]


def cluster_answers(
    answers: Sequence[str | None],
    key: Callable[[str], str | None],
    same: Callable[[str, str], bool],
    rounded: Callable[[str], bool] = lambda _: False,
) -> list[list[int]]:
    """Indices of ``answers`` grouped into equivalence classes (order-independent membership).

    Answers are first grouped by their exact canonical key (the normalized string), so that 64 samples
    with, say, 6 distinct spellings cost at most 15 comparisons of group representatives.

    Args:
        answers: Extracted answers; ``None`` entries join no cluster.
        key: Canonical key of an answer, or None for answers that join no cluster (empty, too long,
            undefined, or unreadable noise without a letter or digit).
        same: The equivalence relation between two keys.
        rounded: Whether a key may be a rounded decimal (it then joins clusters after the exact keys).

    Returns:
        Clusters ordered by size (largest first), ties broken by the smaller first index; indices ascend
        inside each cluster.
    """
    groups: dict[str, list[int]] = {}
    for index, answer in enumerate(answers):
        canonical = key(answer) if answer is not None else None
        if canonical:
            groups.setdefault(canonical, []).append(index)
    ordered = sorted(groups)  # canonical order: the result must not depend on the order of the answers
    exact = _greedy([k for k in ordered if not rounded(k)], groups, same, [])
    decimal: list[tuple[str, list[int]]] = []
    for canonical in (k for k in ordered if rounded(k)):
        matches = [(representative, members) for representative, members in exact if same(representative, canonical)]
        if matches:  # the largest matching exact cluster; ties by canonical key, never by input position
            min(matches, key=lambda match: (-len(match[1]), match[0]))[1].extend(groups[canonical])
        else:
            _greedy([canonical], groups, same, decimal)
    result = [sorted(members) for _, members in exact + decimal]
    result.sort(key=lambda members: (-len(members), members[0]))
    return result


def _greedy(
    keys: list[str],
    groups: dict[str, list[int]],
    same: Callable[[str, str], bool],
    clusters: list[tuple[str, list[int]]],
) -> list[tuple[str, list[int]]]:
    """Each key joins the first cluster whose representative it equals, else starts one."""
    for canonical in keys:
        for representative, members in clusters:
            if same(representative, canonical):
                members.extend(groups[canonical])
                break
        else:
            clusters.append((canonical, list(groups[canonical])))
    return clusters
