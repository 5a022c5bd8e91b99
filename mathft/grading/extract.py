"""Finding the final answer in a solution text.

Order of preference: the content of the last ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces, or the
unbraced ``\\boxed 5``), then PRM800K's ``# Answer`` block, then Minerva-style phrasings ("The final
answer is $X$. I hope it is correct."). Every step is a constant number of linear scans, so a hostile
100k-character solution costs a few milliseconds.
"""

from __future__ import annotations

import re

__all__ = ["extract_answer"]

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_ANSWER_HEADER = "# Answer"
_PHRASES = ("the final answer is", "the answer is")
_SUFFIX = "i hope it is correct"


def _matching_braces(text: str) -> dict[int, int]:
    """Position of the closing brace for every opening brace that has one (one left-to-right pass)."""
    stack: list[int] = []
    closes: dict[int, int] = {}
    escaped = False
    for pos, ch in enumerate(text):
        if escaped:  # \{ and \} are set braces, not grouping
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "{":
            stack.append(pos)
        elif ch == "}" and stack:
            closes[stack.pop()] = pos
    return closes


def _boxed(text: str) -> str | None:
    starts = [m.end() for m in _BOX.finditer(text)]
    if not starts:
        return None
    closes = _matching_braces(text) if "{" in text else {}
    for start in reversed(starts):  # the last well-formed, non-empty box wins
        pos = start
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos < len(text) and text[pos] == "{":
            end = closes.get(pos)
            content = text[pos + 1 : end].strip() if end is not None else ""
        else:  # \boxed 5: up to the end of the math, line or sentence
            content = re.split(r"[$\n]", text[pos : pos + 1000], maxsplit=1)[0].strip().rstrip(".")
        if content:
            return content
    return None


def _prm800k(text: str) -> str | None:
    at = text.rfind(_ANSWER_HEADER)
    if at < 0:
        return None
    rest = text[at + len(_ANSWER_HEADER) :].lstrip("\n").strip()
    block = rest.split("\n\n", 1)[0].strip()
    return block or None


def _without_suffix(line: str) -> str:
    """Drop Minerva's "I hope it is correct." (a plain suffix test: no regex scanning of long lines)."""
    stripped = line.rstrip().removesuffix(".")
    if stripped.lower().endswith(_SUFFIX):
        return stripped[: -len(_SUFFIX)]
    return line


def _phrased(text: str) -> str | None:
    lowered = text.lower()
    for phrase in _PHRASES:
        at = lowered.rfind(phrase)
        if at >= 0:
            line = text[at + len(phrase) : at + len(phrase) + 2000].split("\n", 1)[0]
            answer = _without_suffix(line).strip().removeprefix(":").strip()
            answer = answer.rstrip(".").strip().strip("$").strip().rstrip(".").strip()
            if answer:
                return answer
    return None


def extract_answer(text: str) -> str | None:
    """The final answer written in a solution, or None when it states none.

    Args:
        text: A full solution (model output or dataset solution).

    Returns:
        The answer's text (LaTeX, without the box), stripped; None when no answer is found.
    """
    if not text:
        return None
    for finder in (_boxed, _prm800k, _phrased):
        answer = finder(text)
        if answer is not None:
            return answer
    return None
