"""Deterministic splits, the test-split guard, templates and the verdict-token contract."""

from __future__ import annotations

import pytest

from mathft.data.errors import DataError
from mathft.data.splits import refuse_test_path, train_val_split
from mathft.data.synthetic import generate
from mathft.data.templates import EVALUATOR_TEMPLATE, check_template, evaluator_prompt, verdict_prompt


def test_split_is_deterministic_by_text_and_keeps_styles_together():
    problems = generate(300, seed=0)
    train, val = train_val_split(problems, 0.1, seed=5)
    assert {p.problem for p in train}.isdisjoint({p.problem for p in val})
    assert 0.05 < len(val) / len(problems) < 0.15
    assert {p.id for p in train_val_split(list(reversed(problems)), 0.1, seed=5)[1]} == {p.id for p in val}
    assert {p.id for p in train_val_split(problems, 0.1, seed=6)[1]} != {p.id for p in val}
    with pytest.raises(ValueError, match="fraction"):
        train_val_split(problems, 1.0)


@pytest.mark.parametrize("spec", ["data/test.jsonl", "MATH/test", "MATH/test/", "prm800k/phase2_test.jsonl",
                                  "synth/test.math.jsonl", "math_splits/test.jsonl"])
def test_test_split_paths_are_refused(spec):
    with pytest.raises(DataError, match="data.train_files.*test split"):
        refuse_test_path(spec, "data.train_files")


@pytest.mark.parametrize("spec", ["/tmp/test_run0/train.jsonl", "MATH", "MATH/train", "latest.jsonl", "hf:org/math"])
def test_training_paths_are_accepted(spec):
    refuse_test_path(spec, "data.train_files")


def test_check_template_names_the_key():
    assert check_template("Q: {problem}\nA:", ("problem",), "data.prompt_template")
    with pytest.raises(ValueError, match=r"data.template.*\['problem', 'solution'\]"):
        check_template("{problem} is", ("problem", "solution"), "data.template")


def test_verdict_prompt_byte_level_bpe(synth_tokenizer):
    """The built-in tokenizer merges the space: the prompt ends in "is", the words are " correct"/" incorrect"."""
    prompt = evaluator_prompt(EVALUATOR_TEMPLATE, "What is $1+1$?", "$\\boxed{2}$")
    vp = verdict_prompt(synth_tokenizer, prompt)
    assert vp.text == prompt.rstrip(" ") and vp.correct_word == " correct"
    assert len(vp.correct_ids) == len(vp.incorrect_ids) == 1 and vp.correct_ids != vp.incorrect_ids
    for word, ids in ((vp.correct_word, vp.correct_ids), (vp.incorrect_word, vp.incorrect_ids)):
        encode = lambda t: synth_tokenizer(t, add_special_tokens=False)["input_ids"]  # noqa: E731
        assert encode(vp.text) + list(ids) == encode(vp.text + word)


class _CharTokenizer:
    """Every character is a token, so a space is a token of its own."""

    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [ord(c) for c in text]}


def test_verdict_prompt_prefers_fewer_verdict_tokens():
    vp = verdict_prompt(_CharTokenizer(), "The above candidate solution is ")
    assert vp.text.endswith("is ") and vp.correct_word == "correct"
    assert vp.correct_ids == tuple(ord(c) for c in "correct")


class _BrokenTokenizer:
    def __call__(self, text, add_special_tokens=False):
        return {"input_ids": [len(text)]}  # never prefix-consistent


def test_verdict_prompt_reports_inconsistent_tokenizer():
    with pytest.raises(ValueError, match="change the evaluator template"):
        verdict_prompt(_BrokenTokenizer(), "solution is ")
