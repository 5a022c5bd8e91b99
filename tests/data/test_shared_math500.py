"""The readers on real data: the PRM800K MATH500 split in ``../shared/data`` (skipped where it is absent).

The gold of a MATH problem file is its solution's last ``\\boxed{}`` (the MATH convention), which must agree
with the ``answer`` that PRM800K published for the same problem on all 500 problems.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.data.hendrycks_math import read_math
from mathft.grading import is_equivalent
from mathft.grading.extract import last_boxed

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "prm800k_math_splits_test.jsonl"
pytestmark = pytest.mark.skipif(not SHARED.is_file(), reason=f"real data not here: {SHARED} (the project's "
                                "../shared folder holds the PRM800K MATH500 split)")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines()]


def _math_tree(rows: list[dict], root: Path) -> Path:
    """The split as MATH distributes it: ``test/<subject dir>/<n>.json`` without PRM800K's ``answer``."""
    for row in rows:
        path = root / row["unique_id"]
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = {"problem": row["problem"], "solution": row["solution"], "level": f"Level {row['level']}",
                  "type": row["subject"]}
        path.write_text(json.dumps(fields), encoding="utf-8")
    return root


def test_math_tree_gold_is_the_last_box_and_agrees_with_prm800k(rows: list[dict], tmp_path: Path) -> None:
    problems = {p.id: p for p in read_math(_math_tree(rows, tmp_path), split="test")}
    assert len(problems) == 500
    disagree = [r["unique_id"] for r in rows if not is_equivalent(r["answer"], problems[r["unique_id"]].answer)]
    assert disagree == []
    # Two boxes in one solution, 15 39/40 and then 639/40: joining them made every right answer "wrong".
    assert problems["test/number_theory/459.json"].answer == "\\frac{639}{40}"


def test_last_boxed_takes_the_last_outermost_box() -> None:
    assert last_boxed("So $\\boxed{15\\frac{39}{40}}$, i.e. $\\boxed{\\frac{639}{40}}$.") == "\\frac{639}{40}"
    assert last_boxed("$\\boxed{\\boxed{5}}$ and then $\\boxed{}$") == "5"
    assert last_boxed("no box here") is None
