"""The LightningModule shell shared by the generator and the evaluator: backbone, optimizer, export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import nn

from mathft.modules.backbone import BackboneConfig, build_backbone, export_hf, load_tokenizer

__all__ = ["BackboneModule"]


class BackboneModule(pl.LightningModule):
    """A causal-LM backbone built in :meth:`configure_model`, with injected optimizer and scheduler.

    Subclasses implement ``_shared_step(batch, stage)`` and may override :meth:`compute_loss`.

    Args:
        backbone: Which model to load and how (see :class:`BackboneConfig`).
        optimizer: Optimizer factory, e.g. ``torch.optim.AdamW`` with ``init_args`` in YAML.
        scheduler: Optional LR scheduler factory, stepped every optimizer step.
    """

    def __init__(
        self,
        backbone: BackboneConfig,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
    ) -> None:
        super().__init__()
        self.backbone_config = backbone
        self.optimizer_factory = optimizer
        self.scheduler_factory = scheduler
        self.model: nn.Module | None = None
        self._tokenizer: Any = None

    @property
    def tokenizer(self) -> Any:
        """The backbone's tokenizer (loaded on first use)."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.backbone_config)
        return self._tokenizer

    def configure_model(self) -> None:
        """Build (and under ``ModelParallelStrategy`` shard) the backbone; a no-op when already built."""
        if self.model is not None:
            return
        mesh = getattr(self, "_device_mesh", None)
        device = self.trainer.strategy.root_device if self._trainer is not None else None
        self.model = build_backbone(self.backbone_config, mesh=mesh, device=device)
        self.model.train(self.training)  # from_pretrained returns eval mode; follow the Lightning module's mode
        self.on_model_built()

    def on_model_built(self) -> None:
        """Hook called once the backbone exists (e.g. to look up token ids)."""

    def data_settings(self) -> dict[str, Any]:
        """Settings this module's objective needs from its data module, passed to the data module's ``connect``."""
        return {}

    def forward(self, **batch: Any) -> Any:
        return self.model(**batch)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "train")

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        return self._shared_step(batch, "test")

    def _shared_step(self, batch: dict[str, Any], stage: str) -> torch.Tensor:
        raise NotImplementedError

    def configure_optimizers(self) -> Any:
        params = [p for p in self.parameters() if p.requires_grad]
        optimizer = self.optimizer_factory(params)
        if self.scheduler_factory is None:
            return optimizer
        scheduler = self.scheduler_factory(optimizer)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def export_hf(self, out_dir: str | Path, state_dict: dict[str, torch.Tensor] | None = None) -> Path | None:
        """Save the backbone as a HF directory; call on every rank (gathers FSDP shards), rank 0 writes.

        Args:
            out_dir: Target directory.
            state_dict: Backbone weights to write instead of the live ones (keys without the ``model.`` prefix).
        """
        if self.model is None:
            self.configure_model()
        rank_zero = self._trainer is None or self.trainer.is_global_zero
        return export_hf(self.model, self.tokenizer, out_dir, self.backbone_config, state_dict, rank_zero)

    def _batch_size(self, batch: dict[str, Any]) -> int:
        return int(batch["input_ids"].size(0))
