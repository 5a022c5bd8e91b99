"""Clock times: ``\\text{9:15 a.m.}``, ``9:15 \\text{ a.m.}``, ``9:15am``, ``21:15``, ``9:15``, ``9:15 in the evening``.

A clock time is read into the minutes of the day it can denote. A time with a meridiem (``a.m.``,
``p.m.``, ``noon``, ``midnight``) or an hour over 12 denotes one minute; a bare ``9:15`` denotes both
9:15 a.m. and 9:15 p.m., because a problem's wording usually settles which and an answer that leaves it
out answers the question asked (``\\text{9:15 a.m.}`` equals ``9:15``). Two times are equal when they can
denote the same minute, so ``9:15`` never equals ``9:51`` and ``9:15 a.m.`` never equals ``9:15 p.m.``.

Only an answer that is a time and nothing else is read as one: ``h:mm`` needs two digits of minutes
(``3:8`` stays a ratio), and a bare hour needs a meridiem (``9 a.m.``; a bare ``9`` stays a number).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ClockTime", "read_clock"]

_WRAPPER = re.compile(r"\\(?:text|textrm|textnormal|textup|textsf|mathrm|mbox|hbox)\s*\{")
_SPACING = re.compile(r"\\[,;:! ]|~|\\q?quad(?![a-zA-Z])")
_MATH_MARKS = re.compile(r"\$|\\[()\[\]]")
_TIME = re.compile(
    r"(?:[a-z]\s*=\s*)?(?P<hour>\d{1,2})(?:\s*:\s*(?P<minute>\d{2}))?\s*"
    r"(?P<meridiem>[ap]\.?\s*m\.?|noon|midnight|o'?\s*clock"
    r"|in\s+the\s+(?:morning|afternoon|evening)|at\s+night)?\s*\.?",
    re.IGNORECASE,
)
_SPOKEN = {"inthemorning": "am", "intheafternoon": "pm", "intheevening": "pm", "atnight": "pm"}
_MAX_LENGTH = 60  # "\text{12:30 p.m.}" and friends; anything longer is not a bare time


@dataclass(frozen=True)
class ClockTime:
    """A clock time read from an answer.

    Attributes:
        minutes: The minutes of the day (0-1439) the answer can denote: one, or two for a bare ``9:15``.
        canonical: A normalized spelling (``9:15am``, ``9:15pm``, ``9:15``) used as its cache key.
        meridiem: Whether the answer says ``a.m.``/``p.m.``/``noon``/``midnight``; without one, ``10:15`` may
            also be a ratio (the grader then keeps its reading as ``10/15`` for answers that are not times).
    """

    minutes: frozenset[int]
    canonical: str
    meridiem: bool = False

    def same_time(self, other: ClockTime) -> bool:
        """Whether the two answers can denote the same minute of the day."""
        return bool(self.minutes & other.minutes)


def _cleaned(answer: str) -> str:
    text = _MATH_MARKS.sub(" ", _SPACING.sub(" ", _WRAPPER.sub("", answer)))
    return text.replace("{", "").replace("}", "").strip()


def read_clock(answer: str) -> ClockTime | None:
    """The clock time ``answer`` states, or None when it is not (only) a clock time."""
    if len(answer) > _MAX_LENGTH or (":" not in answer and "m" not in answer.lower() and "clock" not in answer.lower()):
        return None  # the common case (numbers, fractions) costs one scan
    match = _TIME.fullmatch(_cleaned(answer))
    if match is None or (match["minute"] is None and match["meridiem"] is None):
        return None
    hour, minute = int(match["hour"]), int(match["minute"] or 0)
    meridiem = (match["meridiem"] or "").lower().replace(".", "").replace(" ", "").replace("'", "")
    meridiem = _SPOKEN.get(meridiem, meridiem)
    if minute > 59 or hour > 24 or (hour == 24 and minute):
        return None
    return _time(hour % 24 if hour == 24 else hour, minute, meridiem)


def _time(hour: int, minute: int, meridiem: str) -> ClockTime | None:
    if meridiem in ("am", "pm", "noon", "midnight"):
        if not 1 <= hour <= 12 or (meridiem in ("noon", "midnight") and (hour, minute) != (12, 0)):
            return None
        afternoon = meridiem in ("pm", "noon")
        total = (hour % 12 + (12 if afternoon else 0)) * 60 + minute
        return ClockTime(frozenset({total}), _spelling(total), meridiem=True)
    if 1 <= hour <= 12:  # 9:15 or 9 o'clock: morning or evening, the problem says which
        morning = (hour % 12) * 60 + minute
        return ClockTime(frozenset({morning, morning + 720}), f"{hour}:{minute:02d}")
    total = hour * 60 + minute  # 0:30 or 21:15: a 24-hour time
    return ClockTime(frozenset({total}), _spelling(total))


def _spelling(total: int) -> str:
    hour, minute = divmod(total, 60)
    return f"{(hour - 1) % 12 + 1}:{minute:02d}{'am' if hour < 12 else 'pm'}"
