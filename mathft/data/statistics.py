"""Dataset statistics in the manner of the paper's Table 1, for ``mathft data check``.

Per split: problems (distinct ids) and solutions (a phase file has several per problem) by style, problems
by subject and level, solution length in characters and, given a tokenizer, in tokens (the solution alone
and the whole SSFT sequence, prompt + solution + EOS, which is what ``max_length`` bounds), gold answers
the grader cannot parse, and problems whose gold cannot be found. Plain data in, plain data out: the
numbers are JSON-ready and :func:`format_statistics` lays them out as text.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from mathft.data.check import SourceSplit
from mathft.data.problem import Problem
from mathft.data.splits import problem_key

__all__ = ["PERCENTILES", "MAX_LENGTHS", "percentile", "length_summary", "problem_counts", "gold_findings",
           "dataset_statistics", "format_statistics"]

PERCENTILES = (50, 90, 95, 99)
# Sequence lengths a user is likely to set as max_length: the pipeline's default is 256.
MAX_LENGTHS = (256, 512, 1024, 2048)
UNKNOWN_SUBJECT, UNKNOWN_LEVEL = "unknown", "?"
_SHOWN = 10  # problems listed by name per finding; the rest are counted


def percentile(sorted_values: Sequence[int], q: float) -> int:
    """The nearest-rank ``q``-th percentile of ascending values: the smallest value with at least ``q``% of
    the values at or below it (``[1, 2, 3, 4]``: p50 = 2, p90 = 4).

    Raises:
        ValueError: On an empty sequence or ``q`` outside (0, 100].
    """
    if not sorted_values or not 0 < q <= 100:
        raise ValueError(f"percentile needs values and 0 < q <= 100, got {len(sorted_values)} values, q={q}")
    return sorted_values[math.ceil(q / 100 * len(sorted_values)) - 1]


def length_summary(lengths: Iterable[int]) -> dict[str, float] | None:
    """``count``, ``mean``, ``p50``/``p90``/``p95``/``p99`` and ``max`` of lengths (``None`` when empty)."""
    values = sorted(lengths)
    if not values:
        return None
    out: dict[str, float] = {"count": len(values), "mean": round(sum(values) / len(values), 1)}
    out.update({f"p{q}": percentile(values, q) for q in PERCENTILES})
    out["max"] = values[-1]
    return out


def _distinct(problems: Iterable[Problem]) -> list[Problem]:
    """One problem per id, with the level and subject any of its records carries (a phase file has none)."""
    seen: dict[str, Problem] = {}
    for p in problems:
        first = seen.setdefault(p.id, p)
        if (first.level is None and p.level is not None) or (first.subject is None and p.subject is not None):
            seen[p.id] = replace(first, level=first.level or p.level, subject=first.subject or p.subject)
    return list(seen.values())


def problem_counts(problems: Sequence[Problem]) -> dict[str, Any]:
    """Distinct problems by subject, by level and by subject and level (levels as strings, ``?`` unknown)."""
    by_pair: dict[str, Counter[str]] = {}
    for p in problems:
        level = UNKNOWN_LEVEL if p.level is None else str(p.level)
        by_pair.setdefault(p.subject or UNKNOWN_SUBJECT, Counter())[level] += 1
    by_level: Counter[str] = sum(by_pair.values(), Counter())
    return {"by_subject": {s: sum(c.values()) for s, c in sorted(by_pair.items())},
            "by_level": dict(sorted(by_level.items())),
            "by_subject_level": {s: dict(sorted(c.items())) for s, c in sorted(by_pair.items())}}


def gold_findings(problems: Sequence[Problem], grader: Any) -> dict[str, list[dict[str, str]]]:
    """Gold answers the grader reads only as text, and those it cannot grade at all.

    ``unparsable``: its parser fails, so a prediction matches only by the same spelling after
    normalisation (``grader.stats.parse_failures`` counts each such distinct answer once).
    ``ungradable``: not even equal to itself (noise, too long, an undefined value such as ``1/0``), so
    every prediction is graded wrong.
    """
    verdicts: dict[str, str | None] = {}
    for answer in dict.fromkeys(p.answer for p in problems if p.answer is not None):
        before = grader.stats.parse_failures
        if not grader.is_equivalent(answer, answer):
            verdicts[answer] = "ungradable"
        elif grader.stats.parse_failures > before:
            verdicts[answer] = "unparsable"
    out: dict[str, list[dict[str, str]]] = {"unparsable": [], "ungradable": []}
    for p in problems:
        kind = verdicts.get(p.answer or "")
        if kind is not None:
            out[kind].append({"id": p.id, "answer": p.answer or ""})
    return out


def _token_lengths(tokenizer: Any, solutions: Sequence[Problem]) -> tuple[list[int], list[int]]:
    """Tokens of each solution alone, and of its SSFT sequence (prompt with special tokens + solution + EOS)."""
    from mathft.data.templates import SSFT_PROMPT_TEMPLATE, ssft_prompt
    from mathft.datamodules.ssft_encode import encode_prompts

    if not solutions:
        return [], []
    solution_ids = tokenizer([p.solution for p in solutions], add_special_tokens=False)["input_ids"]
    prompts = encode_prompts(tokenizer, [ssft_prompt(SSFT_PROMPT_TEMPLATE, p.problem) for p in solutions])
    solution_lengths = [len(ids) for ids in solution_ids]
    return solution_lengths, [len(p) + n + 1 for p, n in zip(prompts, solution_lengths)]


def _lengths(solutions: Sequence[Problem], tokenizer: Any, max_lengths: Sequence[int]) -> dict[str, Any]:
    chars = [len(p.solution) for p in solutions]
    out: dict[str, Any] = {"solution_chars": length_summary(chars)}
    if tokenizer is None:
        return out
    tokens, sequences = _token_lengths(tokenizer, solutions)
    out["solution_tokens"] = length_summary(tokens)
    out["sequence_tokens"] = length_summary(sequences)
    out["chars_per_token"] = round(sum(chars) / max(sum(tokens), 1), 2)
    out["over_max_length"] = {str(n): sum(s > n for s in sequences) for n in max_lengths}
    return out


def _split_statistics(parts: Sequence[SourceSplit], tokenizer: Any, max_lengths: Sequence[int],
                      grader: Any) -> dict[str, Any]:
    solutions = [p for part in parts for p in part.problems]
    problems = _distinct(solutions)
    dropped: Counter[str] = Counter()
    for part in parts:
        dropped.update(part.dropped)
    return {"sources": [part.source for part in parts], "problems": len(problems), "solutions": len(solutions),
            "styles": dict(sorted(Counter(p.style for p in solutions).items())),
            **problem_counts(problems), **_lengths(solutions, tokenizer, max_lengths),
            "golds": gold_findings(problems, grader),
            "no_gold": [m for part in parts for m in part.no_gold], "dropped": dict(dropped)}


def dataset_statistics(parts: Sequence[SourceSplit], tokenizer: Any = None,
                       max_lengths: Sequence[int] = MAX_LENGTHS, grader: Any = None) -> dict[str, Any]:
    """Statistics of every split of the sources read (see the module docstring), as JSON-ready data.

    Args:
        parts: What :func:`~mathft.data.check.read_for_check` read, for one or more paths.
        tokenizer: A Hugging Face tokenizer for the token lengths (``None``: characters only).
        max_lengths: Sequence lengths to count the longer SSFT sequences against.
        grader: The grader whose parser judges the golds (default: a fresh exact-policy ``Grader``).

    Returns:
        ``{"sources": [...], "splits": {split: {...}}, "train_test_overlap": n | None}``: one entry per
        source and split read; the overlap counts training problems whose text is also a test problem's
        (``None`` without both splits).
    """
    if grader is None:
        from mathft.grading import Grader

        with Grader() as own:  # closed after: its symbolic workers (if any started) are this call's alone
            return dataset_statistics(parts, tokenizer, max_lengths, own)
    by_split: dict[str, list[SourceSplit]] = {}
    for part in parts:
        by_split.setdefault(part.split, []).append(part)
    splits = {name: _split_statistics(group, tokenizer, max_lengths, grader)
              for name, group in sorted(by_split.items(), key=lambda item: (item[0] != "train", item[0]))}
    sources = [{"source": part.source, "kind": part.kind, "split": part.split, "solutions": len(part.problems),
                "no_gold": len(part.no_gold), "left_out": sum(part.dropped.values())} for part in parts]
    return {"sources": sources, "splits": splits, "train_test_overlap": _overlap(by_split)}


def _overlap(by_split: dict[str, list[SourceSplit]]) -> int | None:
    if "train" not in by_split or "test" not in by_split:
        return None
    test = {problem_key(p.problem) for part in by_split["test"] for p in part.problems}
    train = {problem_key(p.problem) for part in by_split["train"] for p in part.problems}
    return len(train & test)


# -- text ----------------------------------------------------------------------------------------


def _row(cells: Sequence[Any], widths: Sequence[int], numeric: Sequence[bool]) -> str:
    return "  ".join(f"{c!s:>{w}}" if right else f"{c!s:<{w}}" for c, w, right in zip(cells, widths, numeric)).rstrip()


def _grid(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """A plain-text table: text columns aligned left, numeric ones right."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    numeric = [all(isinstance(r[i], (int, float)) for r in rows) for i in range(len(header))]
    return [_row(header, widths, numeric), _row(["-" * w for w in widths], widths, numeric),
            *[_row(r, widths, numeric) for r in rows]]


def _overview(stats: dict[str, Any]) -> list[str]:
    sources = [[s["source"], s["kind"], s["split"], s["solutions"], s["no_gold"], s["left_out"]]
               for s in stats["sources"]]
    lines = ["Sources", *_grid(["source", "kind", "split", "solutions", "no gold", "left out"], sources), ""]
    rows = [[name, s["problems"], s["solutions"], s["styles"].get("math", 0), s["styles"].get("prm800k", 0),
             len(s["no_gold"])] for name, s in stats["splits"].items()]
    lines += ["Problems per split (Table 1)",
              *_grid(["split", "problems", "solutions", "math-style", "prm800k-style", "no gold"], rows)]
    if stats["train_test_overlap"] is not None:
        lines.append(f"training problems whose text is also a test problem's: {stats['train_test_overlap']}")
    return lines


def _subject_level(name: str, s: dict[str, Any]) -> list[str]:
    levels = sorted(s["by_level"], key=lambda lv: (lv == UNKNOWN_LEVEL, lv))
    rows = [[subject, *[c.get(lv, 0) for lv in levels], sum(c.values())]
            for subject, c in s["by_subject_level"].items()]
    rows.append(["total", *[s["by_level"][lv] for lv in levels], s["problems"]])
    return [f"{name}: problems by subject and level", *_grid(["subject", *[f"L{lv}" for lv in levels], "total"], rows)]


def _length_rows(s: dict[str, Any]) -> list[str]:
    names = [("solution_chars", "solution, characters"), ("solution_tokens", "solution, tokens"),
             ("sequence_tokens", "prompt+solution+EOS, tokens")]
    keys = ["mean", *[f"p{q}" for q in PERCENTILES], "max"]
    rows = [[label, *[s[key][k] for k in keys]] for key, label in names if s.get(key)]
    lines = _grid(["length", *keys], rows) if rows else []
    if "chars_per_token" in s:
        lines.append(f"characters per token: {s['chars_per_token']}")
    if s.get("over_max_length"):
        total = s["solutions"]
        lines.append("sequences longer than max_length: " + ", ".join(
            f"{n}: {c} ({100 * c / max(total, 1):.1f}%)" for n, c in s["over_max_length"].items()))
    return lines


def _listed(title: str, items: Sequence[str]) -> list[str]:
    if not items:
        return []
    more = [f"  ... and {len(items) - _SHOWN} more"] if len(items) > _SHOWN else []
    return [f"{title}: {len(items)}", *[f"  {item}" for item in items[:_SHOWN]], *more]


def _findings(s: dict[str, Any]) -> list[str]:
    golds = s["golds"]
    lines = _listed("problems whose gold answer cannot be found (skipped)", s["no_gold"])
    lines += _listed("gold answers the grader cannot parse (matched by spelling only)",
                     [f"{g['id']}: {g['answer']!r:.80}" for g in golds["unparsable"]])
    lines += _listed("gold answers the grader cannot grade (every prediction graded wrong)",
                     [f"{g['id']}: {g['answer']!r:.80}" for g in golds["ungradable"]])
    lines = lines or ["gold answers: all found and parsed"]
    return lines + [f"solutions left out ({reason.replace('_', ' ')}): {n}" for reason, n in s["dropped"].items()]


def format_statistics(stats: dict[str, Any], tokenizer_name: str | None = None) -> str:
    """The statistics as plain-text tables: an overview, then per split subjects x levels, lengths, findings."""
    lines = _overview(stats)
    for name, s in stats["splits"].items():
        lines += ["", *_subject_level(name, s), ""]
        unit = f" (tokenizer {tokenizer_name})" if tokenizer_name else " (characters only: --tokenizer DIR for tokens)"
        lines += [f"{name}: solution lengths over {s['solutions']} solutions{unit}", *_length_rows(s), ""]
        lines += _findings(s)
    return "\n".join(lines)
