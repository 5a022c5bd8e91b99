"""``mathft demo``: the whole recipe on the built-in synthetic task with a tiny model (configs/pipeline/demo.yaml).

The model is a tiny Llama trained from scratch and drilled on arithmetic, a build shipped with mathft
(:mod:`mathft.backbones.prebuilt`). Nothing is downloaded; sized for a 2-core CPU (about 5 minutes, about
1 GB of memory).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "DEMO_CONFIG"]

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "pipeline" / "demo.yaml"


def main(argv: Sequence[str]) -> int:
    """Entry point of ``mathft demo``."""
    from mathft.cli.pipeline import quiet_openmp

    quiet_openmp()
    parser = argparse.ArgumentParser(
        prog="mathft demo", description="The whole recipe on the built-in synthetic task with a tiny Llama drilled "
        "on arithmetic, shipped with mathft (2-core CPU, nothing downloaded, about 5 minutes).")
    parser.add_argument("--out", type=Path, default=Path("runs/demo"), help="output folder (default runs/demo)")
    parser.add_argument("overrides", nargs="*", help="key=value overrides of configs/pipeline/demo.yaml")
    args = parser.parse_args(list(argv))
    from mathft.cli.pipeline import run

    return run(DEMO_CONFIG, args.out, args.overrides, "mathft demo")
