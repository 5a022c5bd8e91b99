"""Shared fixtures: a tiny backbone written once per test session and loaded via ``from_pretrained``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CONFIGS = Path(__file__).parents[1] / "configs"

# A small math-flavoured corpus; enough for a byte-level BPE to learn common pieces.
_CORPUS = [
    "What is $3+4$? We add: $3+4=7$. The answer is $\\boxed{7}$.",
    "Solve $2x+3=11$.\nSubtract 3: $2x=8$.\nDivide by 2: $x=4$.\n\n# Answer\n\n4",
    "Compute $\\frac{3}{4}+\\frac{1}{4}$. The sum is $\\boxed{1}$.",
    "Here is a math problem: Simplify $\\frac{6}{8}$. Here is a candidate solution: $\\boxed{\\frac{3}{4}}$.",
    "A train travels 60 miles in 2 hours. Its speed is $\\boxed{30}$ miles per hour.",
] * 20


@pytest.fixture(scope="session")
def tiny_backbone_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding a ~100k-parameter Llama model and its tokenizer."""
    from mathft.backbones.tiny import write_tiny_backbone

    return write_tiny_backbone(_CORPUS, tmp_path_factory.mktemp("tiny_backbone"), vocab_size=400)


@pytest.fixture(scope="session")
def workspace(tmp_path_factory, tiny_backbone_dir: Path) -> dict[str, Path]:
    """Synthetic problems and a candidate file (one right and one wrong candidate per problem)."""
    from mathft.data.synthetic import write_synthetic

    root = tmp_path_factory.mktemp("workspace")
    files = write_synthetic(root / "data", n_train=24, n_test=4)
    candidates = root / "candidates.jsonl"
    with candidates.open("w") as out, files["train.math"].open() as problems:
        for i, line in enumerate(problems):
            row = json.loads(line)
            pid = row["unique_id"]
            for j, (answer, ok) in enumerate(((row["answer"], True), (f"{row['answer']}1", False))):
                out.write(json.dumps({"problem_id": pid, "gold": row["answer"], "problem": row["problem"],
                                      "text": f"So the answer is $\\boxed{{{answer}}}$.", "answer": answer,
                                      "sample_idx": j, "correct": ok}) + "\n")
    return {"root": root, "train": files["train.math"], "candidates": candidates, "backbone": tiny_backbone_dir}


@pytest.fixture
def one_thread():
    """One torch thread: on a shared CPU, threads spin-waiting on a busy core make the tiny model crawl."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
