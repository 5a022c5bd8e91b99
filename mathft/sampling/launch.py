"""Where a ``mathft sample`` / ``mathft score`` process runs: its rank (torchrun's environment), device, model.

Ranks never talk to each other: each owns the problems whose id hashes to it and writes its own shard,
so plain ``torchrun --nproc-per-node 8 -m mathft sample ...`` (or eight shell jobs with ``RANK``/
``WORLD_SIZE`` set) needs no process group.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathft.model_paths import weights_problem

__all__ = ["LaunchError", "RankInfo", "rank_from_env", "pick_device", "check_model_dir", "load_tokenizer_of",
           "load_model"]


class LaunchError(ValueError):
    """A setting of the launch is wrong; the message names the variable, option or path to fix."""


@dataclass(frozen=True)
class RankInfo:
    """This process's place among the ranks (torchrun's ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0


def _int_var(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "")
    if not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise LaunchError(f"environment variable {name} must be an integer, got {raw!r}") from None


def rank_from_env(env: Mapping[str, str] | None = None) -> RankInfo:
    """Read ``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` (defaults 0, 1, and ``RANK``).

    Raises:
        LaunchError: On a non-integer value or a rank outside ``[0, WORLD_SIZE)``.
    """
    env = os.environ if env is None else env
    world = _int_var(env, "WORLD_SIZE", 1)
    rank = _int_var(env, "RANK", 0)
    local = _int_var(env, "LOCAL_RANK", rank)
    if world < 1 or not 0 <= rank < world or local < 0:
        raise LaunchError(f"need 0 <= RANK < WORLD_SIZE and LOCAL_RANK >= 0, got RANK={rank} WORLD_SIZE={world} "
                          f"LOCAL_RANK={local}")
    return RankInfo(rank, world, local)


def pick_device(requested: str | None, local_rank: int) -> Any:
    """``requested`` if given, else ``cuda:<LOCAL_RANK>`` when CUDA is available, else the CPU."""
    import torch

    if requested:
        try:
            device = torch.device(requested)
        except RuntimeError as err:
            raise LaunchError(f"--device: {err}") from None
        _check_available(device, requested)
        return device
    if torch.cuda.is_available():
        return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def _check_available(device: Any, requested: str) -> None:
    """Fail now, naming ``--device``, rather than with an assertion deep inside ``model.to(device)``."""
    import torch

    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            raise LaunchError(f"--device {requested}: CUDA is not available here (use --device cpu, or leave "
                              "--device out to pick CUDA when there is one)")
        if device.index is not None and device.index >= count:
            raise LaunchError(f"--device {requested}: only {count} CUDA device(s) here (cuda:0..cuda:{count - 1})")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise LaunchError(f"--device {requested}: MPS is not available here")


def check_model_dir(model_dir: str | Path) -> Path:
    """Fail, naming ``--model``, unless ``model_dir`` is a ``save_pretrained`` directory (``config.json``,
    and ``*.safetensors`` files whose headers fit their sizes).

    Cheap (only the weights files' headers are read), so commands run it before they take locks or read
    problems.

    Raises:
        LaunchError: When the directory or its ``config.json`` is missing.
    """
    path = Path(model_dir)
    if not path.is_dir():
        raise LaunchError(f"--model {model_dir}: no such directory (expected a save_pretrained model directory)")
    if not (path / "config.json").is_file():
        raise LaunchError(f"--model {model_dir}: no config.json (expected a save_pretrained model directory)")
    problem = weights_problem(path)
    if problem:
        raise LaunchError(f"--model {model_dir}: {problem}")
    return path


def load_tokenizer_of(model_dir: str | Path) -> Any:
    """The tokenizer of a model directory alone (seconds, where the model may take minutes).

    Raises:
        LaunchError: When the directory holds no loadable tokenizer.
    """
    from mathft.modules.backbone import BackboneConfig, load_tokenizer

    path = check_model_dir(model_dir)
    try:
        return load_tokenizer(BackboneConfig(name_or_path=str(path)))
    except Exception as err:  # noqa: BLE001 - transformers and tokenizers raise their own types
        first = str(err).strip().splitlines()[0] if str(err).strip() else "no details"
        raise LaunchError(f"--model {model_dir}: cannot load a tokenizer: {type(err).__name__}: {first}") from None


def load_model(model_dir: str | Path, dtype: str, device: Any) -> tuple[Any, Any]:
    """``(model, tokenizer)`` from a HF directory, the model in evaluation mode on ``device``.

    Raises:
        LaunchError: When the directory is missing or holds no loadable model, or ``dtype`` is unknown.
    """
    from mathft.modules.backbone import BackboneConfig, load_causal_lm, load_tokenizer

    path = check_model_dir(model_dir)
    config = BackboneConfig(name_or_path=str(path), dtype=dtype)
    try:
        config.torch_dtype()
        tokenizer = load_tokenizer(config)
        model = load_causal_lm(config)
    except Exception as err:  # noqa: BLE001 - safetensors, torch and transformers each raise their own types
        # A truncated or garbage weights file raises safetensors' own error (not an OSError); every
        # failure to load is the same problem to the user: this directory does not hold a usable model.
        first = str(err).strip().splitlines()[0] if str(err).strip() else "no details"
        raise LaunchError(f"--model {model_dir}: cannot load a causal LM and tokenizer: "
                          f"{type(err).__name__}: {first}") from None
    return model.to(device).eval(), tokenizer
