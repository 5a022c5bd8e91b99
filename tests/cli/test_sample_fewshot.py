"""``mathft sample --few-shot``: the 4-shot prompt and its stop string reach the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli import main as mathft_main
from mathft.data.fewshot import fewshot_template
from mathft.data.store import CandidateStore


@pytest.fixture(scope="module")
def problem_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mathft.data.synthetic import write_synthetic

    return write_synthetic(tmp_path_factory.mktemp("problems"), n_train=2, n_test=2)["test.prm800k"]


def test_few_shot_samples_with_the_four_shot_prompt(tiny_backbone_dir: Path, problem_file: Path,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "store"
    assert mathft_main(["sample", "--model", str(tiny_backbone_dir), "--problems", str(problem_file), "--out", str(out),
                        "--style", "prm800k", "--few-shot", "--num-samples", "2", "--max-new-tokens", "8",
                        "--no-progress"]) == 0
    fingerprint = json.loads((out / "fingerprint.json").read_text())
    assert json.dumps(fewshot_template("prm800k")) in json.dumps(fingerprint)  # the store knows its prompt
    records = list(CandidateStore(out).records())
    assert len(records) == 2 * 2 and all(r.meta["finish_reason"] in {"eos", "stop", "length"} for r in records)


def test_few_shot_and_a_prompt_template_exclude_each_other(tiny_backbone_dir: Path, problem_file: Path,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit):
        mathft_main(["sample", "--model", str(tiny_backbone_dir), "--problems", str(problem_file), "--out",
                     str(tmp_path / "s"), "--few-shot", "--prompt-template", "Q: {problem}\nA:"])
    assert "--few-shot brings its own prompt" in capsys.readouterr().err
