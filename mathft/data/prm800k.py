"""Readers for PRM800K (Lightman et al. 2023): the MATH splits and the step-labelled phase files.

``math_splits/{train,test}.jsonl`` rows hold ``problem``, ``solution``, ``answer``, ``subject``, ``level``
and ``unique_id``. Each line of ``phase1_train.jsonl``/``phase2_train.jsonl`` is one labelled solution::

    {"question": {"problem": ..., "ground_truth_answer": ..., "pre_generated_steps": [...], ...},
     "label": {"steps": [{"completions": [{"text", "rating", "flagged"}], "human_completion": ...,
                          "chosen_completion": 0}, ...],
               "finish_reason": "solution" | "found_error" | "give_up" | "bad_problem"}, ...}

The trajectory is ``completions[chosen_completion].text`` per step, or the human completion when
``chosen_completion`` is null; its last step reads ``"# Answer\\n\\n<answer>"``. Optional keys may be
missing; a trajectory that cannot be reconstructed is skipped, never guessed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mathft.data.errors import DataError
from mathft.data.jsonl import get_field, iter_jsonl
from mathft.data.problem import Problem
from mathft.data.rows import problem_from_row

__all__ = ["DROP_REASONS", "PhaseStats", "read_prm800k_split", "read_prm800k_phase", "trajectory_steps"]

# Why read_prm800k_phase leaves a line out (the counting fields of PhaseStats).
DROP_REASONS = ("unfinished", "wrong_answer", "negative_step", "duplicates")


def read_prm800k_split(path: str | Path) -> list[Problem]:
    """Read a PRM800K ``math_splits`` JSONL file (MATH problems with MATH-style solutions)."""
    path = Path(path)
    return [
        problem_from_row(row, f"{path}:{n}", default_id=f"{path.stem}/{n}", source="prm800k", style="math")
        for n, row in iter_jsonl(path)
    ]


@dataclass
class PhaseStats:
    """What :func:`read_prm800k_phase` kept and why it dropped the rest."""

    lines: int = 0
    kept: int = 0
    unfinished: int = 0  # no reconstructible trajectory ending in "# Answer"
    wrong_answer: int = 0
    negative_step: int = 0
    duplicates: int = 0

    def dropped(self) -> dict[str, int]:
        """``{reason: count}`` of the lines left out, by reason (zero counts included), in a fixed order."""
        return {reason: getattr(self, reason) for reason in DROP_REASONS}


def read_prm800k_phase(
    path: str | Path, *, require_no_negative_steps: bool = False, stats: PhaseStats | None = None
) -> list[Problem]:
    """Turn a PRM800K phase file into PRM800K-style SSFT examples with a correct final answer.

    Each kept example is the labelled trajectory, one step per line, ending ``# Answer\\n\\n<answer>``;
    it is kept only if ``is_equivalent(ground_truth_answer, answer)``. Identical (problem, solution) pairs
    are kept once.

    Args:
        path: A ``phase{1,2}_{train,test}.jsonl`` file.
        require_no_negative_steps: Also drop trajectories with a chosen step rated -1.
        stats: Filled with counts of kept and dropped lines, if given.

    Raises:
        DataError: On a malformed line, naming file, line and field.
    """
    path = Path(path)
    stats = stats if stats is not None else PhaseStats()
    seen: set[tuple[str, str]] = set()
    out: list[Problem] = []
    for number, row in iter_jsonl(path):
        stats.lines += 1
        example = _example_from_line(row, f"{path}:{number}", require_no_negative_steps, stats)
        if example is None:
            continue
        key = (example.problem.strip(), example.solution.strip())
        if key in seen:
            stats.duplicates += 1
            continue
        seen.add(key)
        out.append(example)
    stats.kept = len(out)
    return out


def trajectory_steps(label: Mapping[str, Any], where: str) -> list[tuple[str, int | None]] | None:
    """The chosen ``(text, rating)`` of every step, or ``None`` where the trajectory breaks off.

    Raises:
        DataError: When ``label.steps`` or a step is malformed.
    """
    steps = get_field(label, "steps", (list,), f"{where}: label")
    out: list[tuple[str, int | None]] = []
    for i, step in enumerate(steps):
        at = f"{where}: label.steps[{i}]"
        if not isinstance(step, dict):
            raise DataError(f"{at}: expected an object, got {type(step).__name__}")
        chosen = get_field(step, "chosen_completion", (int,), at, required=False)
        if chosen is None:
            human = _human_text(step.get("human_completion"), at)
            if human is None:
                return None  # e.g. phase 2 stops at the first error with nothing chosen
            out.append((human, None))
            continue
        completions = get_field(step, "completions", (list,), at)
        if not 0 <= chosen < len(completions) or not isinstance(completions[chosen], dict):
            raise DataError(f"{at}: field 'chosen_completion' = {chosen} does not index 'completions'")
        completion = completions[chosen]
        text = get_field(completion, "text", (str,), f"{at}.completions[{chosen}]")
        out.append((text, get_field(completion, "rating", (int,), f"{at}.completions[{chosen}]", required=False)))
    return out


def _human_text(human: Any, at: str) -> str | None:
    # The README shows a string; the released files hold an object with "text". Accept both.
    if human is None or isinstance(human, str):
        return human
    if isinstance(human, dict):
        return get_field(human, "text", (str,), f"{at}.human_completion", required=False)
    raise DataError(f"{at}: field 'human_completion' must be a string or an object, got {type(human).__name__}")


def _example_from_line(
    row: Mapping[str, Any], where: str, require_no_negative_steps: bool, stats: PhaseStats
) -> Problem | None:
    from mathft.grading import extract_answer, is_equivalent

    question = get_field(row, "question", (dict,), where)
    label = get_field(row, "label", (dict,), where)
    problem = get_field(question, "problem", (str,), f"{where}: question")
    gold = get_field(question, "ground_truth_answer", (str, int, float), f"{where}: question")
    steps = trajectory_steps(label, where)
    text = "\n".join(t.strip() for t, _ in steps) if steps else ""
    answer = extract_answer(text) if "# Answer" in text else None
    if answer is None:
        stats.unfinished += 1
        return None
    if require_no_negative_steps and any(r is not None and r < 0 for _, r in steps or []):
        stats.negative_step += 1
        return None
    if not is_equivalent(str(gold), answer):
        stats.wrong_answer += 1
        return None
    pid = question.get("unique_id") or "prm800k/" + hashlib.sha1(problem.strip().encode()).hexdigest()[:16]
    return Problem(
        id=str(pid), problem=problem, solution=text, answer=str(gold), level=None, subject=None,
        style="prm800k", source="prm800k",
    )
