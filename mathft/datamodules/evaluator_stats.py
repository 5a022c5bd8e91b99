"""What an evaluator training set holds, per split, and the checks that it can teach anything at all.

With a weak generator most problems have no correct sample. A margin batch without a (correct, incorrect)
pair has loss exactly 0, and a training set without a correct (or without an incorrect) candidate gives
a model that learns a constant; :func:`check_trainable` turns those cases into an error before any step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from mathft.data.errors import DataError
from mathft.datamodules.evaluator_examples import EvalGroup

__all__ = ["SplitStats", "EvaluatorDataError", "count_split", "check_trainable", "format_stats"]


@dataclass
class SplitStats:
    """Counts of one split (train or val) of the evaluator data.

    Attributes:
        problems: Distinct problems with at least one usable candidate.
        problems_with_pairs: Problems with at least one (correct, incorrect) pair.
        pairs: (correct, incorrect) pairs drawn, at most ``max_pairs`` per problem.
        positives: Candidates graded correct (that fit ``max_length``).
        negatives: Candidates graded incorrect (that fit ``max_length``).
        rows: Rows the split's batches hold (with ``pairs_only``: the paired rows only).
        dropped_too_long: Candidates whose prompt exceeds ``max_length``.
        no_text: Candidates without a solution text.
    """

    problems: int = 0
    problems_with_pairs: int = 0
    pairs: int = 0
    positives: int = 0
    negatives: int = 0
    rows: int = 0
    dropped_too_long: int = 0
    no_text: int = 0

    def flat(self, prefix: str) -> dict[str, int]:
        """``{f"{prefix}_{field}": value}``, the form of ``EvaluatorDataModule.stats``."""
        return {f"{prefix}_{key}": value for key, value in asdict(self).items()}


class EvaluatorDataError(DataError):
    """The evaluator training set cannot teach the loss anything.

    Attributes:
        cause: ``"no_candidate"``, ``"no_positive"``, ``"no_negative"`` or ``"no_pair"``, for callers that
            name their own settings.
    """

    def __init__(self, message: str, cause: str) -> None:
        super().__init__(message)
        self.cause = cause


def count_split(groups: Sequence[EvalGroup], kept: Sequence[EvalGroup], dropped_too_long: int,
                no_text: int) -> SplitStats:
    """Counts of a split from all its groups and the groups its batches keep."""
    rows = [row for group in groups for row in group.rows]
    paired = {group.rows[0].problem_id for group in groups if group.pairs}
    return SplitStats(
        problems=len({row.problem_id for row in rows}),
        problems_with_pairs=len(paired),
        pairs=sum(len(group.pairs) for group in groups),
        positives=sum(row.label == 1.0 for row in rows),
        negatives=sum(row.label == 0.0 for row in rows),
        rows=sum(len(group.rows) for group in kept),
        dropped_too_long=dropped_too_long,
        no_text=no_text,
    )


def check_trainable(train: SplitStats, pairs_only: bool, max_length: int) -> None:
    """Refuse a training split without a correct candidate, an incorrect one, or (margin) a pair.

    Raises:
        EvaluatorDataError: Naming the cause, the counts and what to change.
    """
    graded = train.positives + train.negatives
    too_long = (f"; {train.dropped_too_long} more were dropped as longer than data.max_length={max_length}"
                if train.dropped_too_long else "")
    if graded == 0:
        raise EvaluatorDataError(
            f"data.candidates: no usable training candidate ({train.no_text} without text{too_long}); "
            "give candidates with solution texts, raise data.max_length, or lower data.val_fraction",
            "no_candidate")
    if train.positives == 0:
        raise EvaluatorDataError(
            f"data.candidates: no training candidate is correct (0 of {graded} graded correct{too_long}): "
            "the generator must sometimes be right; sample more candidates per problem, or from a stronger "
            "generator", "no_positive")
    if train.negatives == 0:
        raise EvaluatorDataError(
            f"data.candidates: every training candidate is correct ({graded} of {graded} graded correct"
            f"{too_long}): the evaluator needs wrong ones too; sample more candidates per problem, at a higher "
            "temperature, or on harder problems", "no_negative")
    if pairs_only and train.pairs == 0:
        raise EvaluatorDataError(
            f"data.candidates: no training problem has both a correct and an incorrect candidate ({train.positives}"
            f" correct and {train.negatives} incorrect over {train.problems} problems), so the margin loss has no "
            "pair to learn from; sample more candidates per problem, or train with the cross-entropy loss",
            "no_pair")


def format_stats(stats: dict[str, SplitStats]) -> str:
    """One line summarising every split, e.g. for a pipeline stage's log."""
    parts = []
    for split, s in stats.items():
        parts.append(
            f"{split}: {s.problems} problems ({s.problems_with_pairs} with pairs, {s.pairs} pairs), "
            f"{s.positives} correct / {s.negatives} incorrect, {s.rows} rows in batches, "
            f"{s.dropped_too_long} too long, {s.no_text} without text"
        )
    return "evaluator data: " + "; ".join(parts)
