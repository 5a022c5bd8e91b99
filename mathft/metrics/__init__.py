"""torchmetrics wrappers of the selection layer, and the paper's figures.

Metric classes are imported lazily: ``mathft.metrics.figures`` (matplotlib only) must not pull in torch,
so that ``mathft rerank --plots`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["RerankMetrics", "SamplingMetrics", "SelectionMetric"]

_LAZY = {
    "RerankMetrics": "mathft.metrics.reranking",
    "SamplingMetrics": "mathft.metrics.sampling",
    "SelectionMetric": "mathft.metrics.base",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mathft.metrics' has no attribute {name!r}")
