"""``mathft score``: evaluator scores for every candidate of a store, kept beside it under ``scores/<name>/``.

Resumable (a rerun scores only what is missing) and sharded by ``RANK``/``WORLD_SIZE`` like
``mathft sample``; ``mathft rerank --candidates STORE --scores NAME`` then re-ranks without regenerating.
A second writer of a score shard fails at once, and scores under one ``--name`` come from one evaluator,
template and ``--max-length`` (the fingerprint in ``STORE/scores/NAME/``); every line names its evaluator.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mathft.cli.checks import InputError, int_range
from mathft.data.errors import DataError
from mathft.data.templates import EVALUATOR_TEMPLATE
from mathft.records import RecordError

if TYPE_CHECKING:
    from mathft.sampling.scoring import ScoreRunStats

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
    parser.add_argument("--batch-size", type=int_range(1), default=16, help="candidates per forward pass (default 16)")
    parser.add_argument("--max-length", type=int_range(1), default=1024,
                        help="longest prompt in tokens; longer solutions are cut from the left (default 1024)")
    parser.add_argument("--template", default=EVALUATOR_TEMPLATE, help="evaluator prompt with {problem} and {solution}")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"))
    parser.add_argument("--device", help="torch device (default cuda:LOCAL_RANK when available, else cpu)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _check_options(args: argparse.Namespace) -> None:
    from mathft.data.templates import check_template
    from mathft.sampling.score_shards import score_shard

    check_template(args.template, ("problem", "solution"), "--template")
    try:
        score_shard(args.store, args.name, 0)
    except ValueError as err:
        raise InputError(f"--name: {err}") from None
    if not args.store.is_dir() or not any(args.store.glob("shard-*.jsonl")):
        raise DataError(f"--store {args.store}: not a candidate store (no shard-*.jsonl files)")


def _run(args: argparse.Namespace) -> int:
    from mathft.data.fingerprint import ModelSource, claim_fingerprint
    from mathft.data.store_lock import StoreLock
    from mathft.sampling.launch import check_model_dir, load_model, load_tokenizer_of, pick_device, rank_from_env
    from mathft.sampling.runner import score_store
    from mathft.sampling.scoring import PromptFitter
    from mathft.sampling.score_shards import read_scores, score_shard

    ranks = rank_from_env()
    _check_options(args)
    device = pick_device(args.device, ranks.local_rank)
    check_model_dir(args.model)
    source = ModelSource(args.model, args.dtype)
    shard = score_shard(args.store, args.name, ranks.rank)
    # Locked and compared before the model loads, so that a second writer or another evaluator fails at once;
    # and --max-length checked against the template first, so that a run that cannot score leaves nothing.
    with StoreLock(shard.with_suffix(".lock"), f"scores {shard.parent} (rank {ranks.rank})"):
        PromptFitter(load_tokenizer_of(args.model), args.template, args.max_length).check_room()
        claim_fingerprint(shard.parent, {"template": args.template, "max_length": args.max_length}, source,
                          verb="scored")
        model, tokenizer = load_model(args.model, args.dtype, device)
        stats = score_store(
            model, tokenizer, args.store, name=args.name, template=args.template, batch_size=args.batch_size,
            max_length=args.max_length, rank=ranks.rank, world_size=ranks.world_size,
            progress=not args.no_progress, source=source,
        )
    print(f"rank {ranks.rank}/{ranks.world_size}: scored {stats.scored} of {stats.candidates} candidates, skipped "
          f"{stats.skipped} already scored; {stats.truncated} cut from the left to fit, {stats.too_long} too long, "
          f"{stats.no_text} without text; {stats.seconds:.1f}s")
    scores = list(read_scores(args.store, args.name).values())
    if scores:
        print(f"store: {len(scores)} candidates scored by {args.name!r}, mean score {sum(scores) / len(scores):.3f}")
    return _unscored(stats, args)


def _unscored(stats: ScoreRunStats, args: argparse.Namespace) -> int:
    """1, with a message, when candidates are left without a score (re-ranking refuses their problems)."""
    if not stats.too_long and not stats.no_text:
        return 0
    if stats.too_long:
        print(f"mathft score: error: {stats.too_long} candidates not scored: their problem and the template alone "
              f"exceed --max-length {args.max_length}; score again with a larger --max-length under a new --name",
              file=sys.stderr)
    if stats.no_text:
        print(f"mathft score: error: {stats.no_text} candidates not scored: their records have no text or no "
              "problem statement to score", file=sys.stderr)
    return 1


def main(argv: Sequence[str]) -> int:
    """Run ``mathft score``.

    Returns:
        0 on success; 1 when some candidates could not be scored (too long, or no text); 2 on a bad option,
        model directory or store, including one another process is scoring or one scored under ``--name``
        by another evaluator, template or ``--max-length`` (message on stderr).
    """
    args = _parser().parse_args(list(argv))
    try:
        return _run(args)
    except (DataError, RecordError, ValueError, OSError) as err:
        print(f"mathft score: error: {err}", file=sys.stderr)
        return 2
