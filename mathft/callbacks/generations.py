"""Log validation generations as text, and the paper's figures, to TensorBoard."""

from __future__ import annotations

from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger

__all__ = ["LogGenerations", "LogFigures", "generations_markdown", "selection_curves", "selection_figure"]


def _tensorboard(trainer: pl.Trainer) -> Any | None:
    """The TensorBoard ``SummaryWriter`` of the trainer's loggers, if any."""
    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            return logger.experiment
    return None


def generations_markdown(rows: list[dict[str, Any]]) -> str:
    """A Markdown table (TensorBoard renders it) of problem, gold, extracted answer and solution."""
    clean = lambda v: str(v if v is not None else "").replace("|", "\\|").replace("\n", "<br>")  # noqa: E731
    lines = ["| problem | gold | answer | solution |", "|---|---|---|---|"]
    lines += [f"| {clean(r.get('problem'))} | {clean(r.get('gold'))} | {clean(r.get('answer'))} | {clean(r.get('text'))} |"
              for r in rows]
    return "\n".join(lines)


class LogGenerations(Callback):
    """After each validation, log the module's ``val_generations`` as ``val/generations`` text."""

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        rows = getattr(pl_module, "val_generations", None)
        writer = _tensorboard(trainer)
        if rows and writer is not None and trainer.is_global_zero and not trainer.sanity_checking:
            writer.add_text("val/generations", generations_markdown(rows), trainer.global_step)


class LogFigures(Callback):
    """After each validation, log the paper's figure of the module's selection metric.

    Uses ``pl_module.selection_metric`` (the metric that just computed, or ``None`` when it has nothing
    to plot this epoch): the generator's sampling metric gives Figure 3 (MajK@N against K,
    ``val/majk_by_k``), the evaluator's re-ranking metric Figure 1 (every strategy against K and N' and
    the evaluator's cost, ``val/strategies``).
    """

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        metric = getattr(pl_module, "selection_metric", None)
        if metric is None or trainer.sanity_checking:
            return
        curves = selection_curves(metric)  # syncs across ranks: every rank must call it
        writer = _tensorboard(trainer)
        if writer is None or not trainer.is_global_zero:
            return
        tag, figure = selection_figure(*curves)
        writer.add_figure(tag, figure, trainer.global_step, close=True)


def selection_curves(metric: Any) -> tuple[Any, Any | None]:
    """The metric's curve over K, and over N' when it re-ranks (a collective under DDP/FSDP)."""
    by_top_n = metric.curve_by_top_n() if hasattr(metric, "curve_by_top_n") else None
    return metric.curve_by_k(), by_top_n


def selection_figure(by_k: Any, by_top_n: Any | None = None) -> tuple[str, Any]:
    """The TensorBoard tag and figure for a selection metric's curves (see :class:`LogFigures`)."""
    import matplotlib

    matplotlib.use("Agg")
    from mathft.metrics.figures import majk_figure, strategy_figure

    if by_top_n is not None:
        return "val/strategies", strategy_figure(by_k, by_top_n)
    return "val/majk_by_k", majk_figure(by_k)
