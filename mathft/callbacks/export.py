"""At the end of fit, export the best checkpoint's backbone as a HF directory."""

from __future__ import annotations

from pathlib import Path

import lightning.pytorch as pl
from lightning.pytorch.callbacks import Callback

from mathft.modules.export import export_checkpoint

__all__ = ["ExportBestToHF"]


class ExportBestToHF(Callback):
    """Write ``<dirpath>`` (default ``<default_root_dir>/hf_best``) from the best checkpoint at fit end.

    Falls back to ``last.ckpt``, then to the live weights, when no best checkpoint exists. The source is
    kept in :attr:`source` (``"live"`` or a checkpoint path) for stage manifests.

    Args:
        dirpath: Export directory; defaults to ``hf_best`` under the trainer's ``default_root_dir``.
    """

    def __init__(self, dirpath: str | None = None) -> None:
        self.dirpath = dirpath
        self.exported_to: Path | None = None
        self.source: str | None = None

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        out = Path(self.dirpath or Path(trainer.default_root_dir) / "hf_best")
        # A multi-task module selects its result by its last phase's checkpoints, not by the first callback.
        selector = getattr(pl_module, "selection_callback", None) or trainer.checkpoint_callback
        best = selector.best_model_path if selector is not None else ""
        last = next((c.last_model_path for c in trainer.checkpoint_callbacks if getattr(c, "last_model_path", "")), "")
        path = best or last
        if path:
            export_checkpoint(pl_module, path, out, is_rank_zero=trainer.is_global_zero)
        else:
            pl_module.export_hf(out)  # a collective under FSDP: every rank gathers, rank 0 writes
        trainer.strategy.barrier("mathft_export")
        self.exported_to, self.source = out, (path or "live")
