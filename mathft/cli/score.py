"""``mathft score``: evaluator scores for every candidate of a store, kept beside it under ``scores/<name>/``.

Resumable (a rerun scores only what is missing) and sharded by ``RANK``/``WORLD_SIZE`` like
``mathft sample``; ``mathft rerank --candidates STORE --scores NAME`` then re-ranks without regenerating.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from mathft.data.errors import DataError
from mathft.data.templates import EVALUATOR_TEMPLATE
from mathft.records import RecordError

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathft score",
        description="Score the candidates of a store with an evaluator: S = p(correct) / (p(correct) + "
        "p(incorrect)) at the prompt's last position. Ranks come from RANK/WORLD_SIZE/LOCAL_RANK.",
    )
    parser.add_argument("--model", required=True, type=Path, help="evaluator: a save_pretrained directory")
    parser.add_argument("--store", required=True, type=Path, help="candidate store directory (from mathft sample)")
    parser.add_argument("--name", default="score", help="scorer name: scores go to STORE/scores/NAME (default score)")
    parser.add_argument("--batch-size", type=int, default=16, help="candidates per forward pass (default 16)")
    parser.add_argument("--max-length", type=int, default=1024,
                        help="longest prompt in tokens; longer solutions are cut from the left (default 1024)")
    parser.add_argument("--template", default=EVALUATOR_TEMPLATE, help="evaluator prompt with {problem} and {solution}")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"))
    parser.add_argument("--device", help="torch device (default cuda:LOCAL_RANK when available, else cpu)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _run(args: argparse.Namespace) -> None:
    from mathft.sampling.launch import load_model, pick_device, rank_from_env
    from mathft.sampling.runner import score_store
    from mathft.sampling.score_shards import read_scores

    ranks = rank_from_env()
    if not args.store.is_dir() or not any(args.store.glob("shard-*.jsonl")):
        raise DataError(f"--store {args.store}: not a candidate store (no shard-*.jsonl files)")
    model, tokenizer = load_model(args.model, args.dtype, pick_device(args.device, ranks.local_rank))
    stats = score_store(
        model, tokenizer, args.store, name=args.name, template=args.template, batch_size=args.batch_size,
        max_length=args.max_length, rank=ranks.rank, world_size=ranks.world_size, progress=not args.no_progress,
    )
    print(f"rank {ranks.rank}/{ranks.world_size}: scored {stats.scored} of {stats.candidates} candidates, skipped "
          f"{stats.skipped} already scored; {stats.truncated} cut from the left to fit, {stats.too_long} too long, "
          f"{stats.no_text} without text; {stats.seconds:.1f}s")
    scores = list(read_scores(args.store, args.name).values())
    if scores:
        print(f"store: {len(scores)} candidates scored by {args.name!r}, mean score {sum(scores) / len(scores):.3f}")


def main(argv: Sequence[str]) -> int:
    """Run ``mathft score``.

    Returns:
        0 on success, 2 on a bad option, model directory or store (message on stderr).
    """
    args = _parser().parse_args(list(argv))
    try:
        _run(args)
    except (DataError, RecordError, ValueError, OSError) as err:
        print(f"mathft score: error: {err}", file=sys.stderr)
        return 2
    return 0
