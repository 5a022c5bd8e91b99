"""``<out>/report.md`` and ``<out>/report.json``: the run's numbers laid out like the paper's tables.

Table 2 (generators by solution style), Table 3 (evaluators by loss), Table 4 (every selection strategy
with its evaluator cost), Table 7 (multi-task vs SSFT generator), the figures, per-stage wall times, and
what this run can and cannot tell.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mathft.metrics.figures import LABELS
from mathft.pipeline.config import PipelineConfig
from mathft.selection.verdicts import STRATEGY_NAMES

__all__ = ["build_report", "write_report", "render_markdown"]

_FIGURE_TITLES = {"strategies": "Strategies against K and N', with the evaluator's cost (paper Fig. 1)",
                  "majk_vs_k": "MajK@N against K (paper Fig. 3)",
                  "cluster_sizes": "Cluster-size distributions (paper Fig. 4)",
                  "accuracy_vs_samples": "Accuracy against the number of samples"}


def _pick(metrics: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: metrics.get(k) for k in keys}


def _generator_row(marker: dict[str, Any]) -> dict[str, Any]:
    m = marker.get("metrics", {})
    return _pick(m, ("pass@1", "maj1@N", "majK@N", "pass@N", "distinct_answers", "num_problems", "num_samples"))


def build_report(config: PipelineConfig, markers: dict[str, dict[str, Any]], out: Path) -> dict[str, Any]:
    """The report as plain data (also written as ``report.json``)."""
    table2 = {s: _generator_row(markers[f"sample_test_{s}"]) for s in config.generator.styles}
    table3, table4, figures = {}, {}, {}
    for loss in config.evaluator.losses:
        m = markers[f"rerank_{loss}"]["metrics"]
        table3[loss] = {"rr_all": m["rr_all"], "rr_majK": m["rr_majK"], "maj1@N": m["maj1@N"], "pass@N": m["pass@N"],
                        "val_auroc": markers[f"evaluator_{loss}"]["metrics"].get("val/auroc")}
        table4[loss] = {"k": m["k"], "top_n": m["top_n"], "accuracy": _pick(m, STRATEGY_NAMES), "cost": m["cost"],
                        "rows": m["rows"]}
        figures[loss] = {k: os.path.relpath(v, out) for k, v in markers[f"rerank_{loss}"]["outputs"]["figures"].items()}
    table7 = None
    if "sample_test_multitask" in markers:
        table7 = {"ssft": table2[config.primary_style], "multitask": _generator_row(markers["sample_test_multitask"])}
    timed = {n: m["seconds"] for n, m in markers.items() if n != "report"}
    return {"config": asdict(config), "n": config.sampling.num_samples, "k": config.rerank.k,
            "top_n": config.rerank.top_n, "primary_style": config.primary_style, "primary_loss": config.primary_loss,
            "table2": table2, "table3": table3, "table4": table4, "table7": table7, "figures": figures,
            "stage_seconds": timed, "skipped": [n for n, m in markers.items() if m.get("skipped")],
            "total_seconds": sum(timed.values()), "backbone_parameters": markers.get("backbone", {}).get(
                "metrics", {}).get("parameters")}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in rows]]


def _stderr_points(p: float, n: int) -> float:
    return 100 * math.sqrt(max(p * (1 - p), 1e-9) / max(n, 1))


def _caveats(report: dict[str, Any]) -> list[str]:
    gen = report["table2"][report["primary_style"]]
    n_problems = gen.get("num_problems") or 0
    gaps = ", ".join(f"{loss} evaluator {100 * (r['rr_majK'] - r['maj1@N']):+.1f}"
                     for loss, r in report["table3"].items())
    se = _stderr_points(0.5, n_problems)  # the worst case p = 0.5: an upper bound for any accuracy
    params = report.get("backbone_parameters")
    model = f"a {params / 1e6:.2f}M-parameter model from scratch" if params else "the configured model"
    in_regime = gen["pass@N"] > gen["maj1@N"] > gen["pass@1"]
    regime = ("is" if in_regime else "is not") + (
        " in the regime the paper studies, Pass@N > Maj1@N > Pass@1 (a right answer is often sampled but is "
        f"not the most frequent one); here Pass@N {_pct(gen['pass@N'])}, Maj1@N {_pct(gen['maj1@N'])}, "
        f"Pass@1 {_pct(gen['pass@1'])}")
    return [
        "## What this run can and cannot tell", "",
        f"This run fine-tuned {model} and evaluated it on {n_problems} test problems with N = {report['n']} "
        "samples each. It exercises every step of the paper's recipe end to end (SSFT, sampling, clustering by "
        "answer equivalence, the LLM fine-tuned as its own evaluator, every selection strategy, the multi-task "
        f"stage), and its {report['primary_style']} generator {regime}. It cannot reproduce the paper's "
        "numbers: a tiny model trained from scratch on a synthetic arithmetic task is not PaLM 2 on MATH, so no "
        "accuracy here is comparable to the paper's, and which loss, style or strategy wins here says nothing "
        "about which wins at scale.",
        "",
        f"On this run re-ranking (RR.MajK, K = {report['k']}) against majority voting (Maj1@N) is: {gaps} "
        f"points. With {n_problems} problems one accuracy has a standard error of up to {se:.1f} points, and "
        "differences of a few points between strategies, losses or generators are within noise; read the "
        "tables as a working pipeline, not as evidence for or against a method.",
    ]


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report (figures embedded by relative path)."""
    n, k, top_n = report["n"], report["k"], report["top_n"]
    lines = ["# mathft pipeline report", "",
             f"N = {n} samples per problem, K = {k}, N' = {top_n}; accuracies in %. Total stage time "
             f"{report['total_seconds']:.0f}s.", "",
             "## Table 2: SSFT generators by solution style", ""]
    lines += _table(["generator", "Pass@1 (greedy)", f"Maj1@{n}", f"Maj{k}@{n}", f"Pass@{n}", "distinct answers"],
                    [[s, _pct(r["pass@1"]), _pct(r["maj1@N"]), _pct(r["majK@N"]), _pct(r["pass@N"]),
                      f"{r['distinct_answers']:.1f}"] for s, r in report["table2"].items()])
    lines += ["", f"## Table 3: evaluators by loss (re-ranking the {report['primary_style']} generator's samples)", ""]
    lines += _table(["loss", "RR.All", f"RR.Top-{k} (RR.Maj{k})", f"Maj1@{n}", f"Pass@{n}", "val AUROC"],
                    [[loss, _pct(r["rr_all"]), _pct(r["rr_majK"]), _pct(r["maj1@N"]), _pct(r["pass@N"]),
                      "-" if r["val_auroc"] is None else f"{r['val_auroc']:.3f}"] for loss, r in report["table3"].items()])
    for loss, t4 in report["table4"].items():
        lines += ["", f"## Table 4: selection strategies, {loss} evaluator (accuracy / evaluator cost, %)", ""]
        header = ["K", "N'", *[LABELS[s] for s in STRATEGY_NAMES]]
        lines += _table(header, [[str(r["k"]), str(r["top_n"]),
                                  *[f"{_pct(r['accuracy'][s])} / {_pct(r['cost'][s])}" for s in STRATEGY_NAMES]]
                                 for r in t4["rows"]])
    if report["table7"]:
        lines += ["", "## Table 7: sequential multi-task generator (generator -> evaluator -> generator) vs SSFT", ""]
        lines += _table(["generator", "Pass@1", f"Maj1@{n}", f"Pass@{n}"],
                        [[name, _pct(r["pass@1"]), _pct(r["maj1@N"]), _pct(r["pass@N"])]
                         for name, r in report["table7"].items()])
    lines += ["", "## Figures", ""]
    for loss, figures in report["figures"].items():
        for name, path in figures.items():
            if name == "strategies" or loss == report["primary_loss"]:
                lines += [f"**{_FIGURE_TITLES.get(name, name)}** ({loss} evaluator)", "", f"![{name}]({path})", ""]
    total = max(report["total_seconds"], 1e-9)
    lines += ["## Stage wall times", ""]
    lines += _table(["stage", "seconds", "share"], [[s, f"{t:.1f}", f"{100 * t / total:.0f}%"]
                                                    for s, t in report["stage_seconds"].items()])
    if report["skipped"]:
        lines += ["", f"Skipped (finished in an earlier run; times are from that run): {', '.join(report['skipped'])}."]
    lines += ["", *_caveats(report), ""]
    return "\n".join(lines)


def write_report(out: Path, config: PipelineConfig, markers: dict[str, dict[str, Any]]) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``out``; returns their paths."""
    report = build_report(config, markers, out)
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(report, indent=2, default=str))
    paths["markdown"].write_text(render_markdown(report))
    return paths
