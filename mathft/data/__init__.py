"""mathft.data: problem readers (MATH, PRM800K, Hugging Face), the synthetic task, splits, templates and
the candidate store. Modules import their heavy dependencies lazily; import from the submodules."""

from mathft.data.errors import DataError
from mathft.data.problem import Problem
from mathft.data.sources import read_problems

__all__ = ["DataError", "Problem", "read_problems"]
