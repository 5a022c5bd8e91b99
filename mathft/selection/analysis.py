"""The per-problem analysis every selection metric is computed from, graded once.

Grading is the only expensive step of selection, so it happens here and nowhere else: the samples are
clustered once, one representative per cluster is compared with the gold answer (members of a cluster
are equivalent, so they share its verdict), and the greedy answer, if any, is graded once. Every
strategy, vote and curve then works on cluster labels, verdicts and scores only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mathft.records import CandidateRecord, ProblemGroup, RecordError
from mathft.selection.grader import AnswerGrader

__all__ = ["ProblemAnalysis", "analyze_problem", "from_clusters"]

NO_CLUSTER = -1


@dataclass(frozen=True)
class ProblemAnalysis:
    """Clusters, verdicts and scores of one problem's samples (positions are indices into the samples,
    which are in sample-index order).

    Attributes:
        problem_id: The problem's identifier.
        sample_idx: Sample index of each position (ties in score go to the smaller one).
        labels: Cluster of each position (0 = largest cluster) or -1 when it has no answer.
        clusters: Member positions of each cluster, largest first, ties to the earlier first member.
        cluster_correct: Whether each cluster's answer equals the gold answer.
        scores: Evaluator score of each position, or ``None`` when the problem is not scored.
        greedy_correct: Verdict of the greedy candidate, or ``None`` when the problem has none.
    """

    problem_id: str
    sample_idx: tuple[int, ...]
    labels: tuple[int, ...]
    clusters: tuple[tuple[int, ...], ...]
    cluster_correct: tuple[bool, ...]
    scores: tuple[float, ...] | None = None
    greedy_correct: bool | None = None

    @property
    def num_samples(self) -> int:
        """N, the number of samples."""
        return len(self.labels)

    @property
    def correct(self) -> tuple[bool, ...]:
        """Verdict of each sample: its cluster's verdict; a sample without a cluster is wrong."""
        return tuple(label != NO_CLUSTER and self.cluster_correct[label] for label in self.labels)

    @property
    def num_correct(self) -> int:
        """c, the number of correct samples."""
        return sum(len(m) for m, ok in zip(self.clusters, self.cluster_correct, strict=True) if ok)

    def score_order(self) -> list[int]:
        """Positions from best to worst score; equal scores go to the smaller sample index.

        Raises:
            ValueError: When the problem has no scores.
        """
        scores = self.require_scores()
        return sorted(range(self.num_samples), key=lambda p: (-scores[p], self.sample_idx[p]))

    def require_scores(self) -> tuple[float, ...]:
        """The scores, or a ``ValueError`` naming the problem when it has none."""
        if self.scores is None:
            raise ValueError(f"problem {self.problem_id!r} has no evaluator scores")
        return self.scores

    def subset(self, positions: Sequence[int]) -> ProblemAnalysis:
        """The analysis of a subset of the samples, without grading again.

        Clusters are the restrictions of this problem's clusters, re-ranked by their size in the subset
        with ties to the cluster whose first member (in sample order) comes first, the grader's rule.
        """
        keep = sorted(set(positions))
        return from_clusters(
            self.problem_id,
            [self.labels[p] for p in keep],
            self.cluster_correct,
            sample_idx=[self.sample_idx[p] for p in keep],
            scores=None if self.scores is None else [self.scores[p] for p in keep],
            greedy_correct=self.greedy_correct,
        )


def from_clusters(
    problem_id: str,
    labels: Sequence[int],
    cluster_correct: Sequence[bool],
    *,
    sample_idx: Sequence[int] | None = None,
    scores: Sequence[float] | None = None,
    greedy_correct: bool | None = None,
) -> ProblemAnalysis:
    """Build an analysis from cluster labels of any numbering, ranking the clusters by size.

    Args:
        problem_id: The problem's identifier.
        labels: Cluster id of each sample (any ints, -1 for none), in sample order.
        cluster_correct: Verdict of each cluster id.
        sample_idx: Sample index of each sample; defaults to 0..N-1.
        scores: Evaluator score of each sample, if scored.
        greedy_correct: Verdict of the greedy candidate, if any.
    """
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        if label != NO_CLUSTER:
            members.setdefault(label, []).append(position)
    # members is in first-appearance order; the stable sort keeps it among clusters of equal size.
    ranked = sorted(members, key=lambda label: len(members[label]), reverse=True)
    rank = {label: r for r, label in enumerate(ranked)}
    return ProblemAnalysis(
        problem_id=problem_id,
        sample_idx=tuple(range(len(labels)) if sample_idx is None else sample_idx),
        labels=tuple(rank.get(label, NO_CLUSTER) for label in labels),
        clusters=tuple(tuple(members[label]) for label in ranked),
        cluster_correct=tuple(bool(cluster_correct[label]) for label in ranked),
        scores=None if scores is None else tuple(float(s) for s in scores),
        greedy_correct=greedy_correct,
    )


def _sample_scores(problem: ProblemGroup, samples: Sequence[CandidateRecord]) -> tuple[float, ...] | None:
    scored = [c.score for c in samples if c.score is not None]
    if not scored:
        return None
    if len(scored) != len(samples):
        # A partial scoring would make every strategy depend on how missing scores are ranked; refuse.
        raise RecordError(
            f"problem {problem.problem_id!r}: {len(scored)} of {len(samples)} samples have a score; "
            "score all samples of a problem or none"
        )
    return tuple(scored)  # type: ignore[arg-type]


def analyze_problem(problem: ProblemGroup, grader: AnswerGrader) -> ProblemAnalysis:
    """Cluster and grade one problem: one gold comparison per cluster, plus one for the greedy answer.

    Args:
        problem: The problem with its candidates (answers already extracted).
        grader: The equivalence grader.

    Raises:
        RecordError: When only some of the samples carry a score.
    """
    samples = problem.samples
    answers = [c.answer for c in samples]
    clusters = grader.cluster_answers(answers)
    labels = [NO_CLUSTER] * len(samples)
    for label, members in enumerate(clusters):
        for position in members:
            labels[position] = label
    cluster_correct = [grader.is_equivalent(problem.gold, answers[members[0]]) for members in clusters]
    greedy = problem.greedy
    greedy_correct = None
    if greedy is not None:
        greedy_correct = greedy.answer is not None and grader.is_equivalent(problem.gold, greedy.answer)
    return ProblemAnalysis(
        problem_id=problem.problem_id,
        sample_idx=tuple(c.sample_idx for c in samples),
        labels=tuple(labels),
        clusters=tuple(tuple(m) for m in clusters),
        cluster_correct=tuple(bool(ok) for ok in cluster_correct),
        scores=_sample_scores(problem, samples),
        greedy_correct=greedy_correct,
    )
