"""Grading candidate stores into the paper's numbers: sampling metrics, strategy tables, figures.

Thin glue over :mod:`mathft.selection` (pure) and :mod:`mathft.metrics.figures`: every problem is graded
once into a :class:`~mathft.selection.ProblemAnalysis`, and every table row and curve derives from those.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from mathft.records import CandidateRecord, group_problems
from mathft.selection import ProblemAnalysis, analyze_problem, default_grader, summarize
from mathft.selection.analysis import NO_CLUSTER
from mathft.selection.verdicts import STRATEGY_NAMES, problem_values

__all__ = ["analyze", "sampling_metrics", "score_aurocs", "outcome_table", "strategy_rows", "write_figures",
           "SAMPLING_KEYS"]

SAMPLING_KEYS = ("pass@1", "maj1@N", "majK@N", "pass@N")


def analyze(records: Sequence[CandidateRecord], approximate: bool = False) -> list[ProblemAnalysis]:
    """One analysis per problem (clusters, verdicts, scores), graded with the package's grader.

    Args:
        records: Candidate records of one or more problems.
        approximate: The ``grading.approximate`` key: accept rounded decimals of exact golds.
    """
    grader = _approximate_grader() if approximate else default_grader()
    return [analyze_problem(group, grader) for group in group_problems(records)]


@lru_cache(maxsize=1)
def _approximate_grader() -> Any:
    # One per process, like the default grader: its worker and caches serve every stage of a run.
    from mathft.grading import Grader

    return Grader(approximate=True)


def sampling_metrics(analyses: Sequence[ProblemAnalysis], k: int) -> dict[str, float]:
    """Pass@1 (greedy), Maj1@N, MajK@N, Pass@N, plus N and how many distinct answers a problem gets."""
    summary = summarize(analyses, k=k, top_n=1, names=list(SAMPLING_KEYS))
    count = max(len(analyses), 1)
    return {
        **summary.metrics,
        "num_problems": len(analyses),
        "num_samples": max((a.num_samples for a in analyses), default=0),
        "distinct_answers": sum(len(a.clusters) for a in analyses) / count,
        "no_answer_share": sum(a.labels.count(-1) / max(a.num_samples, 1) for a in analyses) / count,
    }


def score_aurocs(analyses: Sequence[ProblemAnalysis]) -> dict[str, float | None]:
    """How well the evaluator's scores separate right from wrong test samples, pooled over problems.

    ``test_auroc`` counts every scored sample; ``test_auroc_answered`` only those with a final answer. A
    sample without one (cut off, or never concluded) is wrong by construction and easy to spot, and never
    enters a cluster, so only the second says whether the evaluator judges the solutions re-ranking chooses
    among. ``None`` where a set has no right or no wrong sample (undefined, never 0).
    """
    every, answered = [], []
    for analysis in analyses:
        if analysis.scores is None:
            continue
        for score, right, label in zip(analysis.scores, analysis.correct, analysis.labels, strict=True):
            every.append((score, right))
            if label != NO_CLUSTER:
                answered.append((score, right))
    return {"test_auroc": _auroc(every), "test_auroc_answered": _auroc(answered)}


def _auroc(pairs: Sequence[tuple[float, bool]]) -> float | None:
    """The probability that a right sample outscores a wrong one (ties count half), or ``None``."""
    import torch
    from torchmetrics.functional.classification import binary_auroc

    labels = [right for _, right in pairs]
    if all(labels) or not any(labels):
        return None
    scores = torch.tensor([score for score, _ in pairs], dtype=torch.float64)
    return float(binary_auroc(scores, torch.tensor(labels, dtype=torch.long)))


def _compact(value: float) -> float | int:
    # Verdicts are 0.0/1.0: store them as 0/1 so that a marker with hundreds of problems stays small.
    return int(value) if float(value).is_integer() else round(value, 6)


def outcome_table(analyses: Sequence[ProblemAnalysis], names: Sequence[str], *, k: int,
                  top_n: int) -> dict[str, Any]:
    """Each problem's outcome of each named metric, kept in stage markers as ``per_problem``.

    The report bootstraps intervals over problems from these and pairs two methods on the problems both
    saw (:mod:`mathft.pipeline.significance`), which the means alone cannot do.

    Returns:
        ``{"problem_ids": [id, ...], "outcomes": {name: [value, ...]}}``, every list in the same problem
        order; values are 0/1 verdicts, or a fraction for the unbiased pass@1 of a store without greedy
        answers.
    """
    rows = [problem_values(a, names, k=k, top_n=top_n) for a in analyses]
    return {"problem_ids": [a.problem_id for a in analyses],
            "outcomes": {name: [_compact(row[name]) for row in rows] for name in names}}


def strategy_rows(analyses: Sequence[ProblemAnalysis], ks: Sequence[int], top_ns: Sequence[int]) -> list[dict[str, Any]]:
    """Every strategy's accuracy and evaluator cost for each (K, N') setting (paper Table 4).

    Rows sweep K at the first N' and N' at the first K, so that each row changes one setting.
    """
    settings = [(k, top_ns[0]) for k in ks] + [(ks[0], n) for n in top_ns[1:]]
    rows = []
    for k, top_n in dict.fromkeys(settings):
        summary = summarize(analyses, k=k, top_n=top_n, names=list(STRATEGY_NAMES))
        rows.append({"k": k, "top_n": top_n, "accuracy": summary.metrics, "cost": summary.evaluator_cost})
    return rows


def write_figures(analyses: Sequence[ProblemAnalysis], directory: Path, *, k: int, top_n: int,
                  seed: int = 0) -> dict[str, str]:
    """The paper's figures as PNG files (strategies vs K / N' with cost, MajK vs K, cluster sizes)."""
    from mathft.metrics.figures import paper_figures

    directory.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, figure in paper_figures(analyses, k=k, top_n=top_n, seed=seed).items():
        path = directory / f"{name}.png"
        figure.savefig(path, format="png")
        written[name] = str(path)
    return written
