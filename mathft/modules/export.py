"""Export a Lightning checkpoint (single file, or an FSDP2 sharded folder) as a HF model directory."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch
from torch import Tensor

if TYPE_CHECKING:
    from mathft.modules.base import BackboneModule

__all__ = ["load_checkpoint_state", "backbone_state", "export_checkpoint"]


def load_checkpoint_state(path: str | Path) -> dict[str, Tensor]:
    """The module ``state_dict`` stored in a Lightning checkpoint, on CPU.

    A folder is a distributed checkpoint written by ``ModelParallelStrategy`` (one shard file per rank);
    its shards are read and concatenated by torch.distributed.checkpoint in this one process, without
    a process group, so the export needs neither the original world size nor a GPU.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    if path.is_dir():
        from torch.distributed.checkpoint import FileSystemReader
        from torch.distributed.checkpoint.default_planner import _EmptyStateDictLoadPlanner
        from torch.distributed.checkpoint.state_dict_loader import _load_state_dict

        state: dict = {}
        # Only the weights: the optimizer shards (2x the weights for Adam) are never read.
        _load_state_dict(state, storage_reader=FileSystemReader(path),
                         planner=_EmptyStateDictLoadPlanner(keys={"state_dict"}), no_dist=True)
        return state["state_dict"]
    return torch.load(path, map_location="cpu", weights_only=True)["state_dict"]


def backbone_state(module_state: dict[str, Tensor], prefix: str = "model.") -> dict[str, Tensor]:
    """The backbone's weights from a module state dict (keys under ``prefix``, prefix removed)."""
    out = {k[len(prefix) :]: v for k, v in module_state.items() if k.startswith(prefix)}
    if not out:
        raise KeyError(f"no key starts with {prefix!r} in the checkpoint state dict; is it a mathft module checkpoint?")
    return out


def export_checkpoint(module: BackboneModule, ckpt_path: str | Path, out_dir: str | Path,
                      is_rank_zero: bool = True) -> Path | None:
    """Write the backbone weights of ``ckpt_path`` as a HF directory (rank 0 only; no collective).

    Args:
        module: A module of the checkpoint's class, for the backbone config and tokenizer.
        ckpt_path: A ``.ckpt`` file or a sharded checkpoint folder.
        out_dir: Target directory, loadable with ``AutoModelForCausalLM.from_pretrained``.
        is_rank_zero: Whether this process reads and writes.
    """
    if not is_rank_zero:
        return None
    from mathft.modules.backbone import export_hf, load_causal_lm

    state = backbone_state(load_checkpoint_state(ckpt_path))
    model = module.model if module.model is not None else load_causal_lm(module.backbone_config)
    return export_hf(model, module.tokenizer, out_dir, module.backbone_config, state_dict=state, is_rank_zero=True)
