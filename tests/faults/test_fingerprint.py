"""Resuming a store with another model, template or setting fails, naming the field; nothing is written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mathft.data.fingerprint import FingerprintError, ModelSource, claim_fingerprint
from tests.faults.conftest import run_cli, sample_args, snapshot

pytestmark = pytest.mark.faults


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (["--temperature", "0.7"], "temperature"),
        (["--top-p", "0.9"], "top_p"),
        (["--max-new-tokens", "9"], "max_new_tokens"),
        (["--seed", "1"], "seed"),
        (["--prompt-template", "Q: {problem}\nA:"], "prompt_template"),
        (["--dtype", "float32"], "dtype"),
    ],
)
def test_sample_resume_with_another_setting_is_refused(tiny_backbone_dir, problem_file, store, capsys, change, field):
    before = snapshot(store)
    status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, store, *change))
    assert status == 2 and f"the store was sampled with {field}=" in err and "Traceback" not in err
    assert snapshot(store) == before


def test_sample_resume_with_another_model_is_refused(tiny_backbone_dir, other_model, problem_file, store, capsys):
    """Another directory names ``model``; the same directory with other weights in it names ``weights``."""
    before = snapshot(store)
    status, err = run_cli(capsys, *sample_args(other_model, problem_file, store))
    assert status == 2 and "sampled with model=" in err and str(other_model) in err
    assert snapshot(store) == before
    fingerprint = json.loads((store / "fingerprint.json").read_text())
    assert fingerprint["model"] == str(tiny_backbone_dir.resolve()) and fingerprint["weights"].startswith("sha256:")


@pytest.mark.parametrize("copy", [shutil.copytree,
                                  lambda src, dst: shutil.copytree(src, dst, copy_function=shutil.copy)],
                         ids=["times kept", "times new"])
def test_a_moved_model_resumes_its_store(tiny_backbone_dir, problem_file, store, tmp_path, capsys, copy):
    """The model's folder moved (a run folder moved to another disk mid-sampling): the same weights under
    another path resume the store, whether the copy kept the files' times (the digest is trusted) or not
    (the digest is read again and matches); nothing already sampled changes."""
    moved = tmp_path / "elsewhere" / "model"
    copy(tiny_backbone_dir, moved)
    before = snapshot(store)
    status, err = run_cli(capsys, *[arg for arg in sample_args(moved, problem_file, store) if arg != "3"
                                    and arg != "--limit"])
    assert status == 0, err
    after = snapshot(store)
    assert all(after[name].startswith(content) for name, content in before.items() if name.startswith("shard-"))
    records = [json.loads(line) for name, content in after.items() if name.startswith("shard-")
               for line in content.decode().splitlines()]
    assert len({r["problem_id"] for r in records}) == 4  # the fourth problem was sampled with the moved model
    assert {r["checkpoint"] for r in records} == {str(tiny_backbone_dir.resolve()), str(moved.resolve())}


def test_a_moved_evaluator_resumes_its_scores(tiny_backbone_dir, store, tmp_path, capsys):
    moved = tmp_path / "elsewhere" / "model"
    shutil.copytree(tiny_backbone_dir, moved)
    status, err = run_cli(capsys, "score", "--model", str(moved), "--store", str(store), "--max-length", "256",
                          "--no-progress")
    assert status == 0, err


def test_weights_rewritten_in_place(tiny_backbone_dir, other_model, problem_file, tmp_path, capsys):
    """Same bytes written again (new mtimes: the digest is read again and matches) resume; other weights
    under the same path are refused, naming ``weights``."""
    model, out = tmp_path / "model", tmp_path / "store"
    shutil.copytree(tiny_backbone_dir, model)
    assert run_cli(capsys, *sample_args(model, problem_file, out))[0] == 0
    before = snapshot(out)
    shutil.copy(tiny_backbone_dir / "model.safetensors", model / "model.safetensors")
    assert run_cli(capsys, *sample_args(model, problem_file, out))[0] == 0
    assert snapshot(out) == before  # everything was already sampled
    shutil.copy(other_model / "model.safetensors", model / "model.safetensors")
    status, err = run_cli(capsys, *sample_args(model, problem_file, out))
    assert status == 2 and "sampled with weights='sha256:" in err
    assert snapshot(out) == before


@pytest.mark.parametrize(
    ("change", "field"),
    [(["--max-length", "300"], "max_length"), (["--template", "Q: {problem} A: {solution} This is "], "template")],
)
def test_score_resume_with_another_setting_is_refused(tiny_backbone_dir, store, capsys, change, field):
    before = snapshot(store)
    status, err = run_cli(capsys, "score", "--model", str(tiny_backbone_dir), "--store", str(store),
                          "--max-length", "256", "--no-progress", *change)
    assert status == 2 and f"the store was scored with {field}=" in err
    assert snapshot(store) == before


def test_score_with_another_evaluator_under_one_name_is_refused(other_model, store, capsys):
    before = snapshot(store)
    status, err = run_cli(capsys, "score", "--model", str(other_model), "--store", str(store), "--max-length", "256",
                          "--no-progress")
    assert status == 2 and "the store was scored with model=" in err and str(other_model) in err
    assert snapshot(store) == before


def test_score_lines_record_the_evaluator(tiny_backbone_dir, store):
    lines = (store / "scores" / "score" / "shard-00000.jsonl").read_text().splitlines()
    assert lines and all(json.loads(line)["model"] == str(tiny_backbone_dir.resolve()) for line in lines)


def test_a_fingerprint_binds_only_once_a_record_is_stored(tmp_path):
    """A run that failed before its first record must not tie its empty store to its settings."""
    claim_fingerprint(tmp_path, {"temperature": 0.6}, verb="sampled")
    assert claim_fingerprint(tmp_path, {"temperature": 0.7}, verb="sampled")["temperature"] == 0.7
    (tmp_path / "shard-00000.jsonl").write_text('{"problem_id": "p", "gold": "1", "answer": "1"}\n')
    with pytest.raises(FingerprintError, match=r"sampled with temperature=0.7, this run uses 0.6"):
        claim_fingerprint(tmp_path, {"temperature": 0.6}, verb="sampled")


def test_a_second_claim_compares_and_never_overwrites(tiny_backbone_dir: Path, tmp_path: Path):
    """As the ranks of one run do: the second finds the first's fingerprint and compares it."""
    source = ModelSource(tiny_backbone_dir)
    (tmp_path / "shard-00000.jsonl").write_text("{}\n")  # a stored record: the fingerprint binds
    first = claim_fingerprint(tmp_path, {"seed": 0}, source)
    assert claim_fingerprint(tmp_path, {"seed": 0}, source) == first
    with pytest.raises(FingerprintError, match="seed=0, this run uses 1"):
        claim_fingerprint(tmp_path, {"seed": 1}, source)


def test_store_from_before_fingerprints_resumed_with_another_model_is_refused(tiny_backbone_dir, other_model,
                                                                              problem_file, tmp_path, capsys):
    """A store whose records predate fingerprints is checked by its records' model before it is given a
    fingerprint: otherwise the new fingerprint would name the wrong model and refuse the right one later."""
    out = tmp_path / "legacy"
    assert run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, out))[0] == 0
    (out / "fingerprint.json").unlink()  # as written before fingerprints existed
    before = snapshot(out)
    status, err = run_cli(capsys, *sample_args(other_model, problem_file, out))
    assert status == 2 and "the store was sampled with model" in err and str(other_model.resolve()) in err
    assert snapshot(out) == before and not (out / "fingerprint.json").exists()
    assert run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, out))[0] == 0  # the right model resumes
    assert json.loads((out / "fingerprint.json").read_text())["model"] == str(tiny_backbone_dir.resolve())
