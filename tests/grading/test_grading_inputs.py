"""Inputs that are not answers: None, non-strings, lone surrogates."""

from __future__ import annotations

import pytest

from mathft.grading import Grader, normalize_answer


def test_none_is_never_equivalent(grader: Grader) -> None:
    assert grader.is_equivalent("5", None) is False
    assert grader.is_equivalent(None, "5") is False  # type: ignore[arg-type]
    assert grader.is_equivalent(None, None) is False  # type: ignore[arg-type]
    assert grader.is_equivalent("5", [5]) is False  # type: ignore[arg-type]


def test_json_numbers_are_answers(grader: Grader) -> None:
    assert grader.is_equivalent("5", 5) is True  # type: ignore[arg-type]
    assert grader.is_equivalent("0.5", 0.5) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 5, b"5"])
def test_normalize_rejects_non_strings_by_name(value: object) -> None:
    with pytest.raises(TypeError, match="answer must be a str"):
        normalize_answer(value)  # type: ignore[arg-type]


def test_lone_surrogate_equals_itself(grader: Grader) -> None:
    assert normalize_answer("\ud800") == "\ud800"
    assert grader.is_equivalent("\ud800", "\ud800") is True
    assert grader.is_equivalent("\ud800", "5") is False
    assert grader.cluster_answers(["\ud800", "5", "\ud800"]) == [[0, 2], [1]]
