"""Module benchmarks: evaluator scoring (last-position vs full logits) and generator training tokens/s.

Run: ``python benchmarks/bench_modules.py [--vocab 32000 --hidden 256 --layers 2 --seq 256 --batch 4]``.
Prints one JSON object. Both scoring paths run in the same process on the same model and inputs, so
their ratio is meaningful even on a busy machine; absolute numbers are not.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch


def _model(vocab: int, hidden: int, layers: int, seq: int) -> torch.nn.Module:
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=vocab, hidden_size=hidden, intermediate_size=4 * hidden, num_hidden_layers=layers,
                         num_attention_heads=max(hidden // 64, 1), num_key_value_heads=max(hidden // 64, 1),
                         max_position_embeddings=seq + 8, tie_word_embeddings=False)
    return LlamaForCausalLM(config).eval()


def _timed(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (allocator, kernels)
    start = time.perf_counter()
    for _ in range(repeats):
        fn()
    return (time.perf_counter() - start) / repeats


def bench_scoring(vocab: int, hidden: int, layers: int, seq: int, batch: int, repeats: int) -> dict[str, float]:
    """Candidates/s of ``score_verdicts`` vs the reference that materialises ``[B, T, V]`` logits."""
    from mathft.modules.verdict import VerdictTokens, score_verdicts

    model = _model(vocab, hidden, layers, seq)
    ids = torch.randint(5, vocab, (batch, seq))
    mask = torch.ones_like(ids)
    mask[batch // 2 :, seq // 2 :] = 0  # right padding on half the rows
    tokens = VerdictTokens((3,), (4,))

    def full() -> torch.Tensor:
        logits = model(input_ids=ids, attention_mask=mask).logits
        last = logits[torch.arange(batch), mask.sum(1) - 1].softmax(-1)
        return last[:, 3] / (last[:, 3] + last[:, 4])

    with torch.no_grad():
        fast = lambda: score_verdicts(model, ids, mask, tokens).score  # noqa: E731
        torch.testing.assert_close(fast(), full(), rtol=1e-4, atol=1e-5)
        t_fast, t_full = _timed(fast, repeats), _timed(full, repeats)
    return {"last_position_cand_per_s": batch / t_fast, "full_logits_cand_per_s": batch / t_full,
            "speedup": t_full / t_fast,
            "full_logits_mb": batch * seq * vocab * 4 / 2**20}


def bench_generator(steps: int) -> dict[str, float] | None:
    """Training tokens/s of GeneratorModule on the synthetic task with the tiny backbone (CPU)."""
    try:
        from mathft.data.synthetic import corpus, write_synthetic
        from mathft.datamodules import SSFTDataModule
    except ImportError:
        return None
    import lightning.pytorch as pl

    from mathft.backbones.tiny import write_tiny_backbone
    from mathft.modules import BackboneConfig, GeneratorModule

    with tempfile.TemporaryDirectory() as tmp:
        files = write_synthetic(Path(tmp) / "data", n_train=256, n_test=8)
        backbone = write_tiny_backbone(corpus(200), Path(tmp) / "tiny", vocab_size=512)
        data = SSFTDataModule([str(files["train.math"])], tokenizer=str(backbone), style="math", batch_size=16)
        module = GeneratorModule(BackboneConfig(str(backbone)))
        counted = {"tokens": 0}

        class Count(pl.Callback):
            def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):  # noqa: ANN001
                counted["tokens"] += int((batch["labels"] != -100).sum())

        trainer = pl.Trainer(accelerator="cpu", max_steps=steps, limit_val_batches=0, logger=False,
                             enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                             callbacks=[Count()])
        start = time.perf_counter()
        trainer.fit(module, datamodule=data)
        seconds = time.perf_counter() - start
    return {"generator_solution_tokens_per_s": counted["tokens"] / seconds, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--generator-steps", type=int, default=10)
    args = parser.parse_args()
    result = {"scoring": bench_scoring(args.vocab, args.hidden, args.layers, args.seq, args.batch, args.repeats),
              "torch_threads": torch.get_num_threads()}
    if args.generator_steps > 0:
        result["generator"] = bench_generator(args.generator_steps)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
