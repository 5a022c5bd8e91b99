"""``json_number``: the one rule by which metrics reach JSON (checkpoint state, stage markers, report.json)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from mathft.jsonl import json_number


@pytest.mark.parametrize("value", [None, math.nan, math.inf, -math.inf, torch.tensor(math.nan), torch.tensor(math.inf)])
def test_undefined_values_become_none(value) -> None:
    assert json_number(value) is None


@pytest.mark.parametrize("value, expected", [(0.0, 0.0), (0, 0.0), (0.75, 0.75), (torch.tensor(0.25), 0.25)])
def test_finite_values_become_floats(value, expected) -> None:
    number = json_number(value)
    assert isinstance(number, float) and number == expected


def test_results_are_strict_json() -> None:
    values = [json_number(v) for v in (math.nan, 0.5, math.inf)]
    assert json.loads(json.dumps(values, allow_nan=False)) == [None, 0.5, None]
