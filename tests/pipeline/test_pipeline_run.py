"""The micro pipeline end to end: every table, figure and report key; resume; stage invalidation.

The micro config trains a 1-layer, width-32 Llama for a few steps: the numbers are meaningless, the
plumbing is what is tested.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mathft.pipeline import StageError, build_stages, load_config, run_pipeline
from mathft.selection.verdicts import STRATEGY_NAMES
from tests.conftest import CONFIGS
from tests.pipeline.test_report_intervals import ALL_COMPARISONS

MICRO = CONFIGS / "pipeline" / "micro.yaml"


@pytest.fixture(scope="module")
def micro_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("micro")
    markers = run_pipeline(load_config(MICRO), out)
    return out, markers


def _ran(markers: dict) -> set[str]:
    return {name for name, marker in markers.items() if not marker["skipped"]}


def test_every_stage_runs_and_writes_its_marker(micro_run: tuple[Path, dict]) -> None:
    out, markers = micro_run
    names = [s.name for s in build_stages(load_config(MICRO))]
    assert list(markers) == names
    assert _ran(markers) == set(names)
    for name in names:
        marker = json.loads((out / name / "done.json").read_text())
        assert marker["stage"] == name and marker["seconds"] >= 0 and marker["run_id"]
        assert len(marker["config_hash"]) == 16


def test_multitask_stage_fine_tunes_the_generator_phase_from_the_evaluator_stage(micro_run: tuple[Path, dict]) -> None:
    """By default (``multitask.reuse_evaluator``) the evaluator phase is the ``evaluator_margin`` stage, already
    trained from the SSFT generator: the stage runs only the generator phase (2 steps) from its export."""
    import torch

    out, markers = micro_run
    marker = markers["multitask"]
    assert marker["inputs"]["evaluator_margin"] == markers["evaluator_margin"]["run_id"]
    assert "generator_math" not in marker["inputs"] and "sample_train" not in marker["inputs"]
    checkpoints = out / "multitask" / "checkpoints"
    assert not (checkpoints / "0_evaluator").exists()
    best = Path(marker["outputs"]["checkpoint"])
    assert torch.load(best, map_location="cpu", weights_only=False)["global_step"] == 2
    assert (Path(marker["outputs"]["path"]) / "config.json").is_file()
    # The report says how the multi-task generator was made.
    assert json.loads((out / "report.json").read_text())["multitask_evaluator_phase"] == "evaluator_margin"
    assert "The multi-task generator is the evaluator stage `evaluator_margin`" in (out / "report.md").read_text()


def test_multitask_data_errors_name_the_multitask_keys(micro_run: tuple[Path, dict], tmp_path: Path) -> None:
    """The generator phase fine-tuned from the evaluator stage's export reads ``multitask.train``; its data
    errors name that section, not ``generator.train``."""
    out = tmp_path / "short"
    shutil.copytree(micro_run[0], out)
    with pytest.raises(StageError, match=r"stage 'multitask' failed.*raise multitask\.train\.max_length"):
        run_pipeline(load_config(MICRO, ["multitask.train.max_length=12"]), out)


def test_multitask_without_reuse_is_one_sequential_fit_from_the_ssft_generator(
        micro_run: tuple[Path, dict], tmp_path: Path) -> None:
    """``multitask.reuse_evaluator=false``: the stage runs the evaluator phase (4 steps, validated at its steps 2
    and 4) and the generator phase (2 steps) in one fit of a SequentialMultiTaskModule started from
    generator_math's export: one last.ckpt, one best per phase, and hf from the generator phase's best. Only
    the multi-task stages rerun on a copy of the default run."""
    import torch

    from mathft.modules.sequential import saved_phase

    out = tmp_path / "sequential"
    shutil.copytree(micro_run[0], out)
    markers = run_pipeline(load_config(MICRO, ["multitask.reuse_evaluator=false"]), out)
    assert _ran(markers) == {"multitask", "sample_test_multitask", "report"}
    marker = markers["multitask"]
    assert marker["metrics"]["phase_starts"] == [0, 4]
    assert marker["inputs"]["generator_math"] == markers["generator_math"]["run_id"]
    assert "evaluator_margin" not in marker["inputs"]
    checkpoints = out / "multitask" / "checkpoints"
    assert saved_phase(checkpoints / "last.ckpt") == {"phase": 1, "phase_starts": [0, 4],
                                                      "names": ["evaluator", "generator"]}
    evaluator_best, = (checkpoints / "0_evaluator").glob("*.ckpt")
    generator_best, = (checkpoints / "1_generator").glob("*.ckpt")
    assert torch.load(evaluator_best, map_location="cpu", weights_only=False)["global_step"] in (2, 4)
    assert torch.load(generator_best, map_location="cpu", weights_only=False)["global_step"] == 6
    assert Path(marker["outputs"]["checkpoint"]) == generator_best
    assert (Path(marker["outputs"]["path"]) / "config.json").is_file()
    assert json.loads((out / "report.json").read_text())["multitask_evaluator_phase"] is None
    assert "The multi-task generator is one fit of an evaluator phase" in (out / "report.md").read_text()


def test_report_has_every_table_and_figure(micro_run: tuple[Path, dict]) -> None:
    out, _ = micro_run
    report = json.loads((out / "report.json").read_text())
    assert set(report["table2"]) == {"math", "prm800k"}
    for row in report["table2"].values():
        assert {"pass@1", "maj1@N", "pass@N"} <= set(row)
        assert row["num_problems"] == 6 and row["num_samples"] == 4
    assert set(report["table3"]) == {"margin", "xent"}
    for row in report["table3"].values():
        assert {"rr_all", "rr_majK"} <= set(row)
    for table in report["table4"].values():
        assert set(table["accuracy"]) == set(STRATEGY_NAMES) and set(table["cost"]) == set(STRATEGY_NAMES)
        assert {(r["k"], r["top_n"]) for r in table["rows"]} == {(1, 2), (2, 2), (1, 4)}
    assert set(report["table7"]) == {"ssft", "multitask"}
    for row in [*report["table2"].values(), *report["table3"].values(), *report["table7"].values()]:
        assert all(len(ci) == 2 for ci in row["ci95"].values())
    assert set(report["significance"]) == ALL_COMPARISONS
    assert all(entry["n"] == 6 for entry in report["significance"].values())
    for figures in report["figures"].values():
        assert {"strategies", "majk_vs_k", "cluster_sizes"} <= set(figures)
        for path in figures.values():
            assert (out / path).read_bytes()[:4] == b"\x89PNG"
    markdown = (out / "report.md").read_text()
    for heading in ("Table 2", "Table 3", "Table 4", "Table 7", "Comparisons", "Metrics", "Stage wall times",
                    "cannot tell"):
        assert heading in markdown
    assert "![strategies](rerank_margin/figures/strategies.png)" in markdown
    assert (out / "tb" / "generator_math").is_dir() and (out / "tb" / "evaluator_margin").is_dir()


def test_sampling_metrics_match_the_store(micro_run: tuple[Path, dict]) -> None:
    """Pass@N counts a problem when any stored sample is correct: recompute it from the raw records."""
    out, markers = micro_run
    rows = [json.loads(line) for shard in (out / "sample_test_math" / "store").glob("shard-*.jsonl")
            for line in shard.read_text().splitlines()]
    samples = [r for r in rows if not r.get("greedy")]
    assert len(samples) == 6 * 4 and sum(bool(r.get("greedy")) for r in rows) == 6
    solved = {r["problem_id"] for r in samples if r["correct"]}
    assert markers["sample_test_math"]["metrics"]["pass@N"] == pytest.approx(len(solved) / 6)


def test_markers_record_per_problem_outcomes(micro_run: tuple[Path, dict]) -> None:
    """Test-split sampling and re-ranking stages keep each problem's outcomes, whose means are the metrics;
    the training split (evaluator data, no table) does not."""
    _, markers = micro_run
    for stage in ("sample_test_math", "sample_test_prm800k", "sample_test_multitask", "rerank_margin"):
        metrics = markers[stage]["metrics"]
        block = metrics["per_problem"]
        assert len(block["problem_ids"]) == 6
        for name, values in block["outcomes"].items():
            assert sum(values) / 6 == pytest.approx(metrics[name]), (stage, name)
    assert set(markers["rerank_margin"]["metrics"]["per_problem"]["outcomes"]) >= set(STRATEGY_NAMES)
    assert "per_problem" not in markers["sample_train"]["metrics"]


def test_rerun_skips_every_finished_stage(micro_run: tuple[Path, dict]) -> None:
    out, _ = micro_run
    markers = run_pipeline(load_config(MICRO), out)
    assert _ran(markers) == {"report"}  # the report is always rewritten, it is cheap


def test_deleted_marker_reruns_that_stage_and_its_dependants_only(micro_run: tuple[Path, dict]) -> None:
    out, before = micro_run
    (out / "evaluator_xent" / "done.json").unlink()
    markers = run_pipeline(load_config(MICRO), out)
    assert _ran(markers) == {"evaluator_xent", "score_xent", "rerank_xent", "report"}
    assert markers["evaluator_margin"]["run_id"] == before["evaluator_margin"]["run_id"]


def test_sampling_stage_resumes_its_store(micro_run: tuple[Path, dict]) -> None:
    """A half-finished sampling stage (no marker, part of its store) samples only what is missing.

    The store holds 16 problems x 4 samples = 64 records; 24 are removed as if the run had been killed.
    """
    out, _ = micro_run
    (out / "sample_train" / "done.json").unlink()
    shard = next((out / "sample_train" / "store").glob("shard-*.jsonl"))
    lines = shard.read_text().splitlines(keepends=True)
    assert len(lines) == 64
    shard.write_text("".join(lines[:40]))
    markers = run_pipeline(load_config(MICRO), out)
    assert markers["sample_train"]["metrics"]["samples_written"] == 24
    assert {"sample_train", "evaluator_margin", "multitask", "sample_test_multitask"} <= _ran(markers)
    assert not {"generator_math", "sample_test_math", "sample_test_prm800k"} & _ran(markers)


def test_a_moved_run_folder_resumes_its_sampling_stage(micro_run: tuple[Path, dict], tmp_path: Path) -> None:
    """A run folder moved mid-sampling (copied here without its files' times, so the store's fingerprint
    hashes the generator again): the store, written by the same weights under the old folder, resumes."""
    out, _ = micro_run
    moved = tmp_path / "moved"
    shutil.copytree(out, moved, copy_function=shutil.copy)
    (moved / "sample_train" / "done.json").unlink()
    shard = next((moved / "sample_train" / "store").glob("shard-*.jsonl"))
    shard.write_text("".join(shard.read_text().splitlines(keepends=True)[:40]))
    markers = run_pipeline(load_config(MICRO), moved)
    assert markers["sample_train"]["metrics"]["samples_written"] == 24
    assert not {"generator_math", "sample_test_math"} & _ran(markers)


def test_changed_config_reruns_dependent_stages(micro_run: tuple[Path, dict]) -> None:
    out, _ = micro_run
    markers = run_pipeline(load_config(MICRO, ["rerank.top_ns=[2]"]), out)
    assert _ran(markers) == {"rerank_margin", "rerank_xent", "report"}
    run_pipeline(load_config(MICRO), out)  # back to the module's config for any later test


def test_failing_stage_is_named(tmp_path: Path) -> None:
    config = load_config(MICRO, ["data.synthetic=false", "data.train_files=[absent.jsonl]",
                                 "data.test_files=[absent_test.jsonl]"])
    with pytest.raises(StageError, match="stage 'data' failed.*absent.jsonl"):
        run_pipeline(config, tmp_path)
