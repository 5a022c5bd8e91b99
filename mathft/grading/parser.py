"""Recursive-descent parser from answer tokens to :class:`~mathft.grading.ast.Node` trees.

Grammar (lowest precedence first)::

    list    := rel (',' rel)*
    rel     := ratio (relop ratio)*
    ratio   := union (':' union)*        a:b is a / b (3:8 is 6:16); 1:2:3 is an ordered tuple ":"
    union   := add (('\\cup' | '\\cap' | '\\setminus') add)*
    add     := mul (('+' | '-' | '\\pm' | '\\mp') mul)*
    mul     := unary (('*' | '/' | '\\cdot' | '\\times' | '\\div') unary | <implicit> power)*
    unary   := ('-' | '+' | '\\pm') unary | power
    power   := postfix ('^' (signed unary | power))?       right-associative: 9^9^9 is 9^(9^9)
    postfix := primary ('!' | '_' subscript)*

Juxtaposition is multiplication, except an integer before a fraction of integers (a mixed number).
``\\{x \\mid cond, ...\\}`` (also ``|``, ``:``, ``x \\in S``) is a set-builder node ``builder``;
``\\approx`` is the relation ``~`` (the grader reads ``3\\sqrt2 \\approx 4.24`` as either side).
Bounds make hostile input fail fast instead of exhausting the interpreter: nesting depth is checked
*before* each recursive descent, and the token count, node count and final tree height are capped.
"""

from __future__ import annotations

from fractions import Fraction

from mathft.grading.ast import Node
from mathft.grading.commands import COMMANDS, FUNCTIONS, function
from mathft.grading.lexer import LexError, Token, tokenize
from mathft.grading.sets import at_builder, builder

__all__ = ["ParseError", "parse", "MAX_DEPTH", "MAX_NODES", "MAX_TREE_DEPTH"]

MAX_DEPTH = 40  # ~10 Python frames per level: stays far below the interpreter's recursion limit
MAX_NODES = 2000
MAX_DIGITS = 1000
MAX_TREE_DEPTH = 100  # every consumer walks trees recursively (~3 frames per level)

_RELATIONS = {
    "=": "=", "<": "<", ">": ">", "\\leq": "<=", "\\le": "<=", "\\geq": ">=", "\\ge": ">=",
    "\\neq": "!=", "\\ne": "!=", "\\lt": "<", "\\gt": ">", "\\leqslant": "<=", "\\geqslant": ">=",
    # x \approx 11 states the value 11 like "=", but is kept apart so that a decimal after an exact
    # value (3\sqrt{2} \approx 4.24) can be read as a gloss on it (mathft.grading.relations.last_side).
    "\\approx": "~", "\\in": "in",
}
_SET_OPS = {"\\cup": "union", "\\cap": "cap", "\\setminus": "diff", "\\smallsetminus": "diff", "\\backslash": "diff"}
_RATIO = frozenset({":", "\\colon"})
_MUL_OPS = {"*": "mul", "\\cdot": "mul", "\\times": "mul", "/": "div", "\\div": "div"}
_CONSTANTS = {"\\pi": "pi", "\\infty": "oo", "\\infin": "oo"}
_GREEK = frozenset(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi rho "
    "sigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Sigma Phi Psi Omega".split()
)
_DELIMITED = {"\\lfloor": ("\\rfloor", "floor"), "\\lceil": ("\\rceil", "ceil")}
_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = frozenset({")", "]"})


class ParseError(ValueError):
    """The answer is not a math expression mathft can read (or exceeds a size bound)."""


def _is_integer_literal(node: Node) -> bool:
    return node.op == "num" and node.value.denominator == 1


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0
        self.nodes = 0

    # -- token helpers -------------------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.text == text

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ParseError("unexpected end of answer")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ParseError(f"expected {text!r}, found {token.text!r}")

    def node(self, op: str, args: tuple[Node, ...] = (), value: object = None) -> Node:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise ParseError(f"more than {MAX_NODES} nodes")
        return Node(op, args, value)

    def descend(self) -> None:
        # Checked before recursing so that 5000 nested brackets cost 40 frames, not a RecursionError.
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"nesting deeper than {MAX_DEPTH}")

    # -- grammar -------------------------------------------------------------------------------
    def parse_list(self) -> Node:
        self.descend()
        items = [self.parse_rel()]
        while self.at(","):
            self.take()
            items.append(self.parse_rel())
        self.depth -= 1
        return items[0] if len(items) == 1 else self.node("list", tuple(items))

    def parse_rel(self) -> Node:
        operands, relations = [self.parse_ratio()], []
        while (token := self.peek()) is not None and token.text in _RELATIONS:
            self.take()
            relations.append(_RELATIONS[token.text])
            operands.append(self.parse_ratio())
        if not relations:
            return operands[0]
        return self.node("rel", tuple(operands), tuple(relations))

    def parse_ratio(self) -> Node:
        items = [self.parse_union()]
        while (token := self.peek()) is not None and token.text in _RATIO:
            self.take()
            items.append(self.parse_union())
        if len(items) == 2:  # a ratio of two terms is their quotient: 3:8 is 6:16 and 3/8
            return self.node("div", tuple(items))
        return items[0] if len(items) == 1 else self.node("tuple", tuple(items), ":")

    def parse_union(self) -> Node:
        """Unions, intersections and differences of sets, left to right (``A \\cup B \\setminus C``)."""
        result, items = self.parse_add(), []
        while (token := self.peek()) is not None and token.text in _SET_OPS:
            self.take()
            op, right = _SET_OPS[token.text], self.parse_add()
            if op == "union":  # a chain of unions stays one flat node: its intervals compare as a set
                items = items or [result]
                items.append(right)
                result = self.node("union", tuple(items))
            else:
                items, result = [], self.node(op, (result, right))
        return result

    def parse_add(self) -> Node:
        terms = [self.parse_mul()]
        while (token := self.peek()) is not None and token.text in ("+", "-", "\\pm", "\\mp"):
            self.take()
            right = self.parse_mul()
            if token.text == "-":
                terms.append(self.node("neg", (right,)))
            elif token.text in ("\\pm", "\\mp"):
                left = terms[0] if len(terms) == 1 else self.node("add", tuple(terms))
                terms = [self.node("pm", (left, right))]
            else:
                terms.append(right)
        return terms[0] if len(terms) == 1 else self.node("add", tuple(terms))

    def parse_mul(self, stop_at_function: bool = False) -> Node:
        result = self.parse_unary()
        while (token := self.peek()) is not None:
            if token.text in _MUL_OPS:
                self.take()
                right = self.parse_unary()
                result = self._combine(_MUL_OPS[token.text], result, right)
            elif self._starts_implicit_factor(token, stop_at_function):
                result = self._implicit(result, self.parse_power())
            else:
                break
        return result

    def _implicit(self, left: Node, right: Node) -> Node:
        """Juxtaposition: a product, except a mixed number (``2\\frac{1}{4}`` is 9/4, as in MATH)."""
        whole, sign = (left.args[0], "neg") if left.op == "neg" else (left, None)
        if _is_integer_literal(whole) and right.op == "div" and all(_is_integer_literal(a) for a in right.args):
            mixed = self.node("add", (whole, right))
            return mixed if sign is None else self.node("neg", (mixed,))
        return self._combine("mul", left, right)

    def _combine(self, op: str, left: Node, right: Node) -> Node:
        if op == "mul" and left.op == "mul":
            return self.node("mul", (*left.args, right))
        return self.node(op, (left, right))

    def _starts_implicit_factor(self, token: Token, stop_at_function: bool) -> bool:
        if token.kind in ("num", "ident"):
            return True
        if token.kind == "op":
            return token.text in ("(", "{")
        name = token.text[1:]
        if stop_at_function and name in FUNCTIONS:
            return False
        return (
            token.text in _CONSTANTS or name in FUNCTIONS or name in _GREEK or token.text in _PRIMARY_COMMANDS
        )

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is not None and token.text in ("-", "+", "\\pm", "\\mp"):
            self.take()
            self.descend()
            operand = self.parse_unary()
            self.depth -= 1
            if token.text == "+":
                return operand
            return self.node("neg" if token.text == "-" else "pm", (operand,))
        return self.parse_power()

    def parse_power(self) -> Node:
        base = self.parse_postfix()
        if self.at("^"):
            self.take()
            self.descend()
            exponent = self.parse_script()
            self.depth -= 1
            return self.node("pow", (base, exponent))
        return base

    def parse_script(self) -> Node:
        """The argument of ``^``: a braced group, one digit of a number, or a signed factor."""
        # A whole number is read (x^23 is x to the 23rd, as every plain-math reader and PRM800K's grader
        # reads it), although LaTeX itself would typeset x^2 followed by 3.
        token = self.peek()
        if token is not None and token.text in ("-", "+"):
            return self.parse_unary()
        return self.parse_power()  # right-associative: 9^9^9 is 9^(9^9)

    def single_digit(self) -> Node:
        # LaTeX reads one character of an unbraced argument: x^23 is x^2 * 3, \frac12 is 1/2.
        token = self.take()
        if len(token.text) > 1 and token.text[0].isdigit():
            if not token.text[1].isdigit():
                raise ParseError(f"cannot split {token.text!r} into one-digit arguments")
            self.pos -= 1
            self.tokens[self.pos] = Token("num", token.text[1:])
            return self.number(token.text[0])
        return self.number(token.text)

    def parse_postfix(self) -> Node:
        result = self.parse_primary()
        depth = self.depth
        while (token := self.peek()) is not None and token.text in ("!", "_"):
            self.take()
            self.descend()  # 3!!!!... nests without recursing here, but every later tree walk recurses
            result = self.node("func", (result,), "factorial") if token.text == "!" else self.subscript(result)
        self.depth = depth
        return result

    def subscript(self, base: Node) -> Node:
        label = self.script_text()
        if base.op == "num" and base.value.denominator == 1 and label.isdigit():
            return self.node("base", value=(str(base.value.numerator), int(label)))
        if base.op == "sym" and base.value not in ("pi", "oo"):
            return self.node("sym", value=f"{base.value}_{label}")
        raise ParseError(f"unsupported subscript {label!r}")

    def script_text(self) -> str:
        """The raw text of a subscript: ``{12}`` -> ``"12"``, ``2`` -> ``"2"``, ``n`` -> ``"n"``."""
        if not self.at("{"):
            return self.take().text.lstrip("\\")
        self.take()
        parts = []
        while not self.at("}"):
            parts.append(self.take().text.lstrip("\\"))
            if len(parts) > 20:
                raise ParseError("subscript too long")
        self.take()
        return "".join(parts)

    def parse_primary(self) -> Node:
        token = self.take()
        if token.kind == "num":
            return self.number(token.text)
        if token.kind == "ident":
            return self.node("sym", value=token.text)
        if token.text in _OPENERS or token.text == "{" or token.text == "\\{":
            return self.group(token.text)
        if token.text == "|":
            return self.absolute()
        if token.text == "\\langle":
            return self.angle()
        if token.text in _CONSTANTS:
            return self.node("sym", value=_CONSTANTS[token.text])
        if token.text[1:] in _GREEK:
            return self.node("sym", value=token.text[1:])
        handler = _PRIMARY_COMMANDS.get(token.text)
        if handler is not None:
            return handler(self)
        if token.text[1:] in FUNCTIONS:
            return function(self, token.text[1:])
        raise ParseError(f"unexpected {token.text!r}")

    def number(self, text: str) -> Node:
        if len(text) > MAX_DIGITS:  # int() of more digits is quadratic (and refused past 4300 by Python)
            raise ParseError(f"number longer than {MAX_DIGITS} digits")
        mantissa, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > 400:
            raise ParseError("scientific exponent out of range")
        value = Fraction(mantissa)
        if "." in mantissa or exponent:
            # The spelling is kept: the rounding rule needs the decimal places actually written.
            return self.node("dec", value=text)
        return self.node("num", value=value)

    def group(self, opener: str) -> Node:
        if opener == "\\{" and self.at("\\}"):
            self.take()
            return self.empty_set()
        if opener == "\\{" and at_builder(self):
            return builder(self)
        self.descend()
        inner = self.parse_list()
        closer = self.take().text
        self.depth -= 1
        if opener == "\\{":
            if closer != "\\}":
                raise ParseError("unclosed set")
            return self.node("set", inner.args if inner.op == "list" else (inner,))
        if opener == "{":
            if closer != "}":
                raise ParseError("unclosed brace")
            return inner
        if closer not in _CLOSERS:
            raise ParseError(f"unclosed {opener!r}")
        if inner.op == "matrix":
            return inner  # \left[\begin{array}...\end{array}\right] is the matrix, not a 1-tuple of it
        if inner.op == "list":
            return self.node("tuple", inner.args, opener + closer)
        if opener + closer != "()" and inner.op not in ("rel",):
            return self.node("tuple", (inner,), opener + closer)
        return inner

    def angle(self) -> Node:
        """``\\langle 1, 2 \\rangle``: a vector written as its ordered components, i.e. the tuple ``(1, 2)``."""
        self.descend()
        inner = self.parse_list()
        self.expect("\\rangle")
        self.depth -= 1
        return self.node("tuple", inner.args if inner.op == "list" else (inner,), "()")

    def delimited(self, opener: str) -> Node:
        closer, name = _DELIMITED[opener]
        self.descend()
        inner = self.parse_add()
        self.expect(closer)
        self.depth -= 1
        return self.node("func", (inner,), name)

    def empty_set(self) -> Node:
        return self.node("set", ())

    def absolute(self) -> Node:
        self.descend()
        inner = self.parse_add()
        self.expect("|")
        self.depth -= 1
        return self.node("func", (inner,), "abs")

    def argument(self) -> Node:
        """A command argument: ``{...}`` or a single token (``\\frac12``, ``\\sqrt2``, ``\\frac ab``)."""
        token = self.peek()
        if token is not None and token.text == "{":
            self.take()
            return self.group("{")
        if token is not None and token.kind == "num":
            return self.single_digit()
        self.descend()
        result = self.parse_primary()
        self.depth -= 1
        return result


_PRIMARY_COMMANDS = {
    **COMMANDS,
    "\\lfloor": lambda parser: parser.delimited("\\lfloor"),
    "\\lceil": lambda parser: parser.delimited("\\lceil"),
    "\\emptyset": _Parser.empty_set,
    "\\varnothing": _Parser.empty_set,
}


def parse(text: str, max_tokens: int = 2000) -> Node:
    """Parse a normalized answer into a syntax tree.

    Raises:
        ParseError: When the text is not a math expression or exceeds a size or depth bound.
    """
    try:
        tokens = tokenize(text, max_tokens)
    except LexError as err:
        raise ParseError(str(err)) from None
    if not tokens:
        raise ParseError("empty answer")
    parser = _Parser(tokens)
    try:
        tree = parser.parse_list()
    except ParseError:
        raise
    except (ValueError, ArithmeticError) as err:  # a malformed literal such as "." or "5.e": not math
        raise ParseError(f"malformed answer: {err}") from None
    if parser.peek() is not None:
        raise ParseError(f"unexpected {parser.peek().text!r}")
    if _depth(tree) > MAX_TREE_DEPTH:  # left-nested chains (1/2/3/..., a \pm b \pm c ...) build depth too
        raise ParseError(f"expression nested deeper than {MAX_TREE_DEPTH}")
    return tree


def _depth(tree: Node) -> int:
    """Height of the tree, computed without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((arg, level + 1) for arg in node.args)
    return deepest

