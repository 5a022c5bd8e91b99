"""Spellings of numbers that are not plain numerals: words and repeating decimals.

:func:`repeating_decimals` reads ``0.1\\overline{6}`` as 1/6 and a decimal whose digits visibly repeat
before an ellipsis (``0.333\\ldots``, ``0.1666...``, ``0.142857142857\\dots``) as the same repeating
decimal; ``3.14159\\ldots`` shows no period and stays the decimal it writes.

:func:`spell_out_numbers` rewrites an answer that *starts* a list item with such words into digits
(``\\text{seven}`` is 7, ``\\text{seven apples}`` is ``7 apples``, ``two, three`` is ``2, 3``). It only
rewrites whole items: a word inside a phrase (``no one``, ``one-to-one``) is left alone, and an item
whose words after the number are not plain words (a qualifier such as ``or more`` is decided later by
the unit rules of :mod:`mathft.grading.normalize`) keeps its words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from fractions import Fraction

__all__ = ["SCALE_EXPONENTS", "number_from_words", "repeating_decimals", "spell_out_numbers"]

# Anchored at the start of a digit run: otherwise every start inside 100k digits rescans them all.
_OVERLINE = re.compile(r"(?<![\d.])(\d*)\.(\d*)\s*\\overline\s*\{\s*(\d{1,50})\s*\}")
_ELLIPSIS = re.compile(r"(?<![\d.])(\d*)\.(\d{2,60})\s*(?:\\[lc]?dots(?![a-zA-Z])|\.\.\.+|\u2026)")

_SMALL = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {word: 10 * k for k, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), 2)}
# Scale words and their powers of ten (also the unit rule "5 hundred" of mathft.grading.normalize).
SCALE_EXPONENTS = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_SCALES = {word: 10**exponent for word, exponent in SCALE_EXPONENTS.items()}
# Fractions: a numerator in words, then a denominator, singular after one (``a third``), plural after
# more (``two thirds``); ``half`` alone is one half. A lone ``fourth`` is an ordinal and stays a word.
_SINGULAR = {"half": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
             "eighth": 8, "ninth": 9, "tenth": 10}
_PLURAL = {"halves": 2, **{word + "s": value for word, value in _SINGULAR.items() if word != "half"}}
_NUMBER_WORDS = (*_SMALL, *_TENS, *_SCALES, *_SINGULAR, *_PLURAL, "a", "an", "and")
_WORD = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
# An item: start of text or after a comma; optional sign word; number words joined by spaces or hyphens;
# then the end of the item (a comma or the end) or a space before other words.
_ITEM = re.compile(
    rf"(?P<lead>^|,)(?P<space>\s*)(?P<sign>(?:negative|minus)\s+)?"
    rf"(?P<words>(?:{_WORD})(?:(?:\s+|-)(?:{_WORD}))*)(?=\s*\.?\s*(?:,|$)|\s+[a-z])",
    re.IGNORECASE,
)


def number_from_words(words: list[str]) -> int | tuple[int, int] | None:
    """The value of a run of number words: an integer, ``(numerator, denominator)`` for a fraction such
    as ``two thirds``, or None when the words are not one well-formed number (``one two``, ``and``)."""
    words = [w.lower() for w in words]
    if words == ["half"]:
        return 1, 2
    if words[-1] in _SINGULAR or words[-1] in _PLURAL:
        numerator = 1 if words[:-1] in (["a"], ["an"], ["one"]) else _cardinal(words[:-1])
        if numerator is None or (words[-1] in _PLURAL) != (numerator != 1):
            return None  # "fourth" alone (an ordinal), "two third", "one thirds"
        return numerator, _SINGULAR.get(words[-1]) or _PLURAL[words[-1]]
    return _cardinal(words)


def _cardinal(words: list[str]) -> int | None:
    """``one hundred and five`` -> 105; None for an ill-formed run (``five one``, ``hundred``)."""
    if not words or words[0] == "and" or words[-1] == "and":
        return None
    total, group, last = 0, 0, ""  # last: the kind of the previous word, to refuse "five one"
    for index, word in enumerate(words):
        if word in ("a", "an"):
            if index + 1 >= len(words) or words[index + 1] not in _SCALES:
                return None
            group, last = 1, "small"
        elif word == "and":
            if last not in ("hundred", "scale"):
                return None
        elif word in _SMALL or word in _TENS:
            kind = "small" if word in _SMALL else "tens"
            if last in ("small",) or (last == "tens" and kind == "tens") or (last == "tens" and _SMALL[word] >= 10):
                return None
            group, last = group + (_SMALL.get(word) or _TENS.get(word, 0)), kind
        elif word == "hundred":
            if not 1 <= group <= 99 or last in ("hundred", "scale", ""):
                return None
            group, last = group * 100, "hundred"
        elif word in _SCALES:
            if group == 0 or last == "scale":
                return None
            total, group, last = total + group * _SCALES[word], 0, "scale"
        else:
            return None
    return total + group


def spell_out_numbers(text: str, unit: Callable[[str], bool] = lambda words: False) -> str:
    """Rewrite list items that start with number words into digits (``twenty-one`` -> ``21``).

    Args:
        text: The answer (text wrappers already unwrapped).
        unit: Whether the words after a number in the same item are a unit that the unit rules drop
            (``seven apples`` is 7 apples; ``one of them`` is left as words).
    """
    if not any(ch.isalpha() for ch in text):
        return text

    def replace(match: re.Match[str]) -> str:
        value = number_from_words(re.split(r"\s+|-", match["words"]))
        comma = text.find(",", match.end())  # the rest of this item only: linear over all items
        rest = text[match.end() : comma if comma >= 0 else len(text)].strip().rstrip(".")
        if value is None or (rest and not unit(rest)):
            return match.group()
        sign = "-" if match["sign"] else ""
        digits = str(value) if isinstance(value, int) else f"\\frac{{{value[0]}}}{{{value[1]}}}"
        return f"{match['lead']}{match['space']}{sign}{digits}"

    return _ITEM.sub(replace, text)


def _fraction(whole: str, fixed: str, period: str) -> str:
    """``whole.fixed(period)(period)...`` as ``\\frac{p}{q}``."""
    scale = 10 ** len(fixed)
    value = Fraction(int((whole or "0") + fixed), scale) + Fraction(int(period), scale * (10 ** len(period) - 1))
    return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"


def _period(digits: str) -> tuple[int, int] | None:
    """``(start, length)`` of the earliest period that repeats at least twice to the end (``1666``: (1, 1)).

    Linear: the shortest period of the tail ``digits[start:]`` is its length minus its longest border,
    and the tails are the prefixes of the reversed digits, whose borders one prefix-function pass gives.
    """
    reverse = digits[::-1]
    border = [0] * len(reverse)  # border[i]: longest proper prefix of reverse[: i + 1] that is also its suffix
    for i in range(1, len(reverse)):
        k = border[i - 1]
        while k and reverse[i] != reverse[k]:
            k = border[k - 1]
        border[i] = k + (reverse[i] == reverse[k])
    for start in range(len(digits) - 1):
        size = len(digits) - start
        length = size - border[size - 1]  # the tail's shortest period
        if 2 * length <= size:
            return start, length
    return None


def _overline(match: re.Match[str]) -> str:
    whole, fixed, period = match.group(1), match.group(2), match.group(3)
    if len(whole) + len(fixed) > 100:  # int() of thousands of digits is slow (and capped by Python)
        return match.group()
    return _fraction(whole, fixed, period)


def _ellipsis(match: re.Match[str]) -> str:
    whole, digits = match.group(1), match.group(2)
    found = _period(digits) if len(whole) <= 100 else None
    if found is None:
        return match.group()  # no visible period: the ellipsis is dropped later, the decimal stays
    start, length = found
    return _fraction(whole, digits[:start], digits[start : start + length])


def repeating_decimals(text: str) -> str:
    """``0.1\\overline{6}`` and ``0.1666\\ldots`` -> ``\\frac{1}{6}``; other text unchanged."""
    if "\\overline" in text:
        text = _OVERLINE.sub(_overline, text)
    if "dots" in text or "..." in text or "\u2026" in text:
        text = _ELLIPSIS.sub(_ellipsis, text)
    return text
