"""Tokenizer for LaTeX and plain-math answers.

A single pass with anchored, backtracking-free regular expressions, so it runs in linear time on any
input; the token count is capped so that hostile strings fail fast instead of building huge lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Token", "LexError", "tokenize", "MAX_TOKENS", "WORDS"]

MAX_TOKENS = 2000

# Plain-text words that mean one thing; any other run of letters is a product of one-letter variables.
WORDS = {
    "sqrt": "\\sqrt", "pi": "\\pi", "inf": "\\infty", "infty": "\\infty", "infinity": "\\infty",
    "sin": "\\sin", "cos": "\\cos", "tan": "\\tan", "cot": "\\cot", "sec": "\\sec", "csc": "\\csc",
    "log": "\\log", "ln": "\\ln", "exp": "\\exp", "arcsin": "\\arcsin", "arccos": "\\arccos",
    "arctan": "\\arctan", "and": ",", "or": ",",
}

# Order matters only between alternatives that share a prefix ("**" before "*", "<=" before "<").
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>\d+(?:\.\d*)?(?:e[+-]?\d+(?![a-zA-Z]))?|\.\d+(?:e[+-]?\d+(?![a-zA-Z]))?)
  | (?P<cmd>\\[a-zA-Z]+|\\.)
  | (?P<word>[a-zA-Z]+)
  | (?P<op>\*\*|<=|>=|!=|[-+*/^_()\[\]{},=<>!|&;:])
    """,
    re.VERBOSE,
)


class LexError(ValueError):
    """The answer contains a character that is not part of any math token, or too many tokens."""


@dataclass(frozen=True, slots=True)
class Token:
    """One token: ``kind`` is ``num``, ``cmd``, ``ident`` or ``op``; ``text`` its spelling."""

    kind: str
    text: str


_OP_ALIASES = {"**": "^", "<=": "\\leq", ">=": "\\geq", "!=": "\\neq", ";": ","}


def _word_tokens(word: str) -> list[Token]:
    alias = WORDS.get(word.lower()) if len(word) > 1 else None
    if alias == ",":
        return [Token("op", ",")]
    if alias is not None:
        return [Token("cmd", alias)]
    return [Token("ident", ch) for ch in word]


def tokenize(text: str, max_tokens: int = MAX_TOKENS) -> list[Token]:
    """Split ``text`` into tokens.

    Raises:
        LexError: On a character no token starts with, or when there are more than ``max_tokens``.
    """
    tokens: list[Token] = []
    pos, end = 0, len(text)
    while pos < end:
        match = _TOKEN.match(text, pos)
        if match is None:
            raise LexError(f"unexpected character {text[pos]!r} at {pos}")
        pos = match.end()
        kind, spelling = match.lastgroup, match.group()
        if kind == "space":
            continue
        if kind == "word":
            tokens.extend(_word_tokens(spelling))
        elif kind == "op":
            alias = _OP_ALIASES.get(spelling, spelling)
            tokens.append(Token("cmd" if alias.startswith("\\") else "op", alias))
        else:
            tokens.append(Token(kind, spelling))
        if len(tokens) > max_tokens:
            raise LexError(f"more than {max_tokens} tokens")
    return tokens
