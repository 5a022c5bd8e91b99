"""Candidate record parsing: validation errors name file/line/field; answer extraction policy."""

import json
from pathlib import Path

import pytest

from mathft.records import RecordError, group_problems, read_records, record_from_json, record_to_json


def _write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n")
    return path


def test_missing_answer_key_is_extracted_but_explicit_null_is_kept(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.jsonl",
        [
            {"problem_id": "p", "gold": "2", "text": "so \\boxed{2}"},
            {"problem_id": "p", "gold": "2", "text": "so \\boxed{2}", "answer": None},
        ],
    )
    records = list(read_records(path, extract=lambda text: "EXTRACTED"))
    assert records[0].answer == "EXTRACTED"
    assert records[1].answer is None
    assert [r.sample_idx for r in records] == [0, 1]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ('{"problem_id": "p", "gold": "1", "text": "x"', "c.jsonl:2: invalid JSON"),
        ({"gold": "1", "text": "x"}, "c.jsonl:2: missing required field 'problem_id'"),
        ({"problem_id": "p", "gold": "1"}, "c.jsonl:2: a record needs 'text' or 'answer'"),
        ({"problem_id": "p", "gold": "1", "answer": "1", "score": "high"}, "field 'score' must be"),
        ({"problem_id": "p", "gold": "1", "answer": "1", "sample_idx": True}, "field 'sample_idx' must be int"),
        ([1, 2], "c.jsonl:2: expected a JSON object"),
    ],
)
def test_malformed_line_names_file_line_and_field(tmp_path: Path, row: object, fragment: str) -> None:
    path = _write(tmp_path / "c.jsonl", [{"problem_id": "p", "gold": "1", "answer": "1"}, row])
    with pytest.raises(RecordError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        list(read_records(path))


def test_round_trip_keeps_extra_keys() -> None:
    obj = {"problem_id": "p", "gold": "1", "answer": "1", "sample_idx": 3, "score": 0.5, "model": "m", "T": 0.6}
    record = record_from_json(obj)
    assert record.meta == {"model": "m", "T": 0.6}
    assert record_from_json(record_to_json(record)) == record


def test_group_rejects_conflicting_gold_and_repeated_sample() -> None:
    a = record_from_json({"problem_id": "p", "gold": "1", "answer": "1", "sample_idx": 0})
    b = record_from_json({"problem_id": "p", "gold": "2", "answer": "1", "sample_idx": 1})
    with pytest.raises(RecordError, match="conflicting gold"):
        group_problems([a, b])
    c = record_from_json({"problem_id": "p", "gold": "1", "answer": "3", "sample_idx": 0})
    with pytest.raises(RecordError, match="repeated sample_idx"):
        group_problems([a, c])
