"""The backbone: any Hugging Face causal LM, built inside ``configure_model`` and sharded with FSDP2.

Loading strategy under FSDP2 (``ModelParallelStrategy``): every rank builds the model on the *meta* device
(no memory), ``fully_shard``s each decoder layer and the root, allocates only its own shards
(``to_empty``), and then rank 0 alone reads the checkpoint from disk and broadcasts it shard by shard
(``set_model_state_dict(..., full_state_dict=True, broadcast_from_rank0=True)``). So one CPU copy of the
weights exists on the node instead of one per rank, and no rank ever holds the full model on the
accelerator. (Meta init + per-rank *partial* reads of safetensors would avoid even rank 0's copy, but
needs format-specific key mapping; broadcast works for every HF model.) Non-persistent buffers (rotary
frequencies) are not in the state dict, so they are broadcast from rank 0 as well.
"""

from __future__ import annotations

import logging
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

__all__ = [
    "LoraSettings",
    "BackboneConfig",
    "load_tokenizer",
    "load_causal_lm",
    "decoder_layers",
    "build_backbone",
    "shard_fsdp2",
    "is_sharded",
    "full_state_dict",
    "export_hf",
    "position_logits",
]

log = logging.getLogger(__name__)

_DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "auto": "auto"}


@dataclass
class LoraSettings:
    """Low-rank adapters (needs the ``lora`` extra: ``pip install mathft[lora]``).

    Only the adapters train (peft freezes every base weight); checkpoints hold base weights and adapters,
    so resuming restores both. Supported and tested (``tests/modules/test_lora.py``): single device and
    ``ModelParallelStrategy`` (FSDP2, data parallel only; the adapters are sharded with their decoder
    layer), gradient checkpointing, the evaluator's last-position scoring, and HF export, which merges the
    adapters into the base weights (``merge_and_unload``) so the exported directory loads without peft.
    Not tested: tensor parallelism (``tensor_parallel_size > 1``), DDP, quantised (QLoRA) bases, and
    exporting the adapters alone.

    Attributes:
        r: Rank of the adapters.
        alpha: Scaling numerator (``lora_alpha``).
        dropout: Dropout on the adapter input.
        target_modules: Module names to adapt, or ``"all-linear"``.
    """

    r: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: list[str] | str = "all-linear"


@dataclass
class BackboneConfig:
    """Which causal LM to fine-tune and how to build it.

    Attributes:
        name_or_path: A Hub name or a local directory loadable with ``AutoModelForCausalLM.from_pretrained``.
        tokenizer: Tokenizer name or path; defaults to ``name_or_path``.
        dtype: Weight dtype at load: ``float32``, ``bfloat16``, ``float16`` or ``auto`` (the checkpoint's).
        attn_implementation: ``sdpa``, ``eager``, ``flash_attention_2``...; ``None`` lets transformers pick.
        gradient_checkpointing: Recompute activations in the backward pass to save memory.
        lora: Train low-rank adapters instead of all weights; ``None`` for full fine-tuning.
        trust_remote_code: Allow model code from the Hub (only for models that need it).
        extra: Further keyword arguments for ``from_pretrained`` / ``from_config`` (e.g. ``revision``).
    """

    name_or_path: str
    tokenizer: str | None = None
    dtype: str = "float32"
    attn_implementation: str | None = None
    gradient_checkpointing: bool = False
    lora: LoraSettings | None = None
    trust_remote_code: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def torch_dtype(self) -> torch.dtype | str:
        """The ``dtype`` as transformers wants it; raises naming the key on an unknown value."""
        if self.dtype not in _DTYPES:
            raise ValueError(f"backbone.dtype must be one of {sorted(_DTYPES)}, got {self.dtype!r}")
        return _DTYPES[self.dtype]


# Checkpoints store these configs in their hyper-parameters; allow them under `torch.load(weights_only=True)`.
torch.serialization.add_safe_globals([BackboneConfig, LoraSettings])


def load_tokenizer(config: BackboneConfig) -> Any:
    """The tokenizer, with a pad token (the EOS token when the checkpoint defines none)."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(
        config.tokenizer or config.name_or_path, trust_remote_code=config.trust_remote_code
    )
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _model_kwargs(config: BackboneConfig) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"dtype": config.torch_dtype(), "trust_remote_code": config.trust_remote_code}
    if config.attn_implementation is not None:
        kwargs["attn_implementation"] = config.attn_implementation
    return {**kwargs, **config.extra}


def load_causal_lm(config: BackboneConfig) -> nn.Module:
    """Load the full pretrained model on CPU and apply gradient checkpointing and LoRA."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(config.name_or_path, **_model_kwargs(config))
    return _finish(model, config)


def _empty_causal_lm(config: BackboneConfig) -> nn.Module:
    """The model's structure on the meta device: no memory, no disk read of the weights."""
    from transformers import AutoConfig, AutoModelForCausalLM

    hf_config = AutoConfig.from_pretrained(config.name_or_path, trust_remote_code=config.trust_remote_code)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(hf_config, **_model_kwargs(config))
    return _finish(model, config)


def _finish(model: nn.Module, config: BackboneConfig) -> nn.Module:
    if config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.config.use_cache = False  # the KV cache is useless (and warns) while recomputing activations
    if config.lora is not None:
        model = _apply_lora(model, config.lora)
    return model


def _apply_lora(model: nn.Module, settings: LoraSettings) -> nn.Module:
    try:
        import peft
    except ImportError as err:
        raise ImportError(
            "backbone.lora is set but the 'peft' package is missing; install it with `pip install mathft[lora]` "
            "or remove backbone.lora from the config"
        ) from err
    lora = peft.LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        task_type="CAUSAL_LM",
    )
    return peft.get_peft_model(model, lora)


def _hf_model(model: nn.Module) -> nn.Module:
    """The ``PreTrainedModel`` inside a PEFT wrapper (or the model itself)."""
    get_base = getattr(model, "get_base_model", None)
    return get_base() if callable(get_base) else model


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The repeated transformer blocks, found without naming any model class.

    Uses the model's own ``_no_split_modules`` (the classes HF keeps whole when splitting a model); when a
    model declares none, falls back to the longest ``nn.ModuleList`` whose children share one class.
    """
    hf = _hf_model(model)
    names = set(getattr(hf, "_no_split_modules", None) or ())
    if names:
        layers = [m for m in hf.modules() if type(m).__name__ in names]
        if layers:
            return layers
    candidates = [
        list(m) for m in hf.modules() if isinstance(m, nn.ModuleList) and len(m) and len({type(c) for c in m}) == 1
    ]
    if not candidates:
        raise ValueError(f"found no repeated decoder blocks in {type(hf).__name__}; cannot shard it with FSDP2")
    return max(candidates, key=len)


def position_logits(model: nn.Module, input_ids: Tensor, attention_mask: Tensor, positions: Tensor,
                    rows: Tensor | None = None) -> Tensor:
    """Logits at chosen positions only: decoder hidden states, gathered, then (a slice of) the LM head.

    Avoids the ``[B, T, V]`` full-vocabulary logits of ``model(...)``: only ``positions`` are projected, and
    only onto the vocabulary ``rows`` when given.

    Args:
        model: A causal LM (optionally PEFT-wrapped or FSDP2-sharded, see :func:`shard_fsdp2`).
        input_ids: ``LongTensor[B, T]``.
        attention_mask: ``LongTensor[B, T]``.
        positions: ``LongTensor[B, K]`` sequence positions to project.
        rows: ``LongTensor[R]`` vocabulary ids to keep; ``None`` keeps the whole vocabulary.

    Returns:
        ``FloatTensor[B, K, R]`` (or ``[B, K, V]``).
    """
    method = getattr(model, "mathft_position_logits", None)
    if method is not None:  # the FSDP2-registered copy, which unshards the root parameters around the call
        return method(input_ids, attention_mask, positions, rows)
    return _position_logits(model, input_ids, attention_mask, positions, rows)


def _position_logits(model: nn.Module, input_ids: Tensor, attention_mask: Tensor, positions: Tensor,
                     rows: Tensor | None) -> Tensor:
    hf = _hf_model(model)
    hidden = hf.get_decoder()(input_ids=input_ids, attention_mask=attention_mask, use_cache=False)[0]
    picked = torch.gather(hidden, 1, positions.unsqueeze(-1).expand(-1, -1, hidden.size(-1)))  # [B, K, H]
    head = hf.get_output_embeddings()
    weight = head.weight if rows is None else head.weight[rows]
    bias = getattr(head, "bias", None)
    if bias is not None and rows is not None:
        bias = bias[rows]
    return nn.functional.linear(picked, weight, bias)


def shard_fsdp2(model: nn.Module, mesh: Any, mp_policy: Any | None = None) -> nn.Module:
    """``fully_shard`` every decoder layer, then the root, over the mesh's data-parallel dimension.

    Also registers ``generate`` and the last-position scorer as FSDP forward methods, so that calls which
    bypass ``forward`` still all-gather the root's parameters (embeddings, final norm, LM head).
    """
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard, register_fsdp_forward_method

    dp_mesh = mesh["data_parallel"] if "data_parallel" in (mesh.mesh_dim_names or ()) else mesh
    kwargs = {"mesh": dp_mesh, "mp_policy": mp_policy or MixedPrecisionPolicy()}
    for layer in decoder_layers(model):
        fully_shard(layer, **kwargs)
    fully_shard(model, **kwargs)
    model.mathft_position_logits = types.MethodType(_bound_position_logits, model)
    register_fsdp_forward_method(model, "mathft_position_logits")
    register_fsdp_forward_method(model, "generate")
    return model


def _bound_position_logits(self: nn.Module, *args: Any) -> Tensor:
    return _position_logits(self, *args)


def is_sharded(model: nn.Module) -> bool:
    """Whether any parameter is a distributed tensor (FSDP2 / tensor parallel)."""
    from torch.distributed.tensor import DTensor

    return any(isinstance(p, DTensor) for p in model.parameters())


def build_backbone(config: BackboneConfig, mesh: Any | None = None, device: torch.device | None = None) -> nn.Module:
    """Build the backbone for the current strategy.

    Args:
        config: What to load.
        mesh: The strategy's device mesh under ``ModelParallelStrategy`` (``LightningModule.device_mesh``);
            ``None`` for single-device and DDP, which load the full model on every rank.
        device: Where the shards live under FSDP2 (the rank's root device).
    """
    if mesh is None:
        return load_causal_lm(config)
    import torch.distributed as dist
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_model_state_dict

    model = shard_fsdp2(_empty_causal_lm(config), mesh)
    model.to_empty(device=device or torch.device("cpu"))
    source = load_causal_lm(config) if dist.get_rank() == 0 else None
    full = source.state_dict() if source is not None else {}
    set_model_state_dict(model, full, options=StateDictOptions(full_state_dict=True, broadcast_from_rank0=True))
    _broadcast_nonpersistent_buffers(model, source)
    return model


def _broadcast_nonpersistent_buffers(model: nn.Module, source: nn.Module | None) -> None:
    """Copy buffers that are not in the state dict (e.g. rotary ``inv_freq``) from rank 0 to every rank."""
    import torch.distributed as dist

    persistent = set(model.state_dict())
    for name, buffer in sorted(model.named_buffers()):
        if name in persistent:
            continue
        if source is not None:
            buffer.copy_(source.get_buffer(name))
        dist.broadcast(buffer, src=0)


def full_state_dict(model: nn.Module) -> dict[str, Tensor]:
    """The full (unsharded) CPU state dict; a collective under FSDP2, so every rank must call it."""
    if not is_sharded(model):
        return {k: v.detach().cpu() for k, v in model.state_dict().items()}
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(model, options=StateDictOptions(full_state_dict=True, cpu_offload=True))


def export_hf(model: nn.Module, tokenizer: Any, out_dir: str | Path, config: BackboneConfig,
              state_dict: dict[str, Tensor] | None = None, is_rank_zero: bool = True) -> Path | None:
    """Write the weights as a HF directory (``save_pretrained`` + tokenizer) that ``from_pretrained`` loads.

    LoRA adapters are merged into the base weights first. Under FSDP2 the shards are gathered (call this on
    every rank); only rank 0 writes.

    Args:
        model: The (possibly sharded / PEFT-wrapped) backbone, used for its structure and config.
        tokenizer: Saved next to the weights.
        out_dir: Target directory.
        config: The backbone config (rebuilds the structure for a sharded or PEFT model).
        state_dict: Full state dict to write instead of the model's own (e.g. a loaded checkpoint).
        is_rank_zero: Whether this process writes.

    Returns:
        ``out_dir`` on the writing rank, else ``None``.
    """
    state = state_dict if state_dict is not None else full_state_dict(model)
    if not is_rank_zero:
        return None
    replica = _cpu_replica(_hf_model(model).config, config)
    missing, unexpected = replica.load_state_dict(state, strict=False)
    if unexpected or [k for k in missing if not _is_tied(replica, k)]:
        raise RuntimeError(f"export: state dict does not match the model (missing={missing}, unexpected={unexpected})")
    if config.lora is not None:
        # Fold B @ A * alpha / r into the base weights and drop peft's wrappers: a plain HF model, no peft needed.
        replica = replica.merge_and_unload()
    out = Path(out_dir)
    replica.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def _is_tied(model: nn.Module, key: str) -> bool:
    return key.endswith("lm_head.weight") and bool(getattr(_hf_model(model).config, "tie_word_embeddings", False))


def _cpu_replica(hf_config: Any, config: BackboneConfig) -> nn.Module:
    """A CPU model with the same structure (LoRA included) to load a gathered state dict into."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_config(hf_config, dtype=config.torch_dtype() if config.dtype != "auto" else None)
    return _apply_lora(model, config.lora) if config.lora is not None else model


