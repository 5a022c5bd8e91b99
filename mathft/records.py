"""Plain record types shared by the data, selection, metrics and module layers.

A *candidate* is one sampled (or greedy) solution to one problem; a *problem group* gathers the candidates
of one problem with its gold answer. These are the rows of the candidate store and of
`mathft rerank --candidates FILE.jsonl`, one JSON object per line::

    {"problem_id": "p1", "gold": "\\frac{3}{4}", "text": "... \\boxed{0.75}", "answer": "0.75",
     "sample_idx": 0, "score": 0.91, "greedy": false}

Only ``problem_id`` and ``gold`` are required, plus ``text`` or ``answer``; everything else is optional.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mathft.jsonl import iter_jsonl

__all__ = [
    "CandidateRecord",
    "ProblemGroup",
    "RecordError",
    "record_from_json",
    "record_to_json",
    "group_problems",
    "read_records",
]

# Keys with a meaning of their own; anything else in a line is kept verbatim in ``CandidateRecord.meta``
# (model, checkpoint, temperature, ...) so that no information is lost on a read/write round trip.
_KNOWN_KEYS = frozenset(
    {"problem_id", "gold", "text", "answer", "sample_idx", "score", "scores", "greedy", "correct", "problem"}
)


class RecordError(ValueError):
    """A candidate record is malformed; the message names the file, the line and the field."""


@dataclass(frozen=True)
class CandidateRecord:
    """One candidate solution of one problem.

    Attributes:
        problem_id: Identifier of the problem the candidate answers.
        gold: The ground-truth final answer of the problem.
        text: The full solution text, if stored.
        answer: The extracted final answer; ``None`` when the solution has none.
        sample_idx: Position of the candidate among the problem's samples (ties in scores go to the
            smaller index).
        score: Evaluator score in [0, 1] used for re-ranking, if any.
        greedy: Whether this candidate was decoded greedily (used for pass@1).
        correct: Stored correctness verdict, if the writer graded it.
        problem: The problem statement, if stored.
        scores: Scores from several named evaluators, if any.
        meta: Every other key of the source line (model, checkpoint, sampling settings, ...).
    """

    problem_id: str
    gold: str
    text: str | None = None
    answer: str | None = None
    sample_idx: int = 0
    score: float | None = None
    greedy: bool = False
    correct: bool | None = None
    problem: str | None = None
    scores: Mapping[str, float] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class ProblemGroup:
    """All candidates of one problem, in sample order."""

    problem_id: str
    gold: str
    candidates: list[CandidateRecord]

    @property
    def samples(self) -> list[CandidateRecord]:
        """The non-greedy candidates (the N samples)."""
        return [c for c in self.candidates if not c.greedy]

    @property
    def greedy(self) -> CandidateRecord | None:
        """The greedy candidate, if the problem has one."""
        return next((c for c in self.candidates if c.greedy), None)


def _where(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


def _field(obj: Mapping[str, Any], key: str, types: tuple[type, ...], where: str, *, required: bool) -> Any:
    if key not in obj or obj[key] is None:
        if required:
            raise RecordError(f"{where}: missing required field {key!r}")
        return None
    value = obj[key]
    # bool is an int subclass; a sample index or score given as true/false is a bug in the writer.
    if isinstance(value, bool) and bool not in types:
        raise RecordError(f"{where}: field {key!r} must be {'/'.join(t.__name__ for t in types)}, got bool")
    if not isinstance(value, types):
        expected = "/".join(t.__name__ for t in types)
        raise RecordError(f"{where}: field {key!r} must be {expected}, got {type(value).__name__}: {value!r:.80}")
    return value


def record_from_json(
    obj: Any,
    *,
    source: str = "<record>",
    line: int | None = None,
    default_sample_idx: int = 0,
    extract: Callable[[str], str | None] | None = None,
) -> CandidateRecord:
    """Validate one decoded JSON object and turn it into a :class:`CandidateRecord`.

    Args:
        obj: The decoded JSON value of one line.
        source: File name used in error messages.
        line: 1-based line number used in error messages.
        default_sample_idx: Sample index to use when the line has none (its order within the problem).
        extract: Answer extractor (e.g. ``mathft.grading.extract_answer``) applied to ``text`` when the
            line has *no* ``answer`` key. An explicit ``"answer": null`` means "no answer" and is kept:
            only here is the difference between the two still known.

    Raises:
        RecordError: Naming the file, line and field when the object is malformed.
    """
    where = _where(source, line)
    if not isinstance(obj, Mapping):
        raise RecordError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    problem_id = _field(obj, "problem_id", (str, int), where, required=True)
    gold = _field(obj, "gold", (str, int, float), where, required=True)
    text = _field(obj, "text", (str,), where, required=False)
    answer = _field(obj, "answer", (str, int, float), where, required=False)
    if text is None and "answer" not in obj:
        raise RecordError(f"{where}: a record needs 'text' or 'answer' (answer may be null)")
    for key, value in (("gold", gold), ("answer", answer)):
        # json reads NaN and Infinity; str() would turn them into answers "nan"/"inf" that grade as equal.
        if isinstance(value, float) and not math.isfinite(value):
            raise RecordError(f"{where}: field {key!r} must be a string or finite number, got {value!r}")
    sample_idx = _field(obj, "sample_idx", (int,), where, required=False)
    score = _field(obj, "score", (int, float), where, required=False)
    if score is not None and not math.isfinite(score):
        raise RecordError(f"{where}: field 'score' must be finite, got {score!r}")
    greedy = _field(obj, "greedy", (bool,), where, required=False)
    correct = _field(obj, "correct", (bool,), where, required=False)
    problem = _field(obj, "problem", (str,), where, required=False)
    if "answer" not in obj and text is not None and extract is not None:
        answer = extract(text)
    scores = _field(obj, "scores", (dict,), where, required=False) or {}
    for name, value in scores.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RecordError(f"{where}: field 'scores.{name}' must be a finite number, got {value!r:.80}")
    return CandidateRecord(
        problem_id=str(problem_id),
        gold=str(gold),
        text=text,
        answer=None if answer is None else str(answer),
        sample_idx=default_sample_idx if sample_idx is None else sample_idx,
        score=None if score is None else float(score),
        greedy=bool(greedy),
        correct=correct,
        problem=problem,
        scores={str(k): float(v) for k, v in scores.items()},
        meta={k: v for k, v in obj.items() if k not in _KNOWN_KEYS},
    )


def record_to_json(record: CandidateRecord) -> dict[str, Any]:
    """The JSON object for one record (inverse of :func:`record_from_json`)."""
    out: dict[str, Any] = dict(record.meta)
    out.update(problem_id=record.problem_id, gold=record.gold, answer=record.answer, sample_idx=record.sample_idx)
    for key in ("text", "score", "correct", "problem"):
        value = getattr(record, key)
        if value is not None:
            out[key] = value
    if record.greedy:
        out["greedy"] = True
    if record.scores:
        out["scores"] = dict(record.scores)
    return out


def read_records(
    path: str | Path, *, extract: Callable[[str], str | None] | None = None
) -> Iterator[CandidateRecord]:
    """Read candidate records from a JSONL file, validating every line.

    Blank lines are skipped. A line without ``sample_idx`` gets its order within its problem.

    Args:
        path: The JSONL file.
        extract: Answer extractor for lines that have ``text`` but no ``answer`` key
            (see :func:`record_from_json`).

    Raises:
        RecordError: On the first malformed line, naming the file and line.
    """
    seen: dict[str, int] = {}
    for number, obj in iter_jsonl(path, error=RecordError):
        pid = str(obj.get("problem_id"))
        record = record_from_json(
            obj, source=str(path), line=number, default_sample_idx=seen.get(pid, 0), extract=extract
        )
        seen[record.problem_id] = seen.get(record.problem_id, 0) + 1
        yield record


def group_problems(records: Iterable[CandidateRecord]) -> list[ProblemGroup]:
    """Group records by problem, keeping first-appearance order of problems and sorting by sample index.

    Raises:
        RecordError: When one problem has two different gold answers or a repeated sample index.
    """
    groups: dict[str, ProblemGroup] = {}
    for record in records:
        group = groups.get(record.problem_id)
        if group is None:
            groups[record.problem_id] = ProblemGroup(record.problem_id, record.gold, [record])
            continue
        if record.gold != group.gold:
            raise RecordError(
                f"problem {record.problem_id!r}: conflicting gold answers {group.gold!r} and {record.gold!r}"
            )
        group.candidates.append(record)
    for group in groups.values():
        group.candidates.sort(key=lambda c: (c.greedy, c.sample_idx))
        indices = [c.sample_idx for c in group.candidates if not c.greedy]
        if len(indices) != len(set(indices)):
            raise RecordError(f"problem {group.problem_id!r}: repeated sample_idx among its candidates")
    return list(groups.values())
