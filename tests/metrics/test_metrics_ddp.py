"""Two CPU ranks (gloo) give exactly the single-process result after sync."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from mathft.metrics import RerankMetrics, SamplingMetrics
from mathft.grading import Grader

from tests.metrics.metric_problems import many_problems  # noqa: I001 - tests/metrics is on sys.path (rootdir mode)

WORLD_SIZE = 2


def _results(rank: int, world_size: int) -> dict[str, object]:
    """Each rank sees every world_size-th problem (as a DistributedSampler would); ranks hold unequal counts."""
    problems = many_problems(13)[rank::world_size]
    with Grader() as grader:
        sampling = SamplingMetrics(grader, k=2, max_k=4, max_n=6)
        rerank = RerankMetrics(grader, k=2, top_n=3, max_k=4, max_top_n=6)
        for metric in (sampling, rerank):
            metric.update(problems[:3])
            metric.update(problems[3:])
    out: dict[str, object] = {name: float(v) for name, v in {**sampling.compute(), **rerank.compute()}.items()}
    out["cost"] = {name: float(v) for name, v in rerank.evaluator_cost().items()}
    out["by_k"] = rerank.curve_by_k().accuracy
    out["by_top_n"] = rerank.curve_by_top_n().accuracy
    out["pass@k"] = sampling.pass_at_k().accuracy["pass@k"]
    return out


def _worker(rank: int, store_file: str, out_dir: str) -> None:
    dist.init_process_group("gloo", init_method=f"file://{store_file}", rank=rank, world_size=WORLD_SIZE)
    try:
        result = _results(rank, WORLD_SIZE)
        Path(out_dir, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


@pytest.mark.distributed
@pytest.mark.timeout(120)
def test_two_rank_sync_equals_single_process(tmp_path: Path) -> None:
    """Both ranks report the metrics, costs and curves of all 13 problems, as one process does."""
    mp.spawn(_worker, args=(str(tmp_path / "store"), str(tmp_path)), nprocs=WORLD_SIZE, join=True)
    single = _results(0, 1)
    for rank in range(WORLD_SIZE):
        synced = json.loads((tmp_path / f"rank{rank}.json").read_text())
        assert synced.keys() == single.keys()
        for key, value in single.items():
            if isinstance(value, dict):
                for name, inner in value.items():
                    assert synced[key][name] == pytest.approx(inner), (rank, key, name)
            else:
                assert synced[key] == pytest.approx(value), (rank, key)
    # Guard against a vacuous pass: one rank's shard alone gives other numbers.
    assert _results(0, WORLD_SIZE) != single
