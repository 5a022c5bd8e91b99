"""SamplingMetrics and RerankMetrics: hand-computed values, batching, and agreement with the pure layer."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from torchmetrics import MetricCollection

from mathft.metrics import RerankMetrics, SamplingMetrics
from mathft.records import ProblemGroup
from mathft.grading import Grader
from mathft.selection import analyze_problem, curves_by_k, curves_by_top_n, summarize

from tests.metrics.metric_problems import build_problem, many_problems  # noqa: I001 - tests/metrics is on sys.path (rootdir mode)


def _floats(result: dict[str, torch.Tensor]) -> dict[str, float]:
    return {name: float(value) for name, value in result.items()}


def test_sampling_metrics_hand_values(problems: list[ProblemGroup], grader: Grader) -> None:
    """K=2. pass@1 = (3/8 + 1 (greedy "2" right))/2 = 11/16; pass@N = 1; maj1@N = (0 + 1)/2; maj2@N = 1."""
    metric = SamplingMetrics(grader, k=2, max_k=3, max_n=4)
    metric.update(problems[:1])
    metric.update(problems[1:])  # two batches accumulate
    result = metric.compute()
    assert list(result) == ["pass@1", "pass@N", "maj1@N", "majK@N"]
    assert _floats(result) == pytest.approx({"pass@1": 11 / 16, "pass@N": 1.0, "maj1@N": 0.5, "majK@N": 1.0})


def test_sampling_curves(problems: list[ProblemGroup], grader: Grader) -> None:
    """MajK@N over K = 1..3: A (0, 1, 1), B (1, 1, 1) -> (.5, 1, 1). pass@k, k = 1..4:
    A n=8 c=3 gives 3/8, 9/14, 1 - (5*4*3)/(8*7*6) = 23/28, 1 - (5*4*3*2)/(8*7*6*5) = 13/14;
    B n=3 c=2 gives 2/3, 1, 1, 1 (k > 3 stays at pass@N)."""
    metric = SamplingMetrics(grader, k=2, max_k=3, max_n=4)
    metric.update(problems)
    assert metric.curve_by_k().accuracy["majK@N"] == pytest.approx([0.5, 1.0, 1.0])
    expected = [(3 / 8 + 2 / 3) / 2, (9 / 14 + 1) / 2, (23 / 28 + 1) / 2, (13 / 14 + 1) / 2]
    assert metric.pass_at_k().accuracy["pass@k"] == pytest.approx(expected)


def test_rerank_metrics_hand_values(problems: list[ProblemGroup], grader: Grader) -> None:
    """K=2, N'=5, see the ``problems`` fixture. Costs: rr_maj2 = (6/8 + 3/3)/2 = 7/8."""
    metric = RerankMetrics(grader, k=2, top_n=5, max_k=3, max_top_n=8)
    metric.update(problems)
    assert _floats(metric.compute()) == pytest.approx(
        {"rr_all": 0, "rr_majK": 0, "w_rr": 1, "w_rr_majK": 1, "maj1": 0.5, "maj1_topN": 1}
    )
    assert _floats(metric.evaluator_cost()) == pytest.approx(
        {"rr_all": 1, "rr_majK": 7 / 8, "w_rr": 1, "w_rr_majK": 7 / 8, "maj1": 0, "maj1_topN": 1}
    )


def test_rerank_requires_scores(grader: Grader) -> None:
    """An unscored problem is refused with its id."""
    metric = RerankMetrics(grader)
    with pytest.raises(ValueError, match="'u' has no evaluator scores"):
        metric.update([build_problem("u", "1", ["1"], None, None)])


def test_metrics_agree_with_pure_layer(grader: Grader) -> None:
    """On a varied set fed as pre-analysed problems in two batches, compute() and the curves equal
    mathft.selection's summary and curves."""
    problems = many_problems()
    analyses = [analyze_problem(p, grader) for p in problems]
    sampling = SamplingMetrics(grader, k=2, max_k=4)
    rerank = RerankMetrics(grader, k=2, top_n=3, max_k=4, max_top_n=7)
    for metric in (sampling, rerank):
        metric.update(analyses[:5])
        metric.update(analyses[5:])
    summary = summarize(analyses, k=2, top_n=3)
    assert {**_floats(sampling.compute()), **_floats(rerank.compute())} == pytest.approx(summary.metrics)
    assert _floats(rerank.evaluator_cost()) == pytest.approx(summary.evaluator_cost)
    pure_k, pure_top = curves_by_k(analyses, top_n=3, max_k=4), curves_by_top_n(analyses, k=2, max_top_n=7)
    for name in rerank.names:
        assert rerank.curve_by_k().accuracy[name] == pytest.approx(pure_k.accuracy[name]), name
        assert rerank.curve_by_k().cost[name] == pytest.approx(pure_k.cost[name]), name
        assert rerank.curve_by_top_n().accuracy[name] == pytest.approx(pure_top.accuracy[name]), name
    assert sampling.curve_by_k().accuracy["majK@N"] == pytest.approx(pure_k.accuracy["majK@N"])


def test_reset_and_states_are_sums(problems: list[ProblemGroup]) -> None:
    """With the default grader: every state reduces by sum (so DDP needs no gather of variable-length
    lists), the values are right, and reset clears them."""
    metric = SamplingMetrics()  # the package default grader
    assert set(metric._reductions.values()) == {metric._reductions["count"]}
    metric.update(problems)
    assert float(metric.compute()["maj1@N"]) == 0.5
    metric.reset()
    assert float(metric.count) == 0.0


def test_metric_collection_logs_stage_names(problems: list[ProblemGroup], grader: Grader) -> None:
    """In a MetricCollection with prefix "val/", the keys are the logged names (``val/maj1@N``, ...)."""
    collection = MetricCollection([SamplingMetrics(grader, k=2), RerankMetrics(grader, k=2, top_n=5)], prefix="val/")
    collection.update([analyze_problem(p, grader) for p in problems])  # graded once for both metrics
    result = collection.compute()
    assert float(result["val/maj1@N"]) == 0.5 and float(result["val/w_rr"]) == 1.0
    assert len(result) == 10 and all(key.startswith("val/") for key in result)


def test_copies_share_the_policy(problems: list[ProblemGroup], grader: Grader) -> None:
    """A metric can be deep-copied and pickled (Lightning and torchmetrics do both) although the real
    grader holds locks and workers: the copy falls back to the package default grader."""
    metric = RerankMetrics(grader, k=2, top_n=5)
    for clone in (copy.deepcopy(metric), pickle.loads(pickle.dumps(metric))):
        clone.update(problems)
        assert float(clone.compute()["w_rr"]) == 1.0
