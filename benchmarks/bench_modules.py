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
from typing import Any

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


def bench_generator(steps: int, batchings: tuple[str, ...] = ("random", "bucket", "pack")) -> dict[str, Any] | None:
    """Training solution-tokens/s of GeneratorModule on the synthetic task, per batching policy (CPU).

    All policies train the same tiny backbone on the same problems for the same number of steps; only the
    way examples are grouped into batches differs, so the ratios measure the padding the policy saves.
    """
    try:
        from mathft.data.synthetic import corpus, write_synthetic
        from mathft.datamodules import SSFTDataModule
    except ImportError:
        return None

    from mathft.backbones.tiny import write_tiny_backbone

    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = write_synthetic(Path(tmp) / "data", n_train=512, n_test=8)
        backbone = write_tiny_backbone(corpus(200), Path(tmp) / "tiny", vocab_size=512)
        for batching in batchings:
            # Both solution styles mixed: terse and step-by-step solutions differ in length, as in the paper.
            data = SSFTDataModule([str(files["train.math"]), str(files["train.prm800k"])], tokenizer=str(backbone),
                                  style="both", batch_size=16, batching=batching, max_length=256, pack_length=256)
            results[batching] = _train_tokens_per_s(backbone, data, steps)
    base = results.get("random", {}).get("solution_tokens_per_s")
    if base:
        results["ratio_vs_random"] = {k: v["solution_tokens_per_s"] / base for k, v in results.items() if k != "random"}
    return results


def _train_tokens_per_s(backbone: Path, data: Any, steps: int) -> dict[str, float]:
    import lightning.pytorch as pl

    from mathft.modules import BackboneConfig, GeneratorModule

    module = GeneratorModule(BackboneConfig(str(backbone)))
    counted = {"tokens": 0, "slots": 0}

    class Count(pl.Callback):
        def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):  # noqa: ANN001
            counted["tokens"] += int((batch["labels"] != -100).sum())
            counted["slots"] += int(batch["input_ids"].numel())

    trainer = pl.Trainer(accelerator="cpu", max_steps=steps, limit_val_batches=0, logger=False,
                         enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
                         callbacks=[Count()])
    start = time.perf_counter()
    trainer.fit(module, datamodule=data)
    seconds = time.perf_counter() - start
    return {"solution_tokens_per_s": counted["tokens"] / seconds, "token_slots": counted["slots"], "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--seq", type=int, default=256)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--generator-steps", type=int, default=20)
    args = parser.parse_args()
    result = {"scoring": bench_scoring(args.vocab, args.hidden, args.layers, args.seq, args.batch, args.repeats),
              "torch_threads": torch.get_num_threads()}
    if args.generator_steps > 0:
        result["generator"] = bench_generator(args.generator_steps)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
