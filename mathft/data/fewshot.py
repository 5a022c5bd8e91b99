"""Four-shot prompts for the few-shot baseline (paper Tables 2 and 5, "Few-shot" rows; Minerva's 4-shot setup).

A base model, not fine-tuned, sees four solved problems and then the test problem, in the same
``Problem:``/``Solution:`` layout as the SSFT prompt, so its answer is extracted and graded like a
fine-tuned generator's. The four problems and their solutions are written for this project (algebra,
number theory, geometry, fractions; short, so that the prompt fits small context windows), once in each
solution style: MATH's terse ``\\boxed{}`` and PRM800K's one step per line ending ``# Answer``. A base model
goes on to write a fifth "Problem:" after its solution, so sampling stops at :data:`FEWSHOT_STOP`.
"""

from __future__ import annotations

from mathft.data.templates import SSFT_PROMPT_TEMPLATE

__all__ = ["FEWSHOT_EXAMPLES", "FEWSHOT_STOP", "fewshot_template"]

# (problem, MATH-style solution, PRM800K-style solution), each worked by hand.
FEWSHOT_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("If $3x - 7 = 11$, what is the value of $6x + 5$?",
     "Adding 7 to both sides gives $3x = 18$, so $x = 6$ and $6x + 5 = 36 + 5 = \\boxed{41}$.",
     "Adding 7 to both sides gives $3x = 18$.\nSo $x = 6$.\nThen $6x + 5 = 36 + 5 = 41$.\n\n# Answer\n\n41"),
    ("How many positive divisors does $72$ have?",
     "Since $72 = 2^3 \\cdot 3^2$, a divisor is $2^a 3^b$ with $0 \\le a \\le 3$ and $0 \\le b \\le 2$, so there "
     "are $(3+1)(2+1) = \\boxed{12}$ divisors.",
     "The prime factorization is $72 = 2^3 \\cdot 3^2$.\nA divisor is $2^a 3^b$ with $0 \\le a \\le 3$ and "
     "$0 \\le b \\le 2$.\nSo there are $(3+1)(2+1) = 12$ divisors.\n\n# Answer\n\n12"),
    ("A right triangle has legs of length $8$ and $15$. What is the length of its hypotenuse?",
     "By the Pythagorean theorem the hypotenuse is $\\sqrt{8^2 + 15^2} = \\sqrt{289} = \\boxed{17}$.",
     "By the Pythagorean theorem the hypotenuse is $\\sqrt{8^2 + 15^2}$.\nThat is $\\sqrt{64 + 225} = "
     "\\sqrt{289}$.\nSo the hypotenuse is $17$.\n\n# Answer\n\n17"),
    ("Compute $\\frac{2}{3} + \\frac{3}{4}$.",
     "With the common denominator 12, $\\frac{2}{3} + \\frac{3}{4} = \\frac{8}{12} + \\frac{9}{12} = "
     "\\boxed{\\frac{17}{12}}$.",
     "The common denominator is 12.\n$\\frac{2}{3} = \\frac{8}{12}$ and $\\frac{3}{4} = \\frac{9}{12}$.\n"
     "So the sum is $\\frac{17}{12}$.\n\n# Answer\n\n\\frac{17}{12}"),
)
# Stops a solution where a base model starts the next example (kept in the text; the answer precedes it).
FEWSHOT_STOP: tuple[str, ...] = ("\nProblem:",)
_STYLE_COLUMN = {"math": 1, "prm800k": 2}


def _escape(text: str) -> str:
    """Braces of LaTeX doubled: the template is filled with ``str.format``."""
    return text.replace("{", "{{").replace("}", "}}")


def fewshot_template(style: str = "math") -> str:
    """The 4-shot prompt template in ``style``, with one ``{problem}`` placeholder for the test problem.

    Raises:
        ValueError: When ``style`` is not ``math`` or ``prm800k``.
    """
    if style not in _STYLE_COLUMN:
        raise ValueError(f"few-shot style must be one of {sorted(_STYLE_COLUMN)}, got {style!r}")
    shots = [SSFT_PROMPT_TEMPLATE.format(problem=_escape(example[0])) + _escape(example[_STYLE_COLUMN[style]])
             for example in FEWSHOT_EXAMPLES]
    return "\n\n".join(shots) + "\n\n" + SSFT_PROMPT_TEMPLATE
