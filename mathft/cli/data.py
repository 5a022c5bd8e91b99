"""``mathft data``: data utilities. ``mathft data synth --out DIR`` writes the built-in synthetic task."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mathft data", description="Data utilities.")
    commands = parser.add_subparsers(dest="command", required=True)
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
                       "inverse_linear is the guess-and-check family of the demo)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``mathft data <command>``.

    Returns:
        The process exit status.
    """
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.command == "synth":
        from mathft.data.synthetic import write_synthetic

        if args.n < 1 or (args.n_test is not None and args.n_test < 0):
            print("mathft data synth: --n must be >= 1 and --n-test >= 0", file=sys.stderr)
            return 2
        n_test = args.n_test if args.n_test is not None else max(1, args.n // 10)
        try:
            written = write_synthetic(args.out, n_train=args.n, n_test=n_test, seed=args.seed,
                                      families=args.families)
        except ValueError as err:
            print(f"mathft data synth: {err}", file=sys.stderr)
            return 2
        for name, path in written.items():
            print(f"{name}: {path}")
    return 0
