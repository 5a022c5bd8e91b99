"""Accuracy by difficulty level and by subject, and each problem's results, from per-problem outcomes.

MATH problems carry a level (1-5) and a subject; an average over 500 problems hides that a method may
gain on Level 1 Algebra and lose on Level 5 Precalculus. A stage marker's ``per_problem`` block
(``{"problem_ids": [...], "outcomes": {metric: [0/1 per problem]}}``, see
:func:`~mathft.pipeline.evaluation.outcome_table`) and the problems' levels and subjects give the mean of
every metric per group, the breakdown the evaluation harnesses MATH users know (Qwen2.5-Math's,
lm-evaluation-harness) print. Plain data in and out; :func:`breakdown_sections` renders Markdown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FIELDS", "group_label", "breakdown", "breakdowns", "per_problem_results", "breakdown_sections",
           "candidate_meta", "problem_meta", "problem_file_meta", "format_breakdowns", "rerank_breakdowns"]

FIELDS = ("level", "subject")
_UNKNOWN = {"level": "?", "subject": "unknown"}

Meta = Mapping[str, Mapping[str, Any]]  # problem id -> {"level": 3, "subject": "Algebra"}


def group_label(meta: Mapping[str, Any] | None, field: str) -> str:
    """The group of one problem: its level as a string (``"3"``) or subject; ``?``/``unknown`` when absent."""
    value = (meta or {}).get(field)
    return _UNKNOWN[field] if value is None else str(value)


def _order(label: str) -> tuple[int, int, str]:
    # Levels numerically ("10" after "9"), unknown last, subjects alphabetically.
    unknown = label in _UNKNOWN.values()
    return (unknown, int(label) if label.isdigit() else 0, label)


def breakdown(block: Mapping[str, Any], meta: Meta, field: str,
              names: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Mean of each outcome per group of problems: ``{group: {"n": problems, metric: mean}}``.

    Args:
        block: A ``per_problem`` block (problem ids and one outcome list per metric).
        meta: Level and subject per problem id (problems without an entry form the unknown group).
        field: ``level`` or ``subject``.
        names: Metrics to include (default: all in the block).

    Example: outcomes ``[1, 0, 1]`` for problems at levels 1, 1 and 2 give
    ``{"1": {"n": 2, "pass@1": 0.5}, "2": {"n": 1, "pass@1": 1.0}}``.
    """
    names = list(block["outcomes"]) if names is None else [n for n in names if n in block["outcomes"]]
    rows: dict[str, list[int]] = {}
    for index, pid in enumerate(block["problem_ids"]):
        rows.setdefault(group_label(meta.get(pid), field), []).append(index)
    out = {}
    for label in sorted(rows, key=_order):
        indices = rows[label]
        out[label] = {"n": len(indices), **{name: sum(block["outcomes"][name][i] for i in indices) / len(indices)
                                            for name in names}}
    return out


def breakdowns(block: Mapping[str, Any] | None, meta: Meta, names: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"by_level": ..., "by_subject": ...}`` for the fields some of the block's problems carry (``{}`` when
    none does, e.g. a problem file without levels, or a marker without per-problem outcomes)."""
    if not block or not meta:
        return {}
    out = {}
    for field in FIELDS:
        if any((meta.get(pid) or {}).get(field) is not None for pid in block["problem_ids"]):
            out[f"by_{field}"] = breakdown(block, meta, field, names)
    return out


def per_problem_results(blocks: Mapping[str, Mapping[str, Any] | None], meta: Meta) -> dict[str, dict[str, Any]]:
    """Each problem's level, subject and outcomes under every named block: ``{id: {"level", "subject",
    block name: {metric: value}}}``, so a user can see which problems each method got wrong."""
    out: dict[str, dict[str, Any]] = {}
    for name, block in blocks.items():
        if not block:
            continue
        for index, pid in enumerate(block["problem_ids"]):
            entry = out.setdefault(pid, {"level": (meta.get(pid) or {}).get("level"),
                                         "subject": (meta.get(pid) or {}).get("subject")})
            entry[name] = {metric: values[index] for metric, values in block["outcomes"].items()}
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _table(field: str, columns: Sequence[tuple[str, Mapping[str, Any], str]]) -> list[str]:
    """One Markdown table: a row per group, a column per (label, breakdown, metric)."""
    groups: dict[str, int] = {}
    for _, by_group, _ in columns:
        for label, row in by_group.items():
            groups[label] = max(groups.get(label, 0), row["n"])
    header = [field, "problems", *[label for label, _, _ in columns]]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for label in sorted(groups, key=_order):
        cells = [_pct(by_group.get(label, {}).get(metric)) for _, by_group, metric in columns]
        lines.append("| " + " | ".join([label, str(groups[label]), *cells]) + " |")
    return lines


def breakdown_sections(report: Mapping[str, Any], label: Callable[[str], str]) -> list[str]:
    """The report's "Accuracy by level" and "Accuracy by subject" sections (empty without breakdowns).

    Args:
        report: The report data; its table rows carry ``by_level`` / ``by_subject``.
        label: Metric key -> the column name the main tables use (``maj1@N`` -> ``Maj1@16``).
    """
    lines: list[str] = []
    for field in FIELDS:
        key = f"by_{field}"
        tables = _tables_with(report, key, label)
        if not tables:
            continue
        lines += [f"## Accuracy by {field}", "",
                  f"Accuracies in % over the problems of each {field} (no intervals: groups are small).", ""]
        for title, columns in tables:
            lines += [f"**{title}**", "", *_table(field, columns), ""]
    return lines


def _tables_with(report: Mapping[str, Any], key: str, label: Callable[[str], str]) -> list[tuple[str, list]]:
    """(title, columns) for every table whose rows carry the breakdown ``key``."""
    out = []
    rows = [*report["table2"].items(),
            *[(f"few-shot {s}", r) for s, r in (report.get("table2_fewshot") or {}).items()]]
    t2 = [(f"{name} {label(m)}", row[key], m) for name, row in rows if key in row
          for m in ("pass@1", "maj1@N", "pass@N")]
    if t2:
        out.append(("Table 2: generators", t2))
    t3 = [(f"{loss} {label(m)}", row[key], m) for loss, row in report["table3"].items() if key in row
          for m in ("rr_all", "rr_majK")]
    if t3:
        out.append(("Table 3: evaluators (re-ranking)", t3))
    for loss, t4 in report["table4"].items():
        if key in t4:
            out.append((f"Table 4: strategies, {loss} evaluator (K = {t4['k']}, N' = {t4['top_n']})",
                        [(label(m), t4[key], m) for m in t4["accuracy"]]))
    t7 = [(f"{name} {label(m)}", row[key], m) for name, row in (report["table7"] or {}).items() if key in row
          for m in ("pass@1", "maj1@N", "pass@N")]
    if t7:
        out.append(("Table 7: multi-task vs SSFT generator", t7))
    return out


def candidate_meta(groups: Sequence[Any]) -> dict[str, dict[str, Any]]:
    """Level and subject from candidate records that carry them (``level``/``subject`` keys of a line)."""
    out = {}
    for group in groups:
        extra = group.candidates[0].meta if group.candidates else {}
        if extra.get("level") is not None or extra.get("subject") is not None:
            out[group.problem_id] = {"level": extra.get("level"), "subject": extra.get("subject")}
    return out


def problem_meta(problems: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """``{id: {"level": ..., "subject": ...}}`` of the problems (:class:`~mathft.data.Problem`) that carry
    either."""
    return {p.id: {"level": p.level, "subject": p.subject} for p in problems
            if p.level is not None or p.subject is not None}


def problem_file_meta(specs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Level and subject by problem id from problem files (a MATH root reads ``test/``).

    Raises:
        mathft.data.DataError: On a missing or malformed file, naming it.
    """
    from mathft.data import read_problems

    return problem_meta(p for spec in specs for p in read_problems(spec, split="test"))


def format_breakdowns(report: Mapping[str, Any], names: Sequence[str]) -> str:
    """Plain-text tables of ``report["by_level"]`` / ``report["by_subject"]`` (``mathft rerank``), one column
    per metric in ``names`` that the breakdown holds; each table preceded by a blank line, so the text can
    follow another table directly. Empty without breakdowns."""
    sections = []
    for field in FIELDS:
        by_group = report.get(f"by_{field}")
        if not by_group:
            continue
        shown = [n for n in names if n in next(iter(by_group.values()))]
        width = max(len(field), *(len(g) for g in by_group))
        lines = [f"{field:<{width}}  {'n':>5}" + "".join(f"{n:>11}" for n in shown)]
        lines += [f"{label:<{width}}  {row['n']:>5}" + "".join(f"{row[n]:>11.1%}" for n in shown)
                  for label, row in by_group.items()]
        sections.append("\n".join(lines))
    return "".join("\n\n" + section for section in sections)


def rerank_breakdowns(groups: Sequence[Any], analyses: Sequence[Any], names: Sequence[str], *, k: int, top_n: int,
                      problem_files: Sequence[str] = ()) -> dict[str, Any]:
    """``by_level``, ``by_subject`` and ``per_problem`` for ``mathft rerank --json``.

    Levels and subjects come from ``problem_files`` (by problem id), else from the candidate lines' own
    ``level``/``subject`` keys; without either only ``per_problem`` (each problem's outcome of every metric).
    """
    from mathft.pipeline.evaluation import outcome_table

    meta = {**candidate_meta(groups), **problem_file_meta(problem_files)}
    block = outcome_table(analyses, names, k=k, top_n=top_n)
    per_problem = {}
    for index, pid in enumerate(block["problem_ids"]):
        entry = meta.get(pid) or {}
        per_problem[pid] = {"level": entry.get("level"), "subject": entry.get("subject"),
                            **{name: values[index] for name, values in block["outcomes"].items()}}
    return {**breakdowns(block, meta, names), "per_problem": per_problem}
