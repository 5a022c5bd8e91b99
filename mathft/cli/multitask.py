"""``mathft multitask PLAN --out DIR``: sequential multi-task fine-tuning (paper Sec. 3.3) from a plan file.

Every argument after the known ones is an override applied to every stage (``--trainer.max_steps=5``).
Rerunning the same command skips finished stages and resumes an interrupted one from its ``last.ckpt``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathft multitask",
        description="Run a multi-task plan (e.g. configs/multitask/tiny_plan.yaml): generator -> evaluator -> "
                    "generator on one backbone, each stage from the previous stage's best export. Further "
                    "`--key=value` arguments override every stage's config.")
    parser.add_argument("plan", help="plan YAML: stages: [{name, configs, overrides}]")
    parser.add_argument("--out", required=True, help="run folder: one sub-folder per stage and manifest.json")
    parser.add_argument("--backbone", default=None, help="backbone of the first stage (default: its config's)")
    return parser


def main(argv: Sequence[str]) -> int:
    """Run the plan; returns the exit status (128 + signal number when a stop signal ended a stage)."""
    from mathft.callbacks.preemption import Preempted
    from mathft.modules.multitask import load_plan, run_stages
    from mathft.pipeline import dist

    args, overrides = _parser().parse_known_args(list(argv))
    unknown = [o for o in overrides if not o.startswith("--")]
    if unknown:
        print(f"mathft multitask: unexpected argument(s) {unknown}; overrides look like --trainer.max_steps=5",
              file=sys.stderr)
        return 2
    dist.init()  # under torchrun: one process group for the runner's decisions and every stage's training
    try:
        results = run_stages(load_plan(args.plan), args.out, initial_backbone=args.backbone, extra_args=overrides)
    except Preempted as stop:
        print(f"mathft multitask: {stop}; rerun the same command to resume", file=sys.stderr)
        dist.shutdown(sync=False)
        return int(stop.code)
    dist.shutdown()
    if dist.is_main():
        for r in results:
            print(f"{r.name}: {r.export_dir} (from {r.checkpoint})")
    return 0
