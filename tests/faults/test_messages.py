"""Inputs that used to end in a raw traceback (or name nothing) end in one line that names what to fix."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest
import torch

from mathft.cli.checks import config_files
from mathft.model_paths import looks_local
from tests.conftest import CONFIGS
from tests.faults.conftest import run_cli, run_process, sample_args, snapshot

pytestmark = pytest.mark.faults

MICRO = str(CONFIGS / "pipeline" / "micro.yaml")
TINY_GENERATOR = str(CONFIGS / "tiny" / "generator.yaml")


def _candidate_line(gold: str) -> str:
    return f'{{"problem_id": "p", "gold": {gold}, "answer": "1"}}\n'


HOSTILE_LINES = {
    "integer of 5,000 digits": ("9" * 5000, "unreadable JSON value (Exceeds the limit (4300 digits)"),
    "JSON nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply to read"),
}


@pytest.mark.parametrize("case", HOSTILE_LINES)
def test_hostile_json_in_rerank_candidates(case, tmp_path, capsys):
    value, message = HOSTILE_LINES[case]
    path = tmp_path / "c.jsonl"
    path.write_text(_candidate_line(value))
    status, err = run_cli(capsys, "rerank", "--candidates", str(path))
    assert status == 2 and f"{path}:1: {message}" in err and "Traceback" not in err


@pytest.mark.parametrize("case", HOSTILE_LINES)
def test_hostile_json_in_sample_problems(case, tiny_backbone_dir, tmp_path, capsys):
    value, message = HOSTILE_LINES[case]
    path = tmp_path / "p.jsonl"
    path.write_text(f'{{"problem": "1+1?", "solution": "\\\\boxed{{2}}", "level": {value}}}\n')
    status, err = run_cli(capsys, "sample", "--model", str(tiny_backbone_dir), "--problems", str(path), "--out",
                          str(tmp_path / "s"), "--no-progress")
    assert status == 2 and f"{path}:1: {message}" in err
    assert not (tmp_path / "s" / "shard-00000.jsonl").exists()


def test_hostile_line_in_a_store_shard_names_it(store, capsys):
    shard = store / "shard-00000.jsonl"
    shard.write_text(shard.read_text() + _candidate_line("9" * 5000))
    before = snapshot(store)
    status, err = run_cli(capsys, "rerank", "--candidates", str(store))
    assert status == 2 and f"{shard}:10: unreadable JSON value" in err
    assert snapshot(store) == before


def test_invalid_utf8_names_the_file_and_line(tiny_backbone_dir, store, tmp_path, capsys):
    candidates = tmp_path / "c.jsonl"
    candidates.write_bytes(b'{"problem_id": "p", "gold": "1", "answer": "1"}\n{"problem_id": "\xff", "gold": "1"}\n')
    status, err = run_cli(capsys, "rerank", "--candidates", str(candidates))
    assert status == 2 and f"{candidates}:2: not UTF-8 text (invalid start byte" in err
    problems = tmp_path / "p.jsonl"
    problems.write_bytes(b'{"problem": "1+1?", "solution": "2", "answer": "2"}\n{"problem": "\xff"}\n')
    status, err = run_cli(capsys, "sample", "--model", str(tiny_backbone_dir), "--problems", str(problems),
                          "--out", str(tmp_path / "s"), "--no-progress")
    assert status == 2 and f"{problems}:2: not UTF-8 text" in err
    score = store / "scores" / "score" / "shard-00000.jsonl"
    score.write_bytes(score.read_bytes() + b'{"problem_id": "\xfe"}\n')
    status, err = run_cli(capsys, "rerank", "--candidates", str(store))
    assert status == 2 and f"{score}:10: not UTF-8 text" in err


def test_fifo_is_refused_without_blocking(tiny_backbone_dir, tmp_path):
    """In a subprocess with a deadline: before the fix, reading the FIFO blocked forever."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    proc = run_process("rerank", "--candidates", str(fifo), timeout=60)
    assert proc.returncode == 2 and f"{fifo}: not a regular file" in proc.stderr
    proc = run_process("sample", "--model", str(tiny_backbone_dir), "--problems", str(fifo), "--out",
                       str(tmp_path / "s"), timeout=60)
    assert proc.returncode == 2 and f"{fifo}: not a regular file" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("where", ["a file", "under a file", "uncreatable"])
@pytest.mark.parametrize("command", ["data", "pipeline", "demo"])
def test_unusable_out_folder(command, where, tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    out = {"a file": afile, "under a file": afile / "sub", "uncreatable": Path("/proc/mathft-test/out")}[where]
    argv = {"data": ["data", "synth", "--out", str(out), "--n", "2"],
            "pipeline": ["pipeline", "--config", MICRO, "--out", str(out)],
            "demo": ["demo", "--out", str(out)]}[command]
    status, err = run_cli(capsys, *argv)
    expected = "is a file, not a folder" if where != "uncreatable" else "cannot create the folder"
    assert status == 2 and f"--out {out}: " in err and expected in err and "Traceback" not in err
    assert afile.read_text() == "x"


@pytest.fixture
def damaged_models(tiny_backbone_dir, tmp_path) -> dict[str, Path]:
    """The tiny model with its weights cut to 600 kB ("truncated") and replaced by 5 kB of noise ("garbage")."""
    weights = (tiny_backbone_dir / "model.safetensors").read_bytes()
    models = {}
    for name, data in (("truncated", weights[: len(weights) - 20_000]), ("garbage", os.urandom(5000)),
                       ("no header", weights[:5])):
        models[name] = tmp_path / name
        shutil.copytree(tiny_backbone_dir, models[name])
        (models[name] / "model.safetensors").write_bytes(data)
    return models


@pytest.mark.parametrize("damage", ["truncated", "garbage", "no header"])
def test_damaged_weights_are_named(damage, damaged_models, problem_file, store, capsys):
    model = damaged_models[damage]
    before = snapshot(store)
    for argv in (sample_args(model, problem_file, store),
                 ["score", "--model", str(model), "--store", str(store), "--no-progress"]):
        status, err = run_cli(capsys, *argv)
        assert status == 2 and f"--model {model}: {model / 'model.safetensors'}: " in err
        assert "truncated or damaged weights file" in err and "Traceback" not in err
    status, err = run_cli(capsys, "fit", "--config", TINY_GENERATOR, f"--model.init_args.backbone.name_or_path={model}",
                          f"--trainer.default_root_dir={store.parent / 'run'}")
    assert status == 2 and f"model.init_args.backbone.name_or_path: {model / 'model.safetensors'}" in err
    assert snapshot(store) == before


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on a machine without CUDA")
def test_cuda_device_without_cuda(tiny_backbone_dir, problem_file, store, capsys):
    before = snapshot(store)
    for argv in (sample_args(tiny_backbone_dir, problem_file, store, "--device", "cuda:0"),
                 ["score", "--model", str(tiny_backbone_dir), "--store", str(store), "--device", "cuda:0"]):
        status, err = run_cli(capsys, *argv)
        assert status == 2 and "--device cuda:0: CUDA is not available here" in err
    assert snapshot(store) == before


def test_yaml_whose_top_level_is_a_list(tmp_path, capsys):
    config = tmp_path / "list.yaml"
    config.write_text("- out: runs/x\n- seed: 0\n")
    status, err = run_cli(capsys, "pipeline", "--config", str(config), "--out", str(tmp_path / "run"))
    assert status == 2 and f"{config}: the top level must be a mapping of keys" in err
    status, err = run_cli(capsys, "fit", "--config", str(config))
    assert status == 2 and f"--config {config}: the top level must be a mapping of keys" in err


def test_yaml_errors_name_the_file_and_line(tmp_path, capsys):
    """jsonargparse named "<unicode string>"; the file and line are named now."""
    config = tmp_path / "bad.yaml"
    config.write_text("trainer:\n  max_steps: [1,\n")
    status, err = run_cli(capsys, "fit", "--config", str(config))
    assert status == 2 and f"--config {config}:3: not valid YAML" in err and "<unicode string>" not in err
    status, err = run_cli(capsys, "pipeline", "--config", str(config))
    assert status == 2 and f"{config}: not valid YAML" in err and "line 3" in err


@pytest.mark.parametrize("command", ["fit", "validate"])
def test_missing_local_model_fails_at_once(command, tmp_path, capsys):
    """No Hub lookup for a path that can only be local (it spent 52 s on the Hub before failing)."""
    absent = tmp_path / "absent" / "model"
    for name in (str(absent), "./absent-model"):
        start = time.perf_counter()
        status, err = run_cli(capsys, command, "--config", TINY_GENERATOR,
                              f"--model.init_args.backbone.name_or_path={name}",
                              f"--trainer.default_root_dir={tmp_path / 'run'}")
        assert time.perf_counter() - start < 30  # parsing only; the Hub's retries took 52 s
        assert status == 2 and f"model.init_args.backbone.name_or_path: {name}: no such model directory" in err


def test_local_and_hub_names_are_told_apart(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "artifacts").mkdir()
    assert looks_local("./model") and looks_local("/abs/model") and looks_local("runs/a/hf_best")
    assert looks_local("artifacts/tiny")  # its folder exists here
    assert not looks_local("meta-llama/Llama-2-7b-hf") and not looks_local("gpt2")
    assert config_files(["--config", "a.yaml", "--config=b.yaml", "--x"]) == [Path("a.yaml"), Path("b.yaml")]


@pytest.mark.parametrize("command", ["sample", "pipeline", "fit"])
def test_bad_rank_variable_is_named(command, tiny_backbone_dir, problem_file, tmp_path, monkeypatch, capsys):
    """Lightning's import read RANK with a bare int(): "invalid literal for int() with base 10: 'abc'"."""
    monkeypatch.setenv("RANK", "abc")
    argv = {"sample": sample_args(tiny_backbone_dir, problem_file, tmp_path / "s"),
            "pipeline": ["pipeline", "--config", MICRO, "--out", str(tmp_path / "run")],
            "fit": ["fit", "--config", TINY_GENERATOR]}[command]
    status, err = run_cli(capsys, *argv)
    assert status == 2 and "environment variable RANK must be an integer >= 0 (as torchrun sets it), got 'abc'" in err
    assert not (tmp_path / "s").exists() and not (tmp_path / "run").exists()


def test_unbalanced_brace_in_a_score_template(tiny_backbone_dir, store, capsys):
    before = snapshot(store)
    status, err = run_cli(capsys, "score", "--model", str(tiny_backbone_dir), "--store", str(store),
                          "--template", "{problem} {solution} {")
    assert status == 2 and "--template: not a valid template (Single '{' encountered" in err
    assert snapshot(store) == before


def test_rerank_json_file_gets_the_umask_mode(store, tmp_path, capsys):
    """mkstemp makes 0600 files; the report is as readable as any file the user writes (0644 under 022)."""
    report = tmp_path / "report.json"
    old = os.umask(0o022)
    try:
        status, _ = run_cli(capsys, "rerank", "--candidates", str(store), "--json", str(report))
    finally:
        os.umask(old)
    assert status == 0 and json.loads(report.read_text())["num_problems"] == 3
    assert report.stat().st_mode & 0o777 == 0o644
