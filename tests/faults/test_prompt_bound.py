"""A prompt over the model's bound fails at once, naming the problem, on every run (no endless retry)."""

from __future__ import annotations

import json
import time

import pytest

from tests.faults.conftest import run_cli, sample_args, snapshot

pytestmark = pytest.mark.faults


@pytest.fixture
def huge_problem_file(problem_file, tmp_path):
    """The four problems with a 5 MB one third (the red team's 50 MB crashed after 127 s)."""
    rows = [json.loads(line) for line in problem_file.read_text().splitlines()]
    rows.insert(2, {**rows[0], "unique_id": "huge", "problem": "What is 1+1? " * 400_000})
    path = tmp_path / "huge.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_huge_problem_fails_at_once_every_time(tiny_backbone_dir, huge_problem_file, store, capsys):
    """Twice on the same store: both fail in seconds, before sampling anything, naming the problem."""
    before = snapshot(store)
    for _ in range(2):
        start = time.perf_counter()
        status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, huge_problem_file, store, "--limit", "4"))
        assert time.perf_counter() - start < 20
        assert status == 2 and "problem 'huge': its prompt is 5,200,0" in err
        assert "characters, at least" in err and "tokens, over the limit of 1,016 prompt tokens" in err
        assert snapshot(store) == before


def test_prompt_over_max_prompt_tokens_is_counted_exactly(tiny_backbone_dir, problem_file, tmp_path, capsys):
    out = tmp_path / "s"
    status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, out, "--max-prompt-tokens", "5"))
    assert status == 2 and "tokens, over the limit of 5 prompt tokens" in err
    assert not (out / "shard-00000.jsonl").exists()


def test_max_new_tokens_beyond_the_model_is_refused(tiny_backbone_dir, problem_file, tmp_path, capsys):
    """The tiny model has 1024 positions: 1024 new tokens leave none for the prompt."""
    out = tmp_path / "s"
    status, err = run_cli(capsys, *sample_args(tiny_backbone_dir, problem_file, out, "--max-new-tokens", "1024"))
    assert status == 2 and "max_new_tokens=1024 leaves no room for a prompt: the model has 1024 positions" in err
    assert not (out / "shard-00000.jsonl").exists()
