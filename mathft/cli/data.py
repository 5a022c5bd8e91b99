"""``mathft data``: data utilities.

- ``mathft data synth --out DIR`` writes the built-in synthetic task;
- ``mathft data check PATH...`` prints Table 1-style statistics of MATH trees, PRM800K files and JSONL;
- ``mathft data backbone --out DIR [--corpus FILES]`` writes a tiny scratch backbone whose tokenizer is
  trained on the given problems (default: the synthetic corpus).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _synth_parser(commands: argparse._SubParsersAction) -> None:
    synth = commands.add_parser(
        "synth",
        help="write the synthetic task: {train,test}.{math,prm800k}.jsonl",
        description="Write the built-in synthetic competition-style task in the PRM800K math_splits format, "
        "one file per split and solution style.",
    )
    synth.add_argument("--out", required=True, help="output directory")
    synth.add_argument("--n", type=int, default=2000, help="number of training problems (default 2000)")
    synth.add_argument("--n-test", type=int, default=None, help="number of test problems (default n/10)")
    synth.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    synth.add_argument("--families", nargs="+", default=None, metavar="NAME",
                       help="problem families (default: arithmetic linear_equation fractions word_problem; "
                       "factored_linear is the guess-and-check family of the demo)")


def _check_parser(commands: argparse._SubParsersAction) -> None:
    from mathft.cli.checks import int_range
    from mathft.data.statistics import MAX_LENGTHS

    check = commands.add_parser(
        "check",
        help="statistics of problem files: per split, subject and level; lengths; unparsable golds",
        description="Read MATH trees (the root or a split folder), PRM800K math_splits and phase files, and "
        "JSONL problem files, and print Table 1-style statistics: problems per split, subject and level; "
        "solution length in characters and, with --tokenizer, in tokens (with percentiles, and how many SSFT "
        "sequences exceed common max_length values); gold answers the grader cannot parse; problems whose "
        "gold answer cannot be found. Exit status 1 when a problem has no gold answer, 2 on unreadable input.",
    )
    check.add_argument("paths", nargs="+", metavar="PATH", help="MATH folder, PRM800K file or JSONL file")
    check.add_argument("--tokenizer", metavar="DIR",
                       help="tokenizer (a local folder or model name) for lengths in tokens")
    check.add_argument("--max-length", type=int_range(1), nargs="+", default=list(MAX_LENGTHS), metavar="N",
                       help=f"count SSFT sequences longer than these (with --tokenizer; default {MAX_LENGTHS})")
    check.add_argument("--json", metavar="FILE", help="also write the statistics as JSON to FILE")


def _backbone_parser(commands: argparse._SubParsersAction) -> None:
    from mathft.cli.checks import int_range

    backbone = commands.add_parser(
        "backbone",
        help="write a tiny scratch backbone (tokenizer + random Llama) for CPU runs",
        description="Train a byte-level BPE tokenizer on the problems and solutions of --corpus (default: the "
        "synthetic task's corpus) and write it with a randomly initialised tiny Llama into --out, loadable "
        "with AutoTokenizer/AutoModelForCausalLM (configs/tiny/*.yaml read artifacts/tiny_backbone).",
    )
    backbone.add_argument("--out", required=True, help="output directory")
    backbone.add_argument("--corpus", nargs="+", metavar="PATH",
                          help="training problems for the tokenizer (MATH folder, PRM800K or JSONL files)")
    backbone.add_argument("--vocab-size", type=int_range(300), default=512, help="BPE vocabulary (default 512)")
    backbone.add_argument("--number-tokens", type=int_range(0), default=0, metavar="N",
                          help="make every integer below N one token, as Llama 3's tokenizer does up to 999 "
                               "(default 0: every digit its own token)")
    backbone.add_argument("--hidden-size", type=int_range(1), default=64, help="model width (default 64)")
    backbone.add_argument("--num-layers", type=int_range(1), default=2, help="decoder layers (default 2)")
    backbone.add_argument("--num-heads", type=int_range(1), default=4, help="attention heads (default 4)")
    backbone.add_argument("--max-position-embeddings", type=int_range(1), default=1024,
                          help="longest sequence the model accepts (default 1024)")
    backbone.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus and of the weights")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mathft data", description="Data utilities.")
    commands = parser.add_subparsers(dest="command", required=True)
    _synth_parser(commands)
    _check_parser(commands)
    _backbone_parser(commands)
    return parser


def _synth(args: argparse.Namespace) -> int:
    from mathft.cli.checks import check_output_dir
    from mathft.data.synthetic import write_synthetic

    if args.n < 1 or (args.n_test is not None and args.n_test < 0):
        print("mathft data synth: --n must be >= 1 and --n-test >= 0", file=sys.stderr)
        return 2
    n_test = args.n_test if args.n_test is not None else max(1, args.n // 10)
    try:
        check_output_dir(args.out)  # InputError (a ValueError) naming --out
        written = write_synthetic(args.out, n_train=args.n, n_test=n_test, seed=args.seed, families=args.families)
    except (ValueError, OSError) as err:
        print(f"mathft data synth: {err}", file=sys.stderr)
        return 2
    for name, path in written.items():
        print(f"{name}: {path}")
    return 0


def _load_tokenizer(name: str) -> object:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name)
    except (OSError, ValueError) as err:
        raise ValueError(f"--tokenizer {name}: cannot load a tokenizer ({str(err).splitlines()[0]})") from None


def _check(args: argparse.Namespace) -> int:
    from mathft.data.check import read_for_check
    from mathft.data.statistics import dataset_statistics, format_statistics

    try:
        parts = [part for path in args.paths for part in read_for_check(path)]
        tokenizer = _load_tokenizer(args.tokenizer) if args.tokenizer else None
        stats = dataset_statistics(parts, tokenizer, args.max_length)
        if args.json:
            from mathft.atomic import atomic_write

            with atomic_write(args.json) as handle:
                json.dump({"tokenizer": args.tokenizer, **stats}, handle, indent=2)
                handle.write("\n")
    except (ValueError, OSError) as err:  # DataError is a ValueError naming file, line and field
        print(f"mathft data check: {err}", file=sys.stderr)
        return 2
    print(format_statistics(stats, args.tokenizer))
    return 1 if any(s["no_gold"] for s in stats["splits"].values()) else 0


def _backbone(args: argparse.Namespace) -> int:
    from mathft.backbones.tiny import write_tiny_backbone
    from mathft.cli.checks import check_output_dir

    if args.hidden_size % args.num_heads:
        print(f"mathft data backbone: --num-heads {args.num_heads} must divide --hidden-size {args.hidden_size}",
              file=sys.stderr)
        return 2
    try:
        check_output_dir(args.out)
        texts = _corpus(args)
        out = write_tiny_backbone(texts, args.out, vocab_size=args.vocab_size, number_tokens=args.number_tokens,
                                  hidden_size=args.hidden_size,
                                  num_layers=args.num_layers, num_heads=args.num_heads,
                                  max_position_embeddings=args.max_position_embeddings, seed=args.seed)
    except (ValueError, OSError) as err:
        print(f"mathft data backbone: {err}", file=sys.stderr)
        return 2
    source = ", ".join(args.corpus) if args.corpus else "the synthetic task"
    print(f"backbone: {out} (tokenizer trained on {len(texts)} texts from {source})")
    return 0


def _corpus(args: argparse.Namespace) -> list[str]:
    if args.corpus:
        from mathft.backbones.corpus import read_corpus

        return read_corpus(args.corpus)
    from mathft.data.synthetic import corpus

    return corpus(1000, seed=args.seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mathft data <command>``.

    Returns:
        The process exit status.
    """
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    return {"synth": _synth, "check": _check, "backbone": _backbone}[args.command](args)
