"""An untrained model's samples hold any character: the store must round-trip them all.

Found by the pipeline: a 10-step generator sampled U+0085 (NEL) into a solution; ``json.dumps(...,
ensure_ascii=False)`` writes it raw, and a reader that split lines with ``str.splitlines`` (which also
breaks at NEL, U+2028, U+2029, \\x1c-\\x1e) cut the record in two and failed the sampling stage.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mathft.data.store import CandidateStore
from mathft.records import CandidateRecord


@pytest.mark.parametrize("char", ["\x85", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x0b", "\x0c"])
def test_store_round_trips_unicode_line_separators(tmp_path: Path, char: str) -> None:
    store = CandidateStore(tmp_path / "store")
    text = f"garbage {char} = \\boxed{{3}}"
    store.append([CandidateRecord("p1", "3", text=text, answer="3", sample_idx=0),
                  CandidateRecord("p1", "3", text="ok", answer="3", sample_idx=1)])
    records = list(store.records())
    assert [r.text for r in records] == [text, "ok"]
