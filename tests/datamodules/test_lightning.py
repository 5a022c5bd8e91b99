"""The datamodules inside a real Trainer loop (a throwaway module; the real ones live in mathft.modules)."""

from __future__ import annotations

import lightning as L
import pytest
import torch
from lightning.pytorch.loggers import CSVLogger

from mathft.datamodules import EvaluatorDataModule, SSFTDataModule


class _LM(L.LightningModule):
    def __init__(self, model_dir: str) -> None:
        super().__init__()
        from transformers import AutoModelForCausalLM

        self.model = AutoModelForCausalLM.from_pretrained(model_dir)

    def training_step(self, batch, _):
        inputs = {k: batch[k] for k in ("input_ids", "attention_mask", "position_ids", "labels") if k in batch}
        loss = self.model(**inputs, use_cache=False).loss
        self.log("train/loss", loss)
        return loss

    def validation_step(self, batch, _):
        assert batch["prompt_input_ids"].shape[0] == len(batch["gold"])
        self.log("val/loss", self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                        labels=batch["labels"]).loss)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


@pytest.mark.parametrize("batching", ["bucket", "pack"])
def test_ssft_fit_logs_data_stats(synth_dir, synth_model_dir, tmp_path, batching):
    dm = SSFTDataModule([str(synth_dir / "train.prm800k.jsonl")], tokenizer=str(synth_model_dir), batching=batching,
                        batch_size=4, max_length=200, val_max_problems=4)
    trainer = L.Trainer(max_steps=2, limit_val_batches=1, accelerator="cpu", logger=CSVLogger(tmp_path),
                        log_every_n_steps=1, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False)
    trainer.fit(_LM(str(synth_model_dir)), datamodule=dm)
    metrics = (tmp_path / "lightning_logs" / "version_0" / "metrics.csv").read_text()
    assert "data/padding_fraction" in metrics and "train/loss" in metrics


class _Scorer(L.LightningModule):
    def __init__(self, model_dir: str) -> None:
        super().__init__()
        from transformers import AutoModelForCausalLM

        self.model = AutoModelForCausalLM.from_pretrained(model_dir)

    def training_step(self, batch, _):
        logits = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        last = logits[torch.arange(len(logits)), batch["attention_mask"].sum(1) - 1]
        ids = self.trainer.datamodule.verdict
        score = last[:, ids.correct_ids[0]] - last[:, ids.incorrect_ids[0]]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(score, batch["labels"])
        pairs = batch["pair_index"]
        if len(pairs):
            loss = loss + torch.relu(1 - score[pairs[:, 0]] + score[pairs[:, 1]]).mean()
        return loss

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=0.01)


def test_evaluator_fit(synth_dir, synth_model_dir, tmp_path):
    from mathft.data.sources import read_problems
    from mathft.data.store import CandidateStore
    from mathft.records import CandidateRecord

    problems = read_problems(synth_dir / "train.math.jsonl")[:6]
    CandidateStore(tmp_path / "c").append(
        CandidateRecord(problem_id=p.id, gold=p.answer, text=text, sample_idx=k, problem=p.problem)
        for p in problems for k, text in enumerate([p.solution, "$\\boxed{12345}$"])
    )
    dm = EvaluatorDataModule([str(tmp_path / "c")], tokenizer=str(synth_model_dir), batch_size=4, val_fraction=0.0)
    trainer = L.Trainer(max_steps=2, accelerator="cpu", logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0)
    trainer.fit(_Scorer(str(synth_model_dir)), datamodule=dm)
    assert trainer.global_step == 2


@pytest.mark.parametrize("cls", [SSFTDataModule, EvaluatorDataModule])
def test_init_args_parse_from_yaml(cls):
    """LightningCLI builds the datamodules from ``class_path``/``init_args``: every argument is typed."""
    from jsonargparse import ArgumentParser

    parser = ArgumentParser()
    parser.add_class_arguments(cls, "data")
    first = "train_files" if cls is SSFTDataModule else "candidates"
    yaml = f"data:\n  {first}: [a.jsonl]\n  tokenizer: tok\n  batch_size: 3\n  seed: 4\n"
    cfg = parser.parse_string(yaml)
    assert cfg.data[first] == ["a.jsonl"] and cfg.data.batch_size == 3
    with pytest.raises(SystemExit):  # jsonargparse reports the bad key and exits, as the CLI would
        parser.parse_string(yaml.replace("seed: 4", "seed: four"))
