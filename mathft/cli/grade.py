"""``mathft grade``: grade a JSONL file of answers against their golds, one verdict per line.

Each input line is a JSON object with ``gold`` and ``text`` (a solution, whose final answer is extracted)
or ``answer`` (already extracted; ``null`` means "no answer") -- the candidate format of
:mod:`mathft.records`, where ``problem_id`` is optional here. The output repeats every line with
``answer`` (when it was extracted) and ``correct`` added, and a summary gives the accuracy, the answers
without an answer, the parse failures and the timeouts, under the grading policy that produced them.

The whole input is validated before anything is graded: every malformed line is named by ``file:line``
and nothing is written. The output is written under a temporary name and renamed into place, so it is
either complete or absent.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathft.grading import POLICIES
from mathft.jsonl import check_regular_file, loads_line

__all__ = ["GradeInputError", "GradedLine", "main", "read_lines", "grade_lines", "summarize"]

_MAX_REPORTED = 20  # malformed lines named in the error; the count says how many more there are


class GradeInputError(ValueError):
    """The input file is unusable; the message names the file and every malformed line."""


@dataclass(frozen=True)
class GradedLine:
    """One input line and its verdict.

    Attributes:
        record: The line's JSON object as read.
        answer: The answer that was graded (``record["answer"]``, or the one extracted from ``text``).
        correct: Whether it equals the gold.
    """

    record: dict[str, Any]
    answer: str | None
    correct: bool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathft grade",
        description="Grade answers against golds: reads JSONL lines with 'gold' and 'text' or 'answer', writes "
        "each line with its verdict ('correct') and prints the accuracy, parse failures and timeouts.",
    )
    parser.add_argument("--input", required=True, type=Path, help="JSONL file, one {gold, text|answer} object a line")
    parser.add_argument("--output", type=Path,
                        help="where the graded lines go (default: INPUT with .graded.jsonl in place of .jsonl)")
    parser.add_argument("--summary", type=Path, help="also write the summary as JSON to this file")
    parser.add_argument("--approximate", action="store_true",
                        help="accept a decimal of >= 3 significant digits that rounds an exact gold (Qwen2.5-Math's "
                        "tolerance convention); by default such approximations are wrong")
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds of symbolic work per answer (default 2)")
    return parser


def _problem(obj: Any) -> str | None:
    """What is wrong with one decoded line, or None when it is a usable record."""
    if not isinstance(obj, dict):
        return f"expected a JSON object, got {type(obj).__name__}"
    if "gold" not in obj or obj["gold"] is None:
        return "missing required field 'gold'"
    for key in ("gold", "answer"):
        value = obj.get(key)
        if value is None and key == "answer":
            continue
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return f"field {key!r} must be a string or a number, got {type(value).__name__}: {value!r:.60}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"field {key!r} must be finite, got {value!r}"
    if "answer" not in obj:
        if "text" not in obj:
            return "a line needs 'text' or 'answer' (answer may be null)"
        if not isinstance(obj["text"], str):
            return f"field 'text' must be a string, got {type(obj['text']).__name__}"
    return None


def read_lines(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """Every non-blank line of ``path`` as ``(line number, object)``, all validated first.

    Raises:
        GradeInputError: Naming ``path:line`` for every malformed line (the first 20, then a count).
    """
    path = check_regular_file(path, GradeInputError)
    records, errors = [], []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                obj = loads_line(raw, where, GradeInputError)
            except GradeInputError as err:
                errors.append(str(err))
                continue
            problem = _problem(obj)
            if problem is None:
                records.append((number, obj))
            else:
                errors.append(f"{where}: {problem}")
    if errors:
        more = f"\n... and {len(errors) - _MAX_REPORTED} more malformed lines" if len(errors) > _MAX_REPORTED else ""
        raise GradeInputError(f"{len(errors)} malformed line(s), nothing written:\n" +
                              "\n".join(errors[:_MAX_REPORTED]) + more)
    if not records:
        raise GradeInputError(f"{path}: no lines to grade")
    return records


def grade_lines(records: Sequence[tuple[int, dict[str, Any]]], grader: Any) -> list[GradedLine]:
    """The verdict of every record (an ``answer`` key is graded as given, else ``text`` is extracted)."""
    graded = []
    for _, record in records:
        answer = record["answer"] if "answer" in record else grader.extract_answer(record["text"])
        answer = None if answer is None else str(answer)
        correct = answer is not None and grader.is_equivalent(str(record["gold"]), answer)
        graded.append(GradedLine(record, answer, bool(correct)))
    return graded


def summarize(graded: Sequence[GradedLine], grader: Any, source: Path) -> dict[str, Any]:
    """The summary: accuracy, answers missing, the grader's failure counters and its policy."""
    stats = grader.stats
    correct = sum(line.correct for line in graded)
    return {
        "input": str(source),
        "lines": len(graded),
        "correct": correct,
        "accuracy": correct / len(graded),
        "no_answer": sum(line.answer is None for line in graded),
        "parse_failures": stats.parse_failures,
        "timeouts": stats.timeouts,
        "too_long": stats.too_long,
        "grading_policy": grader.policy,
    }


def _default_output(source: Path) -> Path:
    return source.with_name(f"{source.name.removesuffix('.jsonl')}.graded.jsonl")


def _write(graded: Sequence[GradedLine], summary: dict[str, Any], output: Path, summary_path: Path | None) -> None:
    from mathft.atomic import atomic_write

    with atomic_write(output) as handle:
        for line in graded:
            # An answer given in the line is kept as written; an extracted one is added.
            out = dict(line.record)
            out.setdefault("answer", line.answer)
            out["correct"] = line.correct
            handle.write(json.dumps(out, ensure_ascii=False) + "\n")
    if summary_path is not None:
        with atomic_write(summary_path) as handle:
            json.dump(summary, handle, indent=2)
            handle.write("\n")


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as the lines ``mathft grade`` prints."""
    policy = summary["grading_policy"]
    return "\n".join([
        f"graded {summary['lines']} lines of {summary['input']}",
        f"accuracy {summary['accuracy']:.1%} ({summary['correct']}/{summary['lines']}), grading policy "
        f"{policy!r}: {POLICIES[policy]}",
        f"{summary['no_answer']} without an answer, {summary['parse_failures']} parse failures (compared by "
        f"spelling only), {summary['timeouts']} timeouts, {summary['too_long']} too long",
    ])


def main(argv: Sequence[str]) -> int:
    """Run ``mathft grade``.

    Returns:
        0 on success, 2 on a malformed or unreadable input (message on stderr, nothing written).
    """
    args = _parser().parse_args(list(argv))
    output = args.output or _default_output(args.input)
    if args.timeout <= 0 or not math.isfinite(args.timeout):
        print(f"mathft grade: error: --timeout must be a positive number of seconds, got {args.timeout}",
              file=sys.stderr)
        return 2
    from mathft.grading import Grader

    try:
        records = read_lines(args.input)
        with Grader(approximate=args.approximate, timeout_s=args.timeout) as grader:
            graded = grade_lines(records, grader)
            summary = summarize(graded, grader, args.input)
        _write(graded, summary, output, args.summary)
    except (GradeInputError, OSError) as err:
        print(f"mathft grade: error: {err}", file=sys.stderr)
        return 2
    print(format_summary(summary))
    print(f"wrote {output}" + (f" and {args.summary}" if args.summary else ""))
    return 0
