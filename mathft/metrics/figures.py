"""The paper's figures from selection curves, as :class:`matplotlib.figure.Figure` objects.

Figures are built without pyplot (no global figure manager, no GUI backend), so they render headless,
save with ``fig.savefig(path)`` and log with ``SummaryWriter.add_figure`` / ``logger.experiment.add_figure``.
Inputs are plain data from :mod:`mathft.selection` (or the curves of :mod:`mathft.metrics`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # headless: never pick an interactive backend on a training node

from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import PercentFormatter  # noqa: E402

from mathft.selection.analysis import ProblemAnalysis  # noqa: E402
from mathft.selection.curves import (  # noqa: E402
    Curve,
    curves_by_k,
    curves_by_samples,
    curves_by_top_n,
    max_clusters,
    max_samples,
)
from mathft.selection.distributions import ClusterSizes, cluster_sizes  # noqa: E402

__all__ = ["LABELS", "strategy_figure", "majk_figure", "cluster_size_figure", "samples_figure", "paper_figures"]

# How the paper names each metric, and one colour per metric shared by every figure.
LABELS: dict[str, str] = {
    "pass@1": "Pass@1", "pass@N": "Pass@N (oracle)", "maj1@N": "Maj1@N", "majK@N": "MajK@N",
    "rr_all": "RR.All", "rr_majK": "RR.MajK", "w_rr": "W-RR", "w_rr_majK": "W-RR.MajK",
    "maj1": "Maj1", "maj1_topN": "Maj1.TopN",
}  # fmt: skip
_COLORS: dict[str, str] = {
    "pass@1": "#7f7f7f", "pass@N": "#000000", "maj1@N": "#2ca02c", "majK@N": "#17becf",
    "rr_all": "#d62728", "rr_majK": "#ff7f0e", "w_rr": "#1f77b4", "w_rr_majK": "#9467bd",
    "maj1": "#2ca02c", "maj1_topN": "#8c564b",
}  # fmt: skip
# Distinct markers and dash patterns, so that curves that coincide stay distinguishable.
_MARKERS: dict[str, str] = {"majK@N": "s", "rr_majK": "o", "w_rr_majK": "^", "maj1_topN": "D"}
_DASHES: dict[str, object] = {"pass@N": "-", "rr_all": "--", "w_rr": "-.", "maj1": ":", "maj1@N": ":", "pass@1": "--"}
_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8.5, "figure.dpi": 110}


@contextmanager
def _style() -> Iterator[None]:
    """Paper-like defaults for the figures built inside, without touching the caller's rcParams."""
    with matplotlib.rc_context(_RC):
        yield


def _accuracy_axes(ax: Axes, xlabel: str, title: str) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel("Accuracy")
    ax.set_title(title)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.grid(True, alpha=0.3, linewidth=0.6)


def _line(ax: Axes, x: Sequence[int], y: Sequence[float], name: str, *, flat: bool = False, **kw: object) -> None:
    """A swept metric as markers and line, a flat one as a dashed horizontal reference."""
    style: dict[str, object] = {"color": _COLORS.get(name), "label": LABELS.get(name, name)}
    if flat:
        style.update(linestyle=_DASHES.get(name, "--"), linewidth=1.3 if name != "pass@N" else 1.0)
    else:
        style.update(marker=_MARKERS.get(name, "o"), markersize=4.5, linewidth=1.6, markerfacecolor="white")
    style.update(kw)
    ax.plot(x, y, **style)


def _plot_metrics(ax: Axes, curve: Curve, swept: Sequence[str], flat: Sequence[str]) -> None:
    for name in flat:
        if name in curve.accuracy:
            _line(ax, curve.x, curve.accuracy[name], name, flat=True)
    for name in swept:
        if name in curve.accuracy:
            _line(ax, curve.x, curve.accuracy[name], name)


def _shared_legend(fig: Figure, axes: Sequence[Axes]) -> None:
    """One legend under the figure for several panels (inside, it would hide curves near the bottom)."""
    entries: dict[str, object] = {}
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            entries.setdefault(label, handle)
    fig.legend(list(entries.values()), list(entries), loc="outside lower center", ncol=len(entries),
               frameon=False, handlelength=2.6)  # fmt: skip


def _integer_ticks(ax: Axes, xs: Sequence[int]) -> None:
    ax.set_xlim(min(xs) - 0.5, max(xs) + 0.5)
    if len(xs) <= 16:
        ax.set_xticks(list(xs))  # every K or N' when they fit
    else:
        ax.xaxis.get_major_locator().set_params(integer=True)


def strategy_figure(by_k: Curve, by_top_n: Curve, *, title: str | None = None) -> Figure:
    """The paper's Figure 1: every re-ranking strategy against K and N', and the evaluator's cost.

    Args:
        by_k: Curves over K (from :func:`mathft.selection.curves_by_k` or ``RerankMetrics.curve_by_k``).
        by_top_n: Curves over N' (``curves_by_top_n`` / ``RerankMetrics.curve_by_top_n``).
        title: Figure title (e.g. the model and N).
    """
    with _style():
        fig = Figure(figsize=(13.5, 4.6), layout="constrained")
        ax_k, ax_n, ax_cost = fig.subplots(1, 3)
        ax_n.sharey(ax_k)  # (a) and (b) compare the same accuracies: one scale
        _plot_metrics(ax_k, by_k, ["majK@N", "rr_majK", "w_rr_majK"], ["pass@N", "rr_all", "w_rr", "maj1"])
        _accuracy_axes(ax_k, "K (largest clusters kept)", "(a) Re-ranking within the top-K clusters")
        _integer_ticks(ax_k, by_k.x)
        _plot_metrics(ax_n, by_top_n, ["maj1_topN"], ["pass@N", "rr_all", "w_rr", "maj1"])
        _accuracy_axes(ax_n, "N' (best-scored samples voting)", "(b) Majority vote among the top-N'")
        _integer_ticks(ax_n, by_top_n.x)
        _cost_panel(ax_cost, by_k)
        _shared_legend(fig, (ax_k, ax_n))
        if title:
            fig.suptitle(title, fontsize=12)
    return fig


def _cost_panel(ax: Axes, by_k: Curve) -> None:
    for name in ("rr_all", "maj1"):
        if name in by_k.cost:
            label = "RR.All, W-RR, Maj1.TopN" if name == "rr_all" else "Maj1"
            _line(ax, by_k.x, by_k.cost[name], name, flat=True, label=label)
    if "rr_majK" in by_k.cost:
        _line(ax, by_k.x, by_k.cost["rr_majK"], "rr_majK", label="RR.MajK, W-RR.MajK")
    ax.set_xlabel("K (largest clusters kept)")
    ax.set_ylabel("Samples scored by the evaluator")
    ax.set_title("(c) Evaluator cost")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(-0.04, 1.08)
    ax.grid(True, alpha=0.3, linewidth=0.6)
    _integer_ticks(ax, by_k.x)
    # The cost curve rises from the lower left to the upper right: the right middle stays free.
    ax.legend(loc="center right", framealpha=0.95)


def majk_figure(by_k: Curve, *, title: str | None = None) -> Figure:
    """The paper's Figure 3: MajK@N against K, with Maj1@N and the oracle Pass@N.

    Args:
        by_k: Curves over K holding ``majK@N``, ``maj1@N`` and ``pass@N``.
        title: Axes title; defaults to a description of the plot.
    """
    with _style():
        fig = Figure(figsize=(5.6, 4.0), layout="constrained")
        ax = fig.subplots()
        _plot_metrics(ax, by_k, ["majK@N"], ["pass@N", "maj1@N"])
        _accuracy_axes(ax, "K (largest clusters)", title or "Is a correct answer among the K largest clusters?")
        _integer_ticks(ax, by_k.x)
        ax.legend(loc="lower right", framealpha=0.9)
    return fig


def _size_bins(num_samples: int, max_bins: int) -> list[float]:
    """Histogram edges over shares that hold the same number of possible sizes each.

    With N samples a share takes only the N + 1 values 0, 1/N, ..., 1; equal-width bins over [0, 1]
    would hold 6 or 7 of them in turn and draw a comb. Bins of ``width`` whole sizes, edges half-way
    between sizes, avoid that; the bin count is chosen to divide N + 1 as evenly as possible.
    """
    if num_samples <= 0:
        return [i / max_bins for i in range(max_bins + 1)]
    values = num_samples + 1
    count = values if values <= max_bins else min(range(max_bins // 2, max_bins + 1), key=lambda b: (-values % b, -b))
    width = -(-values // count)  # ceil
    return [(j * width - 0.5) / num_samples for j in range(-(-values // width) + 1)]


def cluster_size_figure(sizes: ClusterSizes, *, bins: int = 20, title: str | None = None) -> Figure:
    """The paper's Figure 4: how large the correct cluster is, and how large the top cluster is.

    Args:
        sizes: Per-problem shares from :func:`mathft.selection.cluster_sizes`.
        bins: Most histogram bins (fewer when N + 1 divides better into fewer, see ``_size_bins``).
        title: Figure title.
    """
    edges = _size_bins(sizes.num_samples, bins)
    with _style():
        fig = Figure(figsize=(11.0, 4.0), layout="constrained")
        ax_all, ax_top = fig.subplots(1, 2, sharey=False)
        ax_all.hist(sizes.correct_share, bins=edges, color=_COLORS["majK@N"], edgecolor="white", linewidth=0.6)
        ax_all.set_title(f"(a) Size of the correct cluster ({len(sizes.correct_share)} problems with one)")
        right = [s for s, ok in zip(sizes.top_share, sizes.top_correct, strict=True) if ok]
        wrong = [s for s, ok in zip(sizes.top_share, sizes.top_correct, strict=True) if not ok]
        ax_top.hist([right, wrong], bins=edges, stacked=True, color=[_COLORS["maj1"], _COLORS["rr_all"]],
                    label=[f"top cluster correct ({len(right)})", f"top cluster wrong ({len(wrong)})"],
                    edgecolor="white", linewidth=0.6)  # fmt: skip
        ax_top.set_title(f"(b) Size of the largest cluster ({len(sizes.top_share)} problems)")
        # Under the axes: inside, it covers the tallest bars, which sit anywhere.
        ax_top.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
        for ax in (ax_all, ax_top):
            ax.set_xlabel("Cluster size (share of the N samples)")
            ax.set_ylabel("Problems")
            ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax.set_xlim(min(0.0, edges[0]), max(1.0, edges[-1]))
            ax.grid(True, axis="y", alpha=0.3, linewidth=0.6)
        if title:
            fig.suptitle(title, fontsize=12)
    return fig


def samples_figure(by_n: Curve, *, title: str | None = None) -> Figure:
    """Every metric against the number of samples n (means over random subsets), log-2 x axis.

    Args:
        by_n: Curves from :func:`mathft.selection.curves_by_samples`.
        title: Axes title.
    """
    with _style():
        fig = Figure(figsize=(6.4, 4.4), layout="constrained")
        ax = fig.subplots()
        _plot_metrics(ax, by_n, [n for n in LABELS if n not in ("maj1", "pass@1")], ["pass@1"])
        _accuracy_axes(ax, "n (samples per problem)", title or "Accuracy against the number of samples")
        ax.set_xscale("log", base=2)
        ax.set_xticks(by_n.x, [str(x) for x in by_n.x])
        ax.minorticks_off()
        ax.legend(loc="upper left", ncol=2, framealpha=0.9, fontsize=8)
    return fig


def _powers_of_two(n: int) -> list[int]:
    sizes = [1 << i for i in range(n.bit_length()) if 1 << i <= n]
    return sorted({*sizes, n})


def paper_figures(
    analyses: Sequence[ProblemAnalysis], *, k: int, top_n: int, seed: int = 0, max_k: int = 16, repeats: int = 8
) -> dict[str, Figure]:
    """All figures for one evaluation, keyed by a file-name stem.

    The strategy figure needs evaluator scores and is left out when a problem has none.

    Args:
        analyses: One analysis per problem.
        k: K of the MajK metrics where K is not swept.
        top_n: N' of Maj1.TopN where N' is not swept.
        seed: Seed of the random subsets of the n-samples curve.
        max_k: Largest K drawn (capped at the largest number of clusters).
        repeats: Random subsets per problem and n.
    """
    n = max_samples(analyses)
    by_k = curves_by_k(analyses, top_n=top_n, max_k=min(max_k, max_clusters(analyses)))
    by_n = curves_by_samples(analyses, k=k, top_n=top_n, sizes=_powers_of_two(n), repeats=repeats, seed=seed)
    samples_title = f"Accuracy against the number of samples (K = {k}, N' = {top_n})"
    figures = {
        "majk_vs_k": majk_figure(by_k),
        "cluster_sizes": cluster_size_figure(cluster_sizes(analyses)),
        "accuracy_vs_samples": samples_figure(by_n, title=samples_title),
    }
    if all(a.scores is not None for a in analyses):
        by_top_n = curves_by_top_n(analyses, k=k)
        figures = {"strategies": strategy_figure(by_k, by_top_n, title=f"{len(analyses)} problems, N = {n}"), **figures}
    return figures
