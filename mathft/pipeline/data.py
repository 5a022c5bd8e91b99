"""The data stage (problem files, checked against the generator styles) and the scratch backbone stage
(tokenizer + tiny model from scratch, the tokenizer trained on the run's own training data)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mathft.data.problem import Problem
from mathft.pipeline.config import DataConfig, ScratchModelConfig
from mathft.pipeline.stages import StageContext

__all__ = ["run_data", "run_scratch_backbone", "build_scratch_backbone", "read_split", "read_training"]


def run_data(ctx: StageContext, config: DataConfig, styles: Sequence[str] = ("math",)) -> dict[str, Any]:
    """Write the synthetic task, or check that the configured files read; record the file lists.

    Args:
        ctx: The stage's context.
        config: The ``data`` section.
        styles: ``generator.styles``: each needs training solutions of its style, checked here so that a
            mismatch fails before any generator trains.

    Raises:
        DataError: On unreadable files, or a style in ``styles`` without training solutions.
    """
    from mathft.data.problem import first_per_id
    from mathft.pipeline.data_checks import check_styles

    if config.synthetic:
        from mathft.data.synthetic import write_synthetic

        files = write_synthetic(ctx.dir, n_train=config.n_train, n_test=config.n_test, seed=config.seed,
                                families=config.families)
        train = [str(files["train.math"]), str(files["train.prm800k"])]
        test = [str(files["test.math"])]
    else:
        train, test = [str(Path(f).resolve()) for f in config.train_files], [str(Path(f).resolve()) for f in config.test_files]
    solutions, left_out = read_training(train)
    by_style = check_styles(solutions, styles, train)
    counts = {"train_problems": len(first_per_id(solutions)), "test_problems": len(read_split(test, "test"))}
    shown = ", ".join(f"{n} {style}-style" for style, n in by_style.items())
    print(f"data: {counts['train_problems']} training problems ({shown} solutions) and {counts['test_problems']} "
          "test problems" + "".join(f"; {n} PRM800K trajectories left out ({reason.replace('_', ' ')})"
                                     for reason, n in left_out.items() if n))
    return {"outputs": {"train_files": train, "test_files": test},
            "metrics": {**counts, "train_solutions_by_style": by_style,
                        **{f"phase_{reason}": n for reason, n in left_out.items()}}}


def read_training(files: Sequence[str]) -> tuple[list[Problem], dict[str, int]]:
    """Every training solution of ``files``, and how many trajectories the phase files among them left out
    by reason (``unfinished``, ``wrong_answer``, ``negative_step``, ``duplicates``; see
    :func:`~mathft.data.prm800k.read_prm800k_phase`)."""
    from mathft.data import read_problems
    from mathft.data.prm800k import PhaseStats, read_prm800k_phase
    from mathft.data.sources import is_phase_file

    solutions: list[Problem] = []
    left_out = PhaseStats().dropped()
    for spec in files:
        if Path(spec).is_file() and is_phase_file(spec):
            stats = PhaseStats()
            solutions += read_prm800k_phase(spec, stats=stats)
            left_out = {reason: left_out[reason] + n for reason, n in stats.dropped().items()}
        else:
            solutions += read_problems(spec, split="train")
    return solutions, left_out


def read_split(files: list[str], split: str) -> list[Problem]:
    """One record per distinct problem id, in file order (both styles share an id and a gold answer)."""
    from mathft.data import read_problems
    from mathft.data.problem import first_per_id

    return first_per_id(problem for spec in files for problem in read_problems(spec, split=split))


def run_scratch_backbone(ctx: StageContext, config: ScratchModelConfig, data_seed: int,
                         families: list[str] | None = None, train_files: Sequence[str] | None = None) -> dict[str, Any]:
    """The backbone stage for ``backbone.scratch``: a shipped build of these settings when
    ``config.prebuilt`` is on and one is shipped (:mod:`mathft.backbones.prebuilt`), else
    :func:`build_scratch_backbone`."""
    if config.prebuilt and not train_files:
        from mathft.backbones.prebuilt import build_key, copy_prebuilt, find_prebuilt

        shipped = find_prebuilt(build_key(config, data_seed, families))
        if shipped is not None:
            metrics = copy_prebuilt(shipped, ctx.dir / "model")
            print(f"backbone: the build shipped in {shipped} (these settings, built by python -m "
                  "mathft.backbones.prebuilt), copied instead of trained")
            return {"outputs": {"path": str(ctx.dir / "model")}, "metrics": {**metrics, "prebuilt": True}}
        print("backbone: no shipped build has these backbone.scratch / data settings; building it here",
              file=sys.stderr)
    elif config.prebuilt:
        print("backbone: shipped builds are of the synthetic corpus, not of training files; building it here",
              file=sys.stderr)
    model_dir, metrics = build_scratch_backbone(ctx.dir / "model", config, data_seed, families, train_files)
    return {"outputs": {"path": str(model_dir)}, "metrics": metrics}


def build_scratch_backbone(model_dir: Path, config: ScratchModelConfig, data_seed: int,
                           families: list[str] | None = None,
                           train_files: Sequence[str] | None = None) -> tuple[Path, dict[str, Any]]:
    """Train a BPE tokenizer and write a randomly initialised tiny Llama into ``model_dir`` (then drilled on
    arithmetic for ``config.drill_steps`` steps and on judging for ``config.judge_steps``, see
    :mod:`mathft.backbones.drill`).

    The tokenizer's corpus is the run's training problems (``train_files``) when given, else
    ``config.corpus_problems`` problems of the synthetic task: a tokenizer trained on the synthetic task
    splits real LaTeX into many more tokens.

    Returns:
        ``model_dir`` and the build's metrics (parameters, the drills' last losses).
    """
    from mathft.backbones.tiny import write_tiny_backbone

    if train_files:
        from mathft.backbones.corpus import read_corpus

        texts, source = read_corpus(train_files), "the training files"
    else:
        from mathft.data.synthetic import corpus

        texts, source = corpus(config.corpus_problems, seed=data_seed, families=families), "the synthetic task"
    model_dir = write_tiny_backbone(
        texts, model_dir,
        vocab_size=config.vocab_size, number_tokens=config.number_tokens,
        hidden_size=config.hidden_size, num_layers=config.num_layers, num_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
    )
    params = _count_parameters(model_dir)
    print(f"backbone: tiny Llama with {params / 1e6:.2f}M parameters in {model_dir}, tokenizer trained on "
          f"{len(texts)} texts of {source}")
    metrics: dict[str, Any] = {"parameters": params}
    if config.drill_steps:
        from mathft.backbones.drill import pretrain_on_drill

        metrics["drill_loss"] = pretrain_on_drill(model_dir, config.drill_steps, lr=config.drill_lr,
                                                  batch_size=config.drill_batch_size, seed=data_seed)
    if config.judge_steps:
        from mathft.backbones.drill import judge_on_drill

        metrics["judge_loss"] = judge_on_drill(model_dir, config.judge_steps, lr=config.judge_lr,
                                               batch_size=config.drill_batch_size, seed=data_seed)
    return model_dir, metrics


def _count_parameters(model_dir: Path) -> int:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    return sum(p.numel() for p in model.parameters())
