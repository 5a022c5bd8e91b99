"""``mathft rerank``: selection strategies and sampling metrics over a candidate file or store.

Reads candidate records (``mathft.records`` schema), grades each problem once (clusters and one gold
comparison per cluster), prints every metric with its evaluator cost, and optionally writes a JSON report
and the paper's figures. Deliberately torch-free for a file: it imports only the selection layer, the
grader and, with ``--plots``, matplotlib; a store directory's scores are read through the sampling package.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mathft.atomic import atomic_write
from mathft.data.errors import DataError
from mathft.pipeline.breakdown import format_breakdowns, rerank_breakdowns
from mathft.records import CandidateRecord, ProblemGroup, RecordError, group_problems, read_records
from mathft.selection import ProblemAnalysis, Summary, analyze_problem, grader_stats, summarize
from mathft.selection.verdicts import SCORE_FREE, STRATEGY_NAMES, metric_names

__all__ = ["main", "load_problems", "build_report", "format_table"]

# Below this many problems grading takes well under a second: a progress bar would only flicker.
_PROGRESS_MIN_PROBLEMS = 200


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathft rerank",
        description="Grade N candidates per problem and report Pass@1, Pass@N, Maj1@N, MajK@N and the "
        "re-ranking strategies RR.All, RR.MajK, W-RR, W-RR.MajK, Maj1, Maj1.TopN.",
    )
    parser.add_argument(
        "--candidates", required=True, type=Path,
        help="candidate records, one JSON object a line, or a candidate store directory (mathft sample --out)",
    )
    parser.add_argument(
        "--scores", metavar="NAME",
        help="with a store directory: the scorer whose scores to re-rank by (mathft score --name; default "
        "'score' when the store has it, else unscored)",
    )
    parser.add_argument("--k", type=_positive_int, default=8, help="K of MajK@N and the MajK strategies (default 8)")
    parser.add_argument("--top-n", type=_positive_int, default=16, help="N' of Maj1.TopN (default 16)")
    parser.add_argument("--json", type=Path, help="write the report as JSON to this file")
    parser.add_argument("--plots", type=Path, help="write the paper's figures as PNG into this directory")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random subsets of the n-samples curve")
    parser.add_argument("--approximate", action="store_true",
                        help="grading policy: accept a decimal of >= 3 significant digits that rounds an exact gold "
                        "(Qwen2.5-Math's tolerance convention; default: such approximations are wrong)")
    parser.add_argument("--problems", nargs="+", default=[], metavar="PATH",
                        help="problem files (MATH folder: its test/ split, PRM800K or JSONL) whose levels and subjects "
                        "break every metric down by level and subject (default: the candidate lines' own level and "
                        "subject keys, if any)")
    return parser


def load_problems(
    path: Path, extract: Callable[[str], str | None], *, scores: str | None = None
) -> list[ProblemGroup]:
    """Read, validate and group the records; a record with text but no ``answer`` key gets ``extract(text)``.

    Args:
        path: A candidate JSONL file, or a candidate store directory.
        extract: Answer extractor for file records without an ``answer`` key.
        scores: For a store directory, the scorer to re-rank by (see the ``--scores`` option).

    Raises:
        RecordError: Naming the file and line (or problem) of the first malformed record.
    """
    if scores is not None and not path.is_dir():
        raise RecordError(f"--scores {scores}: only a store directory has named scores, {path} is a file")
    try:
        records = _store_records(path, scores) if path.is_dir() else list(read_records(path, extract=extract))
        problems = group_problems(records)
    except UnicodeDecodeError as err:
        raise RecordError(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from None
    except RecordError as err:
        # group_problems names the problem but not the file.
        raise err if str(err).startswith(str(path)) else RecordError(f"{path}: {err}") from None
    if not problems:
        raise RecordError(f"{path}: no candidate records")
    return problems


def _store_records(path: Path, scores: str | None) -> list[CandidateRecord]:
    # Imported here: the store's score reader lives in the (torch-importing) sampling package, and reading a
    # plain JSONL file should stay torch-free.
    from mathft.sampling.score_shards import load_scored, scorer_names

    if scores is None and "score" in scorer_names(path):
        scores = "score"
    return load_scored(path, name=scores)


def _analyze_all(problems: Sequence[ProblemGroup], grader: Any) -> list[ProblemAnalysis]:
    from tqdm import tqdm

    progress = tqdm(
        problems, desc="grading", unit="problem", file=sys.stderr, disable=len(problems) < _PROGRESS_MIN_PROBLEMS
    )
    return [analyze_problem(problem, grader) for problem in progress]


def _scored(path: Path, analyses: Sequence[ProblemAnalysis]) -> bool:
    scored = sum(a.scores is not None for a in analyses)
    if 0 < scored < len(analyses):
        raise RecordError(f"{path}: {scored} of {len(analyses)} problems have evaluator scores; score all or none")
    return scored == len(analyses)


def build_report(problems: Sequence[ProblemGroup], summary: Summary, grader: Any, *, k: int, top_n: int) -> dict:
    """The JSON report: counts, metric means, evaluator costs and the grader's failure counters."""
    stats = grader_stats(grader)
    return {
        "num_problems": len(problems),
        "num_candidates": sum(len(p.candidates) for p in problems),
        "metrics": summary.metrics,
        "evaluator_cost": summary.evaluator_cost,
        "grader": {"timeouts": stats["timeouts"], "parse_failures": stats["parse_failures"],
                   "policy": getattr(grader, "policy", "custom")},
        "settings": {"k": k, "top_n": top_n},
    }


def format_table(report: dict) -> str:
    """A plain-text table of every metric, its evaluator cost and what was omitted."""
    metrics, costs = report["metrics"], report["evaluator_cost"]
    lines = [
        f"{report['num_problems']} problems, {report['num_candidates']} candidates "
        f"(K = {report['settings']['k']}, N' = {report['settings']['top_n']})",
        "",
        f"{'metric':<12}{'accuracy':>10}{'evaluator cost':>16}",
        "-" * 38,
    ]
    for name in metric_names(scored=True):
        if name in metrics:
            cost = f"{costs[name]:>15.1%}" if name in costs else f"{'-':>15}"
            lines.append(f"{name:<12}{metrics[name]:>10.1%} {cost}")
    omitted = [name for name in STRATEGY_NAMES if name not in metrics and name not in SCORE_FREE]
    if omitted:
        lines.append(f"omitted (the file has no evaluator scores): {', '.join(omitted)}")
    grader = report["grader"]
    lines.append(f"grader: policy {grader.get('policy', 'custom')!r} (docs/grading.md), {grader['timeouts']} timeouts, "
                 f"{grader['parse_failures']} unparsable answers")
    return "\n".join(lines)


def _write_plots(directory: Path, analyses: Sequence[ProblemAnalysis], args: argparse.Namespace) -> list[Path]:
    from mathft.metrics.figures import paper_figures

    written = []
    for name, fig in paper_figures(analyses, k=args.k, top_n=args.top_n, seed=args.seed).items():
        path = directory / f"{name}.png"
        with atomic_write(path, "wb") as handle:
            fig.savefig(handle, format="png")
        written.append(path)
    return written


def _run(args: argparse.Namespace, grader: Any) -> None:
    extract = getattr(grader, "extract_answer", None) or _module_extract()
    problems = load_problems(args.candidates, extract, scores=args.scores)
    analyses = _analyze_all(problems, grader)
    scored = _scored(args.candidates, analyses)
    summary = summarize(analyses, k=args.k, top_n=args.top_n, names=metric_names(scored))
    report = build_report(problems, summary, grader, k=args.k, top_n=args.top_n)
    # By level and subject where the problems carry them, and each problem's outcomes (breakdown module).
    report.update(rerank_breakdowns(problems, analyses, list(summary.metrics), k=args.k, top_n=args.top_n,
                                    problem_files=args.problems))
    print(format_table(report) + format_breakdowns(report, list(summary.metrics)))
    if args.json is not None:
        with atomic_write(args.json) as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
    if args.plots is not None:
        for path in _write_plots(args.plots, analyses, args):
            print(f"wrote {path}")


def _module_extract() -> Callable[[str], str | None]:
    from mathft.grading import extract_answer

    return extract_answer


def _make_grader(approximate: bool = False) -> Any:
    """A private grader for this run (closed at the end, unlike the shared default one)."""
    from mathft.grading import Grader

    return Grader(approximate=approximate)


def main(argv: Sequence[str]) -> int:
    """Run ``mathft rerank``.

    Returns:
        0 on success, 2 on a malformed or unreadable input (message on stderr, nothing written).
    """
    parser = _parser()
    args = parser.parse_args(list(argv))
    # Checked now, not after minutes of grading: where the results go must be writable.
    if args.json is not None and args.json.is_dir():
        parser.error(f"--json {args.json}: is a folder")
    if args.plots is not None and args.plots.exists() and not args.plots.is_dir():
        parser.error(f"--plots {args.plots}: is a file")
    grader = _make_grader(args.approximate)
    try:
        _run(args, grader)
    except (RecordError, DataError, OSError) as err:
        print(f"mathft rerank: error: {err}", file=sys.stderr)
        return 2
    finally:
        grader.close()
    return 0
