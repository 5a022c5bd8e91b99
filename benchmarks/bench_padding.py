"""Padding waste of random batching vs length bucketing vs packing on the synthetic task.

Run: ``python benchmarks/bench_padding.py [--n 2000] [--style both]``. Prints the padding fraction
(padding tokens / all tokens in the padded batches, averaged over epochs) and the ratios to random.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

from mathft.datamodules.batching import BucketBatches, PackedBatches, RandomBatches, padding_fraction


def _lengths(n: int, style: str, workdir: Path) -> list[int]:
    from mathft.backbones.tiny import train_tokenizer
    from mathft.data.synthetic import corpus, write_synthetic
    from mathft.datamodules import SSFTDataModule

    write_synthetic(workdir / "synth", n_train=n, n_test=10, seed=0)
    tok = train_tokenizer(corpus(1000), workdir / "tok", vocab_size=512)
    files = [str(workdir / "synth" / f"train.{s}.jsonl") for s in ("math", "prm800k")]
    dm = SSFTDataModule(files, tokenizer=str(tok), style=style, max_length=512, val_fraction=0.0)
    dm.setup("fit")
    return [len(e) for e in dm.train_examples]


def _mean_padding(planner, lengths: list[int], epochs: int) -> float:
    return statistics.mean(padding_fraction(planner(random.Random(f"0/{e}")), lengths) for e in range(epochs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="training problems (each in both styles)")
    parser.add_argument("--style", default="both", choices=["math", "prm800k", "both"])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lengths = _lengths(args.n, args.style, Path(tmp))
    print(f"{len(lengths)} sequences, tokens: mean {statistics.mean(lengths):.1f}, max {max(lengths)}")
    header = ("batch", "random", "bucket", "pack", "random/bucket", "random/pack", "plan ms")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (6, 8, 8, 8, 14, 12, 8))))
    for batch_size in (8, 16, 32):
        start = time.perf_counter()
        rnd = _mean_padding(RandomBatches(lengths, batch_size), lengths, args.epochs)
        bucket = _mean_padding(BucketBatches(lengths, batch_size), lengths, args.epochs)
        # Same token budget per batch as bucketing's typical batch: rows of 256 tokens.
        pack = _mean_padding(PackedBatches(lengths, 256, max(1, batch_size * 80 // 256)), lengths, args.epochs)
        ms = (time.perf_counter() - start) * 1000 / (3 * args.epochs)
        ratios = f"{rnd / bucket:>13.1f}x {rnd / max(pack, 1e-9):>11.1f}x"
        print(f"{batch_size:>6} {rnd:>8.2%} {bucket:>8.2%} {pack:>8.2%} {ratios} {ms:>8.1f}")


if __name__ == "__main__":
    main()
