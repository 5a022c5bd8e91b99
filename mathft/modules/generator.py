"""The solution generator: MLE on solution tokens (paper Eq. 3), validated by decoding and grading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor
from torchmetrics import MaxMetric, Metric

from mathft.modules.backbone import BackboneConfig, is_sharded
from mathft.modules.base import BackboneModule
from mathft.metrics.base import SelectionMetric
from mathft.modules.losses import MLELoss, TokenLoss, TokenLossInputs
from mathft.modules.ranks import share_of_problems
from mathft.records import CandidateRecord

__all__ = ["GenerationSettings", "GeneratorModule"]


@dataclass
class GenerationSettings:
    """How validation decodes.

    Attributes:
        max_new_tokens: Longest generated solution.
        num_samples: N sampled solutions per problem for ``val/maj1@N`` and ``val/pass@N``; 0 disables them.
        sample_every_n_epochs: Sample only every n-th validation epoch (sampling is N times the greedy cost).
        temperature: Sampling temperature (paper: 0.6).
        top_p: Nucleus sampling threshold (paper: 0.95).
        num_logged: How many generations per epoch are kept for the text logger.
    """

    max_new_tokens: int = 256
    num_samples: int = 0
    sample_every_n_epochs: int = 1
    temperature: float = 0.6
    top_p: float = 0.95
    num_logged: int = 4


torch.serialization.add_safe_globals([GenerationSettings])  # stored in checkpoints' hyper-parameters


def _default_sampling_metric() -> Metric:
    from mathft.metrics import SamplingMetrics

    return SamplingMetrics()


def _extract(text: str) -> str | None:
    from mathft.grading import extract_answer

    return extract_answer(text)


class GeneratorModule(BackboneModule):
    """Step-by-step solution fine-tuning (SSFT) of a causal LM.

    Logs ``train/loss``, ``val/loss``, ``val/pass@1`` (greedy), ``val/pass@1_best`` (during fit only) and, on
    sampling epochs, ``val/maj1@N``, ``val/pass@N`` and ``val/majK@N`` (K < N) with N and K as numbers.
    ``trainer.test`` logs the same under ``test/`` (sampling whenever ``num_samples`` > 0).

    Args:
        backbone: The causal LM to fine-tune.
        optimizer: Optimizer factory.
        scheduler: Optional LR scheduler factory (stepped per optimizer step).
        loss: Token-level loss component taking :class:`TokenLossInputs`; defaults to :class:`MLELoss`.
        generation: Decoding settings of validation.
        val_metric: Selection metric over the validation samples (``update(Sequence[ProblemGroup])``,
            ``curve_by_k``); defaults to ``mathft.metrics.SamplingMetrics()``.
    """

    def __init__(
        self,
        backbone: BackboneConfig,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
        loss: TokenLoss | None = None,
        generation: GenerationSettings | None = None,
        val_metric: SelectionMetric | None = None,
    ) -> None:
        super().__init__(backbone, optimizer, scheduler)
        self.save_hyperparameters(ignore=["loss", "val_metric", "optimizer", "scheduler"])
        self.loss = loss if loss is not None else MLELoss()
        self.generation = generation or GenerationSettings()
        self.val_metric = val_metric if val_metric is not None else _default_sampling_metric()
        self.val_pass1_best = MaxMetric()
        self.val_generations: list[dict[str, Any]] = []
        self._decoded: list[CandidateRecord] = []
        self._plottable = False

    @property
    def selection_metric(self) -> Metric | None:
        """The metric of the last validation when it saw samples (for figures), else ``None``."""
        return self.val_metric if self._plottable else None

    # ---- training -------------------------------------------------------------------------------------
    def compute_loss(self, batch: dict[str, Any], logits: Tensor) -> Tensor:
        """The training objective; override to use other model outputs."""
        return self.loss(TokenLossInputs(logits=logits, labels=batch["labels"]))

    def _shared_step(self, batch: dict[str, Any], stage: str) -> Tensor:
        inputs = {"input_ids": batch["input_ids"]}
        for key in ("attention_mask", "position_ids"):  # packed batches carry position_ids, no mask
            if key in batch:
                inputs[key] = batch[key]
        logits = self.model(**inputs, use_cache=False).logits
        loss = self.compute_loss(batch, logits)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=self._batch_size(batch), sync_dist=stage != "train")
        return loss

    # ---- validation and test: loss, then greedy (and sampled) decoding graded against the gold ---------
    def on_validation_epoch_start(self) -> None:
        self._start_decoding()

    def on_test_epoch_start(self) -> None:
        self._start_decoding()

    def _start_decoding(self) -> None:
        self._decoded = []
        self._plottable = False
        self.val_generations = []

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._eval_step(batch, "val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> Tensor:
        return self._eval_step(batch, "test")

    def _eval_step(self, batch: dict[str, Any], stage: str) -> Tensor:
        loss = self._shared_step(batch, stage)
        if "prompt_input_ids" in batch and not self.trainer.sanity_checking:
            self._decode(batch)
        return loss

    def _sampling_epoch(self) -> bool:
        g = self.generation
        if g.num_samples <= 0:
            return False
        testing = self._trainer is not None and self.trainer.testing
        return testing or (self.current_epoch + 1) % max(g.sample_every_n_epochs, 1) == 0

    @torch.no_grad()
    def _decode(self, batch: dict[str, Any]) -> None:
        greedy = self._generate(batch, do_sample=False, num_return_sequences=1)
        self._collect(batch, greedy, 1, greedy=True)
        if self._sampling_epoch():
            n = self.generation.num_samples
            samples = self._generate(batch, do_sample=True, num_return_sequences=n)
            self._collect(batch, samples, n, greedy=False)

    def _generate(self, batch: dict[str, Any], *, do_sample: bool, num_return_sequences: int) -> list[str]:
        g, tok = self.generation, self.tokenizer
        prompt = batch["prompt_input_ids"]
        kwargs: dict[str, Any] = {"do_sample": do_sample, "num_return_sequences": num_return_sequences}
        if do_sample:
            kwargs.update(temperature=g.temperature, top_p=g.top_p, top_k=0)
        out = self.model.generate(
            input_ids=prompt,
            attention_mask=batch["prompt_attention_mask"],
            max_new_tokens=g.max_new_tokens,
            pad_token_id=tok.pad_token_id,
            eos_token_id=tok.eos_token_id,
            # Under FSDP every rank must run the same number of forward passes (they all-gather weights).
            synced_gpus=is_sharded(self.model) and self.trainer.world_size > 1,
            **kwargs,
        )
        return tok.batch_decode(out[:, prompt.size(1) :], skip_special_tokens=True)

    def _collect(self, batch: dict[str, Any], texts: list[str], n: int, *, greedy: bool) -> None:
        for i, text in enumerate(texts):
            row, sample_idx = divmod(i, n)
            record = CandidateRecord(
                problem_id=str(batch["problem_id"][row]),
                gold=str(batch["gold"][row]),
                text=text,
                answer=_extract(text),
                sample_idx=sample_idx,
                greedy=greedy,
                problem=batch["problem"][row] if "problem" in batch else None,
            )
            self._decoded.append(record)
            if greedy and len(self.val_generations) < self.generation.num_logged:
                self.val_generations.append({"problem": record.problem, "gold": record.gold, "text": text,
                                             "answer": record.answer})

    def on_validation_epoch_end(self) -> None:
        values = self._log_decoded("val")
        if "pass@1" in values and self.fitting:
            self.val_pass1_best.update(torch.as_tensor(values["pass@1"], dtype=torch.float32))
            self.log_synced("val/pass@1_best", self.val_pass1_best.compute())

    def on_test_epoch_end(self) -> None:
        self._log_decoded("test")

    def _log_decoded(self, stage: str) -> dict[str, Tensor]:
        """Grade this epoch's decodes and log ``<stage>/pass@1`` (and the sampled metrics); returns the values."""
        if self.trainer.sanity_checking:
            return {}
        groups, total = share_of_problems(self._decoded, self.trainer,
                                          key=lambda r: (r.problem_id, r.greedy, r.sample_idx))
        if total == 0:  # the same on every rank: no rank enters the metric's sync alone
            return {}
        self.val_metric.reset()
        self.val_metric.update(groups)
        values = self.val_metric.compute()  # sums states over ranks: every problem counted once
        self._plottable = self._sampling_epoch()
        for key, name in self._logged_names().items():
            if key in values:
                self.log_synced(f"{stage}/{name}", values[key])
        return values

    def _logged_names(self) -> dict[str, str]:
        """Metric keys to log names, with N (and K) as numbers: ``pass@8``, ``maj1@8``, ``maj4@8``.

        MajK@N needs K < N: N samples make at most N clusters, so with K >= N all are kept and it is Pass@N.
        """
        names = {"pass@1": "pass@1"}
        if self._sampling_epoch():
            n, k = self.generation.num_samples, getattr(self.val_metric, "k", None)
            names.update({"pass@N": f"pass@{n}", "maj1@N": f"maj1@{n}"})
            if isinstance(k, int) and k < n:
                names["majK@N"] = f"maj{k}@{n}"
        return names

    def best_metrics(self) -> dict[str, MaxMetric]:
        """``val/pass@1_best``, carried across a resume."""
        return {"val/pass@1_best": self.val_pass1_best}
