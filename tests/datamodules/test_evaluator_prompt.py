"""The evaluator sees the problem and the solution text only, in training and in ``mathft score`` alike.

A candidate record also carries how it was sampled (temperature, sample index, log-probabilities, an
earlier score...). None of that may reach the prompt: the evaluator would learn the sampler, not the math.
"""

from __future__ import annotations

import pytest

from mathft.data.store import CandidateStore
from mathft.data.templates import EVALUATOR_TEMPLATE
from mathft.datamodules import EvaluatorDataModule
from mathft.datamodules.ssft_encode import encode_prompts
from mathft.records import CandidateRecord

PROBLEM = "What is $12+35$?"
TEXTS = {True: "We add: $12+35=47$. The answer is $\\boxed{47}$.", False: "We add: $12+35=48$. $\\boxed{48}$"}
# Everything a sampler may store beside the text, with values that would show up if leaked.
SAMPLING = [
    dict(sample_idx=7, score=0.93, meta={"temperature": 0.7, "top_p": 0.95, "logprobs": [-0.25, -1.5],
                                         "num_tokens": 31, "finish_reason": "stop", "model": "gen-ckpt-3"}),
    dict(sample_idx=0, greedy=True, scores={"other": 0.11}, meta={"temperature": 0.0, "seed": 1234}),
]


def _expected(text: str) -> str:
    """The template filled with the problem and the text; the trailing space goes with the verdict word."""
    return EVALUATOR_TEMPLATE.format(problem=PROBLEM, solution=text).rstrip(" ")


@pytest.fixture()
def store(tmp_path):
    records = [CandidateRecord(problem_id="p1", gold="47", problem=PROBLEM, text=TEXTS[ok], correct=ok,
                               answer="47" if ok else "48", **{**fields, "sample_idx": fields["sample_idx"] + i})
               for i, ok in enumerate((True, False)) for fields in SAMPLING]
    CandidateStore(tmp_path / "store").append(records)
    return tmp_path / "store"


def test_training_rows_are_the_template_of_problem_and_text(store, synth_tokenizer):
    dm = EvaluatorDataModule([str(store)], val_fraction=0.0)
    dm.connect(tokenizer=synth_tokenizer)
    dm.setup("fit")
    rows = [row for group in dm.train_groups for row in group.rows]
    assert len(rows) == 4
    for row in rows:
        expected = _expected(TEXTS[row.label == 1.0])
        assert list(row.input_ids) == encode_prompts(synth_tokenizer, [expected])[0]
        decoded = synth_tokenizer.decode(row.input_ids, skip_special_tokens=True)
        assert decoded == expected
        for leak in ("0.93", "0.7", "0.95", "-0.25", "gen-ckpt", "1234", "temperature", "stop"):
            assert leak not in decoded


def test_scored_prompts_are_the_same_ids(store, synth_model_dir, synth_tokenizer, monkeypatch):
    """``mathft score``'s path (``score_store``) feeds the model exactly the ids training used."""
    from mathft.modules.backbone import BackboneConfig, load_causal_lm
    from mathft.sampling import scoring

    seen: list[list[int]] = []

    def spy(model, input_ids, attention_mask, tokens):
        seen.extend(ids[: int(n)].tolist() for ids, n in zip(input_ids, attention_mask.sum(1)))
        return real(model, input_ids, attention_mask, tokens)

    real = scoring.score_verdicts
    monkeypatch.setattr(scoring, "score_verdicts", spy)
    model = load_causal_lm(BackboneConfig(name_or_path=str(synth_model_dir)))
    stats = scoring.score_store(model, synth_tokenizer, store, name="probe", max_length=256, progress=False)
    assert stats.scored == 4 and stats.truncated == 0
    expected = encode_prompts(synth_tokenizer, [_expected(TEXTS[True])] * 2 + [_expected(TEXTS[False])] * 2)
    assert sorted(seen) == sorted(expected)
