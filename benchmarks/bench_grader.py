"""Benchmark mathft's answer grader against Math-Verify: speed, clustering, accuracy, hostile inputs.

Usage::

    python benchmarks/bench_grader.py            # full run (a few minutes on 2 cores)
    python benchmarks/bench_grader.py --quick    # < 60 s
    python benchmarks/bench_grader.py --json out.json

All sections run in one process on the same data. mathft is timed through a fresh
``mathft.grading.Grader`` (cold cache) per section; Math-Verify is timed as documented in
``grader_tools.py`` (parse gold, parse pred, verify; caches cleared first; main thread). Hostile inputs
run in killable child processes (``guarded.py``). Without ``math-verify`` installed (the ``bench``
extra) its columns are skipped.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parent))  # sibling helpers, also for spawned children

import answer_pools  # noqa: E402
import grader_tools as gt  # noqa: E402
from guarded import GuardedTool  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
PWNED = Path("/tmp/mathft_pwned")  # what the code-injection strings in hostile_answers.txt try to create
Decide = Callable[[str, str], bool]


@dataclass(frozen=True)
class Pair:
    """One labelled (gold, pred) pair from ``grader_pairs.jsonl``."""

    gold: str
    pred: str
    equal: bool
    category: str
    note: str = ""


@dataclass(frozen=True)
class Settings:
    """Sizes of each section (``--quick`` shrinks them)."""

    workload: int
    problems: int
    mv_problems: int
    hostile: int | None  # None: every hostile input
    mv_hostile: int | None  # Math-Verify's first N of those (its timeouts make each take up to ~15 s)
    hang_s: float


FULL = Settings(workload=2000, problems=200, mv_problems=200, hostile=None, mv_hostile=None, hang_s=20.0)
QUICK = Settings(workload=300, problems=40, mv_problems=8, hostile=6, mv_hostile=2, hang_s=8.0)
# --quick starts with the hostile inputs whose labels start with these (one of each kind).
QUICK_HOSTILE = ("9^{9^{9^{9}}}", "1000000!", "__import__('os')", "100k digits",
                 "50k-deep power tower", "100k nested braces")


def load_pairs(path: Path = DATA / "grader_pairs.jsonl", limit: int | None = None) -> list[Pair]:
    """Read the labelled pairs; errors name the file and line."""
    pairs: list[Pair] = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            pairs.append(Pair(**json.loads(line)))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{lineno}: bad pair: {exc}") from exc
    return pairs[:limit] if limit else pairs


def load_hostile(path: Path = DATA / "hostile_answers.txt") -> list[tuple[str, str]]:
    """Hostile answers from the file plus long ones generated here, as (label, text)."""
    stored = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [(s if len(s) <= 40 else s[:37] + "...", s) for s in stored]
    n = 100_000
    generated = {
        "100k digits": "1" * n,
        "100k x+x+...": "x+" * (n // 2) + "1",
        "100k nested braces": "{" * (n // 2) + "}" * (n // 2),
        "100k open parens": "(" * n,
        "50k-deep power tower": "9^{" * (n // 4) + "9" + "}" * (n // 4),
        "10k nested sqrt": "\\sqrt{" * 10_000 + "2" + "}" * 10_000,
        "100k fractions sum": "+".join(["\\frac{1}{2}"] * (n // 12)),
        "100k-element list": ",".join(["1"] * (n // 2)),
        "100k text": "\\text{" + "a" * n + "}",
        "100k backslashes": "\\" * n,
    }
    return items + list(generated.items())


def select_hostile(items: list[tuple[str, str]], limit: int | None, quick: bool) -> list[tuple[str, str]]:
    """All hostile inputs, or (``--quick``) the curated ones first, cut to ``limit``."""
    if quick:
        wanted = [next(it for it in items if it[0].startswith(q)) for q in QUICK_HOSTILE]
        items = wanted + [it for it in items if it not in wanted]
    return items[:limit] if limit else items


def perturb(s: str, k: int) -> str:
    """Cosmetic, meaning-preserving variant ``k`` of an answer (policy: formatting is ignored)."""
    variants = (s, f"${s}$", f" {s} ", f"$ {s} $", f"{s}\\,", f"\\,{s}")
    return variants[k % len(variants)]


def build_workload(pairs: Sequence[Pair], n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` comparisons: the labelled pairs cycled, each repetition perturbed differently."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        p = pairs[i % len(pairs)]
        rep = i // len(pairs)
        out.append((perturb(p.gold, rep + rng.randrange(6)), perturb(p.pred, rep)))
    return out


def time_pairs(decide: Decide, pairs: Sequence[tuple[str, str]]) -> tuple[float, list[bool]]:
    """Seconds to decide every pair in order, and the decisions."""
    start = time.perf_counter()
    results = [bool(decide(g, p)) for g, p in pairs]
    return time.perf_counter() - start, results


def pct(values: Sequence[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def time_clusters(cluster: Callable[[Sequence[str | None]], list[list[int]]],
                  problems: Sequence[Sequence[str | None]]) -> tuple[dict[str, float], list[Any]]:
    """Per-problem clustering times (ms: median, p95, max, total s) and the clusterings."""
    times: list[float] = []
    outs = []
    for answers in problems:
        start = time.perf_counter()
        outs.append(cluster(answers))
        times.append((time.perf_counter() - start) * 1000)
    return time_stats(times), outs


def time_stats(times_ms: Sequence[float]) -> dict[str, float]:
    """Median, p95 and max of per-problem times in ms, and their total in s."""
    return {"median_ms": pct(times_ms, 0.5), "p95_ms": pct(times_ms, 0.95), "max_ms": max(times_ms),
            "total_s": sum(times_ms) / 1000, "n": len(times_ms), "_times": list(times_ms)}


def accuracy(decisions: Sequence[bool], pairs: Sequence[Pair]) -> dict[str, Any]:
    """Overall and per-category accuracy plus the wrongly decided pairs."""
    per: dict[str, list[int]] = {}
    wrong = []
    for d, p in zip(decisions, pairs):
        ok = d == p.equal
        per.setdefault(p.category, [0, 0])[0] += ok
        per[p.category][1] += 1
        if not ok:
            wrong.append({"gold": p.gold, "pred": p.pred, "label": p.equal, "category": p.category})
    return {"overall": sum(c for c, _ in per.values()) / len(pairs),
            "per_category": {k: c / n for k, (c, n) in per.items()},
            "wrong": wrong}


def run_hostile(factory: Callable[[], Decide], items: Sequence[tuple[str, str]], hang_s: float) -> dict[str, Any]:
    """Time ``decide("5", h)`` and ``decide(h, h)`` for each hostile ``h`` in a killable child."""
    tool = GuardedTool(factory, hang_s)
    per_item = []
    try:
        for label, text in items:
            calls = [tool.call("5", text), tool.call(text, text)]
            worst = max(calls, key=lambda c: c.seconds)
            per_item.append({"input": label, "max_s": worst.seconds, "hung": worst.hung, "result": worst.result})
    finally:
        tool.close()
    worst = max(per_item, key=lambda r: r["max_s"])
    return {"max_s": worst["max_s"], "worst_input": worst["input"], "hung": sum(r["hung"] for r in per_item),
            "over_5s": sum(r["max_s"] > 5 for r in per_item), "items": per_item}


def run_mathft(pairs: list[Pair], workload: list[tuple[str, str]], problems: list[list[str | None]],
               hostile: list[tuple[str, str]], s: Settings) -> dict[str, Any]:
    """All mathft sections, each with a fresh Grader."""
    from mathft.grading import Grader

    res: dict[str, Any] = {}
    grader, res["startup_s"] = _warm_grader(Grader)
    res["policy"] = getattr(grader, "policy", "exact")  # the labels of grader_pairs.jsonl follow the default
    secs, _ = time_pairs(grader.is_equivalent, workload)
    res["throughput"] = len(workload) / secs
    res["workload_stats"] = _stats(grader)
    grader.close()
    grader, _ = _warm_grader(Grader)
    secs, decisions = time_pairs(grader.is_equivalent, [(p.gold, p.pred) for p in pairs])
    res["throughput_unique_cold"] = len(pairs) / secs
    res["accuracy"] = accuracy(decisions, pairs)
    grader.close()
    grader, _ = _warm_grader(Grader)
    res["cluster"], res["_clusters"] = time_clusters(grader.cluster_answers, problems)
    grader.close()
    res["hostile"] = run_hostile(gt.make_mathft_equivalent, hostile, s.hang_s)
    # Stress: past the default max_length guard, and extraction from a solution text.
    res["hostile_long"] = run_hostile(gt.make_mathft_equivalent_long, hostile, s.hang_s)
    res["hostile_extract"] = run_hostile(gt.make_mathft_extract, hostile, s.hang_s)
    return res


def _warm_grader(grader_cls: Any) -> tuple[Any, float]:
    """A new Grader whose symbolic worker has started (one comparison not in any data set) and the
    seconds that took. Its answer cache holds only that pair, so timings stay cold-cache; the one-off
    worker start (importing sympy) is reported separately instead of being charged to the first pairs."""
    start = time.perf_counter()
    grader = grader_cls()
    grader.is_equivalent(r"\log_3 9", "2")  # needs symbolic work in mathft today
    return grader, time.perf_counter() - start


def _stats(grader: Any) -> dict[str, int]:
    """The Grader's counters as a plain dict (whatever form ``stats`` takes)."""
    st = grader.stats
    if isinstance(st, dict):
        return dict(st)
    if dataclasses.is_dataclass(st):
        return dataclasses.asdict(st)
    names = ("comparisons", "timeouts", "parse_failures", "cache_hits")
    return {k: getattr(st, k) for k in names if hasattr(st, k)}


def run_math_verify(pairs: list[Pair], workload: list[tuple[str, str]], problems: list[list[str | None]],
                    hostile: list[tuple[str, str]], s: Settings) -> dict[str, Any]:
    """All Math-Verify sections (main thread; caches cleared before each timed section)."""
    res: dict[str, Any] = {}
    gt.quiet_math_verify()
    gt.clear_math_verify_caches()
    secs, _ = time_pairs(gt.mv_equivalent, workload)
    res["throughput"] = len(workload) / secs
    gt.clear_math_verify_caches()
    secs, decisions = time_pairs(gt.mv_equivalent, [(p.gold, p.pred) for p in pairs])
    res["throughput_unique_cold"] = len(pairs) / secs
    res["accuracy"] = accuracy(decisions, pairs)
    gt.clear_math_verify_caches()
    res["cluster"], res["_clusters"] = time_clusters(gt.mv_cluster, problems[: s.mv_problems])
    res["hostile"] = run_hostile(gt.make_mv_equivalent, hostile[: s.mv_hostile], s.hang_s)
    return res


def ratio(a: float | None, b: float | None) -> str:
    """``a / b`` formatted, or '-' when either is missing."""
    return f"{a / b:.1f}x" if a and b else "-"


def _get(r: Any, keys: tuple[str, ...]) -> Any:
    """``r[k1][k2]...`` or None when any level is missing."""
    if not keys:
        return None
    for k in keys:
        r = r.get(k) if isinstance(r, dict) else None
    return r


def _fmt(x: Any, spec: str) -> str:
    """A number formatted with ``spec``, '-' for anything else."""
    return format(x, spec) if isinstance(x, (int, float)) else "-"


# (label, mathft keys, Math-Verify keys, mathft keys for the ratio, format, target, lower is better).
# Clustering ratios use mathft's times on the problems Math-Verify clustered (the first mv_problems).
SUMMARY_ROWS = [
    ("throughput, perturbed workload (answers/s)", ("throughput",), ("throughput",), ("throughput",),
     ".0f", ">= 5x", False),
    ("throughput, unique pairs cold (answers/s)", ("throughput_unique_cold",), ("throughput_unique_cold",),
     ("throughput_unique_cold",), ".0f", "", False),
    ("cluster_answers median (ms)", ("cluster", "median_ms"), ("cluster", "median_ms"),
     ("cluster_mv_subset", "median_ms"), ".2f", "< 20 ms", True),
    ("cluster_answers p95 (ms)", ("cluster", "p95_ms"), ("cluster", "p95_ms"), ("cluster_mv_subset", "p95_ms"),
     ".2f", "", True),
    ("cluster_answers max (ms)", ("cluster", "max_ms"), ("cluster", "max_ms"), ("cluster_mv_subset", "max_ms"),
     ".2f", "", True),
    ("accuracy on grader_pairs.jsonl", ("accuracy", "overall"), ("accuracy", "overall"),
     ("accuracy", "overall"), ".3f", ">= 0.95", False),
    ("hostile: max single call (s)", ("hostile", "max_s"), ("hostile", "max_s"), ("hostile", "max_s"),
     ".2f", "< 5 s", True),
    ("hostile, max_length=200k: max call (s)", ("hostile_long", "max_s"), ("hostile", "max_s"),
     ("hostile_long", "max_s"), ".2f", "< 5 s", True),
    ("hostile, extract_answer(solution): max (s)", ("hostile_extract", "max_s"), (), ("hostile_extract", "max_s"),
     ".2f", "< 5 s", True),
]


def print_summary(m: dict[str, Any] | None, v: dict[str, Any] | None, show_wrong: int) -> None:
    """The summary table, per-category accuracy and the wrongly decided pairs."""
    print(f"\n{'metric':46s} {'mathft':>10s} {'Math-Verify':>12s} {'ratio':>8s}  target")
    for label, mk, vk, ck, spec, target, lower_better in SUMMARY_ROWS:
        a, b, a_cmp = _get(m, mk), _get(v, vk), _get(m, ck)
        if mk == ("accuracy", "overall"):  # a difference says more than a ratio here
            r = f"{a - b:+.3f}" if a is not None and b is not None else "-"
        else:
            r = ratio(b, a_cmp) if lower_better else ratio(a_cmp, b)
        print(f"{label:46s} {_fmt(a, spec):>10s} {_fmt(b, spec):>12s} {r:>8s}  {target}")
    _print_notes(m, v)
    _print_categories(m, v)
    for name, r in (("mathft", m), ("Math-Verify", v)):
        if r:
            wrong = r["accuracy"]["wrong"]
            more = f" (first {show_wrong})" if len(wrong) > show_wrong else ""
            print(f"\n{name} gets {len(wrong)} pairs wrong{more}")
            for w in wrong[:show_wrong]:
                print(f"  [{w['category']}] gold={w['gold']!r} pred={w['pred']!r} label={w['label']}")


def _print_notes(m: dict[str, Any] | None, v: dict[str, Any] | None) -> None:
    """What the ratios mean, hangs, worst inputs and the Grader's start-up time."""
    print("ratio: how many times better mathft is; accuracy: difference; clustering: on the "
          f"{_get(v, ('cluster', 'n'))} problems both clustered")
    print(f"mathft grading policy: {_get(m, ('policy',))} (docs/grading.md: approximations of exact answers are "
          "wrong, as in Math-Verify)")
    print(f"mathft Grader start incl. its symbolic worker: {_fmt(_get(m, ('startup_s',)), '.2f')} s (not in the above); "
          f"workload counters: {_get(m, ('workload_stats',))}")
    for name, r, keys in (("mathft", m, ("hostile", "hostile_long", "hostile_extract")), ("Math-Verify", v, ("hostile",))):
        for k in keys:
            h = _get(r, (k,))
            if h:
                print(f"{name} {k}: {h['hung']} hung, {h['over_5s']} inputs over 5 s, "
                      f"worst {h['worst_input']!r} ({h['max_s']:.2f} s)")


def _print_categories(m: dict[str, Any] | None, v: dict[str, Any] | None) -> None:
    """Per-category accuracy side by side."""
    cats = (m or v or {}).get("accuracy", {}).get("per_category", {})
    print(f"\n{'category':14s} {'mathft':>8s} {'Math-Verify':>12s}")
    for c in cats:
        a = m["accuracy"]["per_category"][c] if m else None
        b = v["accuracy"]["per_category"][c] if v else None
        print(f"{c:14s} {_fmt(a, '.3f'):>8s} {_fmt(b, '.3f'):>12s}")


def agreement(m: dict[str, Any] | None, v: dict[str, Any] | None) -> int | None:
    """Number of problems (of those both clustered) on which both tools give the same partition."""
    if not m or not v:
        return None
    return sum(a == b for a, b in zip(m["_clusters"], v["_clusters"]))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller sections, runs in < 60 s")
    ap.add_argument("--json", type=Path, help="write all numbers to this file")
    ap.add_argument("--pairs-limit", type=int, help="use only the first N labelled pairs")
    ap.add_argument("--problems", type=int, help="number of clustering problems (64 answers each)")
    ap.add_argument("--mv-problems", type=int, help="problems clustered by Math-Verify (slow)")
    ap.add_argument("--workload", type=int, help="comparisons in the throughput workload")
    ap.add_argument("--hostile-limit", type=int, help="use only the first N hostile inputs")
    ap.add_argument("--hang-s", type=float, help="seconds after which a hostile call counts as hung")
    ap.add_argument("--no-math-verify", action="store_true", help="skip Math-Verify columns")
    ap.add_argument("--no-mathft", action="store_true", help="skip mathft columns (to time Math-Verify alone)")
    ap.add_argument("--show-wrong", type=int, default=40, help="wrong pairs listed per tool")
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def settings_from(args: argparse.Namespace) -> Settings:
    """Section sizes: the preset, overridden by explicit options."""
    base = QUICK if args.quick else FULL
    pick = lambda opt, dflt: dflt if opt is None else opt  # noqa: E731
    return Settings(workload=pick(args.workload, base.workload), problems=pick(args.problems, base.problems),
                    mv_problems=pick(args.mv_problems, base.mv_problems),
                    hostile=pick(args.hostile_limit, base.hostile), mv_hostile=base.mv_hostile,
                    hang_s=pick(args.hang_s, base.hang_s))


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Run every section for both tools, print the summary, return (and optionally write) the numbers."""
    args = parse_args(argv)
    s = settings_from(args)
    pairs = load_pairs(limit=args.pairs_limit)
    workload = build_workload(pairs, s.workload, args.seed)
    problems = answer_pools.build_problems(s.problems, 64, args.seed)
    hostile = select_hostile(load_hostile(), s.hostile, args.quick)
    print(f"{len(pairs)} labelled pairs, workload {len(workload)} comparisons, {len(problems)} problems x 64 "
          f"answers (Math-Verify clusters {min(s.mv_problems, len(problems))}), {len(hostile)} hostile inputs")
    pwned_before = PWNED.exists()
    t0 = time.perf_counter()
    m = None
    if args.no_mathft:
        print("mathft skipped (--no-mathft)")
    else:
        m = run_mathft(pairs, workload, problems, hostile, s)
        print(f"mathft sections done in {time.perf_counter() - t0:.1f}s")
    v = None
    if args.no_math_verify:
        print("Math-Verify skipped (--no-math-verify)")
    elif not gt.have_math_verify():
        print("Math-Verify not installed (pip install mathft[bench]); its columns are skipped")
    else:
        t0 = time.perf_counter()
        v = run_math_verify(pairs, workload, problems, hostile, s)
        print(f"Math-Verify sections done in {time.perf_counter() - t0:.1f}s")
    if m and v:  # clustering ratio on the same problems
        m["cluster_mv_subset"] = time_stats(m["cluster"]["_times"][: v["cluster"]["n"]])
    print_summary(m, v, args.show_wrong)
    same = agreement(m, v)
    if same is not None:
        print(f"\nsame partition as Math-Verify on {same}/{len(v['_clusters'])} clustering problems")
    injected = PWNED.exists() and not pwned_before
    print(f"code injection: {'FILE CREATED ' + str(PWNED) if injected else 'no side effect seen'}")
    out = {"settings": vars(s), "mathft": _public(m), "math_verify": _public(v),
           "cluster_partition_agreement": same, "code_injection_side_effect": injected}
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return out


def _public(r: Any) -> Any:
    """Results without private (underscore) entries such as the raw clusterings and times."""
    if isinstance(r, dict):
        return {k: _public(val) for k, val in r.items() if not str(k).startswith("_")}
    return r


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
