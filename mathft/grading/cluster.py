"""Grouping answers into equivalence classes without comparing all pairs symbolically."""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["cluster_answers"]


def cluster_answers(
    answers: Sequence[str | None],
    key: Callable[[str], str | None],
    same: Callable[[str, str], bool],
) -> list[list[int]]:
    """Indices of ``answers`` grouped into equivalence classes.

    Answers are first grouped by their exact canonical key (the normalized string), so that 64 samples
    with, say, 6 distinct spellings cost at most 15 comparisons of group representatives; a group joins
    the first earlier cluster whose representative it equals.

    Args:
        answers: Extracted answers; ``None`` entries join no cluster.
        key: Canonical key of an answer, or None for answers that join no cluster (empty, too long,
            or unreadable noise without a letter or digit).
        same: The equivalence relation between two keys.

    Returns:
        Clusters ordered by size (largest first), ties broken by the smaller first index; indices ascend
        inside each cluster.
    """
    groups: dict[str, list[int]] = {}
    for index, answer in enumerate(answers):
        canonical = key(answer) if answer is not None else None
        if canonical:
            groups.setdefault(canonical, []).append(index)
    clusters: list[tuple[str, list[int]]] = []  # (representative key, indices)
    for canonical, indices in groups.items():  # dicts keep first-appearance order
        for representative, members in clusters:
            if same(representative, canonical):
                members.extend(indices)
                break
        else:
            clusters.append((canonical, list(indices)))
    result = [sorted(members) for _, members in clusters]
    result.sort(key=lambda members: (-len(members), members[0]))
    return result
