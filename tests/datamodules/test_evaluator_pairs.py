"""EvaluatorDataModule with a weak generator: pair-only margin batches, per-split counts, clear refusals."""

from __future__ import annotations

import json

import pytest

from mathft.data.sources import read_problems
from mathft.datamodules import EvaluatorDataError, EvaluatorDataModule
from tests.datamodules.test_evaluator import _dm, _write_store


@pytest.fixture()
def store(synth_dir, tmp_path):
    """40 problems cycling (correct, incorrect) = (3, 0), (0, 3), (2, 8), (1 + 1, 3) and one text-less record."""
    problems = read_problems(synth_dir / "train.math.jsonl")[:40]
    _write_store(tmp_path / "samples", problems)
    return tmp_path / "samples"


def _write_candidates(path, synth_dir, pattern: list[tuple[int, int]]) -> str:
    """A candidate file: problem i gets ``pattern[i]`` = (correct, incorrect) candidates with stored verdicts."""
    problems = read_problems(synth_dir / "train.math.jsonl")[: len(pattern)]
    with path.open("w") as out:
        for p, (good, bad) in zip(problems, pattern):
            for k, ok in enumerate([True] * good + [False] * bad):
                out.write(json.dumps({"problem_id": p.id, "gold": p.answer, "problem": p.problem, "sample_idx": k,
                                      "text": f"Work {k}. $\\boxed{{{p.answer if ok else '990'}}}$", "correct": ok})
                          + "\n")
    return str(path)


def test_stats_by_hand_with_and_without_pairs_only(store, synth_tokenizer):
    """Ten problems of each pattern, all in train, max_pairs 16 so that every paired row is in a pair:

    problems 40; with pairs: patterns 3 and 4, 20; pairs: 10 x (2 x 8) + 10 x (2 x 3) = 220;
    correct: 10 x (3 + 0 + 2 + 2) = 70; incorrect: 10 x (0 + 3 + 8 + 3) = 140; no text: 10.
    Rows: all 210 for cross-entropy, the paired 10 x (10 + 5) = 150 for the margin loss.
    """
    common = dict(problems=40, problems_with_pairs=20, pairs=220, positives=70, negatives=140, dropped_too_long=0,
                  no_text=10)
    for pairs_only, rows in ((False, 210), (True, 150)):
        dm = _dm(store, synth_tokenizer, val_fraction=0.0, max_pairs=16, pairs_only=pairs_only)
        assert dm.stats == {**{f"train_{k}": v for k, v in {**common, "rows": rows}.items()},
                            **{f"val_{k}": 0 for k in (*common, "rows")}}
        assert sum(len(g.rows) for g in dm.train_groups) == rows
    assert "train: 40 problems (20 with pairs, 220 pairs), 70 correct / 140 incorrect, 150 rows" in dm.summary()


def test_pairs_only_trains_on_pairs_and_validates_on_everything(store, synth_tokenizer):
    """Every margin batch holds pairs and only paired rows; validation keeps the unpaired rows."""
    everything = _dm(store, synth_tokenizer, val_fraction=0.25, batch_size=8)
    dm = _dm(store, synth_tokenizer, val_fraction=0.25, batch_size=8, pairs_only=True)
    assert dm.stats["val_rows"] == everything.stats["val_rows"] > 0
    assert dm.stats["train_rows"] < everything.stats["train_rows"]
    for batch in dm.train_dataloader():
        paired = {row for pair in batch["pair_index"].tolist() for row in pair}
        assert paired == set(range(len(batch["labels"]))), "a training row outside every pair"
    val = list(dm.val_dataloader())
    in_pairs = sum(len({row for pair in b["pair_index"].tolist() for row in pair}) for b in val)
    assert sum(len(b["labels"]) for b in val) == dm.stats["val_rows"] > in_pairs  # unpaired rows still validated


def test_pairs_only_follows_the_connected_loss_unless_set(store, synth_tokenizer):
    linked = EvaluatorDataModule([str(store)])
    linked.connect(tokenizer=synth_tokenizer, pairs_only=True)
    assert linked.pairs_only is True
    explicit = EvaluatorDataModule([str(store)], pairs_only=False)
    explicit.connect(tokenizer=synth_tokenizer, pairs_only=True)
    assert explicit.pairs_only is False
    assert EvaluatorDataModule([str(store)]).pairs_only is None  # never connected: every row (cross-entropy)


@pytest.mark.parametrize(
    ("pattern", "pairs_only", "cause", "message"),
    [
        ([(0, 4)] * 6, False, "no_positive", r"no training candidate is correct \(0 of 24 graded correct\)"),
        ([(3, 0)] * 6, True, "no_negative", r"every training candidate is correct \(18 of 18 graded correct"),
        ([(2, 0), (0, 2)] * 3, True, "no_pair", r"no training problem has both a correct and an incorrect"),
    ],
)
def test_untrainable_data_fails_in_setup(tmp_path, synth_dir, synth_tokenizer, pattern, pairs_only, cause, message):
    """Refused before any step, and again on a second ``setup`` (it is idempotent only once it succeeded)."""
    candidates = _write_candidates(tmp_path / "c.jsonl", synth_dir, pattern)
    dm = EvaluatorDataModule([candidates], val_fraction=0.0, pairs_only=pairs_only)
    dm.connect(tokenizer=synth_tokenizer)
    for _ in range(2):
        with pytest.raises(EvaluatorDataError, match=message) as err:
            dm.setup("fit")
        assert err.value.cause == cause and "data.candidates" in str(err.value)
    assert dm.stats["train_problems"] == len(pattern)  # the counts are there to read after the refusal


def test_no_pair_is_fine_for_cross_entropy(tmp_path, synth_dir, synth_tokenizer):
    candidates = _write_candidates(tmp_path / "c.jsonl", synth_dir, [(2, 0), (0, 2)] * 3)
    dm = _dm(candidates, synth_tokenizer, val_fraction=0.0)
    assert (dm.stats["train_rows"], dm.stats["train_pairs"]) == (12, 0)


def test_too_long_candidates_are_named_in_the_refusal(tmp_path, synth_dir, synth_tokenizer):
    candidates = _write_candidates(tmp_path / "c.jsonl", synth_dir, [(1, 1)] * 3)
    dm = EvaluatorDataModule([candidates], val_fraction=0.0, max_length=8)
    dm.connect(tokenizer=synth_tokenizer)
    with pytest.raises(EvaluatorDataError, match=r"6 more were dropped as longer than data.max_length=8") as err:
        dm.setup("fit")
    assert err.value.cause == "no_candidate" and dm.stats["train_dropped_too_long"] == 6


def test_pipeline_names_its_own_settings(tmp_path, synth_dir, synth_model_dir):
    """``evaluator_parts`` links the margin loss's need for pairs; the refusal names the pipeline's keys."""
    from mathft.modules import BackboneConfig
    from mathft.pipeline.config import TrainConfig
    from mathft.pipeline.training import evaluator_parts, prepare_evaluator_data

    backbone = BackboneConfig(name_or_path=str(synth_model_dir))
    candidates = _write_candidates(tmp_path / "c.jsonl", synth_dir, [(0, 3)] * 4)
    parts = {loss: evaluator_parts(backbone, TrainConfig(val_fraction=0.0), loss, 0.69, [candidates], 10, 3, 0)
             for loss in ("margin", "xent")}
    assert parts["margin"][1].pairs_only is True and parts["xent"][1].pairs_only is False
    with pytest.raises(EvaluatorDataError, match=r"\(0 of 12 graded correct\): the generator must sometimes be "
                                                  r"right.*In the pipeline: raise generator.train.max_steps"):
        prepare_evaluator_data(parts["xent"][1])
    good = _write_candidates(tmp_path / "good.jsonl", synth_dir, [(1, 2)] * 4)
    _, data = evaluator_parts(backbone, TrainConfig(val_fraction=0.0), "margin", 0.69, [good], 10, 3, 0)
    assert prepare_evaluator_data(data).startswith("evaluator data: train: 4 problems (4 with pairs, 8 pairs)")


@pytest.mark.parametrize(("loss", "pairs_only"), [(None, True), ("bce.yaml", False), ("joint_margin.yaml", False)])
def test_cli_connects_what_the_loss_needs(workspace, tmp_path, loss, pairs_only):
    """`mathft fit`: the margin loss (configs/tiny/evaluator.yaml) gets pair-only batches, others every row."""
    from mathft.cli.lightning import build_cli
    from tests.conftest import CONFIGS

    configs = ["--config", str(CONFIGS / "tiny/evaluator.yaml")]
    configs += ["--config", str(CONFIGS / "losses" / loss)] if loss else []
    cli = build_cli([*configs, f"--model.init_args.backbone.name_or_path={workspace['backbone']}",
                     f"--data.init_args.candidates=[{workspace['candidates']}]", "--trainer.logger=false",
                     f"--trainer.default_root_dir={tmp_path}"], run=False)
    assert cli.datamodule.pairs_only is pairs_only
