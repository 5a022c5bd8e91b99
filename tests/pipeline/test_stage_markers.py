"""A run folder that is moved or copied reads its own stages' outputs, not the old folder's."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from mathft.pipeline.stages import Stage, StageContext, run_stages


def _write_model(ctx: StageContext) -> dict[str, Any]:
    model = ctx.dir / "model"
    model.mkdir()
    (model / "weights.txt").write_text(ctx.out.name)
    # A relative output path, as a stage writes it when the pipeline's --out is relative.
    return {"outputs": {"path": str(model), "files": [str(model / "weights.txt")], "name": "tiny"}}


def _read_model(ctx: StageContext) -> dict[str, Any]:
    path = Path(ctx.inputs["backbone"]["path"])
    return {"outputs": {}, "metrics": {"read_from": str(path), "weights": (path / "weights.txt").read_text()}}


def _stages(reader_config: int) -> list[Stage]:
    return [Stage("backbone", _write_model, config={"size": 1}),
            Stage("generator", _read_model, deps=("backbone",), config={"steps": reader_config})]


def test_moved_run_folder_reads_its_own_outputs(tmp_path: Path) -> None:
    first = run_stages(_stages(1), tmp_path / "run1")
    assert first["generator"]["metrics"]["weights"] == "run1"
    shutil.move(str(tmp_path / "run1"), str(tmp_path / "run2"))

    # The backbone stage is finished (skipped); the generator reruns (new config) and reads its outputs.
    second = run_stages(_stages(2), tmp_path / "run2")

    assert second["backbone"]["skipped"] and not second["generator"]["skipped"]
    read_from = Path(second["generator"]["metrics"]["read_from"])
    assert read_from == (tmp_path / "run2" / "backbone" / "model").resolve()
    assert second["backbone"]["outputs"]["files"] == [str(read_from / "weights.txt")]
    assert second["backbone"]["outputs"]["name"] == "tiny"  # not a path: left alone


def test_copied_run_folder_does_not_read_the_original(tmp_path: Path) -> None:
    run_stages(_stages(1), tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    (tmp_path / "b" / "backbone" / "model" / "weights.txt").write_text("b")

    copied = run_stages(_stages(2), tmp_path / "b")

    assert copied["generator"]["metrics"]["weights"] == "b"


def test_relative_out_folder_is_recorded_absolute(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    markers = run_stages(_stages(1), Path("rel"))
    assert Path(markers["backbone"]["outputs"]["path"]).is_absolute()
    monkeypatch.chdir(tmp_path / "rel")  # another working directory, the same run folder
    again = run_stages(_stages(3), tmp_path / "rel")
    assert again["generator"]["metrics"]["weights"] == "rel"
