"""The built-in synthetic task: seeded competition-style problems with both solution styles.

Problems cycle through the chosen families (by default the four original ones: arithmetic, linear
equations, fractions and ratios, word problems; the guess-and-check families of
:mod:`mathft.data.synthetic_checkable` on request) and five levels; answers are integers, negatives and reduced fractions. Every problem has a terse
MATH-style solution ending in ``\\boxed{}`` and a fine-grained PRM800K-style one (one step per line,
``# Answer\\n\\n<answer>``) whose answer is typed as a labeller would (``3/4``, ``0.75``), so grading
needs equivalence. Sized for a few-million-parameter model: problem plus solution is ~30-120 tokens.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

from mathft.data.problem import STYLES, Problem
from mathft.data.splits import problem_key
from mathft.data.synthetic_expr import latex, plain
from mathft.data.synthetic_checkable import CHECKABLE_FAMILIES
from mathft.data.synthetic_families import FAMILIES, SynthItem

__all__ = ["generate", "write_synthetic", "corpus", "family_names", "resolve_families", "SPLIT_FILES"]

# Every family by name, for configs (`data.families`); the default keeps the original four.
_ALL_FAMILIES = {f.__name__: f for f in (*FAMILIES, *CHECKABLE_FAMILIES)}
DEFAULT_FAMILIES = tuple(f.__name__ for f in FAMILIES)

_MAX_TRIES = 200
# (split, style) -> file name inside the output directory; readers pick the style from the row.
SPLIT_FILES = {(split, style): f"{split}.{style}.jsonl" for split in ("train", "test") for style in STYLES}


def _to_problems(item: SynthItem, pid: str, level: int, rng: random.Random) -> list[Problem]:
    gold = latex(item.answer)
    prm = "\n".join(item.steps) + f"\n# Answer\n\n{plain(item.answer, rng)}"
    common = dict(id=pid, problem=item.problem, answer=gold, level=level, subject=item.subject, source="synthetic")
    return [Problem(solution=item.terse, style="math", **common), Problem(solution=prm, style="prm800k", **common)]


def family_names() -> list[str]:
    """Names accepted by ``families`` (and the ``data.families`` config key)."""
    return list(_ALL_FAMILIES)


def resolve_families(names: Sequence[str] | None) -> tuple:
    """The family functions for ``names`` (``None``: the original four).

    Raises:
        ValueError: Naming an unknown family and the known ones.
    """
    chosen = DEFAULT_FAMILIES if names is None else tuple(names)
    unknown = [name for name in chosen if name not in _ALL_FAMILIES]
    if unknown or not chosen:
        raise ValueError(f"unknown synthetic families {unknown or '[]'}; choose from {family_names()}")
    return tuple(_ALL_FAMILIES[name] for name in chosen)


def generate(n: int, seed: int = 0, *, split: str = "train", exclude: set[str] | None = None,
             families: Sequence[str] | None = None) -> list[Problem]:
    """Generate ``n`` distinct problems, each twice: a MATH-style and a PRM800K-style record (same id).

    Problem ``i`` has family ``families[i % F]`` and level ``1 + (i // F) % 5`` for ``F`` families, so
    every prefix is balanced.

    Args:
        n: Number of distinct problems.
        seed: Random seed; the output is a pure function of ``(n, seed, split, exclude, families)``.
        split: Split name, part of ids (``synthetic/train/00012``) and of the random stream.
        exclude: Problem keys (:func:`~mathft.data.splits.problem_key`) that must not be generated,
            e.g. the training problems when generating the test split.
        families: Family names (:func:`family_names`); ``None`` for the original four.

    Raises:
        ValueError: If a family is unknown, or ``n`` distinct problems cannot be drawn (a level's space
            runs out).
    """
    chosen = resolve_families(families)
    rng = random.Random(f"mathft-synthetic/{seed}/{split}")
    seen = set(exclude or ())
    out: list[Problem] = []
    for i in range(n):
        family, level = chosen[i % len(chosen)], 1 + (i // len(chosen)) % 5
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


def write_synthetic(out_dir: str | Path, n_train: int = 2000, n_test: int = 200, seed: int = 0,
                    families: Sequence[str] | None = None) -> dict[str, Path]:
    """Write ``{train,test}.{math,prm800k}.jsonl`` (PRM800K ``math_splits`` fields plus ``style``).

    Test problems never repeat a training problem.

    Args:
        out_dir: Output directory (created).
        n_train: Distinct training problems.
        n_test: Distinct test problems.
        seed: Random seed.
        families: Family names (:func:`family_names`); ``None`` for the original four.

    Returns:
        ``"<split>.<style>"`` -> written path.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    train = generate(n_train, seed, split="train", families=families)
    test = generate(n_test, seed, split="test", exclude={problem_key(p.problem) for p in train}, families=families)
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


def corpus(n: int = 1000, seed: int = 0, extra: list[str] | None = None,
           families: Sequence[str] | None = None) -> list[str]:
    """Texts to train the built-in tokenizer (:func:`mathft.backbones.tiny.train_tokenizer`) on.

    Problems and both solution styles of ``n`` training problems, plus the default SSFT and evaluator
    templates, so their words become tokens.
    """
    from mathft.data.templates import EVALUATOR_TEMPLATE, SSFT_PROMPT_TEMPLATE

    texts = []
    for p in generate(n, seed, split="train", families=families):
        texts.append(SSFT_PROMPT_TEMPLATE.format(problem=p.problem) + p.solution)
        if p.style == "math":
            texts.append(EVALUATOR_TEMPLATE.format(problem=p.problem, solution=p.solution))
    return texts + list(extra or [])
