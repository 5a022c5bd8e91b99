"""Problem builders for the metric tests (a uniquely named module: ``conftest`` is not importable
reliably when several test directories have one)."""

from __future__ import annotations

from collections.abc import Sequence

from mathft.records import CandidateRecord, ProblemGroup


def build_problem(
    problem_id: str, gold: str, answers: Sequence[str | None], scores: Sequence[float] | None, greedy: str | None
) -> ProblemGroup:
    """Samples with sample_idx 0..N-1, plus a greedy candidate when ``greedy`` is given."""
    candidates = [
        CandidateRecord(problem_id, gold, answer=a, sample_idx=i, score=None if scores is None else scores[i])
        for i, a in enumerate(answers)
    ]
    if greedy is not None:
        candidates.append(CandidateRecord(problem_id, gold, answer=greedy, greedy=True))
    return ProblemGroup(problem_id, gold, candidates)


def many_problems(count: int = 12) -> list[ProblemGroup]:
    """A deterministic mix of problems for the sync test (varied N, clusters, ties and greedy)."""
    out = []
    for p in range(count):
        n = 3 + p % 5
        answers = [str((p + 2 * i) % 3) if (p + i) % 4 else None for i in range(n)]
        scores = [((p * 7 + i * 3) % 10) / 10 for i in range(n)]
        out.append(build_problem(f"q{p}", str(p % 3), answers, scores, str(p % 2) if p % 3 == 0 else None))
    return out
