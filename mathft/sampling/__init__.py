"""Fast, reproducible sampling of N solutions per problem (the core of ``mathft sample``).

``sample_solutions(model, tokenizer, prompts, num_samples=64, max_new_tokens=512)`` returns, per prompt,
its :class:`Sample` list. Each prompt is prefilled once and its KV cache shared by its samples; finished
rows leave the running batch; the per-step distribution is HF's (temperature, top-k, top-p); a sample
depends only on ``(seed, problem key, sample index)``, so shards, ranks and resumed runs agree.
"""

from mathft.sampling.api import sample_solutions, sample_with_config
from mathft.sampling.config import SamplingConfig
from mathft.sampling.processors import draw_tokens, next_token_probs, warp_sorted
from mathft.sampling.rng import sample_seed
from mathft.sampling.sample import FinishReason, Sample

__all__ = [
    "FinishReason",
    "Sample",
    "SamplingConfig",
    "draw_tokens",
    "next_token_probs",
    "sample_seed",
    "sample_solutions",
    "sample_with_config",
    "warp_sorted",
]
