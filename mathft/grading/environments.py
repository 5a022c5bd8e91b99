"""``\\begin{...}`` environments of an answer: matrices, vectors and determinants.

Split from :mod:`mathft.grading.parser` because it owns one idea: what an environment's rows *mean*.
``pmatrix``/``bmatrix``/``array``... are matrix values; ``vmatrix`` (and ``Vmatrix``) is the notation
for a determinant, so it is parsed as the determinant's expression (``ad - bc``), not as a matrix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mathft.grading.ast import Node

if TYPE_CHECKING:
    from mathft.grading.parser import _Parser

__all__ = ["MATRICES", "DETERMINANTS", "environment"]

MATRICES = frozenset({"pmatrix", "bmatrix", "matrix", "Bmatrix", "smallmatrix", "array"})
DETERMINANTS = frozenset({"vmatrix"})
_MAX_DETERMINANT = 3  # cofactor expansion grows factorially; a 3x3 determinant has 6 terms


def environment(parser: _Parser) -> Node:
    """Parse the rest of ``\\begin{name} ... \\end{name}`` (the ``\\begin`` token is consumed)."""
    from mathft.grading.parser import ParseError  # a cycle: the parser dispatches here

    name = parser.script_text()
    if name not in MATRICES and name not in DETERMINANTS:
        raise ParseError(f"unsupported environment {name!r}")
    if name == "array" and parser.at("{"):
        parser.script_text()  # column specification such as {cc}
    rows: list[list[Node]] = [[]]
    while not parser.at("\\end"):
        if parser.at("&"):
            parser.take()
            continue
        if parser.at("\\\\"):
            parser.take()
            rows.append([])
            continue
        rows[-1].append(parser.parse_rel())
    parser.take()
    if parser.script_text() != name:
        raise ParseError(f"\\begin{{{name}}} closed by another environment")
    rows = [row for row in rows if row]
    if not rows or any(len(row) != len(rows[0]) for row in rows):
        raise ParseError("ragged or empty matrix")
    if name in DETERMINANTS:
        if len(rows) != len(rows[0]) or len(rows) > _MAX_DETERMINANT:
            raise ParseError(f"determinant of a {len(rows)}x{len(rows[0])} array is not supported")
        return _determinant(parser, rows)
    entries = tuple(entry for row in rows for entry in row)
    return parser.node("matrix", entries, (len(rows), len(rows[0])))


def _determinant(parser: _Parser, rows: list[list[Node]]) -> Node:
    """Cofactor expansion along the first row (at most 3x3, so at most 6 products)."""
    if len(rows) == 1:
        return rows[0][0]
    terms = []
    for column, entry in enumerate(rows[0]):
        minor = [row[:column] + row[column + 1 :] for row in rows[1:]]
        term = parser.node("mul", (entry, _determinant(parser, minor)))
        terms.append(term if column % 2 == 0 else parser.node("neg", (term,)))
    return parser.node("add", tuple(terms))
