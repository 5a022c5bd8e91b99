"""The paper's figures render headless, save as PNG and log to TensorBoard."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from mathft.metrics.figures import cluster_size_figure, majk_figure, samples_figure, strategy_figure
from mathft.selection import (
    ProblemAnalysis,
    cluster_sizes,
    curves_by_k,
    curves_by_samples,
    curves_by_top_n,
    from_clusters,
)


def synthetic_analyses(num_problems: int = 120, n: int = 32, seed: int = 0) -> list[ProblemAnalysis]:
    """Problems shaped like a fine-tuned model's samples on MATH: an easy/hard mix, the correct answer
    the most frequent on easy problems, a long tail of wrong clusters, ~5% of samples without an answer,
    and evaluator scores that are higher on correct samples on average."""
    rng = random.Random(seed)
    out = []
    for p in range(num_problems):
        skill = rng.random()
        weights = [skill * 3] + [rng.random() for _ in range(rng.randint(1, 10))]  # label 0 = correct
        labels = [rng.choices(range(len(weights)), weights)[0] if rng.random() > 0.05 else -1 for _ in range(n)]
        scores = [min(1.0, max(0.0, rng.gauss(0.65 if label == 0 else 0.4, 0.2))) for label in labels]
        correct = [True] + [False] * (len(weights) - 1)
        out.append(from_clusters(f"s{p}", labels, correct, scores=scores))
    return out


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    """All four figures from one synthetic evaluation (K up to 8, N' and n up to 32)."""
    analyses = synthetic_analyses()
    by_k = curves_by_k(analyses, top_n=8, max_k=8)
    by_top_n = curves_by_top_n(analyses, k=4)
    by_n = curves_by_samples(analyses, k=4, top_n=8, sizes=[1, 2, 4, 8, 16, 32], repeats=4, seed=0)
    return {
        "figure1_strategies": strategy_figure(by_k, by_top_n, title="Synthetic evaluation, N = 32"),
        "figure3_majk": majk_figure(by_k),
        "figure4_cluster_sizes": cluster_size_figure(cluster_sizes(analyses)),
        "accuracy_vs_samples": samples_figure(by_n),
    }


def test_figures_save_as_png(figures: dict[str, Figure], tmp_path: Path) -> None:
    """Each figure saves as a non-trivial PNG (set MATHFT_FIGURE_DIR to keep them for a look)."""
    out_dir = Path(os.environ.get("MATHFT_FIGURE_DIR", tmp_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        path = out_dir / f"{name}.png"
        fig.savefig(path)
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert path.stat().st_size > 10_000


def test_figures_have_labels_and_legends(figures: dict[str, Figure]) -> None:
    """Every axes is labelled; the accuracy panels share a legend naming every strategy."""
    for fig in figures.values():
        for ax in fig.axes:
            assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    legend = [t.get_text() for t in figures["figure1_strategies"].legends[0].get_texts()]
    assert {"RR.MajK", "W-RR.MajK", "RR.All", "W-RR", "Maj1", "Maj1.TopN", "Pass@N (oracle)"} <= set(legend)


def test_figure_logs_to_tensorboard(figures: dict[str, Figure], tmp_path: Path) -> None:
    """``SummaryWriter.add_figure`` accepts the figures (what Lightning's TensorBoardLogger calls)."""
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(log_dir=str(tmp_path))
    writer.add_figure("val/majk", figures["figure3_majk"], global_step=0, close=False)
    writer.close()
    assert any(p.name.startswith("events.out.tfevents") for p in tmp_path.iterdir())
