"""The evaluator can learn: data -> verdict logits at the last position -> loss -> checkpoint -> score -> re-rank.

A controlled candidate set where correctness is visible in the text: problems "What is a + b?", a correct
candidate computes (``a + b = c``), a wrong one guesses (``a + b is about w``). Nothing else tells them
apart, and the evaluator only ever sees the problem and the text. Majority voting is designed to fail:
on most test problems the most frequent answer is a wrong guess. A tiny model fine-tuned for a few dozen
CPU steps with either loss must rank the right candidates first (val AUROC >= 0.95), and re-ranking the
test candidates by its scores (``mathft score``, then ``mathft rerank``) must beat Maj1.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch

from mathft.cli import main as mathft_main
from mathft.data.store import CandidateStore
from mathft.records import CandidateRecord

# Per problem: which candidates are correct. Majority-wrong: the guess w appears twice, the right c once.
MAJORITY_WRONG = (True, False, False, False)
MAJORITY_RIGHT = (True, True, False, False)
MIN_AUROC = 0.95


def _candidates(pid: str, a: int, b: int, pattern: tuple[bool, ...], rng: random.Random) -> list[CandidateRecord]:
    """``pattern`` candidates of one problem; the wrong ones guess ``w`` (twice when there are 3) and ``v``."""
    c = a + b
    w, v = rng.sample([c + d for d in range(-9, 10) if d], 2)
    guesses = iter([w, w, v] if pattern.count(False) == 3 else [w, v])
    out = []
    for idx, ok in enumerate(pattern):
        answer = c if ok else next(guesses)
        text = f"{a} + {b} = {c}. The answer is {c}." if ok else f"{a} + {b} is about {answer}. The answer is {answer}."
        out.append(CandidateRecord(problem_id=pid, gold=str(c), problem=f"What is {a} + {b}?", text=text,
                                   answer=str(answer), sample_idx=idx, correct=ok))
    return out


def _problem_set(prefix: str, n: int, seed: int, wrong_share: float) -> list[CandidateRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(n):
        a, b = rng.randint(10, 89), rng.randint(10, 89)
        pattern = MAJORITY_WRONG if i < wrong_share * n else MAJORITY_RIGHT
        records += _candidates(f"{prefix}-{i}", a, b, pattern, rng)
    return records


@pytest.fixture(autouse=True)
def one_thread():
    """One torch thread: a tiny model gains nothing from more, and on a shared CPU spin-waiting threads make
    it many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def candidate_sets(tmp_path_factory) -> dict[str, Path]:
    """Training candidates (72 problems, a quarter held out for validation) and a 16-problem test store."""
    root = tmp_path_factory.mktemp("learnability")
    CandidateStore(root / "train").append(_problem_set("train", 72, seed=1, wrong_share=0.5))
    CandidateStore(root / "test").append(_problem_set("test", 16, seed=2, wrong_share=0.75))
    return {"train": root / "train", "test": root / "test"}


def _train(loss: str, backbone_dir: Path, train_store: Path, run_dir: Path):
    """The pipeline's evaluator stage, minus the stage runner: parts, data checks, fit, HF export."""
    from mathft.modules import BackboneConfig
    from mathft.pipeline.config import TrainConfig, TrainerConfig
    from mathft.pipeline.training import evaluator_parts, fit, prepare_evaluator_data

    # 24 steps: AUROC is >= 0.98 from step 12 on with other data and model seeds too (1.0 at this seed).
    train = TrainConfig(max_steps=24, batch_size=16, lr=5e-3, warmup_steps=4, max_length=96, val_every=12,
                        val_fraction=0.25)
    module, data = evaluator_parts(BackboneConfig(name_or_path=str(backbone_dir)), train, loss, 0.6931471805599453,
                                   [str(train_store)], max_pairs=10, top_k=3, seed=0)
    prepare_evaluator_data(data)
    result = fit(module, data, hw=TrainerConfig(), train=train, run_dir=run_dir, tb_root=run_dir / "tb",
                 name=f"evaluator_{loss}", monitor="val/rr_majK", seed=0)
    return result, data


def _score_and_rerank(model_dir: str, store: Path, name: str, report: Path) -> dict[str, float]:
    """``mathft score`` then ``mathft rerank --json``: the test store's metrics under scorer ``name``."""
    score = ["score", "--model", model_dir, "--store", str(store), "--name", name, "--max-length", "96",
             "--no-progress"]
    assert mathft_main(score) == 0
    assert mathft_main(["rerank", "--candidates", str(store), "--scores", name, "--k", "3", "--json", str(report)]) == 0
    return json.loads(report.read_text())["metrics"]


def test_untrained_evaluator_does_not_rerank(candidate_sets, tiny_backbone_dir, tmp_path):
    """The control: before fine-tuning the same path does not find the right candidates."""
    metrics = _score_and_rerank(str(tiny_backbone_dir), candidate_sets["test"], "untrained", tmp_path / "r.json")
    assert metrics["maj1"] == pytest.approx(0.25)  # by design: 12 of 16 majorities are a wrong guess
    assert metrics["rr_all"] < 0.9 and metrics["rr_majK"] < 0.9, metrics


@pytest.mark.parametrize("loss", ["margin", "xent"])
def test_evaluator_learns_and_reranking_beats_majority(loss, candidate_sets, tiny_backbone_dir, tmp_path, capsys):
    result, data = _train(loss, tiny_backbone_dir, candidate_sets["train"], tmp_path / "run")
    stats = data.stats
    assert stats["val_positives"] and stats["val_negatives"]
    assert stats["train_problems_with_pairs"] == stats["train_problems"] == 72 - stats["val_problems"]
    assert result.metrics["val/auroc"] >= MIN_AUROC, result.metrics
    assert result.checkpoint.endswith(".ckpt")  # the scored model is the exported best checkpoint

    metrics = _score_and_rerank(result.export_dir, candidate_sets["test"], loss, tmp_path / "rerank.json")
    assert "scored 64 of 64 candidates" in capsys.readouterr().out
    with capsys.disabled():
        print(f"\n{loss}: val/auroc={result.metrics['val/auroc']:.3f}; test: " +
              ", ".join(f"{k}={metrics[k]:.3f}" for k in ("maj1", "rr_all", "rr_majK", "pass@N")))
    assert metrics["maj1"] == pytest.approx(0.25)
    assert metrics["rr_all"] >= 0.9 and metrics["rr_majK"] >= 0.9, metrics
