"""Run the built-in demo and print the wall time of each stage and its share of the total.

Usage: ``python benchmarks/bench_pipeline.py [--out DIR] [overrides key=value ...]``. The output folder is
emptied first, so every stage runs. Note the machine's load (printed) when comparing timings: the demo
is sized for a 2-core CPU that it has to itself.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv: list[str] | None = None) -> int:
    """Run the demo from scratch and print per-stage wall times."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("runs/bench_demo"))
    parser.add_argument("overrides", nargs="*")
    args = parser.parse_args(argv)
    from mathft.cli.pipeline import quiet_openmp

    quiet_openmp()  # before torch is imported, as `mathft demo` does
    from mathft.cli.demo import DEMO_CONFIG
    from mathft.pipeline import load_config, run_pipeline

    shutil.rmtree(args.out, ignore_errors=True)
    load_before = _load()
    start = time.perf_counter()
    markers = run_pipeline(load_config(DEMO_CONFIG, args.overrides), args.out)
    wall = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    stages = {name: m["seconds"] for name, m in markers.items()}
    total = sum(stages.values())
    print(f"\n{'stage':<24}{'seconds':>10}{'share':>8}", file=sys.stdout)
    print("-" * 42)
    for name, seconds in stages.items():
        print(f"{name:<24}{seconds:>10.1f}{100 * seconds / total:>7.1f}%")
    print("-" * 42)
    print(f"{'stages total':<24}{total:>10.1f}")
    print(f"{'wall (incl. imports)':<24}{wall:>10.1f}")
    print(f"peak RSS {peak_mib:.0f} MiB; load average before {load_before}, after {_load()} "
          f"({os.cpu_count()} CPUs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
