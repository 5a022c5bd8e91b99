"""``mathft sample``: N solutions per problem into a resumable, sharded candidate store.

Run it again with the same arguments after a crash and it samples only what is missing; run it under
``torchrun`` (or with ``RANK``/``WORLD_SIZE`` set) and each rank samples its share into its own shard.
Every option is checked while the command line is parsed; a second writer of a shard fails at once
naming the first, and a resume with another model, template or setting fails naming the field (see
``docs/contracts.md``, "Candidate stores").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mathft.cli.checks import check_output_dir, float_range, int_range
from mathft.data.errors import DataError
from mathft.data.problem import STYLES
from mathft.data.templates import SSFT_PROMPT_TEMPLATE
from mathft.records import CandidateRecord, RecordError

if TYPE_CHECKING:
    from mathft.data.fingerprint import ModelSource
    from mathft.sampling import SamplingConfig

__all__ = ["main", "store_summary"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mathft sample",
        description="Sample N solutions per problem into a candidate store (one shard per rank; resumable). "
        "Ranks come from RANK/WORLD_SIZE/LOCAL_RANK, as torchrun sets them.",
    )
    parser.add_argument("--model", required=True, type=Path, help="generator: a save_pretrained directory")
    parser.add_argument("--problems", required=True, nargs="+", help="problem files, MATH directories or hf:<name>")
    parser.add_argument("--out", required=True, type=Path, help="candidate store directory (created or resumed)")
    parser.add_argument("--split", default="test", help="split of a MATH directory or hf: dataset (default test)")
    parser.add_argument("--style", default="math", choices=STYLES, help="keep problems of this solution style")
    parser.add_argument("--num-samples", type=int_range(1), default=64, help="samples per problem (default 64)")
    parser.add_argument("--temperature", type=float_range(0, low_open=True), default=0.6,
                        help="sampling temperature, > 0 (default 0.6)")
    parser.add_argument("--top-p", type=float_range(0, 1, low_open=True), default=0.95,
                        help="nucleus mass, in (0, 1] (default 0.95)")
    parser.add_argument("--max-new-tokens", type=int_range(1), default=512,
                        help="longest solution in tokens (default 512)")
    parser.add_argument("--max-prompt-tokens", type=int_range(1),
                        help="refuse problems whose prompt is longer (default and ceiling: the model's positions "
                        "less --max-new-tokens); checked for every problem before sampling starts")
    parser.add_argument("--greedy", action="store_true", help="also decode one greedy solution per problem")
    parser.add_argument("--seed", type=int, default=0, help="root seed: samples depend on (seed, problem, index)")
    parser.add_argument("--batch-size", type=int_range(1), default=256, help="sequences decoded together (default 256)")
    parser.add_argument("--chunk-size", type=int_range(1),
                        help="problems per durable append (default: max(16, one batch))")
    parser.add_argument("--limit", type=int_range(1), help="only the first N problems (the same N on every rank)")
    parser.add_argument("--prompt-template", default=SSFT_PROMPT_TEMPLATE, help="generator prompt with {problem}")
    parser.add_argument("--few-shot", action="store_true",
                        help="the few-shot baseline: a base model prompted with four solved problems in --style "
                        "(mathft.data.fewshot), stopping where it starts a fifth; replaces --prompt-template")
    parser.add_argument("--dtype", default="auto", choices=("auto", "float32", "bfloat16", "float16"))
    parser.add_argument("--device", help="torch device (default cuda:LOCAL_RANK when available, else cpu)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _read_problems(args: argparse.Namespace) -> list[Any]:
    from mathft.data.sources import read_problems

    problems = [p for spec in args.problems for p in read_problems(spec, split=args.split)]
    kept = [p for p in problems if p.style == args.style]
    if not kept:
        raise DataError(f"--problems: no problems of style {args.style!r} in {' '.join(args.problems)} "
                        f"({len(problems)} of other styles; see --style)")
    return kept[: args.limit] if args.limit is not None else kept


def store_summary(records: Iterable[CandidateRecord]) -> str:
    """One line on the whole store: problems, samples, mean correctness and greedy pass@1 so far."""
    problems: set[str] = set()
    counts = {False: [0, 0], True: [0, 0]}  # greedy -> [candidates, correct]; streamed, texts are not kept
    for record in records:
        problems.add(record.problem_id)
        counts[record.greedy][0] += 1
        counts[record.greedy][1] += bool(record.correct)
    (samples, right), (greedy, greedy_right) = counts[False], counts[True]
    parts = [f"store: {len(problems)} problems, {samples} samples"]
    if samples:
        parts.append(f"mean correctness {right / samples:.1%}")
    if greedy:
        parts.append(f"greedy pass@1 {greedy_right / greedy:.1%} ({greedy} problems)")
    return ", ".join(parts)


def _store_fingerprint(args: argparse.Namespace) -> tuple[SamplingConfig, ModelSource, dict[str, Any]]:
    """The settings, the model's identity and the fingerprint this run gives the store."""
    from mathft.data.fingerprint import ModelSource
    from mathft.sampling import SamplingConfig
    from mathft.sampling.runner import sample_fingerprint

    config = SamplingConfig(
        num_samples=args.num_samples, max_new_tokens=args.max_new_tokens, temperature=args.temperature,
        top_p=args.top_p, seed=args.seed, batch_size=args.batch_size, stop_strings=args.stop_strings,
    )
    return config, ModelSource(args.model, args.dtype), sample_fingerprint(config, args.prompt_template)


def _run(args: argparse.Namespace) -> None:
    from mathft.data.store import CandidateStore
    from mathft.data.templates import check_template
    from mathft.sampling.launch import check_model_dir, load_model, pick_device, rank_from_env
    from mathft.sampling.runner import sample_to_store

    ranks = rank_from_env()
    check_template(args.prompt_template, ("problem",), "--prompt-template")
    device = pick_device(args.device, ranks.local_rank)
    check_model_dir(args.model)
    check_output_dir(args.out)
    config, source, fingerprint = _store_fingerprint(args)
    store = CandidateStore(args.out, rank=ranks.rank)
    # Lock and compare fingerprints before problems and model load: a second writer or a changed setting
    # fails in a second, not after minutes of loading weights.
    with store.locked():
        store.claim(fingerprint, source)
        problems = _read_problems(args)
        model, tokenizer = load_model(args.model, args.dtype, device)
        stats = sample_to_store(
            model, tokenizer, problems, store, config, prompt_template=args.prompt_template,
            include_greedy=args.greedy, rank=ranks.rank, world_size=ranks.world_size,
            meta={"model": str(args.model), "checkpoint": str(args.model.resolve())},
            chunk_size=args.chunk_size or max(16, -(-args.batch_size // args.num_samples)),
            progress=not args.no_progress, source=source, max_prompt_tokens=args.max_prompt_tokens,
        )
    rate = stats.tokens / max(stats.seconds, 1e-9)
    print(f"rank {ranks.rank}/{ranks.world_size}: {stats.problems} problems, wrote {stats.samples_written} "
          f"candidates, skipped {stats.samples_skipped} already stored; {stats.tokens} tokens in "
          f"{stats.seconds:.1f}s ({rate:,.0f} tok/s, {stats.problems / max(stats.seconds, 1e-9):.2f} problems/s)")
    print(store_summary(store.records()))


def main(argv: Sequence[str]) -> int:
    """Run ``mathft sample``.

    Returns:
        0 on success, 2 on a bad option, model directory, problem file or store, including a store another
        process is writing or one sampled with other settings (message on stderr).
    """
    parser = _parser()
    args = parser.parse_args(list(argv))
    args.stop_strings = ()
    if args.few_shot:  # the 4-shot prompt in the problems' style, and a stop where a fifth example begins
        from mathft.data.fewshot import FEWSHOT_STOP, fewshot_template

        if args.prompt_template != SSFT_PROMPT_TEMPLATE:
            parser.error("--few-shot brings its own prompt: leave out --prompt-template")
        args.prompt_template, args.stop_strings = fewshot_template(args.style), FEWSHOT_STOP
    try:
        _run(args)
    except (DataError, RecordError, ValueError, OSError) as err:
        # DataError, RecordError, LaunchError, InputError, StoreBusyError and FingerprintError are
        # ValueErrors naming the file, line, option or store to fix.
        print(f"mathft sample: error: {err}", file=sys.stderr)
        return 2
    return 0
