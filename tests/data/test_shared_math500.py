"""The readers on real data: the PRM800K MATH500 split in ``../shared/data`` (skipped where it is absent).

The gold of a MATH problem file is its solution's last ``\\boxed{}`` (the MATH convention), which must agree
with the ``answer`` that PRM800K published for the same problem on all 500 problems. The counts per subject
and level are MATH500's published ones (43, 90, 105, 128 and 134 problems at levels 1-5); the file is pinned
by its sha256 in ``../shared/data/README.md``, so its statistics are fixed numbers here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mathft.cli.data import main as data_main
from mathft.data import read_problems
from mathft.data.hendrycks_math import read_math
from mathft.data.statistics import problem_counts
from mathft.grading import is_equivalent
from mathft.grading.extract import last_boxed

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "prm800k_math_splits_test.jsonl"
pytestmark = pytest.mark.skipif(not SHARED.is_file(), reason=f"real data not here: {SHARED} (the project's "
                                "../shared folder holds the PRM800K MATH500 split)")


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return [json.loads(line) for line in SHARED.read_text(encoding="utf-8").splitlines()]


SUBJECT_LEVELS = {
    "Algebra": {"1": 17, "2": 21, "3": 26, "4": 30, "5": 30},
    "Counting & Probability": {"1": 2, "2": 7, "3": 4, "4": 13, "5": 12},
    "Geometry": {"1": 2, "2": 8, "3": 8, "4": 10, "5": 13},
    "Intermediate Algebra": {"1": 7, "2": 12, "3": 19, "4": 23, "5": 36},
    "Number Theory": {"1": 5, "2": 10, "3": 16, "4": 19, "5": 12},
    "Prealgebra": {"1": 7, "2": 19, "3": 17, "4": 20, "5": 19},
    "Precalculus": {"1": 3, "2": 13, "3": 15, "4": 13, "5": 12},
}


def _math_tree(rows: list[dict], root: Path, train: int = 0) -> Path:
    """The split as MATH distributes it: ``test/<subject dir>/<n>.json`` without PRM800K's ``answer``; the
    first ``train`` rows go to ``train/`` instead (a training split for the micro pipeline)."""
    for index, row in enumerate(rows):
        split, subject, name = row["unique_id"].split("/")
        path = root / ("train" if index < train else split) / subject / name
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


def test_counts_per_subject_and_level() -> None:
    counts = problem_counts(read_problems(SHARED, split="test"))
    assert counts["by_subject_level"] == SUBJECT_LEVELS
    assert counts["by_level"] == {"1": 43, "2": 90, "3": 105, "4": 128, "5": 134}
    assert sum(counts["by_subject"].values()) == 500


@pytest.mark.parametrize("as_tree", [False, True], ids=["prm800k_file", "math_tree"])
def test_data_check_statistics(rows: list[dict], tmp_path: Path, as_tree: bool) -> None:
    """Both forms of the split: 500 problems, all golds found and parsed, the same subjects and levels and
    the same solution lengths (the MATH solutions are the same text in both)."""
    source = _math_tree(rows, tmp_path / "MATH") if as_tree else SHARED
    out = tmp_path / "stats.json"
    assert data_main(["check", str(source), "--json", str(out)]) == 0
    stats = json.loads(out.read_text())
    test = stats["splits"]["test"]
    assert (test["problems"], test["solutions"], test["styles"]) == (500, 500, {"math": 500})
    assert test["by_subject_level"] == SUBJECT_LEVELS
    assert test["no_gold"] == [] and test["golds"] == {"unparsable": [], "ungradable": []}
    chars = test["solution_chars"]
    assert (chars["p50"], chars["p90"], chars["max"], chars["mean"]) == (421, 1039, 3356, 531.3)


def test_a_tokenizer_trained_on_math_fits_more_text_per_token(tmp_path: Path) -> None:
    """The scratch tokenizer trained on MATH text packs more characters into a token than the synthetic
    one (about 1.75 against 1.45 at 512 tokens), which is why a real-data run trains its own."""
    from transformers import AutoTokenizer

    from mathft.backbones.corpus import read_corpus
    from mathft.backbones.tiny import train_tokenizer
    from mathft.data.check import read_for_check
    from mathft.data.statistics import dataset_statistics
    from mathft.data.synthetic import corpus

    parts = read_for_check(SHARED)
    ratios = {}
    for name, texts in (("math", read_corpus([SHARED])), ("synthetic", corpus(1000))):
        tokenizer = AutoTokenizer.from_pretrained(str(train_tokenizer(texts, tmp_path / name, vocab_size=512)))
        ratios[name] = dataset_statistics(parts, tokenizer)["splits"]["test"]["chars_per_token"]
    assert ratios["math"] > ratios["synthetic"] + 0.2, ratios


@pytest.mark.slow
def test_micro_pipeline_on_400_train_and_100_test_problems(rows: list[dict], tmp_path: Path) -> None:
    """configs/pipeline/micro_math.yaml as the README runs it, on a MATH tree of 400/100 problems: every
    stage finishes, and the report has the breakdowns and the real data's closing text (about 2 minutes)."""
    from mathft.pipeline import load_config, run_pipeline
    from tests.conftest import CONFIGS

    root = _math_tree(rows, tmp_path / "MATH", train=400)
    config = load_config(CONFIGS / "pipeline" / "micro_math.yaml",
                         [f"data.train_files=[{root / 'train'}]", f"data.test_files=[{root / 'test'}]"])
    markers = run_pipeline(config, tmp_path / "run")
    assert all(not m["skipped"] for m in markers.values())
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["table2"]["math"]["num_problems"] == 100 and report["dataset"]["train_problems"] == 400
    assert sum(row["n"] for row in report["table2"]["math"]["by_level"].values()) == 100
    assert len(report["per_problem"]) == 100
    markdown = (tmp_path / "run" / "report.md").read_text()
    assert "## Accuracy by subject" in markdown and "synthetic" not in markdown.lower()
