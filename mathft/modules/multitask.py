"""Sequential multi-task fine-tuning (paper Sec. 3.3): generator -> evaluator -> generator, one backbone.

Each stage is an ordinary ``mathft fit`` config (its own data, loss, optimizer settings and step budget);
the runner starts each stage from the previous stage's best checkpoint exported as a HF directory, and
writes ``manifest.json`` recording, per stage, the configs and overrides it ran, the backbone it started
from, the checkpoint its export came from, and its final metrics. Run it with ``mathft multitask``.

Everything of a stage lives in its folder ``<out>/<i>_<name>`` (config, checkpoints, logs, export),
whatever folders the stage's configs name. Rerunning the same plan skips the stages the manifest records
as finished with the same arguments and resumes an interrupted stage from its ``last.ckpt``.

:class:`~mathft.modules.sequential.SequentialMultiTaskModule` runs the same phases inside one ``mathft fit``
on one live backbone, without the export and reload per stage (see ``docs/training.md``).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mathft.pipeline import dist  # torchrun helpers (no-ops in one process), shared with the pipeline

__all__ = ["Stage", "StageResult", "load_plan", "run_stages"]


@dataclass
class Stage:
    """One stage of the plan.

    Attributes:
        name: Short name, used in the stage's folder name.
        configs: LightningCLI config files, stacked in order (``--config a.yaml --config b.yaml``).
        overrides: Extra command-line overrides (``--trainer.max_steps=100``).
    """

    name: str
    configs: list[str]
    overrides: list[str] = field(default_factory=list)


@dataclass
class StageResult:
    """What one stage ran and produced (one entry of ``manifest.json``)."""

    name: str
    configs: list[str]
    overrides: list[str]
    backbone_in: str | None
    run_dir: str
    config_file: str
    checkpoint: str
    export_dir: str
    metrics: dict[str, float]
    seconds: float
    args: list[str] = field(default_factory=list)


def load_plan(path: str | Path) -> list[Stage]:
    """Read a plan: YAML with ``stages: [{name, configs, overrides}]``; config paths relative to the plan.

    Raises:
        ValueError: Naming the file and the stage when a stage lacks ``name`` or ``configs``.
    """
    import yaml

    path = Path(path)
    data = yaml.safe_load(path.read_text()) or {}
    stages = []
    for i, raw in enumerate(data.get("stages") or []):
        if not isinstance(raw, dict) or "name" not in raw or not raw.get("configs"):
            raise ValueError(f"{path}: stages[{i}] needs 'name' and a non-empty 'configs' list, got {raw!r}")
        configs = [str((path.parent / c).resolve()) if not Path(c).is_absolute() else c for c in raw["configs"]]
        stages.append(Stage(raw["name"], configs, [str(o) for o in raw.get("overrides") or []]))
    if not stages:
        raise ValueError(f"{path}: the plan has no stages")
    return stages


def _stage_args(stage: Stage, run_dir: Path, backbone: str | None, extra: Sequence[str]) -> list[str]:
    args = [a for c in stage.configs for a in ("--config", c)] + list(stage.overrides) + list(extra)
    args.append(f"--trainer.default_root_dir={run_dir}")
    if backbone is not None:
        # The previous stage's export holds its tokenizer too.
        args += [f"--model.init_args.backbone.name_or_path={backbone}", f"--model.init_args.backbone.tokenizer={backbone}"]
    return args


def _prepare(run_dir: Path, args: list[str], may_resume: bool) -> bool:
    """Make the stage folder; ``True`` when it holds an interrupted attempt with these arguments to resume."""
    started = run_dir / "started.json"
    previous = json.loads(started.read_text()) if started.is_file() and may_resume else None
    if previous != args and run_dir.exists():
        shutil.rmtree(run_dir)  # another attempt's files (other configs or another input backbone)
    run_dir.mkdir(parents=True, exist_ok=True)
    started.write_text(json.dumps(args))
    return previous == args and (run_dir / "checkpoints" / "last.ckpt").exists()


def _run_stage(stage: Stage, run_dir: Path, backbone: str | None, extra: Sequence[str],
               may_resume: bool) -> StageResult:
    from mathft.callbacks.export import ExportBestToHF
    from mathft.cli.lightning import build_cli

    start = time.perf_counter()
    args = _stage_args(stage, run_dir, backbone, extra)
    # Under torchrun every rank runs the plan: rank 0 alone empties and marks the folder, the rest follow.
    resume = dist.broadcast(_prepare(run_dir, args, may_resume) if dist.is_main() else None)
    dist.barrier()
    cli = build_cli(args, run=False)
    config_file = run_dir / "config.yaml"
    if dist.is_main():
        cli.parser.save(cli.config, config_file, overwrite=True, skip_none=False)
    export = next((c for c in cli.trainer.callbacks if isinstance(c, ExportBestToHF)), None)
    if export is None:  # every stage must hand on an export; add the callback when the config has none
        export = ExportBestToHF()
        cli.trainer.callbacks.append(export)
    if resume:
        print(f"multitask: resuming stage {stage.name!r} from {run_dir / 'checkpoints' / 'last.ckpt'}", file=sys.stderr)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule, ckpt_path="last" if resume else None)
    metrics = {k: float(v) for k, v in cli.trainer.callback_metrics.items() if getattr(v, "numel", lambda: 1)() == 1}
    return StageResult(stage.name, stage.configs, stage.overrides, backbone, str(run_dir), str(config_file),
                       export.source or "live", str(export.exported_to), metrics, time.perf_counter() - start, args)


def _read_manifest(path: Path) -> list[StageResult]:
    """The stages an earlier run of the plan recorded (none when the manifest is missing or unreadable)."""
    try:
        return [StageResult(**entry) for entry in json.loads(path.read_text())["stages"]]
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _finished_earlier(earlier: list[StageResult], index: int, args: list[str]) -> StageResult | None:
    """The earlier record of stage ``index`` when it ran with the same arguments and its export exists."""
    if index >= len(earlier):
        return None
    result = earlier[index]
    return result if result.args == args and Path(result.export_dir).is_dir() else None


def run_stages(stages: Sequence[Stage], out_dir: str | Path, *, initial_backbone: str | None = None,
               extra_args: Sequence[str] = ()) -> list[StageResult]:
    """Run the stages in order, each from the previous stage's HF export; write ``out_dir/manifest.json``.

    Args:
        stages: The plan.
        out_dir: Root folder; stage ``i`` runs in ``out_dir/<i>_<name>``.
        initial_backbone: Backbone of the first stage, overriding its config (``None`` keeps the config's).
        extra_args: Overrides applied to every stage (e.g. a device or a step budget in tests).

    Returns:
        One :class:`StageResult` per stage (also written, as JSON, to the manifest after every stage, so an
        interrupted plan still records what finished, and a rerun skips it).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    manifest = out / "manifest.json"
    earlier = dist.broadcast(_read_manifest(manifest) if dist.is_main() else None)
    results: list[StageResult] = []
    backbone, ran = initial_backbone, False
    for i, stage in enumerate(stages):
        run_dir = out / f"{i:02d}_{stage.name}"
        result = None if ran else _finished_earlier(earlier, i, _stage_args(stage, run_dir, backbone, extra_args))
        if result is None:
            # The first stage to run may resume an interrupted attempt; its export then changes under the
            # same path, so every later stage runs again from scratch.
            result = _run_stage(stage, run_dir, backbone, extra_args, may_resume=not ran)
            ran = True
        else:
            print(f"multitask: stage {stage.name!r} finished earlier, skipped", file=sys.stderr)
        results.append(result)
        if dist.is_main():
            _write_manifest(manifest, results)
        backbone = result.export_dir
    return results


def _write_manifest(path: Path, results: list[StageResult]) -> None:
    payload: dict[str, Any] = {"stages": [asdict(r) for r in results]}
    path.write_text(json.dumps(payload, indent=2))
