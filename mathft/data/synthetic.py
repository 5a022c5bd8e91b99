"""The built-in synthetic task: seeded competition-style problems with both solution styles.

Problems cycle through four families (arithmetic, linear equations, fractions and ratios, word problems)
and five levels; answers are integers, negatives and reduced fractions. Every problem has a terse
MATH-style solution ending in ``\\boxed{}`` and a fine-grained PRM800K-style one (one step per line,
``# Answer\\n\\n<answer>``) whose answer is typed as a labeller would (``3/4``, ``0.75``), so grading
needs equivalence. Sized for a few-million-parameter model: problem plus solution is ~30-120 tokens.
"""

from __future__ import annotations

import random
from pathlib import Path

from mathft.data.problem import STYLES, Problem
from mathft.data.splits import problem_key
from mathft.data.synthetic_expr import latex, plain
from mathft.data.synthetic_families import FAMILIES, SynthItem

__all__ = ["generate", "write_synthetic", "corpus", "SPLIT_FILES"]

_MAX_TRIES = 200
# (split, style) -> file name inside the output directory; readers pick the style from the row.
SPLIT_FILES = {(split, style): f"{split}.{style}.jsonl" for split in ("train", "test") for style in STYLES}


def _to_problems(item: SynthItem, pid: str, level: int, rng: random.Random) -> list[Problem]:
    gold = latex(item.answer)
    prm = "\n".join(item.steps) + f"\n# Answer\n\n{plain(item.answer, rng)}"
    common = dict(id=pid, problem=item.problem, answer=gold, level=level, subject=item.subject, source="synthetic")
    return [Problem(solution=item.terse, style="math", **common), Problem(solution=prm, style="prm800k", **common)]


def generate(n: int, seed: int = 0, *, split: str = "train", exclude: set[str] | None = None) -> list[Problem]:
    """Generate ``n`` distinct problems, each twice: a MATH-style and a PRM800K-style record (same id).

    Problem ``i`` has family ``FAMILIES[i % 4]`` and level ``1 + (i // 4) % 5``, so every prefix is balanced.

    Args:
        n: Number of distinct problems.
        seed: Random seed; the output is a pure function of ``(n, seed, split, exclude)``.
        split: Split name, part of ids (``synthetic/train/00012``) and of the random stream.
        exclude: Problem keys (:func:`~mathft.data.splits.problem_key`) that must not be generated,
            e.g. the training problems when generating the test split.

    Raises:
        ValueError: If ``n`` distinct problems cannot be drawn: an easy level's space runs out somewhere
            above ``n = 10000``.
    """
    rng = random.Random(f"mathft-synthetic/{seed}/{split}")
    seen = set(exclude or ())
    out: list[Problem] = []
    for i in range(n):
        family, level = FAMILIES[i % len(FAMILIES)], 1 + (i // len(FAMILIES)) % 5
        for _ in range(_MAX_TRIES):
            item = family(rng, level)
            if problem_key(item.problem) not in seen:
                break
        else:
            raise ValueError(
                f"cannot draw {n} distinct synthetic problems: {family.__name__} level {level} is exhausted"
            )
        seen.add(problem_key(item.problem))
        out.extend(_to_problems(item, f"synthetic/{split}/{i:05d}", level, rng))
    return out


def write_synthetic(out_dir: str | Path, n_train: int = 2000, n_test: int = 200, seed: int = 0) -> dict[str, Path]:
    """Write ``{train,test}.{math,prm800k}.jsonl`` (PRM800K ``math_splits`` fields plus ``style``).

    Test problems never repeat a training problem.

    Returns:
        ``"<split>.<style>"`` -> written path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = generate(n_train, seed, split="train")
    test = generate(n_test, seed, split="test", exclude={problem_key(p.problem) for p in train})
    written = {}
    for (split, style), name in SPLIT_FILES.items():
        rows = [p for p in (train if split == "train" else test) if p.style == style]
        written[f"{split}.{style}"] = _write_jsonl(out / name, rows)
    return written


def _write_jsonl(path: Path, problems: list[Problem]) -> Path:
    import json

    with path.open("w", encoding="utf-8") as handle:
        for problem in problems:
            handle.write(json.dumps(problem.to_json(), ensure_ascii=False) + "\n")
    return path


def corpus(n: int = 1000, seed: int = 0, extra: list[str] | None = None) -> list[str]:
    """Texts to train the built-in tokenizer (:func:`mathft.backbones.tiny.train_tokenizer`) on.

    Problems and both solution styles of ``n`` training problems, plus the default SSFT and evaluator
    templates, so their words become tokens.
    """
    from mathft.data.templates import EVALUATOR_TEMPLATE, SSFT_PROMPT_TEMPLATE

    texts = []
    for p in generate(n, seed, split="train"):
        texts.append(SSFT_PROMPT_TEMPLATE.format(problem=p.problem) + p.solution)
        if p.style == "math":
            texts.append(EVALUATOR_TEMPLATE.format(problem=p.problem, solution=p.solution))
    return texts + list(extra or [])
