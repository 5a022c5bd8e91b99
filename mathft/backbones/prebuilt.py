"""Scratch backbones shipped with mathft, built once by :func:`build` and copied instead of rebuilt.

The demo's backbone stands in for a pretrained LLM: a tiny Llama drilled on arithmetic
(:mod:`mathft.backbones.drill`). Building it takes about 100 CPU-seconds, a third of the demo's budget spent
on pretraining, which the paper's recipe does not include (it starts from PaLM 2). The backbone stage
copies a shipped build when ``backbone.scratch.prebuilt`` is on and a build with exactly the run's settings
is shipped; otherwise it builds the backbone itself, so changing any setting never silently uses weights
built differently.

Each shipped build is a folder under ``mathft/backbones/prebuilt/`` holding the model, its tokenizer and
``build.json``: the settings it was built with (:func:`build_key`), the stage's metrics, and the SHA-256 of
every file, checked before a copy is used (a truncated file or a Git LFS pointer fails loudly).

Rebuild the demo's backbone (on 2 CPU cores about 100 s; on the machine that built the shipped one, this
gave the same bytes)::

    python -m mathft.backbones.prebuilt configs/pipeline/demo.yaml
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

__all__ = ["PREBUILT_DIR", "build_key", "scratch_settings", "find_prebuilt", "copy_prebuilt", "save_prebuilt", "build",
           "main"]

PREBUILT_DIR = Path(__file__).resolve().parent / "prebuilt"
_BUILD_FILE = "build.json"


def build_key(scratch: Any, data_seed: int, families: Sequence[str] | None) -> dict[str, Any]:
    """Everything that decides a scratch backbone built on the synthetic corpus.

    Args:
        scratch: The run's ``backbone.scratch`` section (a ``ScratchModelConfig``); its ``prebuilt`` switch
            is left out, as it says where the backbone comes from, not what it is.
        data_seed: ``data.seed``: it seeds the tokenizer's corpus and both drills.
        families: ``data.families``: the corpus's families (``None``: all).
    """
    return {"scratch": scratch_settings(scratch), "data_seed": data_seed,
            "families": list(families) if families else None}


def scratch_settings(scratch: Any) -> dict[str, Any]:
    """The ``backbone.scratch`` settings that decide what a build is, for the keys that name it (this module's
    and the pipeline's backbone stage): without ``prebuilt``, which says where it comes from, and without
    ``number_tokens`` while it is 0, so that builds and runs made before the setting existed keep their key."""
    settings = asdict(scratch)
    settings.pop("prebuilt", None)
    if not settings.get("number_tokens"):
        settings.pop("number_tokens", None)
    return settings


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.name != _BUILD_FILE)


def find_prebuilt(key: dict[str, Any], root: Path | None = None) -> Path | None:
    """The shipped build whose settings are ``key``, or ``None`` when none is.

    Args:
        key: :func:`build_key` of the wanted build.
        root: Where the builds are (default :data:`PREBUILT_DIR`).

    Raises:
        ValueError: When the matching build's files do not match the digests in its ``build.json``.
    """
    for record_path in sorted((root or PREBUILT_DIR).glob(f"*/{_BUILD_FILE}")):
        record = json.loads(record_path.read_text(encoding="utf-8"))
        if record.get("key") == key:
            _verify(record_path.parent, record)
            return record_path.parent
    return None


def _verify(folder: Path, record: dict[str, Any]) -> None:
    shipped = {str(p.relative_to(folder)): p for p in _files(folder)}
    expected = record["sha256"]
    if set(shipped) != set(expected):
        raise ValueError(f"{folder}: holds {sorted(shipped)}, its {_BUILD_FILE} lists {sorted(expected)}")
    for name, digest in expected.items():
        if _digest(shipped[name]) != digest:
            raise ValueError(f"{folder / name}: SHA-256 differs from {_BUILD_FILE} (a damaged copy, or a Git "
                             "LFS pointer instead of the file); rebuild with python -m mathft.backbones.prebuilt")


def copy_prebuilt(folder: Path, dest: Path) -> dict[str, Any]:
    """Copy a shipped build's model and tokenizer into ``dest``; returns the metrics it was built with."""
    shutil.copytree(folder, dest, ignore=shutil.ignore_patterns(_BUILD_FILE), dirs_exist_ok=True)
    return dict(json.loads((folder / _BUILD_FILE).read_text(encoding="utf-8"))["metrics"])


def save_prebuilt(model_dir: Path, key: dict[str, Any], metrics: dict[str, Any], dest: Path) -> Path:
    """Ship ``model_dir`` as ``dest``: its files and a ``build.json`` with ``key``, ``metrics`` and digests."""
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(model_dir, dest)
    record = {"key": key, "metrics": metrics,
              "sha256": {str(p.relative_to(dest)): _digest(p) for p in _files(dest)}}
    (dest / _BUILD_FILE).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return dest


def build(config_path: Path, dest: Path, work: Path) -> Path:
    """Build the scratch backbone a pipeline config describes (in ``work``) and ship it as ``dest``."""
    from mathft.pipeline.config import load_config
    from mathft.pipeline.data import build_scratch_backbone

    config = load_config(config_path)
    scratch = config.backbone.scratch
    if scratch is None or not config.data.synthetic:
        raise ValueError(f"{config_path}: only a backbone.scratch on the synthetic task can be prebuilt")
    model_dir, metrics = build_scratch_backbone(work / "model", scratch, config.data.seed, config.data.families)
    return save_prebuilt(model_dir, build_key(scratch, config.data.seed, config.data.families), metrics, dest)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m mathft.backbones.prebuilt CONFIG [--name NAME]``: build and ship a config's backbone."""
    import tempfile

    parser = argparse.ArgumentParser(prog="python -m mathft.backbones.prebuilt", description=__doc__.split("\n")[0])
    parser.add_argument("config", type=Path,
                        help="a pipeline config with backbone.scratch (e.g. configs/pipeline/demo.yaml)")
    parser.add_argument("--name", default=None,
                        help="folder name under mathft/backbones/prebuilt (default: the config's stem)")
    parser.add_argument("--root", type=Path, default=None, help="where to ship it (default: the package's folder)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        dest = build(args.config, (args.root or PREBUILT_DIR) / (args.name or args.config.stem), Path(work))
    print(f"shipped {dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
