"""Text answers: words compared as case-insensitive strings, never as products of one-letter variables."""

from __future__ import annotations

import re
import unicodedata

from mathft.grading.lexer import WORDS

__all__ = ["WORD_LIST", "is_text", "meaningful", "same_words", "text_list", "written_as_text"]

WORD_LIST = re.compile(r"[A-Za-z(][A-Za-z ,.'()-]*")
_WORD = re.compile(r"[A-Za-z]{2}|^\([A-Za-z]\)$")
_LETTER_RUN = re.compile(r"[A-Za-z]{3,}")
_TEXT_SEPARATOR = re.compile(r"\s*,\s*|\s+(?:and|or)\s+", re.IGNORECASE)
_TEXT_CONTENT = re.compile(r"\\(?:text|textbf|textit|textrm|textnormal|textsf|texttt|mbox|emph)\s*\{([^{}]*)\}")


def written_as_text(raw: str) -> bool:
    """Whether the answer wraps a word of two or more letters in ``\\text{}`` (``\\text{no}`` is the word
    "no", never the product ``n o`` that would equal ``\\text{on}``)."""
    if "\\" not in raw:
        return False
    words = (word for content in _TEXT_CONTENT.findall(raw) for word in re.findall(r"[A-Za-z]{2,}", content))
    return any(word.lower() not in WORDS for word in words)


def is_text(normalized: str) -> bool:
    """Words, not a product of variables: "Devon" must not equal its anagram "Vodne" (but "xy" = "yx")."""
    if WORD_LIST.fullmatch(normalized) is None:
        return False
    return any(word.lower() not in WORDS for word in _LETTER_RUN.findall(normalized))


def text_list(normalized: str) -> str:
    """``Bob, Amy`` -> ``Amy,Bob``: a list of words is unordered like a list of numbers."""
    items = [item for item in _TEXT_SEPARATOR.split(normalized) if item]
    return ",".join(sorted(items, key=str.lower)) if len(items) > 1 else normalized


def same_words(left: str, right: str) -> bool:
    """Text answers (``Monday``, ``(C)``) compare case-insensitively, as in PRM800K's grader."""
    if left.lower() != right.lower():
        return False
    return all(WORD_LIST.fullmatch(s) is not None and _WORD.search(s) is not None for s in (left, right))


def meaningful(ch: str) -> bool:
    """A letter or digit, or a non-ASCII character that is not punctuation or space (a lone surrogate,
    a symbol): such an answer is compared by its spelling, not discarded as noise."""
    if ch.isalnum():
        return True
    return ord(ch) > 127 and unicodedata.category(ch)[0] in "LNSC"
