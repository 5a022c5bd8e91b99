"""What each stage kept, dropped and truncated, and the checks that refuse to train or validate on nothing.

Every count is printed by the stage and recorded in its ``done.json`` (the report gathers them in its
"Data" section); a stage whose training or validation set would be empty fails *before* any step, with a
message naming the real cause (no solution of a style, every sequence over ``max_length``, a validation
fraction that selects nothing) and the pipeline key to change.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mathft.data.errors import DataError
from mathft.data.problem import Problem

__all__ = ["LENGTH_WARNING_SHARE", "check_styles", "prepare_generator_data", "check_evaluator_validation",
           "length_stops", "warn_length_stops", "stage_drops"]

# Above this share of examples dropped, or of samples stopped at max_new_tokens, a stage warns.
LENGTH_WARNING_SHARE = 0.05
_STYLE_TEXT = {"math": "MATH-style solutions (ending in \\boxed{})",
               "prm800k": "PRM800K-style solutions (one step per line, ending '# Answer')"}


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr, flush=True)


def check_styles(problems: Iterable[Problem], styles: Sequence[str], files: Sequence[str]) -> dict[str, int]:
    """Training solutions per style; every style in ``generator.styles`` must have some.

    Raises:
        DataError: Naming ``generator.styles``, the style without solutions and the files read.
    """
    counts = Counter(p.style for p in problems)
    for style in styles:
        if not counts[style]:
            found = ", ".join(f"{s}: {n}" for s, n in sorted(counts.items())) or "none"
            raise DataError(
                f"generator.styles includes {style!r} but data.train_files ({', '.join(files)}) hold no "
                f"{_STYLE_TEXT.get(style, style)} (solutions by style: {found}); remove {style!r} from "
                f"generator.styles, or add files with such solutions (e.g. PRM800K phase files for 'prm800k')")
    return {style: counts[style] for style in sorted(counts)}


def prepare_generator_data(data: Any, key: str, name: str) -> dict[str, int]:
    """Set up an SSFT datamodule before any step; print and return what it kept, dropped and truncated.

    Args:
        data: An :class:`~mathft.datamodules.SSFTDataModule`.
        key: The config section of its settings (``generator.train`` or ``multitask.train``).
        name: The stage's name, for the printed line.

    Raises:
        DataError: When training or validation would be empty, naming the cause and ``key``'s setting.
    """
    try:
        data.setup("fit")
    except ValueError as err:
        if data.train_examples or not data.truncation_stats.seen:
            raise  # nothing was tokenized: no solution of the style (named by the data module)
        raise DataError(_all_too_long("training", data.truncation_stats.seen, data, key)) from err
    val = data.val_truncation_stats
    if not data.val_examples:
        if not val.seen:
            raise DataError(f"no validation problem: {key}.val_fraction={data.val_fraction} of the training problems "
                            f"selects none; raise {key}.val_fraction (every stage picks its checkpoint on validation)")
        raise DataError(_all_too_long("validation", val.seen, data, key))
    stats = {**{k: int(v) for k, v in data.stats.items() if k != "padding_fraction"},
             "val_dropped": val.dropped, "val_truncated": val.truncated, "max_length": data.max_length}
    print(_generator_line(name, stats, key), flush=True)
    seen = data.truncation_stats.seen
    if seen and stats["dropped"] / seen > LENGTH_WARNING_SHARE:
        _warn(f"{name}: {stats['dropped']} of {seen} training examples ({100 * stats['dropped'] / seen:.0f}%) are "
              f"longer than {key}.max_length={data.max_length} tokens and were dropped; raise {key}.max_length or "
              f"set {key}.truncation: truncate (`mathft data check --tokenizer` shows the lengths)")
    return stats


def _all_too_long(split: str, seen: int, data: Any, key: str) -> str:
    fix = (f"raise {key}.max_length" if data.truncation == "truncate"
           else f"raise {key}.max_length or set {key}.truncation: truncate")
    what = "prompts alone reach" if data.truncation == "truncate" else "sequences (prompt + solution) are longer than"
    return (f"{split} would be empty: the {split} examples' {what} {key}.max_length={data.max_length} tokens, so "
            f"all {seen} were dropped; {fix} (`mathft data check --tokenizer` shows the lengths)")


def _generator_line(name: str, s: Mapping[str, int], key: str) -> str:
    return (f"{name}: {s['train_examples']} training examples ({s['dropped']} dropped and {s['truncated']} truncated "
            f"at {key}.max_length={s['max_length']}, {s['removed_test_overlap']} removed as test problems), "
            f"{s['val_problems']} validation problems ({s['val_dropped']} dropped for length)")


def check_evaluator_validation(data: Any, key: str) -> None:
    """Refuse an evaluator datamodule (after ``setup``) whose validation split holds no candidate.

    Raises:
        DataError: Naming the cause and ``key``'s setting (``evaluator.train``).
    """
    val = data.split_stats["val"]
    if val.rows:
        return
    if val.dropped_too_long:
        raise DataError(f"evaluator validation would be empty: all {val.dropped_too_long} validation candidates are "
                        f"longer than {key}.max_length={data.max_length} tokens; raise {key}.max_length")
    raise DataError(f"evaluator validation would be empty: {key}.val_fraction={data.val_fraction} of the sampled "
                    f"training problems selects none; raise {key}.val_fraction or sampling.train_problems")


def length_stops(records: Iterable[Any]) -> dict[str, int]:
    """``candidates`` and how many stopped at ``max_new_tokens`` (``finish_reason == "length"``)."""
    reasons = [getattr(r, "meta", {}).get("finish_reason") for r in records]
    return {"candidates": len(reasons), "hit_max_new_tokens": sum(reason == "length" for reason in reasons)}


def warn_length_stops(name: str, metrics: Mapping[str, Any], max_new_tokens: int) -> None:
    """Print how many samples hit ``sampling.max_new_tokens``; warn above :data:`LENGTH_WARNING_SHARE`."""
    total, hit = metrics.get("candidates", 0), metrics.get("hit_max_new_tokens", 0)
    if not total:
        return
    share = hit / total
    print(f"{name}: {hit} of {total} candidates ({100 * share:.1f}%) stopped at sampling.max_new_tokens="
          f"{max_new_tokens}", flush=True)
    if share > LENGTH_WARNING_SHARE:
        _warn(f"{name}: {100 * share:.0f}% of the candidates stopped at sampling.max_new_tokens={max_new_tokens} "
              "before a final answer could be written; raise sampling.max_new_tokens")


# Per stage kind: (marker metric, what it counts, whether it counts examples lost) for the report's data section.
_DROP_KEYS = {
    "data": (("train_problems", "training problems", False), ("test_problems", "test problems", False),
             ("phase_unfinished", "PRM800K trajectories left out: no final answer", True),
             ("phase_wrong_answer", "PRM800K trajectories left out: wrong final answer", True),
             ("phase_negative_step", "PRM800K trajectories left out: a step rated -1", True),
             ("phase_duplicates", "PRM800K trajectories left out: repeated", True)),
    "generator": (("data/train_examples", "training examples", False),
                  ("data/val_problems", "validation problems", False),
                  ("data/dropped", "training examples dropped: longer than max_length", True),
                  ("data/truncated", "training examples truncated to max_length", True),
                  ("data/removed_test_overlap", "training examples removed: also a test problem", True),
                  ("data/val_dropped", "validation problems dropped: longer than max_length", True)),
    "sample": (("num_problems", "problems", False), ("candidates", "candidates", False),
               ("problems_not_sampled", "problems left out ({split_key})", True),
               ("hit_max_new_tokens", "candidates stopped at sampling.max_new_tokens", True)),
    "evaluator": (("data/train_rows", "training rows", False), ("data/val_rows", "validation rows", False),
                  ("data/train_dropped_too_long", "training candidates dropped: longer than max_length", True),
                  ("data/train_no_text", "training candidates dropped: no solution text", True),
                  ("data/val_dropped_too_long", "validation candidates dropped: longer than max_length", True)),
    "score": (("scored", "candidates scored", False), ("truncated", "candidates truncated to max_length", True),
              ("too_long", "candidates too long to score", True)),
}


def _kind(stage: str) -> str | None:
    if stage == "multitask":
        return "generator"
    prefix = stage.split("_", 1)[0]
    return prefix if prefix in _DROP_KEYS else None


def stage_drops(markers: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, dict[str, int]]]:
    """What every stage kept and what it dropped or truncated, from the counts its marker recorded:
    ``{stage: {"kept": {what: n}, "lost": {what: n}}}`` (``lost`` lists only non-zero counts).

    Markers written before a count was recorded simply lack it (it is left out).
    """
    out: dict[str, dict[str, dict[str, int]]] = {}
    for stage, marker in markers.items():
        kind = _kind(stage)
        if kind is None:
            continue
        metrics = marker.get("metrics", {}) or {}
        # The sampling key that leaves problems out is the split's own.
        split_key = "sampling.train_problems" if stage == "sample_train" else "sampling.test_problems"
        kept = {label: metrics[key] for key, label, is_loss in _DROP_KEYS[kind]
                if not is_loss and metrics.get(key) is not None}
        lost = {label.format(split_key=split_key): metrics[key] for key, label, is_loss in _DROP_KEYS[kind]
                if is_loss and metrics.get(key)}
        if kept or lost:
            out[stage] = {"kept": kept, "lost": lost}
    return out
