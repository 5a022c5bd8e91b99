"""The evaluator: the LLM judges a candidate by p("correct") vs p("incorrect") (paper Eq. 5-13)."""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor
from torchmetrics import MaxMetric, MeanMetric, Metric, SumMetric
from torchmetrics.classification import BinaryAUROC

from mathft.modules.backbone import BackboneConfig
from mathft.modules.base import BackboneModule
from mathft.metrics.base import SelectionMetric
from mathft.modules.losses import PairwiseMarginLoss, VerdictLoss, VerdictLossInputs, mle_loss
from mathft.modules.verdict import VerdictLogProbs, VerdictTokens, score_verdicts, verdict_tokens
from mathft.modules.ranks import share_of_problems
from mathft.records import CandidateRecord

__all__ = ["EvaluatorModule"]


def _default_rerank_metric(top_k: int) -> Metric:
    from mathft.metrics import RerankMetrics

    return RerankMetrics(k=top_k)


class EvaluatorModule(BackboneModule):
    """Fine-tunes the LLM as its own solution evaluator and validates it by re-ranking candidates.

    Logs ``train/loss``, ``val/loss``, ``val/pairwise_acc``, ``val/auroc`` and the re-rank metric's keys
    (``val/rr_all``, ``val/rr_majK``, ``val/w_rr_majK``, ...), plus ``val/rr_majK_best`` during fit. The
    names keep the paper's "RR.MajK" with a letter: K is this module's ``top_k`` (a hyper-parameter of the
    run, in ``hparams.yaml``), so checkpoint monitors name the metric alike for every K. ``val/auroc`` is
    NaN when validation holds only one class (it is undefined there, not 0); the pipeline records it as
    ``None`` and checkpoint selection never picks on it.

    Args:
        backbone: The causal LM to fine-tune.
        optimizer: Optimizer factory.
        scheduler: Optional LR scheduler factory.
        loss: Component taking :class:`VerdictLossInputs`; defaults to :class:`PairwiseMarginLoss` (Eq. 8).
            A component with ``requires_mle = True`` (e.g. ``JointLoss``) also gets the MLE term.
        top_k: K of the top-K-cluster re-ranking metrics (used by the default re-rank metric).
        correct_word: Verdict word for correct candidates.
        incorrect_word: Verdict word for incorrect candidates.
        rerank_metric: Selection metric over scored candidates (``update(Sequence[ProblemGroup])``); defaults to
            ``mathft.metrics.RerankMetrics(top_k=top_k)``.
    """

    def __init__(
        self,
        backbone: BackboneConfig,
        optimizer: OptimizerCallable = torch.optim.AdamW,
        scheduler: LRSchedulerCallable | None = None,
        loss: VerdictLoss | None = None,
        top_k: int = 3,
        correct_word: str = "correct",
        incorrect_word: str = "incorrect",
        rerank_metric: SelectionMetric | None = None,
    ) -> None:
        super().__init__(backbone, optimizer, scheduler)
        self.save_hyperparameters(ignore=["loss", "rerank_metric", "optimizer", "scheduler"])
        self.loss = loss if loss is not None else PairwiseMarginLoss()
        self.rerank_metric = rerank_metric if rerank_metric is not None else _default_rerank_metric(top_k)
        self.val_auroc = BinaryAUROC()
        # Class counts decide whether AUROC is defined; summed over ranks, so every rank decides alike.
        self.val_positives, self.val_negatives = SumMetric(), SumMetric()
        self.val_pairwise_acc = MeanMetric()
        self.val_rr_best = MaxMetric()
        # Read from here, not from `hparams`: inside a multi-task module LightningCLI hands the enclosing
        # module's config to every nested `save_hyperparameters`.
        self.verdict_words = (correct_word, incorrect_word)
        self._tokens: VerdictTokens | None = None
        self._val_records: list[CandidateRecord] = []
        self._plottable = False

    @property
    def selection_metric(self) -> Metric | None:
        """The re-rank metric of the last validation (for figures), else ``None``."""
        return self.rerank_metric if self._plottable else None

    @property
    def tokens(self) -> VerdictTokens:
        """The verdict token ids (looked up once)."""
        if self._tokens is None:
            self._tokens = verdict_tokens(self.tokenizer, *self.verdict_words)
        return self._tokens

    @property
    def needs_pairs(self) -> bool:
        """Whether the loss learns only from (correct, incorrect) pairs (``needs_pairs`` of the component)."""
        return bool(getattr(self.loss, "needs_pairs", False))

    def data_settings(self) -> dict[str, Any]:
        """``pairs_only`` for the data module: batches without a pair would be steps with loss 0."""
        return {"pairs_only": self.needs_pairs}

    def score(self, input_ids: Tensor, attention_mask: Tensor) -> VerdictLogProbs:
        """Verdict log-probabilities of right-padded evaluator prompts (last position only)."""
        return score_verdicts(self.model, input_ids, attention_mask, self.tokens)

    def compute_loss(self, batch: dict[str, Any], verdicts: VerdictLogProbs) -> Tensor:
        """The training objective; override to use other model outputs."""
        inputs = VerdictLossInputs(
            log_p_correct=verdicts.correct,
            log_p_incorrect=verdicts.incorrect,
            labels=batch["labels"].float(),
            pair_index=batch["pair_index"],
            mle_loss=self._mle_term(batch) if getattr(self.loss, "requires_mle", False) else None,
        )
        return self.loss(inputs)

    def _mle_term(self, batch: dict[str, Any]) -> Tensor:
        """Eq. 3 on the correct candidates' prompts (problem + solution), for the joint objectives (Eq. 11-13).

        Uses ``batch["lm_labels"]`` when the data layer provides it (e.g. solution tokens only); otherwise
        every non-pad token of the correct rows.
        """
        positive = batch["labels"] > 0.5
        if not positive.any():
            return batch["labels"].sum() * 0.0
        ids, mask = batch["input_ids"][positive], batch["attention_mask"][positive]
        labels = batch["lm_labels"][positive] if "lm_labels" in batch else ids.masked_fill(mask == 0, -100)
        logits = self.model(input_ids=ids, attention_mask=mask, use_cache=False).logits
        return mle_loss(logits, labels)

    def _shared_step(self, batch: dict[str, Any], stage: str) -> Tensor:
        verdicts = self.score(batch["input_ids"], batch["attention_mask"])
        loss = self.compute_loss(batch, verdicts)
        self.log(f"{stage}/loss", loss, prog_bar=True, batch_size=self._batch_size(batch), sync_dist=stage != "train")
        if stage != "train":
            self._update_val_metrics(batch, verdicts.score.detach())
        return loss

    # ---- validation -----------------------------------------------------------------------------------
    def on_validation_epoch_start(self) -> None:
        self._val_records = []
        self._plottable = False

    def _update_val_metrics(self, batch: dict[str, Any], scores: Tensor) -> None:
        labels = batch["labels"].long()
        self.val_auroc.update(scores, labels)
        self.val_positives.update(labels.sum())
        self.val_negatives.update((1 - labels).sum())
        pairs = batch["pair_index"]
        hits = (scores[pairs[:, 0]] > scores[pairs[:, 1]]).float()
        # Always update (weight 0 when the batch has no pairs) so that every rank syncs the metric alike.
        self.val_pairwise_acc.update(hits if hits.numel() else scores.new_zeros(1),
                                     weight=1.0 if hits.numel() else scores.new_zeros(1))
        if "problem_id" not in batch:
            return
        for i, score in enumerate(scores.float().cpu().tolist()):
            self._val_records.append(
                CandidateRecord(
                    problem_id=str(batch["problem_id"][i]),
                    gold=str(batch["gold"][i]),
                    answer=batch["answer"][i],
                    sample_idx=int(batch["sample_idx"][i]),
                    score=score,
                    correct=bool(labels[i]),
                )
            )

    def _auroc(self) -> Tensor:
        """AUROC of the epoch's scores, NaN when one class is missing (torchmetrics would return 0)."""
        positives, negatives = int(self.val_positives.compute()), int(self.val_negatives.compute())
        if positives and negatives:
            return self.val_auroc.compute()
        if not self.trainer.sanity_checking:
            rank_zero_warn(f"val/auroc is undefined (logged as NaN): validation holds {positives} correct and "
                           f"{negatives} incorrect candidates; raise the data's val_fraction")
        return torch.tensor(float("nan"), device=self.device)

    def on_validation_epoch_end(self) -> None:
        self.log_synced("val/auroc", self._auroc())
        for metric in (self.val_auroc, self.val_positives, self.val_negatives):
            metric.reset()
        pairwise = self.val_pairwise_acc.compute()
        if torch.isfinite(pairwise):  # NaN when no validation batch had a pair
            self.log_synced("val/pairwise_acc", pairwise)
        self.val_pairwise_acc.reset()
        if self.trainer.sanity_checking:
            return
        groups, total = share_of_problems(self._val_records, self.trainer, key=lambda r: (r.problem_id, r.sample_idx))
        if total == 0:  # the same on every rank: no rank enters the metric's sync alone
            return
        self.rerank_metric.reset()
        self.rerank_metric.update(groups)  # this rank's share; compute() sums the states over ranks
        self._plottable = True
        for key, value in self.rerank_metric.compute().items():  # rr_all, rr_majK, w_rr_majK, maj1, ...
            self.log_synced(f"val/{key}", value)
            if key == "rr_majK" and self.fitting:
                self.val_rr_best.update(torch.as_tensor(value, dtype=torch.float32))
                self.log_synced("val/rr_majK_best", self.val_rr_best.compute())

    def best_metrics(self) -> dict[str, MaxMetric]:
        """``val/rr_majK_best``, carried across a resume."""
        return {"val/rr_majK_best": self.val_rr_best}
