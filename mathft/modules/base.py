"""The LightningModule shell shared by the generator and the evaluator: backbone, optimizer, export."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.trainer.states import TrainerFn
from torch import nn
from torchmetrics import MaxMetric

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
        return self.build_optimizers(self.parameters())

    def build_optimizers(self, parameters: Iterable[nn.Parameter]) -> Any:
        """This module's optimizer (and scheduler) over ``parameters``, as ``configure_optimizers`` returns them.

        A multi-task module calls it with the shared backbone's parameters at each phase boundary.
        """
        params = [p for p in parameters if p.requires_grad]
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

    # ---- epoch-level logging --------------------------------------------------------------------------
    @property
    def fitting(self) -> bool:
        """Whether this is ``fit`` (not ``validate``/``test``): best-so-far metrics only track training."""
        return self._trainer is not None and self.trainer.state.fn == TrainerFn.FITTING

    def log_synced(self, name: str, value: Any) -> None:
        """Log an epoch value that is already the same on every rank (computed from synced metric states).

        A MAX all-reduce of equal values returns them unchanged, bit for bit (a mean over 3 ranks might not),
        and marks the value as synced: Lightning would otherwise warn once per name on every FSDP run.
        """
        self.log(name, torch.as_tensor(value, dtype=torch.float32, device=self.device), sync_dist=True, reduce_fx="max")

    def best_metrics(self) -> dict[str, MaxMetric]:
        """Best-so-far metrics by logged name (``val/pass@1_best``...), carried across a resume."""
        return {}

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # The metrics' own states are not in the state dict (torchmetrics keeps them out): store the values,
        # read locally (every rank holds the same), so that a resumed run continues the best-so-far.
        checkpoint["best_metrics"] = {name: metric.max_value.detach().cpu()
                                      for name, metric in self.best_metrics().items() if metric.update_count}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        metrics = self.best_metrics()
        for name, value in checkpoint.get("best_metrics", {}).items():
            if name in metrics:
                metrics[name].reset()
                metrics[name].update(value.to(metrics[name].device))
