"""How large the correct cluster and the top cluster are (the paper's Figure 4 data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from mathft.selection.analysis import ProblemAnalysis

__all__ = ["ClusterSizes", "cluster_sizes"]


@dataclass(frozen=True)
class ClusterSizes:
    """Cluster sizes as shares of N, one entry per problem.

    Attributes:
        correct_share: Share of the samples in the correct cluster(s), for problems that have one.
        top_share: Share of the samples in the largest cluster, for problems with any cluster.
        top_correct: Whether that largest cluster is correct (aligned with ``top_share``).
        num_samples: The largest N of any problem (shares are multiples of 1/N when all N are equal).
    """

    correct_share: list[float]
    top_share: list[float]
    top_correct: list[bool]
    num_samples: int = 0


def cluster_sizes(analyses: Sequence[ProblemAnalysis]) -> ClusterSizes:
    """Collect the correct-cluster and top-cluster shares of every problem."""
    correct, top, top_ok, largest = [], [], [], 0
    for a in analyses:
        largest = max(largest, a.num_samples)
        if a.num_correct:
            correct.append(a.num_correct / a.num_samples)
        if a.clusters:
            top.append(len(a.clusters[0]) / a.num_samples)
            top_ok.append(a.cluster_correct[0])
    return ClusterSizes(correct, top, top_ok, largest)
