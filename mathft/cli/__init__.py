"""The ``mathft`` command: one entry point, one module per subcommand.

Subcommand modules are imported lazily so that ``mathft rerank`` does not pay for importing torch and
Lightning, and a broken optional dependency of one subcommand cannot break the others.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

# subcommand -> (module with a ``main(argv)`` function, one-line help)
_SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("mathft.cli.lightning", "train a generator / evaluator / multi-task module (LightningCLI)"),
    "validate": ("mathft.cli.lightning", "run validation of a module (LightningCLI)"),
    "test": ("mathft.cli.lightning", "run the test loop of a module (LightningCLI)"),
    "data": ("mathft.cli.data", "data utilities: synth (the built-in task), check (statistics), backbone (tiny model)"),
    "rerank": ("mathft.cli.rerank", "selection strategies and metrics over a candidate file"),
    "grade": ("mathft.cli.grade", "grade answers in a JSONL file against their golds (per-line verdicts)"),
    "sample": ("mathft.cli.sample", "sample N solutions per problem into a candidate store"),
    "score": ("mathft.cli.score", "add evaluator scores to a candidate store"),
    "multitask": ("mathft.cli.multitask", "sequential multi-task fine-tuning from a plan (resumable)"),
    "pipeline": ("mathft.cli.pipeline", "run the paper's recipe end to end from one config"),
    "demo": ("mathft.cli.demo", "the built-in demo: the whole recipe on a synthetic task, on CPU"),
}

# Commands that read torchrun's RANK/WORLD_SIZE/LOCAL_RANK.
_RANKED = frozenset({"fit", "validate", "test", "multitask", "sample", "score", "pipeline", "demo"})


def _usage() -> str:
    width = max(len(name) for name in _SUBCOMMANDS)
    lines = ["usage: mathft <command> [options]", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in _SUBCOMMANDS.items()]
    lines += ["", "Run `mathft <command> --help` for the options of one command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Dispatch ``mathft <command> ...`` to the command's module.

    Returns:
        The process exit status.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0
    if args[0] in {"-V", "--version"}:
        from mathft import __version__

        print(f"mathft {__version__}")
        return 0
    name, rest = args[0], args[1:]
    if name not in _SUBCOMMANDS:
        print(f"mathft: unknown command {name!r}\n\n{_usage()}", file=sys.stderr)
        return 2
    module_name, _ = _SUBCOMMANDS[name]
    if name in _RANKED:
        from mathft.cli.checks import InputError, check_rank_env

        try:  # before any import: Lightning reads RANK with a bare int() when imported
            check_rank_env()
        except InputError as err:
            print(f"mathft {name}: error: {err}", file=sys.stderr)
            return 2
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        if err.name and err.name.startswith("mathft"):
            print(f"mathft: command {name!r} is not available in this version", file=sys.stderr)
            return 2
        raise
    # LightningCLI-backed commands need their own name (fit/validate/test) as the first argument.
    result = module.main([name, *rest] if module_name == "mathft.cli.lightning" else rest)
    return int(result or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
