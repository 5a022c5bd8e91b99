"""String normalization of answers: the canonical text used for exact matching, caching and hashing.

Every step only removes formatting or rewrites a spelling into an equivalent one, so equal normalized
strings always mean equivalent answers. Every regular expression is free of nested quantifiers and
text wrappers are unwrapped by a single brace scan, so normalization is linear in the input length.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from mathft.grading.lexer import WORDS
from mathft.grading.numerals import SCALE_EXPONENTS as _SCALES, repeating_decimals, spell_out_numbers

__all__ = ["normalize_answer", "strip_box"]

_UNICODE = str.maketrans({
    "π": "\\pi ", "∞": "\\infty ", "√": "\\sqrt", "×": "\\times ", "·": "\\cdot ", "−": "-", "–": "-",
    "≤": "\\leq ", "≥": "\\geq ", "≠": "\\neq ", "°": "^\\circ ", "≈": "\\approx ",
    "€": "", "£": "", "¥": "", "⟨": "\\langle ", "⟩": "\\rangle ", "∪": "\\cup ", "±": "\\pm ", "\u2009": " ",
    "\u00a0": " ", "\u202f": " ", "²": "^2", "³": "^3", "ℝ": "\\mathbb{R}",
    # Invisible characters carry no meaning; the other Unicode spaces are spaces.
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    **{chr(code): " " for code in (*range(0x2000, 0x200B), 0x205F, 0x3000)},
    "½": "\\frac{1}{2}", "⅓": "\\frac{1}{3}", "⅔": "\\frac{2}{3}", "¼": "\\frac{1}{4}", "¾": "\\frac{3}{4}",
})

# (trigger, pattern, replacement), applied in order, each linear-time. A rule runs only when its trigger
# substring occurs: most answers are plain numbers, and an `in` test is much cheaper than a substitution.
_REWRITES: list[tuple[str, re.Pattern[str], str]] = [
    ("{,}", re.compile(r"(\d)\{,\}(?=\d{3})"), r"\1"),  # 10{,}000
    (",\\!", re.compile(r"(\d),\\!\s*(?=\d{3}(?!\d))"), r"\1"),  # 3,\!250
    ("\\", re.compile(r"\\(?:left|right)\s*\."), ""),
    ("\\", re.compile(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])"), ""),
    # x = 1 \quad x = 2: a space between two stated values separates them like a comma
    ("quad", re.compile(r"\\q?quad\s*(?=[a-zA-Z](?:_\{?\w{1,10}\}?)?\s*=)"), ","),
    ("\\", re.compile(r"\\(?:displaystyle|textstyle|quad|qquad|limits|mathstrut)(?![a-zA-Z])"), " "),
    ("\\", re.compile(r"(\\\\)|\\[,!;: >]"), r"\1 "),  # thin spaces; a row break \\ is kept whole
    ("~", re.compile(r"~"), " "),
    ("\\", re.compile(r"\\[dtc]frac(?![a-zA-Z])"), r"\\frac"),
    ("\\", re.compile(r"\\[dt]binom(?![a-zA-Z])"), r"\\binom"),
    # The degree sign, with a temperature scale after it (5^\circ\text{F}, 120^\circ C): a unit.
    ("\\", re.compile(
        r"(?:\^\s*\{\s*\\circ\s*\}|\^\s*\\circ|\\circ(?![a-zA-Z])|\\degree(?![a-zA-Z]))"
        r"(?:\s*\\(?:text|mathrm|textrm)\s*\{\s*[CFK]\s*\}|\s*[CF](?![a-zA-Z]))?"
    ), ""),
    ("", re.compile(r"\\%|%|\\\$|\$"), ""),
    ("\\", re.compile(r"\\le(?![a-zA-Z])|\\leqslant(?![a-zA-Z])"), r"\\leq"),
    ("\\", re.compile(r"\\ge(?![a-zA-Z])|\\geqslant(?![a-zA-Z])"), r"\\geq"),
    ("\\", re.compile(r"\\ne(?![a-zA-Z])"), r"\\neq"),
    ("\\", re.compile(r"\\lt(?![a-zA-Z])"), "<"),
    ("\\", re.compile(r"\\gt(?![a-zA-Z])"), ">"),
    ("\\", re.compile(r"\\infin(?![a-zA-Z])"), r"\\infty"),
    # The real line is the interval (-oo, oo); \mathbb{R}^2 (a plane) is left alone.
    ("\\mathbb", re.compile(r"\\mathbb\s*(?:\{\s*R\s*\}|R(?![a-zA-Z]))(?!\s*[\^_])"), r"(-\\infty,\\infty)"),
    ("\\", re.compile(r"\\(?:mathbb|mathcal|boldsymbol|bm)(?![a-zA-Z])"), ""),
    ("\\", re.compile(r"(?<=\d)\s*(?:\\ldots|\\dots|\\cdots)(?![a-zA-Z])"), ""),  # 3.14159\ldots
    ("...", re.compile(r"(?<=\d)\.\.\.+"), ""),
    # Labels: the segment \overline{AB} and the angle m\angle ABC are named like AB and ABC.
    ("\\overline", re.compile(r"\\overline\s*\{\s*([A-Z](?:\s*[A-Z]){0,3})\s*\}"), r"\1"),
    ("\\angle", re.compile(r"(?:\bm\s*)?\\(?:m?angle|measuredangle)(?![a-zA-Z])\s*"), ""),
    ("\\", re.compile(r"\\(?:land|wedge)(?![a-zA-Z])"), ","),  # \{x \mid x > 0 \land x < 1\}
    # 1, 2, and 3 / 1 or 2: "and"/"or" between two values separates them like a comma (not "5 or more")
    # (?:\s*,)?\s+ rather than \s*,?\s+: the same strings, without trying every split of a long blank run.
    ("and", re.compile(r"(?<=[\w})\]])(?:\s*,)?\s+and\s+(?=[-+\d\\({\[]|[a-zA-Z](?![a-zA-Z]))"), ","),
    ("or", re.compile(r"(?<=[\w})\]])(?:\s*,)?\s+or\s+(?=[-+\d\\({\[]|[a-zA-Z](?![a-zA-Z]))"), ","),
]

_SCALE_WORD = re.compile(
    r"(?<=[\d}])\s*(?:\\(?:text|mbox|mathrm)\s*\{\s*(hundred|thousand|million|billion|trillion)\s*\}"
    r"|(hundred|thousand|million|billion|trillion)(?![a-zA-Z]))",
    re.IGNORECASE,
)
# PRM800K's unit words, also when written without a space after the number (10cm, 3hours).
_BARE_UNIT = re.compile(
    r"(?<=[\d}])\s*(?:degree|cm|centimeter|meter|mile|second|minute|hour|day|week|month|year|foot|feet|inch|"
    r"yard|liter|unit)(?:es|s)?(?:\s*\^\s*\d)?\s*$",
    re.IGNORECASE,
)
_SPACED_MIXED_NUMBER = re.compile(r"(?<![\d.])(\d+)\s+(\d+)\s*/\s*(\d+)(?![\d.])")  # 7 3/4 (PRM800K)
_TEXT_COMMAND = re.compile(
    r"\\(?:text|textbf|textit|textrm|textnormal|textsf|texttt|textup|emph|mbox|hbox|mathrm|mathbf|mathit|"
    r"mathsf|operatorname)\s*\{"
)
# Unit symbols of one or two letters are only dropped after a space (5 m^2): 5m^2 is an algebraic term.
_SPACED_UNIT = re.compile(r"(?<=\d)\s+(?:m|km|mm|kg|g|s|h|ml|mL|L)(?:\s*\^\s*(?:\{\s*\d\s*\}|\d))?\s*$")
_UNIT_POWER = re.compile(r"\s*\^\s*(?:\{\s*\d\s*\}|\d)")
_UNIT = re.compile(r"[a-zA-Z][a-zA-Z .]*")
# Plain words after a number are dropped only when every one is a known unit: "3 ab" is 3ab, not 3.
_UNIT_WORDS = frozenset(
    "cm mm km m in inch inches ft feet foot yd yard yards mi mile miles meter meters metre metres "
    "centimeter centimeters millimeter millimeters kilometer kilometers kg g gram grams kilogram kilograms "
    "lb lbs pound pounds oz ounce ounces ton tons l ml liter liters litre litres gallon gallons s sec secs "
    "second seconds min mins minute minutes h hr hrs hour hours day days week weeks month months year years "
    "dollar dollars cent cents degree degrees deg unit units square sq cubic mph kph km/h m/s cm/s ft/s "
    "percent pct per cent radian radians rad ways people students".split()
)
# Words that turn a trailing phrase into a statement about the number (5 \text{ or more}, 4 \text{ squared}):
# such a phrase is kept (as unreadable text) instead of being dropped as a unit.
_QUALIFIERS = frozenset(
    "not no or and more less fewer least most than minus plus times squared cubed is are was were be "
    "wrong incorrect correct except only approximately about roughly nearly almost over under above below "
    "at each half twice double triple if when".split()
)
_TRAILING_POWER = re.compile(r"(?<=[a-zA-Z])\s*\^\s*(?:\{\s*[23]\s*\}|[23])\s*$")
_DIGIT_GROUPS = re.compile(r"(?<![\d.^_])\d{1,3}(?: \d{3})+(?! ?\d)")  # 1 000 000 (after spaces are squeezed)
_SPACED_DIGITS = re.compile(r"(?<=\d)(?<![\^_]\d) (?=\d)")  # \log_2 8: a one-digit script ends there
_MATH_DELIMITER = re.compile(r"(?<!\\)\\[()\[\]]")
_TEXT_NAMES = r"text|textbf|textrm|textnormal|textsf|textit|mbox"
# A multiple-choice letter: (c), (C), \text{C}, \text{(C)}, \textbf{(C)}, (\text{C}); a bare letter is not.
_CHOICE = re.compile(
    rf"\\(?:{_TEXT_NAMES})\s*\{{\s*(?:\(\s*([A-Za-z])\s*\)|([A-Za-z]))\s*\}}\.?"
    rf"|\(\s*(?:\\(?:{_TEXT_NAMES})\s*\{{\s*)?([A-Za-z])(?:\s*\}})?\s*\)\.?"
)

_FINAL_REWRITES: list[tuple[str, re.Pattern[str], str]] = [
    ("\\frac", re.compile(r"\\frac(\d)(\d)"), r"\\frac{\1}{\2}"),
    ("\\frac", re.compile(r"\\frac(\d)\{"), r"\\frac{\1}{"),
    ("\\frac", re.compile(r"\\frac\{([^{}]*)\}(\d)"), r"\\frac{\1}{\2}"),
    ("\\sqrt", re.compile(r"\\sqrt(\d)"), r"\\sqrt{\1}"),
    ("{", re.compile(r"([\^_])\{(\w)\}(?!\d)"), r"\1\2"),
    (".", re.compile(r"(?<![\d.])\.(\d)"), r"0.\1"),
    ("\\in", re.compile(r"^[a-zA-Z]\\in(?![a-zA-Z])"), ""),
    ("", re.compile(r"^(?:\\approx|\\sim|=)"), ""),
    (",,", re.compile(r",(?:,)+"), ","),  # 1, 2, \text{and} 3 leaves an empty element
    ("\\varnothing", re.compile(r"\\varnothing(?![a-zA-Z])"), r"\\emptyset"),
]
_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d]|,\d)")
_PREFIX = re.compile(r"^[a-zA-Z](?:_\{?\w+\}?)?(?:\^\{?-1\}?)?(?:\([a-zA-Z]\))?=")  # x=, a_1=, f(x)=, f^{-1}(x)=
# "The answer is 5", "\text{Answer: } 5": a phrase before the answer is not part of it.
_ANSWER_PHRASE = re.compile(
    r"^(?:\\(?:text|textbf|mathrm)\s*\{\s*)?(?:the\s+)?(?:final\s+)?answer\s*(?:is\s*:?|:)\s*(?:\}\s*)?",
    re.IGNORECASE,
)


def _unwrap_text(text: str) -> str:
    """Unwrap ``\\text{...}``-like commands; drop them where they are a unit after a quantity."""
    out: list[str] = []
    pos, after_quantity = 0, False
    for match in _TEXT_COMMAND.finditer(text):
        if match.start() < pos:
            continue  # inside a wrapper already consumed
        end, depth = match.end(), 1
        while end < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        content = text[match.end() : end - 1 if depth == 0 else end]
        prefix = text[pos : match.start()]
        after_quantity = after_quantity or bool(prefix.strip())
        qualified = after_quantity and _qualifies(content)
        unit = after_quantity and not qualified and _looks_like_unit(content)
        # A qualifying phrase stays wrapped: unreadable for the parser, so only its own spelling equals it.
        replacement = f"\\text{{{content.strip()}}}" if qualified else "" if unit else _text_replacement(content)
        out += [prefix, replacement]
        after_quantity = after_quantity or bool(replacement.strip())
        pos = end
        if unit:
            power = _UNIT_POWER.match(text, pos)  # the 2 of \text{cm}^2 belongs to the unit
            pos = power.end() if power else pos
    out.append(text[pos:])
    return "".join(out)


def _looks_like_unit(content: str) -> bool:
    words = content.strip().removeprefix("(").removesuffix(")").strip()  # 5 \text{ (units)}
    return (
        _UNIT.fullmatch(words) is not None
        and (len(words.replace(" ", "")) >= 2 or content.startswith(" "))
        and words.lower() not in WORDS
    )


def _qualifies(content: str) -> bool:
    """Whether a text phrase after a number says something about it (``or more``), unlike a unit."""
    words = content.strip().lower()
    return words not in WORDS and any(word in _QUALIFIERS for word in re.split(r"[^a-z]+", words))


def _text_replacement(content: str) -> str:
    words = content.strip()
    lowered = words.lower()
    if lowered in WORDS:  # \text{ and }, \text{or}, \text{inf}
        return "," if WORDS[lowered] == "," else WORDS[lowered] + " "
    return words


def _scale_words(text: str) -> str:
    """``3 million``, ``3\\text{ million}`` -> ``3\\times10^{6}`` (before units are dropped)."""
    if not any(word in text.lower() for word in _SCALES):
        return text
    return _SCALE_WORD.sub(lambda m: f"\\times10^{{{_SCALES[(m.group(1) or m.group(2)).lower()]}}}", text)


def _drop_trailing_words(text: str) -> str:
    """``5 cm``, ``12 square units``, ``3 ft^2``, ``7 apples`` -> the quantity; ``3 ab`` and ``5 or more``
    stay (a product of variables; a qualified number)."""
    stripped = text.rstrip()
    power = _TRAILING_POWER.search(stripped[-20:])
    core = stripped[: len(stripped) - len(power.group())] if power else stripped
    cut = len(core)
    while cut > 0 and (core[cut - 1].isalpha() or core[cut - 1] in " /"):
        cut -= 1
    head, tail = core[:cut], core[cut:]
    if not tail.startswith(" ") or not head or not (head[-1].isdigit() or head[-1] in "})"):
        return text
    return head if not head.rstrip().endswith("\\") and _is_unit_phrase(tail) else text


def _is_unit_phrase(words: str) -> bool:
    """Whether the words after a number are a unit the unit rules drop (``apples``, ``square feet``).

    A known unit (cm, ft, min) or a noun of four or more letters (apples) is one; a shorter unknown run of
    letters is a product of variables (3 ab, 6 xyz), and a qualifier (``or more``) makes a statement.
    """
    parts = words.lower().split()
    if not parts or any(word in _QUALIFIERS or word in WORDS for word in parts):
        return False
    return all(word in _UNIT_WORDS or (len(word) >= 4 and "/" not in word) for word in parts)


def _top_level_thousands(text: str) -> str:
    """Remove thousands separators from numbers outside brackets: ``1,000`` -> ``1000``."""
    if "," not in text:
        return text
    depth, depths, previous = 0, [], ""
    for ch in text:  # depth of ( [ and \{ before each character; plain braces group, they hold no lists
        depths.append(depth)
        if ch in "([" or (ch == "{" and previous == "\\"):
            depth += 1
        elif ch in ")]" or (ch == "}" and previous == "\\"):
            depth -= 1
        previous = ch
    return _THOUSANDS.sub(lambda m: m.group().replace(",", "") if depths[m.start()] <= 0 else m.group(), text)


def _squeeze_spaces(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    if " " in text:
        # 1 000 000 is one number (groups of three digits); 1 2 3 or 10 5 is not: the space is kept as an
        # unreadable mark, so such an answer equals only its own spelling (never 123 or 105).
        text = _SPACED_DIGITS.sub("\u2423", _DIGIT_GROUPS.sub(lambda m: m.group().replace(" ", ""), text))
    # A space only matters between letters (\sin x must not become \sinx).
    return re.sub(r" (?![a-zA-Z])|(?<![a-zA-Z]) ", "", text)


def _drop_variable_prefix(text: str) -> str:
    # x = 10.96 \approx 11 is a chain (its last side is the answer), not a prefixed value.
    if text.count("=") == 1 and not any(r in text for r in ("<", ">", "\\leq", "\\geq", "\\approx")):
        match = _PREFIX.match(text)
        if match and match.end() < len(text):
            return text[match.end() :]
    return text


def strip_box(text: str) -> str:
    """``\\boxed{5}``, ``\\boxed{\\boxed{5}}`` -> ``5`` when the box wraps the whole answer (not
    ``\\boxed{1}+\\boxed{2}``)."""
    for _ in range(10):  # nested boxes; the bound keeps a hostile 10k-deep nest linear
        for wrapper in ("\\boxed{", "\\fbox{"):
            whole = text.startswith(wrapper) and text.endswith("}")
            if whole and _closing_brace(text, len(wrapper) - 1) == len(text) - 1:
                text = text[len(wrapper) : -1].strip()
                break
        else:
            return text
    return text


def _strip_math_delimiters(text: str) -> str:
    """``\\(-4\\)``, ``\\[ 7 \\]`` -> the math inside (like ``$...$``); a row break ``\\\\[2pt]`` is kept."""
    if "\\(" not in text and "\\[" not in text and "\\)" not in text and "\\]" not in text:
        return text
    return _MATH_DELIMITER.sub(" ", text).strip()


def _choice_letter(text: str) -> str:
    """``(c)``, ``\\text{(C)}``, ``\\textbf{C}`` -> ``C``: a multiple-choice letter is uppercase.

    ``\\text{e}`` (lowercase, no parentheses) is Euler's number, the way ``\\mathrm{e}`` writes it."""
    if len(text) > 40 or (match := _CHOICE.fullmatch(text.strip("$ "))) is None:
        return text
    if match.group(2) == "e":
        return "e"
    return next(group for group in match.groups() if group).upper()


def _closing_brace(text: str, opening: int) -> int:
    depth = 0
    for pos in range(opening, len(text)):
        depth += {"{": 1, "}": -1}.get(text[pos], 0)
        if depth == 0:
            return pos
    return -1


def _strip_trailing_punctuation(text: str) -> str:
    """``\\frac{1}{3}.``, ``5,`` -> the answer: sentence punctuation after an answer is not part of it."""
    while text and text[-1] in ".,;" and not text.endswith(("\\.", "\\,", "\\;")):
        text = text[:-1].rstrip()
    return text


def _rewrite(rules: list[tuple[str, re.Pattern[str], str]]) -> Callable[[str], str]:
    def apply(text: str) -> str:
        for trigger, pattern, replacement in rules:
            if trigger in text:
                text = pattern.sub(replacement, text)
        return text

    return apply


_PIPELINE: tuple[Callable[[str], str], ...] = (
    str.strip,
    lambda text: _ANSWER_PHRASE.sub("", text) if "nswer" in text or "NSWER" in text else text,
    _strip_math_delimiters,
    strip_box,
    _choice_letter,
    lambda text: text.translate(_UNICODE),
    repeating_decimals,  # before the ellipsis is dropped: 0.333\ldots is 1/3, 3.14159\ldots a decimal
    _rewrite(_REWRITES),
    _scale_words,
    _unwrap_text,
    _unwrap_text,  # nested wrappers such as \text{\textbf{cm}}
    lambda text: spell_out_numbers(text, _is_unit_phrase),  # \text{seven}, twenty-one, one hundred
    lambda text: _SPACED_UNIT.sub("", _BARE_UNIT.sub("", text)),
    _drop_trailing_words,
    lambda text: _SPACED_MIXED_NUMBER.sub(r"\1\\frac{\2}{\3}", text) if "/" in text else text,
    _top_level_thousands,
    _squeeze_spaces,
    _rewrite(_FINAL_REWRITES),
    _drop_variable_prefix,
    _strip_trailing_punctuation,
)


def normalize_answer(answer: str, keep_prefix: bool = False) -> str:
    """The canonical string form of an answer (for exact matching, caching and hashing).

    Strips ``$``, ``\\left``/``\\right``, thin spaces, ``\\text{...}`` units, degrees, ``\\%``, ``\\$``,
    thousands separators, a ``x =`` prefix and a trailing period; rewrites ``\\dfrac``/``\\tfrac`` to
    ``\\frac``, ``\\frac12`` to ``\\frac{1}{2}``, ``.5`` to ``0.5`` and ``\\le`` to ``\\leq``.

    Args:
        answer: The answer's text.
        keep_prefix: Keep a ``y =`` prefix (the grader compares ``y = 2x + 1`` with other equations).
    """
    if not isinstance(answer, str):
        raise TypeError(f"normalize_answer: answer must be a str, got {type(answer).__name__}")
    text = answer
    for step in _PIPELINE:
        if not (keep_prefix and step is _drop_variable_prefix):
            text = step(text)
    return text
