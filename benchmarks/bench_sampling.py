"""Sampling throughput of ``mathft.sampling`` against HF ``generate(num_return_sequences=N)``.

What is measured: generated tokens (EOS and padding not counted) per CPU-second of the process, with one
torch thread so that other jobs on a shared machine do not distort it (the wall-clock ratio is printed
too), of both samplers on the same randomly initialised tiny Llama, the same left-padded prompts of
MATH-like length (~100-200 tokens), the same number of samples N per prompt, the same rows per batch
(problems x N) and the same per-step distribution (temperature 0.6, top-p 0.95, top-k off: HF's default
``top_k=50`` is disabled with ``top_k=0``). Two workloads, because a random model never emits a real EOS:

* ``fixed``: EOS disabled on both sides, every row runs to ``max_new_tokens``. The work is identical token
  for token; the gain comes from prefilling each prompt once instead of N times and a leaner decode step.
* ``varied``: the most frequent tokens (~4/max_new_tokens of the mass) are declared EOS on both sides,
  so rows end at random (roughly geometric) lengths drawn from the same distribution for both. HF keeps
  decoding finished rows as padding until the slowest row ends; mathft drops them. The mean solution
  lengths printed for both should agree within noise (same distribution; rows of one prompt are
  correlated, so the +- understates it); the tokens/s counts only real tokens.

Run ``python benchmarks/bench_sampling.py`` (a few minutes) or ``--quick`` (< 60 s, smaller model).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

_WORDS = (
    "Let $x$ be a real number such that $x^2 + 3x - 10 = 0$. Find the sum of all possible values of $x$. "
    "We factor the quadratic as $(x+5)(x-2)=0$, so the roots are $-5$ and $2$ and their sum is $-3$. "
    "A bag holds 4 red marbles and 6 blue marbles. Two marbles are drawn without replacement. What is the "
    "probability that both are red? The probability is $\\frac{4}{10}\\cdot\\frac{3}{9}=\\frac{2}{15}$. "
    "In triangle $ABC$, $AB = 13$, $BC = 14$ and $CA = 15$. Compute the area of the triangle using Heron's "
    "formula: $s = 21$ and the area is $\\sqrt{21 \\cdot 8 \\cdot 7 \\cdot 6} = 84$. # Answer\n\n84"
).split(" ")


@dataclass
class Run:
    """One timed sampling run."""

    wall: float
    cpu: float
    lengths: list[int]

    @property
    def tokens_per_s(self) -> float:
        """Tokens per CPU-second of this process (robust to other jobs on a shared machine)."""
        return sum(self.lengths) / self.cpu

    @property
    def tokens_per_wall_s(self) -> float:
        return sum(self.lengths) / self.wall


class _Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def build_model(root: Path, quick: bool):
    """A tiny Llama written and loaded the way a user's model is (``from_pretrained``)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from mathft.backbones.tiny import write_tiny_backbone

    rng = random.Random(0)
    # Invented words give the BPE enough distinct merges for a vocabulary of the asked size.
    letters = "abcdefghijklmnopqrstuvwxyz"
    invented = ["".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(3000)]
    corpus = [" ".join(random.Random(i).sample(_WORDS, 40) + rng.sample(invented, 20)) for i in range(600)]
    size = dict(hidden_size=128, num_layers=2) if quick else dict(hidden_size=256, num_layers=4)
    path = write_tiny_backbone(corpus, root / "model", vocab_size=1000 if quick else 4000, num_heads=4, **size)
    model = AutoModelForCausalLM.from_pretrained(path).eval()
    return model, AutoTokenizer.from_pretrained(path)


def make_prompts(tokenizer, count: int, rng: random.Random) -> list[str]:
    """Prompts of 100-200 tokens, like MATH problems with the instruction template."""
    prompts = []
    for _ in range(count):
        target, words = rng.randint(100, 200), []
        while len(tokenizer(" ".join(words))["input_ids"]) < target:
            words.append(rng.choice(_WORDS))
        prompts.append(" ".join(words))
    return prompts


def run_hf(model, tokenizer, prompts, n, max_new, eos, per_call) -> Run:
    """HF generate, ``per_call`` prompts (x ``n`` rows each) per call; EOS ``None`` runs to max length."""
    model.generation_config.eos_token_id = None if eos is None else list(eos)
    tokenizer.padding_side = "left"
    lengths, outputs = [], []
    with _Clock() as clock:
        for i in range(0, len(prompts), per_call):
            enc = tokenizer(prompts[i : i + per_call], return_tensors="pt", padding=True)
            with torch.inference_mode():
                out = model.generate(
                    **enc, do_sample=True, temperature=0.6, top_p=0.95, top_k=0, num_return_sequences=n,
                    max_new_tokens=max_new, pad_token_id=tokenizer.pad_token_id,
                )
            outputs.append(out[:, enc["input_ids"].shape[1] :])
    for row in torch.cat(outputs).tolist():
        ends = [i for i, token in enumerate(row) if eos is not None and token in eos]
        lengths.append(ends[0] if ends else max_new)
    return Run(clock.wall, clock.cpu, lengths)


def run_ours(model, tokenizer, prompts, n, max_new, eos, per_call, seed=0) -> Run:
    """mathft's sampler with the same rows per batch."""
    from mathft.sampling import sample_solutions

    with _Clock() as clock:
        samples = sample_solutions(
            model, tokenizer, prompts, num_samples=n, max_new_tokens=max_new, temperature=0.6, top_p=0.95,
            eos_token_ids=() if eos is None else eos, seed=seed, batch_size=per_call * n,
        )
    return Run(clock.wall, clock.cpu, [s.num_tokens for group in samples for s in group])


def pick_eos(model, tokenizer, prompts, max_new: int) -> tuple[int, ...]:
    """The most frequent sampled tokens, together about 4/max_new of all: most rows end well before the limit.

    Calibrated on full-length samples (a seed the timed runs do not use), as the frequencies drift with position.
    """
    from mathft.sampling import sample_solutions

    samples = sample_solutions(
        model, tokenizer, prompts[:2], num_samples=8, max_new_tokens=max_new, eos_token_ids=(), seed=12345
    )
    counts = Counter(t for group in samples for s in group for t in s.token_ids)
    total, chosen, mass = sum(counts.values()), [], 0
    for token, count in counts.most_common():
        if mass >= 4 / max_new * total:
            break
        chosen.append(token)
        mass += count
    return tuple(chosen)


def mean_sem(values: list[int]) -> str:
    sem = statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0
    return f"{statistics.fmean(values):.1f}+-{sem:.1f}"


def compare(model, tokenizer, prompts, n, max_new, eos, rows, repeats) -> float:
    per_call = max(1, rows // n)
    hf_runs, our_runs = [], []
    for repeat in range(repeats):  # interleaved; the best run of each is kept, as noise only slows
        hf_runs.append(run_hf(model, tokenizer, prompts, n, max_new, eos, per_call))
        our_runs.append(run_ours(model, tokenizer, prompts, n, max_new, eos, per_call, seed=repeat))
    best = lambda runs, key: max(key(r) for r in runs)  # noqa: E731
    cpu = best(our_runs, Run.tokens_per_s.fget) / best(hf_runs, Run.tokens_per_s.fget)
    wall = best(our_runs, Run.tokens_per_wall_s.fget) / best(hf_runs, Run.tokens_per_wall_s.fget)
    hf_lengths = [x for r in hf_runs for x in r.lengths]
    our_lengths = [x for r in our_runs for x in r.lengths]
    workload = "fixed " if eos is None else "varied"
    print(
        f"{workload} N={n:<3d} rows/batch={per_call * n:<4d} "
        f"HF {best(hf_runs, Run.tokens_per_s.fget):7.0f} tok/cpu-s (mean len {mean_sem(hf_lengths)})  "
        f"mathft {best(our_runs, Run.tokens_per_s.fget):7.0f} tok/cpu-s (mean len {mean_sem(our_lengths)})  "
        f"ratio {cpu:.2f}x (wall-clock ratio {wall:.2f}x)",
        flush=True,
    )
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller model and workload (< 60 s)")
    parser.add_argument(
        "--threads", type=int, default=1, help="torch intra-op threads (1: CPU time then measures work alone)"
    )
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per sampler (best is kept)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(0)
    torch.manual_seed(0)
    problems, max_new, repeats = (4, 48, 1) if args.quick else (4, 160, 2)
    repeats = args.repeats or repeats
    with tempfile.TemporaryDirectory() as tmp:
        model, tokenizer = build_model(Path(tmp), args.quick)
        prompts = make_prompts(tokenizer, problems, random.Random(1))
        params = sum(p.numel() for p in model.parameters()) / 1e6
        lengths = [len(tokenizer(p)["input_ids"]) for p in prompts]
        eos = pick_eos(model, tokenizer, prompts, max_new)
        print(
            f"model {params:.1f}M params, vocab {len(tokenizer)}, {problems} prompts of "
            f"{min(lengths)}-{max(lengths)} tokens, max_new_tokens {max_new}, "
            f"threads {torch.get_num_threads()}, varied workload: {len(eos)} tokens declared EOS"
        )
        for n in (16, 64):
            for stop in (None, eos):
                compare(model, tokenizer, prompts, n, max_new, stop, rows=64, repeats=repeats)


if __name__ == "__main__":
    main()
