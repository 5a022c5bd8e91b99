"""Selection over sampled solutions: clustering, voting, re-ranking strategies, pass@k, curves and
bootstrap intervals.

Pure functions over plain data (no torch): one :class:`ProblemAnalysis` per problem is computed once by
:func:`analyze_problem` (the only step that grades), and every metric, strategy and curve is derived
from it.
"""

from mathft.selection.analysis import ProblemAnalysis, analyze_problem, from_clusters
from mathft.selection.bootstrap import bootstrap_ci, paired_bootstrap_diff
from mathft.selection.distributions import ClusterSizes, cluster_sizes
from mathft.selection.curves import Curve, curves_by_k, curves_by_samples, curves_by_top_n
from mathft.selection.grader import AnswerGrader, ExactMatchGrader, default_grader, grader_stats
from mathft.selection.passk import pass_at_1, pass_at_k, pass_at_k_curve, pass_at_n
from mathft.selection.strategies import STRATEGIES, Verdict
from mathft.selection.verdicts import Summary, metric_names, problem_costs, problem_values, summarize
from mathft.selection.voting import maj_at_n

__all__ = [
    "AnswerGrader",
    "ClusterSizes",
    "cluster_sizes",
    "Curve",
    "ExactMatchGrader",
    "ProblemAnalysis",
    "STRATEGIES",
    "Summary",
    "Verdict",
    "analyze_problem",
    "bootstrap_ci",
    "curves_by_k",
    "curves_by_samples",
    "curves_by_top_n",
    "default_grader",
    "from_clusters",
    "grader_stats",
    "maj_at_n",
    "metric_names",
    "paired_bootstrap_diff",
    "pass_at_1",
    "pass_at_k",
    "pass_at_k_curve",
    "pass_at_n",
    "problem_costs",
    "problem_values",
    "summarize",
]
