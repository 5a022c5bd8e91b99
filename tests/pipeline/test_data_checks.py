"""No silent drops: each stage's kept/dropped counts, and the checks that refuse to train or validate on nothing
before any step, naming the real cause and the key to change."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from mathft.data.errors import DataError
from mathft.data.problem import Problem
from mathft.pipeline import StageError, load_config, run_pipeline
from mathft.pipeline.config import ConfigError
from mathft.pipeline.data_checks import (check_evaluator_validation, check_styles, length_stops,
                                         prepare_generator_data, stage_drops, warn_length_stops)
from tests.conftest import CONFIGS

MICRO = CONFIGS / "pipeline" / "micro.yaml"


def _problem(style: str, pid: str = "a") -> Problem:
    return Problem(pid, "What is 1+1?", "It is 2.", "2", style=style)  # type: ignore[arg-type]


def test_check_styles_counts_and_refuses_a_style_without_solutions() -> None:
    problems = [_problem("math", "a"), _problem("math", "b"), _problem("prm800k", "a")]
    assert check_styles(problems, ["math", "prm800k"], ["t.jsonl"]) == {"math": 2, "prm800k": 1}
    with pytest.raises(DataError, match=r"generator.styles includes 'prm800k' but data.train_files \(t.jsonl\) "
                                        r"hold no PRM800K-style.*math: 2.*remove 'prm800k' from generator.styles"):
        check_styles(problems[:2], ["math", "prm800k"], ["t.jsonl"])


def _ssft(workspace: dict, **kwargs) -> object:
    from mathft.datamodules import SSFTDataModule

    settings = {"style": "math", "max_length": 256, "batch_size": 4, "val_fraction": 0.2, "seed": 0, **kwargs}
    return SSFTDataModule([str(workspace["train"])], tokenizer=str(workspace["backbone"]), **settings)


def test_generator_data_counts_what_it_keeps(workspace: dict, capsys: pytest.CaptureFixture) -> None:
    """24 problems, 20% to validation by hash: train + validation = 24, nothing dropped at 256 tokens."""
    stats = prepare_generator_data(_ssft(workspace), "generator.train", "generator_math")
    assert stats["train_examples"] + stats["val_problems"] == 24
    assert stats["dropped"] == stats["truncated"] == stats["val_dropped"] == 0 and stats["max_length"] == 256
    assert f"generator_math: {stats['train_examples']} training examples (0 dropped" in capsys.readouterr().out


def test_all_too_long_fails_before_training_naming_max_length(workspace: dict) -> None:
    with pytest.raises(DataError, match=r"training would be empty.*generator.train.max_length=12 tokens, so all "
                                        r"\d+ were dropped; raise generator.train.max_length or set "
                                        r"generator.train.truncation: truncate"):
        prepare_generator_data(_ssft(workspace, max_length=12), "generator.train", "g")


def test_truncation_keeps_long_examples_and_warns_on_many_drops(workspace: dict,
                                                                capsys: pytest.CaptureFixture) -> None:
    data = _ssft(workspace, max_length=40, truncation="truncate")
    stats = prepare_generator_data(data, "multitask.train", "multitask")
    assert stats["truncated"] > 0 and all(len(e) <= 40 for e in data.train_examples)
    # A length between the shortest and the longest sequence drops some: a warning above 5%.
    lengths = sorted(len(e) for e in _prepared(workspace, 10_000).train_examples)
    middle = lengths[len(lengths) // 2]
    dropped = prepare_generator_data(_ssft(workspace, max_length=middle), "generator.train", "g")
    assert dropped["dropped"] > 0
    assert f"longer than generator.train.max_length={middle} tokens and were dropped" in capsys.readouterr().err


def _prepared(workspace: dict, max_length: int) -> object:
    data = _ssft(workspace, max_length=max_length)
    data.setup("fit")
    return data


def test_empty_validation_names_val_fraction(workspace: dict) -> None:
    with pytest.raises(DataError, match=r"no validation problem: generator.train.val_fraction=1e-09"):
        prepare_generator_data(_ssft(workspace, val_fraction=1e-9), "generator.train", "g")


def test_evaluator_validation_names_the_cause() -> None:
    def data(rows: int, too_long: int) -> SimpleNamespace:
        val = SimpleNamespace(rows=rows, dropped_too_long=too_long)
        return SimpleNamespace(split_stats={"val": val}, max_length=64, val_fraction=0.1)

    check_evaluator_validation(data(3, 0), "evaluator.train")  # some rows: fine
    with pytest.raises(DataError, match="all 5 validation candidates are longer than evaluator.train.max_length=64"):
        check_evaluator_validation(data(0, 5), "evaluator.train")
    with pytest.raises(DataError, match="evaluator.train.val_fraction=0.1 .* selects none"):
        check_evaluator_validation(data(0, 0), "evaluator.train")


def test_length_stops_and_the_5_percent_warning(capsys: pytest.CaptureFixture) -> None:
    """1 of 20 candidates at the limit is 5%: reported, no warning; 2 of 20 (10%) warns."""
    records = [SimpleNamespace(meta={"finish_reason": "length" if i < 2 else "eos"}) for i in range(20)]
    assert length_stops(records) == {"candidates": 20, "hit_max_new_tokens": 2}
    warn_length_stops("s", {"candidates": 20, "hit_max_new_tokens": 1}, 64)
    captured = capsys.readouterr()
    assert "1 of 20 candidates (5.0%) stopped at sampling.max_new_tokens=64" in captured.out
    assert "warning" not in captured.err
    warn_length_stops("s", length_stops(records), 64)
    assert "10% of the candidates stopped at sampling.max_new_tokens=64" in capsys.readouterr().err


def test_stage_drops_separates_kept_from_lost() -> None:
    markers = {"data": {"metrics": {"train_problems": 10, "test_problems": 4}},
               "generator_math": {"metrics": {"data/train_examples": 7, "data/dropped": 3, "data/truncated": 0}},
               "sample_train": {"metrics": {"num_problems": 5, "problems_not_sampled": 5, "candidates": 20,
                                            "hit_max_new_tokens": 0}},
               "rerank_margin": {"metrics": {"rr_all": 0.5}}}
    drops = stage_drops(markers)
    assert drops["generator_math"] == {"kept": {"training examples": 7},
                                       "lost": {"training examples dropped: longer than max_length": 3}}
    assert drops["sample_train"]["lost"] == {"problems left out (sampling.train_problems)": 5}
    assert drops["data"]["lost"] == {} and "rerank_margin" not in drops


def test_truncation_key_is_validated() -> None:
    assert load_config(MICRO, ["generator.train.truncation=truncate"]).generator.train.truncation == "truncate"
    with pytest.raises(ConfigError, match="generator.train.truncation.*'drop', 'truncate'.*'cut'"):
        load_config(MICRO, ["generator.train.truncation=cut"])
    with pytest.raises(ConfigError, match="evaluator.train.truncation.*must be 'drop'"):
        load_config(MICRO, ["evaluator.train.truncation=truncate"])


def test_style_mismatch_fails_in_the_data_stage(tmp_path: Path) -> None:
    """MATH-style files and generator.styles [math, prm800k]: the data stage refuses, no generator trains."""
    from mathft.data.synthetic import write_synthetic

    files = write_synthetic(tmp_path / "data", n_train=20, n_test=4)
    config = load_config(MICRO, ["data.synthetic=false", f"data.train_files=[{files['train.math']}]",
                                 f"data.test_files=[{files['test.math']}]"])
    with pytest.raises(StageError, match=r"stage 'data' failed.*generator.styles includes 'prm800k'") as err:
        run_pipeline(config, tmp_path / "run")
    assert "(check" not in str(err.value)  # no generic hint appended to a message that names its key
    assert not (tmp_path / "run" / "generator_math").exists()


def test_generator_with_nothing_to_train_fails_before_any_step(tmp_path: Path) -> None:
    config = load_config(MICRO, ["generator.train.max_length=8"])
    with pytest.raises(StageError, match=r"stage 'generator_math' failed.*generator.train.max_length=8") as err:
        run_pipeline(config, tmp_path)
    assert "val_max_problems" not in str(err.value)
    assert not (tmp_path / "generator_math" / "checkpoints").exists()
    data = json.loads((tmp_path / "data" / "done.json").read_text())
    assert data["metrics"]["train_solutions_by_style"] == {"math": 48, "prm800k": 48}


def test_data_stage_records_the_phase_files_left_out_trajectories(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    """phase1_train.jsonl (7 lines: 3 kept, 2 unfinished, 1 wrong answer, 1 repeated) and phase2_train.jsonl
    (2 lines: 1 kept, 1 unfinished) beside MATH-style rows: both styles present, every drop counted."""
    from mathft.pipeline import build_stages, run_stages

    fixtures = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "prm800k"
    config = load_config(MICRO, ["data.synthetic=false", "backbone.scratch=null", "backbone.name_or_path=gpt2",
                                 f"data.train_files=[{fixtures / 'math_splits/train.jsonl'},"
                                 f"{fixtures / 'phase1_train.jsonl'},{fixtures / 'phase2_train.jsonl'}]",
                                 f"data.test_files=[{fixtures / 'math_splits/test.jsonl'}]"])
    markers = run_stages([s for s in build_stages(config) if s.name == "data"], tmp_path)
    metrics = markers["data"]["metrics"]
    assert (metrics["phase_unfinished"], metrics["phase_wrong_answer"], metrics["phase_duplicates"]) == (3, 1, 1)
    assert metrics["train_solutions_by_style"]["prm800k"] == 4
    assert "3 PRM800K trajectories left out (unfinished)" in capsys.readouterr().out
    assert stage_drops(markers)["data"]["lost"] == {"PRM800K trajectories left out: no final answer": 3,
                                                    "PRM800K trajectories left out: wrong final answer": 1,
                                                    "PRM800K trajectories left out: repeated": 1}
