"""SSFTDataModule: masks, styles, splits, truncation, bucketing and packing (checked against a real model)."""

from __future__ import annotations

import collections

import pytest
import torch

from mathft.data.errors import DataError
from mathft.data.sources import read_problems
from mathft.datamodules import SSFTDataModule

TEMPLATE = "Problem:\n{problem}\nSolution:\n"


def _dm(synth_dir, tokenizer, **kwargs) -> SSFTDataModule:
    files = [str(synth_dir / "train.math.jsonl"), str(synth_dir / "train.prm800k.jsonl")]
    dm = SSFTDataModule(files, **kwargs)
    dm.connect(tokenizer=tokenizer)
    dm.setup("fit")
    return dm


def _solutions(synth_dir) -> dict[tuple[str, str], str]:
    problems = read_problems(synth_dir / "train.math.jsonl") + read_problems(synth_dir / "train.prm800k.jsonl")
    return {(p.problem, p.solution): p.solution for p in problems}


def test_labels_cover_exactly_solution_and_eos(synth_dir, synth_tokenizer):
    dm = _dm(synth_dir, synth_tokenizer, batch_size=4)
    batch = next(iter(dm.train_dataloader()))
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    solutions = {s for _, s in _solutions(synth_dir)}
    for ids, mask, labels in zip(batch["input_ids"], batch["attention_mask"], batch["labels"]):
        target = labels[labels != -100].tolist()
        text = synth_tokenizer.decode(target)
        assert text.endswith(synth_tokenizer.eos_token) and text[: -len(synth_tokenizer.eos_token)] in solutions
        n = int(mask.sum())
        assert (mask[:n] == 1).all() and (mask[n:] == 0).all() and (labels[n:] == -100).all()
        prompt = synth_tokenizer.decode(ids[: n - len(target)].tolist())
        assert prompt.startswith("Problem:\n") and prompt.endswith("\nSolution:\n")
        assert ids[: n][labels[:n] != -100].tolist() == target  # labels are not shifted


def test_validation_batches_carry_prompts_and_gold(synth_dir, synth_tokenizer):
    dm = _dm(synth_dir, synth_tokenizer, val_fraction=0.2, val_batch_size=5)
    batch = next(iter(dm.val_dataloader()))
    assert {"prompt_input_ids", "prompt_attention_mask", "problem_id", "gold", "problem", "labels"} <= set(batch)
    for ids, mask, problem in zip(batch["prompt_input_ids"], batch["prompt_attention_mask"], batch["problem"]):
        assert mask[-1] == 1 and (mask.cumsum(0) > 0).sum() == mask.sum()  # left-padded
        assert synth_tokenizer.decode(ids[mask.bool()].tolist()) == TEMPLATE.format(problem=problem)
    problems = {p.problem: p for p in read_problems(synth_dir / "train.math.jsonl")}
    assert all(problems[q].answer == g for q, g in zip(batch["problem"], batch["gold"]))


def test_validation_is_carved_from_train_and_one_per_problem(synth_dir, synth_tokenizer):
    dm = _dm(synth_dir, synth_tokenizer, val_fraction=0.2, val_max_problems=None)
    val = {e.problem for e in dm.val_examples}
    assert len(val) == len(dm.val_examples) and 20 < len(val) < 60
    assert val.isdisjoint({e.problem for e in dm.train_examples})
    assert len(dm.train_examples) == 2 * (200 - len(val))  # both styles of every other problem
    again = _dm(synth_dir, synth_tokenizer, val_fraction=0.2, val_max_problems=None)
    assert [e.problem_id for e in again.val_examples] == [e.problem_id for e in dm.val_examples]
    assert len(_dm(synth_dir, synth_tokenizer, val_fraction=0.2, val_max_problems=7).val_examples) == 7


@pytest.mark.parametrize(("style", "marker"), [("math", "\\boxed"), ("prm800k", "# Answer")])
def test_style_choice(synth_dir, synth_tokenizer, style, marker):
    dm = _dm(synth_dir, synth_tokenizer, style=style, val_fraction=0.0)
    assert len(dm.train_examples) == 200
    assert all(marker in synth_tokenizer.decode(e.input_ids[e.prompt_len :]) for e in dm.train_examples)


def test_test_split_is_refused_for_training_and_removed_from_train(synth_dir, synth_tokenizer, tmp_path):
    with pytest.raises(DataError, match="test split"):
        SSFTDataModule([str(synth_dir / "test.math.jsonl")])
    leaked = tmp_path / "train.jsonl"  # a training file that contains the test problems
    leaked.write_text((synth_dir / "test.math.jsonl").read_text() + (synth_dir / "train.math.jsonl").read_text())
    dm = SSFTDataModule([str(leaked)], test_files=[str(synth_dir / "test.math.jsonl")], val_fraction=0.0)
    dm.connect(tokenizer=synth_tokenizer)
    dm.setup("fit")
    assert dm.stats["removed_test_overlap"] == 20 and len(dm.train_examples) == 200
    dm.setup("test")
    assert len(dm.test_examples) == 20 and next(iter(dm.test_dataloader()))["gold"]


def test_truncation_policies_are_counted(synth_dir, synth_tokenizer):
    dropped = _dm(synth_dir, synth_tokenizer, max_length=60, truncation="drop", val_fraction=0.0)
    truncated = _dm(synth_dir, synth_tokenizer, max_length=60, truncation="truncate", val_fraction=0.0)
    assert dropped.truncation_stats.dropped > 0 and dropped.truncation_stats.truncated == 0
    assert truncated.truncation_stats.truncated == dropped.truncation_stats.dropped - truncated.truncation_stats.dropped
    assert len(truncated.train_examples) + truncated.truncation_stats.dropped == 400
    assert max(len(e) for e in truncated.train_examples) == 60 and dropped.stats["dropped"] > 0


def test_bucketing_reduces_padding_and_reshuffles_per_epoch(synth_dir, synth_tokenizer):
    bucket = _dm(synth_dir, synth_tokenizer, batch_size=8, batching="bucket")
    random_ = _dm(synth_dir, synth_tokenizer, batch_size=8, batching="random")
    assert bucket.padding_fraction < random_.padding_fraction / 3
    loader = bucket.train_dataloader()
    first = [b["input_ids"].shape for b in loader]
    loader.batch_sampler.sampler.set_epoch(1)  # what Lightning calls every epoch
    second = [b["input_ids"].shape for b in loader]
    assert first != second and len(first) == len(second)
    assert sum(s[0] for s in first) == len(bucket.train_examples)


def test_packed_batches(synth_dir, synth_tokenizer):
    dm = _dm(synth_dir, synth_tokenizer, batching="pack", batch_size=2, max_length=256)
    assert dm.padding_fraction < 0.05
    loader = dm.train_dataloader()
    keys = [i for batch in loader.batch_sampler for pack in batch for i in pack]
    assert sorted(keys) == list(range(len(dm.train_examples)))  # every example once per epoch
    batch = next(iter(loader))
    assert set(batch) == {"input_ids", "labels", "position_ids"} and batch["input_ids"].shape[1] <= 256
    examples = {e.input_ids: e for e in dm.train_examples}
    for ids, labels, positions in zip(batch["input_ids"], batch["labels"], batch["position_ids"].tolist()):
        starts = [i for i, p in enumerate(positions) if p == 0] + [len(positions)]
        for start, end in zip(starts, starts[1:]):
            segment = tuple(ids[start:end].tolist())
            if segment in examples:
                assert labels[start:end].tolist() == examples[segment].labels
            else:  # the padding tail: its own position block, no loss
                assert set(segment) == {synth_tokenizer.pad_token_id} and (labels[start:end] == -100).all()


@pytest.mark.parametrize("attn", ["sdpa", "eager"])
def test_packed_logits_equal_separate_runs(synth_dir, synth_model_dir, synth_tokenizer, attn):
    """transformers builds the block-diagonal mask from position_ids when attention_mask is None.

    It does so only without a KV cache: the model must be called with ``use_cache=False`` (with the
    default cache the packed sequences attend to each other; checked on transformers 5.x).
    """
    from transformers import AutoModelForCausalLM

    dm = _dm(synth_dir, synth_tokenizer, batching="pack", batch_size=2, max_length=200)
    batch = next(iter(dm.train_dataloader()))
    model = AutoModelForCausalLM.from_pretrained(str(synth_model_dir), attn_implementation=attn).eval()
    with torch.no_grad():
        packed = model(input_ids=batch["input_ids"], position_ids=batch["position_ids"], use_cache=False).logits
        for row in range(batch["input_ids"].shape[0]):
            positions = batch["position_ids"][row].tolist()
            starts = [i for i, p in enumerate(positions) if p == 0] + [len(positions)]
            assert len(starts) > 2  # at least two sequences share the row
            for start, end in zip(starts, starts[1:]):
                alone = model(input_ids=batch["input_ids"][row : row + 1, start:end], use_cache=False).logits[0]
                torch.testing.assert_close(packed[row, start:end], alone, atol=1e-5, rtol=1e-5)


def test_real_formats_flow_into_the_datamodule(synth_tokenizer):
    """MATH tree (4 problems) + PRM800K math_splits (3, two repeat MATH problems) + phase1 (3 kept)."""
    from pathlib import Path

    fixtures = Path(__file__).parents[1] / "data" / "fixtures"
    files = [str(fixtures / "MATH"), str(fixtures / "prm800k/math_splits/train.jsonl"),
             str(fixtures / "prm800k/phase1_train.jsonl")]
    dm = SSFTDataModule(files, val_fraction=0.0)
    dm.connect(tokenizer=synth_tokenizer)
    dm.setup("fit")
    assert len(dm.train_examples) == 10
    styles = collections.Counter("# Answer" in synth_tokenizer.decode(e.input_ids) for e in dm.train_examples)
    assert styles == {False: 7, True: 3}
    with pytest.raises(DataError, match="test split"):
        SSFTDataModule([str(fixtures / "MATH" / "test")])
