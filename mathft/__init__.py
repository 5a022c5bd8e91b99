"""mathft: fine-tuning large language models for competition math.

Implements Liu et al. 2023, "Improving Large Language Model Fine-tuning for Solving Math Problems"
(arXiv 2310.10047): step-by-step solution fine-tuning, solution-cluster re-ranking with the LLM as its
own evaluator, and sequential multi-task fine-tuning, all graded by a safe mathematical-equivalence grader.
"""

__version__ = "0.1.0"
