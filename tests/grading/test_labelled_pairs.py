"""mathft's grader against the hand-labelled pairs in ``benchmarks/data/grader_pairs.jsonl``.

The pairs were written from docs/grading.md independently of the implementation (source:
``benchmarks/data/build_grader_pairs.py``). Two kinds of checks:

* accuracy over all pairs must stay at or above ``MIN_ACCURACY`` (raise it as the grader improves);
* false positives are never tolerated: every pair labelled "not equal" by the policy (all negatives
  except those whose note says ``policy silent``), and every ``near_miss`` pair, must be rejected.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAIRS_FILE = ROOT / "benchmarks" / "data" / "grader_pairs.jsonl"
# Measured 0.998 (672/673) on 2026-11-28 when this test was written; rounded down. Never below 0.95.
MIN_ACCURACY = 0.99


def _load() -> list[dict]:
    """The labelled pairs, one dict per JSONL line."""
    return [json.loads(line) for line in PAIRS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


PAIRS = _load()


def _must_reject(p: dict) -> bool:
    """Pairs whose rejection is required: near misses and negatives the policy decides."""
    if p["category"] == "near_miss":
        return True
    return not p["equal"] and not p.get("note", "").startswith("policy silent")


@pytest.fixture(scope="module")
def grader():
    """One Grader for the module, closed at the end."""
    from mathft.grading import Grader

    g = Grader()
    yield g
    g.close()


def test_pairs_file_is_well_formed() -> None:
    """At least 400 pairs, known fields, and both labels present in every category."""
    assert len(PAIRS) >= 400
    by_cat: dict[str, set[bool]] = {}
    for i, p in enumerate(PAIRS, 1):
        assert set(p) <= {"gold", "pred", "equal", "category", "note"}, f"line {i}: {p}"
        assert isinstance(p["gold"], str) and isinstance(p["pred"], str) and isinstance(p["equal"], bool), f"line {i}"
        by_cat.setdefault(p["category"], set()).add(p["equal"])
    one_sided = {c for c, labels in by_cat.items() if len(labels) < 2 and c not in ("near_miss", "empty")}
    assert not one_sided, f"categories without both positive and negative pairs: {one_sided}"


def test_accuracy_at_least_threshold(grader) -> None:
    """Overall accuracy on the labelled pairs does not regress below MIN_ACCURACY."""
    wrong = [p for p in PAIRS if grader.is_equivalent(p["gold"], p["pred"]) != p["equal"]]
    acc = 1 - len(wrong) / len(PAIRS)
    shown = "\n".join(f"  [{p['category']}] {p['gold']!r} vs {p['pred']!r}: label {p['equal']}" for p in wrong[:40])
    assert acc >= MIN_ACCURACY, f"accuracy {acc:.3f} < {MIN_ACCURACY}; wrong pairs:\n{shown}"


@pytest.mark.parametrize("pair", [p for p in PAIRS if _must_reject(p)],
                         ids=lambda p: f"{p['category']}:{p['gold']}|{p['pred']}")
def test_policy_negatives_rejected(grader, pair: dict) -> None:
    """No false positive on a near miss or a policy-negative pair."""
    assert grader.is_equivalent(pair["gold"], pair["pred"]) is False, pair.get("note", "")


def test_bench_quick_runs_tiny_slice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``bench_grader.main`` runs end to end on a tiny slice and writes the numbers it printed."""
    # On sys.path for the whole run: the hostile section's spawned children import these helpers too.
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    bench = importlib.import_module("bench_grader")
    out = tmp_path / "bench.json"
    result = bench.main(["--quick", "--pairs-limit", "12", "--workload", "24", "--problems", "2",
                         "--mv-problems", "1", "--hostile-limit", "1", "--hang-s", "10", "--no-math-verify",
                         "--json", str(out)])
    written = json.loads(out.read_text())
    assert written["mathft"]["throughput"] > 0
    assert written["mathft"]["cluster"]["n"] == 2
    assert 0.0 <= written["mathft"]["accuracy"]["overall"] <= 1.0
    assert written["mathft"]["hostile"]["max_s"] < 10
    assert result["math_verify"] is None
