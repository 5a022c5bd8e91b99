"""Finding the final answer in a solution text.

A whole chat transcript (one that starts with a chat token) is first reduced to what follows its last
assistant header. The text is then cut at the first chat-template token after some content
(``<|im_start|>``, ``<|im_end|>``...) and at an invented next ``Problem:``/``Question:`` line that
follows an answer: what a model writes there is a hallucinated next turn, not its answer. Then, after
a ``</think>`` block first (a reasoning model's draft answers inside it are superseded by the final one)
and in the whole text otherwise, the order of preference is:

1. the last non-empty ``\\boxed{...}`` / ``\\fbox{...}`` (nested braces, or the unbraced ``\\boxed 5``),
   joined with the boxes right before it when only ``and``, ``or``, commas or math delimiters separate
   them (``the integers are $\\boxed{-2}$ and $\\boxed{1}$`` is the list ``-2, 1``);
2. PRM800K's ``# Answer`` block;
3. Minerva-style phrasings ("The final answer is $X$. I hope it is correct.", "The answer is: X",
   "**Final Answer**" followed by the answer).

Every step is a constant number of linear scans, so a hostile 100k-character solution costs a few
milliseconds.
"""

from __future__ import annotations

import re

from mathft.grading.normalize import strip_box as _strip_box

__all__ = ["answer_in_prose", "extract_answer"]

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])")
_ANSWER_HEADER = "# Answer"
_PHRASES = ("the final answer is", "the answer is", "final answer")
_SUFFIX = "i hope it is correct"
_TEMPLATE_TOKENS = ("<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|end_of_text|>", "<|user|>")
# Headers that open the model's own turn: a whole chat (system and user turns included) keeps only what
# follows the last one.
_ASSISTANT_HEADERS = ("<|im_start|>assistant", "<|start_header_id|>assistant<|end_header_id|>", "<|assistant|>")
# One math span right after the phrase, then prose ("$\\frac12$ because ..."): the span is the answer.
_MATH_FIRST = re.compile(r"\s*(?:\$\$([^$]+)\$\$|\$([^$]+)\$|\\\(((?:[^\\]|\\[^)])+)\\\))(?!.*\$)")
# A Minerva-style continuation inventing the next few-shot turn: its answer is not this problem's.
_NEXT_TURN = re.compile(r"^[ \t]*(?:Problem|Question|Q)[ \t]*:", re.MULTILINE)
# Math delimiters ($ but not the dollar sign \$); spans are paired in one pass, so any text costs linear time.
_DELIMITER = re.compile(r"(?<!\\)\$\$|(?<!\\)\$|\\\(|\\\)|\\\[|\\\]")
_CLOSES = {"$$": "$$", "$": "$", "\\(": "\\)", "\\[": "\\]"}
# Words after an answer that make it a statement about the answer ("$5$ or more"), not a sentence around it.
_QUALIFYING = frozenset(
    "more less fewer least most than not except only approximately about roughly nearly almost over under "
    "above below between".split()
)
_THINK_END = "</think>"
_HEADING_END = re.compile(r"\**[ \t]*(?::|\n)")
_MAX_JOINED = 20
_MAX_GAP = 40  # characters between two boxes of one list ("$ and $", ", \\quad ")
_MAX_OCCURRENCES = 5  # phrase occurrences tried from the last one back (a truncated repetition is empty)
# What may separate the boxes of one list: no words other than and/or (and a "x =" before the next box,
# as in "$x = \\boxed{1}$ or $x = \\boxed{2}$"), so different sentences never join.
_JOINER = re.compile(
    r"(?:\s|\$|\\[()\[\],;]|[,;&]|\\q?quad(?![a-zA-Z])|\\text\{\s*(?:and|or)\s*\}|and(?![a-zA-Z])|or(?![a-zA-Z])"
    r"|(?<![a-zA-Z])[a-zA-Z](?:_\{?\w{1,3}\}?)?\s*=)*"
)


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


def _boxes(text: str) -> list[tuple[int, int, str]]:
    """``(start, end, content)`` of each box, in order (``end`` is -1 for an unbraced ``\\boxed 5``)."""
    found = []
    closes = _matching_braces(text) if "{" in text else {}
    for match in _BOX.finditer(text):
        pos = match.end()
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos < len(text) and text[pos] == "{":
            end = closes.get(pos)
            content = text[pos + 1 : end].strip() if end is not None else ""
            found.append((match.start(), end if end is not None else -1, content))
        else:  # \boxed 5: up to the end of the math, line or sentence
            content = re.split(r"[$\n]", text[pos : pos + 1000], maxsplit=1)[0].strip().rstrip(".")
            found.append((match.start(), -1, content))
    return found


def _answer_boxes(text: str) -> list[tuple[int, int, str]]:
    """The outermost non-empty boxes of ``text`` in order (empty when it has none)."""
    if "\\boxed" not in text and "\\fbox" not in text:
        return []
    return [box for box in _outermost(_boxes(text)) if box[2]]


def _boxed(text: str) -> str | None:
    boxes = _answer_boxes(text)  # the last well-formed, non-empty box wins...
    if not boxes:
        return None
    start, _, content = boxes[-1]
    joined = [_strip_box(content)]
    for previous_start, previous_end, previous in reversed(boxes[-_MAX_JOINED:-1]):
        gap = text[previous_end + 1 : start] if previous_end >= 0 else "x"
        if len(gap) > _MAX_GAP or _JOINER.fullmatch(gap) is None:
            break  # ...together with the boxes of the same list right before it
        previous = _strip_box(previous)
        if previous not in joined:
            joined.insert(0, previous)
        start = previous_start
    return ", ".join(joined)


def _outermost(boxes: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Drop boxes inside another box: ``\\boxed{\\boxed{5}}`` is one box (normalizing strips the inner one)."""
    kept: list[tuple[int, int, str]] = []
    for box in boxes:
        if kept and kept[-1][1] > box[0]:
            continue  # starts before the previous kept box closes
        kept.append(box)
    return kept


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


def _after_phrase(text: str, start: int) -> str:
    """The answer written after a phrase ending at ``start``: the rest of its line, or the next line."""
    window = text[start : start + 2000].lstrip("*: \t")
    line, _, following = window.partition("\n")
    if not line.strip(" *:"):  # **Final Answer**\n\n 12
        line = following.strip().split("\n", 1)[0]
    math = _MATH_FIRST.match(line)
    if math:  # "$\frac{1}{2}$ because the ratio halves": the math is the answer, the rest is prose
        return next(group for group in math.groups() if group is not None).strip()
    answer = _without_suffix(line).strip().removeprefix(":").strip().strip("*").strip()
    return answer.rstrip(".").strip().strip("$").strip().rstrip(".").strip()


def _introduces(text: str, end: int, phrase: str) -> bool:
    """A bare "final answer" is a heading only when a colon or a line break follows (not "to get the
    final answer we...")."""
    return phrase != "final answer" or _HEADING_END.match(text, end, end + 10) is not None


def _phrased(text: str) -> str | None:
    lowered = text.lower()
    for phrase in _PHRASES:
        end = len(lowered)
        for _ in range(_MAX_OCCURRENCES):
            at = lowered.rfind(phrase, 0, end)
            if at < 0:
                break
            answer = _after_phrase(text, at + len(phrase)) if _introduces(text, at + len(phrase), phrase) else ""
            if answer:
                return answer
            end = at
    return None


def _find(text: str) -> str | None:
    for finder in (_boxed, _prm800k, _phrased):
        answer = finder(text)
        if answer is not None:
            return answer
    return None


def _assistant_turn(text: str) -> str:
    """The text after the last assistant header when the text is a whole chat transcript (it starts with a
    chat token: system and user turns come first). A bare completion is left whole: an assistant header
    after its answer opens a hallucinated turn, which the cut at the first chat token removes."""
    if not text.lstrip().startswith("<|"):
        return text
    start = max((text.rfind(header) + len(header) if header in text else 0) for header in _ASSISTANT_HEADERS)
    return text[start:]


def _before_next_turn(text: str) -> str:
    """Cut at an invented next ``Problem:``/``Question:`` line that follows an answer."""
    for count, match in enumerate(_NEXT_TURN.finditer(text)):
        if count >= _MAX_OCCURRENCES:
            break  # each try scans the text before it: a bounded number keeps this linear
        if match.start() > 0 and _find(text[: match.start()]) is not None:
            return text[: match.start()]
    return text


def _before_template_token(text: str) -> str:
    """The text before the first chat-template token that follows some content."""
    cut = len(text)
    for token in _TEMPLATE_TOKENS:
        at = text.find(token)
        while 0 <= at < cut and not text[:at].strip():  # a leading <|im_start|>assistant is not junk
            at = text.find(token, at + len(token))
        if 0 <= at < cut:
            cut = at
    return text[:cut]


def last_boxed(text: str) -> str | None:
    """The content of a solution's last (outermost, non-empty) ``\\boxed{}``: the MATH dataset's gold answer.

    Unlike :func:`extract_answer`, boxes of a list are not joined: in a reference solution an earlier box
    is an intermediate or alternative form (``\\boxed{15\\frac{39}{40}}`` before ``\\boxed{\\frac{639}{40}}``),
    and the convention every MATH evaluation uses is the last one.

    Returns:
        The box's content without the box, stripped; None when the text has no non-empty box.
    """
    boxes = _answer_boxes(text)
    return _strip_box(boxes[-1][2]) if boxes else None


def answer_in_prose(text: str) -> str | None:
    """The answer a sentence states around its math: ``So we get $x = 5$.`` -> ``x = 5``.

    What :func:`extract_answer` finds (a box, "The final answer is $5$. I hope it is correct."), else the
    last math span, as Math-Verify's ``parse`` takes it. None when ``text`` is not a sentence with math
    (``$5$``, ``$5$ cm``, ``$1$ and $2$`` are answers as written) or when words after the last span qualify
    it (``$5$ or more``, ``between $1$ and $2$``): such a text is graded as written.
    """
    spans = _math_spans(text) if "$" in text or "\\(" in text or "\\[" in text else []
    if not spans:
        return None
    gaps = zip([0] + [closer.end() for _, closer in spans], [opener.start() for opener, _ in spans] + [len(text)])
    outside = " ".join(text[start:end] for start, end in gaps)
    words = [w for w in re.findall(r"[A-Za-z]{2,}", outside) if w.lower() not in ("and", "or")]
    opener, closer = spans[-1]
    tail = re.findall(r"[A-Za-z]+", text[closer.end() :])
    if len(words) < 2 or any(word.lower() in _QUALIFYING for word in tail):
        return None
    found = extract_answer(text)
    return found if found is not None else text[opener.end() : closer.start()].strip()


def _math_spans(text: str) -> list[tuple[re.Match[str], re.Match[str]]]:
    """The opening and closing delimiter of every closed math span (``$..$``, ``$$..$$``, ``\\(..\\)``,
    ``\\[..\\]``)."""
    spans, opened = [], None
    for match in _DELIMITER.finditer(text):
        token = match.group()
        if opened is None:
            if token in _CLOSES:
                opened = match
        elif token == _CLOSES[opened.group()]:
            if match.start() > opened.end():  # an empty span ("$$" read as two dollars) is no answer
                spans.append((opened, match))
            opened = None
    return spans


def extract_answer(text: str) -> str | None:
    """The final answer written in a solution, or None when it states none.

    Args:
        text: A full solution (model output or dataset solution).

    Returns:
        The answer's text (LaTeX, without the box), stripped; None when no answer is found. Several boxes
        of one final list are joined with ``", "``.
    """
    if not text:
        return None
    text = _before_next_turn(_before_template_token(_assistant_turn(text)))
    think_end = text.rfind(_THINK_END)
    if think_end >= 0:
        answer = _find(text[think_end + len(_THINK_END) :])
        if answer is not None:
            return answer
    return _find(text)
