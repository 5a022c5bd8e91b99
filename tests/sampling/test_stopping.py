"""Ends of solutions (EOS, stop strings, length), sample counts and argument errors."""

from __future__ import annotations

import pytest

from mathft.sampling import SamplingConfig, sample_solutions


def test_eos_ends_samples_and_is_not_in_the_text(model_and_tokenizer, prompts):
    """A frequent token declared EOS ends many rows early; each such row stops exactly at its first EOS."""
    model, tokenizer = model_and_tokenizer
    free = sample_solutions(model, tokenizer, prompts, num_samples=8, max_new_tokens=30, eos_token_ids=(), seed=2)
    eos_id = free[0][0].token_ids[0]
    stopped = sample_solutions(
        model, tokenizer, prompts, num_samples=8, max_new_tokens=30, eos_token_ids=(eos_id,), seed=2
    )
    reasons = set()
    for free_group, group in zip(free, stopped):
        for f, s in zip(free_group, group):
            reasons.add(s.finish_reason)
            if eos_id in f.token_ids:
                # Same random stream, so the same tokens up to the first EOS.
                cut = f.token_ids.index(eos_id)
                assert s.token_ids == f.token_ids[:cut] and s.finish_reason == "eos"
            else:
                assert s == f and s.finish_reason == "length"
    assert reasons == {"eos", "length"}
    assert stopped[0][0].num_tokens == 0


def test_stop_string_ends_the_solution_and_is_kept(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    free = sample_solutions(model, tokenizer, prompts, num_samples=4, max_new_tokens=30, eos_token_ids=(), seed=5)
    # A clean two-token piece of one solution's text (no special token, no split character): at least
    # that row must stop right after it.
    ids = free[2][1].token_ids
    end = next(
        k + 2
        for k in range(3, len(ids) - 1)
        if not set(ids[k : k + 2]) & set(tokenizer.all_special_ids) and "\ufffd" not in tokenizer.decode(ids[k : k + 2])
    )
    text = tokenizer.decode(ids[end - 2 : end])
    stopped = sample_solutions(
        model, tokenizer, prompts, num_samples=4, max_new_tokens=30, eos_token_ids=(), seed=5, stop_strings=[text]
    )
    row = stopped[2][1]
    assert row.finish_reason == "stop" and row.text.endswith(text) and row.num_tokens <= end
    for free_group, group in zip(free, stopped):
        for f, s in zip(free_group, group):
            assert f.token_ids[: s.num_tokens] == s.token_ids
            assert (s.finish_reason == "stop") == (text in s.text)
            if s.finish_reason == "stop":
                before_last = tokenizer.decode(s.token_ids[:-1], skip_special_tokens=True)
                assert text not in before_last, "stopped later than the first match"


def test_length_limit_and_one_sample(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    out = sample_solutions(model, tokenizer, prompts, num_samples=1, max_new_tokens=5, eos_token_ids=())
    assert [len(group) for group in out] == [1, 1, 1, 1]
    assert all(g[0].num_tokens == 5 and g[0].finish_reason == "length" for g in out)


def test_many_samples_over_several_batches(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    out = sample_solutions(model, tokenizer, prompts[:2], num_samples=150, max_new_tokens=3, batch_size=64)
    assert [len(group) for group in out] == [150, 150]
    assert [s.sample_idx for s in out[1]] == list(range(150))


def test_default_eos_comes_from_the_model(model_and_tokenizer, prompts):
    model, tokenizer = model_and_tokenizer
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    out = sample_solutions(model, tokenizer, prompts[:1], num_samples=4, max_new_tokens=8)
    assert all(tokenizer.eos_token_id not in s.token_ids for s in out[0])


def test_progress_bar_on_stderr_and_model_mode_restored(model_and_tokenizer, prompts, capsys):
    model, tokenizer = model_and_tokenizer
    model.train()
    sample_solutions(model, tokenizer, prompts, num_samples=2, max_new_tokens=3, progress=True)
    assert model.training
    model.eval()
    err = capsys.readouterr().err
    assert "4/4" in err and "tok/s" in err


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(greedy=True, num_samples=2), "num_samples=1"),
        (dict(num_samples=0), "num_samples"),
        (dict(top_p=0.0), "top_p"),
        (dict(temperature=0.0), "greedy=True"),
        (dict(stop_strings=("",)), "empty string"),
    ],
)
def test_bad_settings_are_named(kwargs, message):
    settings = dict(num_samples=1, max_new_tokens=4)
    settings.update(kwargs)
    with pytest.raises(ValueError, match=message):
        SamplingConfig(**settings)


def test_empty_prompt_is_named(model_and_tokenizer):
    model, tokenizer = model_and_tokenizer
    with pytest.raises(ValueError, match="prompt 1"):
        sample_solutions(model, tokenizer, ["Hi", ""], num_samples=1, max_new_tokens=2)
