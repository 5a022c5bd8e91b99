"""The data stage (problem files) and the demo's backbone stage (tokenizer + tiny model from scratch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mathft.data.problem import Problem
from mathft.pipeline.config import DataConfig, ScratchModelConfig
from mathft.pipeline.stages import StageContext

__all__ = ["run_data", "run_scratch_backbone", "read_split"]


def run_data(ctx: StageContext, config: DataConfig) -> dict[str, Any]:
    """Write the synthetic task, or check that the configured files read; record the file lists."""
    if config.synthetic:
        from mathft.data.synthetic import write_synthetic

        files = write_synthetic(ctx.dir, n_train=config.n_train, n_test=config.n_test, seed=config.seed,
                                families=config.families)
        train = [str(files["train.math"]), str(files["train.prm800k"])]
        test = [str(files["test.math"])]
    else:
        train, test = [str(Path(f).resolve()) for f in config.train_files], [str(Path(f).resolve()) for f in config.test_files]
    counts = {"train_problems": len(read_split(train, "train")), "test_problems": len(read_split(test, "test"))}
    print(f"data: {counts['train_problems']} training and {counts['test_problems']} test problems")
    return {"outputs": {"train_files": train, "test_files": test}, "metrics": counts}


def read_split(files: list[str], split: str, limit: int | None = None) -> list[Problem]:
    """One record per distinct problem id, in file order (both styles share an id and a gold answer)."""
    from mathft.data import read_problems

    seen: dict[str, Problem] = {}
    for spec in files:
        for problem in read_problems(spec, split=split):
            seen.setdefault(problem.id, problem)
    problems = list(seen.values())
    return problems[:limit] if limit is not None else problems


def run_scratch_backbone(ctx: StageContext, config: ScratchModelConfig, data_seed: int,
                         families: list[str] | None = None) -> dict[str, Any]:
    """Train a BPE tokenizer on the synthetic corpus and write a randomly initialised tiny Llama."""
    from mathft.backbones.tiny import write_tiny_backbone
    from mathft.data.synthetic import corpus

    model_dir = write_tiny_backbone(
        corpus(config.corpus_problems, seed=data_seed, families=families), ctx.dir / "model",
        vocab_size=config.vocab_size,
        hidden_size=config.hidden_size, num_layers=config.num_layers, num_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
    )
    params = _count_parameters(model_dir)
    print(f"backbone: tiny Llama with {params / 1e6:.2f}M parameters in {model_dir}")
    return {"outputs": {"path": str(model_dir)}, "metrics": {"parameters": params}}


def _count_parameters(model_dir: Path) -> int:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(str(model_dir))
    return sum(p.numel() for p in model.parameters())
