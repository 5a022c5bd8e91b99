"""``<out>/report.md`` and ``<out>/report.json``: the run's numbers laid out like the paper's tables.

Table 2 (generators by solution style), Table 3 (evaluators by loss), Table 4 (every selection strategy
with its evaluator cost), Table 7 (multi-task vs SSFT generator), the paired comparisons, the figures,
per-stage wall times, a glossary of the metrics, and what this run can and cannot tell.

Every accuracy keeps its plain number (consumers read ``table2[style]["pass@N"]`` as a float) and gets a
95% bootstrap interval over problems in a sibling ``ci95`` mapping; ``significance`` holds the paired
differences (see :mod:`mathft.pipeline.significance`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

from mathft.metrics.figures import LABELS
from mathft.pipeline.breakdown import Meta, breakdown_sections, breakdowns, per_problem_results
from mathft.pipeline.config import PipelineConfig
from mathft.pipeline.data_checks import stage_drops
from mathft.grading import POLICIES, policy_name
from mathft.jsonl import json_number
from mathft.pipeline.evaluation import SAMPLING_KEYS
from mathft.pipeline.findings import auroc_text, caveats, comparison_rows, metric_label
from mathft.pipeline.significance import RESAMPLES, comparisons, intervals, outcomes_of
from mathft.selection.verdicts import STRATEGY_NAMES

__all__ = ["build_report", "write_report", "render_markdown"]

_FIGURE_TITLES = {"strategies": "Strategies against K and N', with the evaluator's cost (paper Fig. 1)",
                  "majk_vs_k": "MajK@N against K (paper Fig. 3)",
                  "cluster_sizes": "Cluster-size distributions (paper Fig. 4)",
                  "accuracy_vs_samples": "Accuracy against the number of samples"}
_TABLE3_KEYS = ("rr_all", "rr_majK", "maj1@N", "pass@N")


def _pick(metrics: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: metrics.get(k) for k in keys}


def _generator_row(marker: dict[str, Any], seed: int, meta: Meta) -> dict[str, Any]:
    m, block = marker.get("metrics", {}), outcomes_of(marker)
    row = _pick(m, ("pass@1", "maj1@N", "majK@N", "pass@N", "distinct_answers", "num_problems", "num_samples"))
    return {**row, "grading_policy": _policy(m), "ci95": intervals(block, SAMPLING_KEYS, seed=seed),
            **breakdowns(block, meta, SAMPLING_KEYS)}


def _policy(metrics: dict[str, Any]) -> str:
    # Markers written before policies were recorded were graded with rounded decimals accepted.
    return metrics.get("grading_policy", "unrecorded")


def _evaluator_tables(config: PipelineConfig, markers: dict[str, dict[str, Any]], out: Path,
                      meta: Meta) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Table 3, Table 4 and the figure paths, one entry per evaluator loss."""
    table3, table4, figures = {}, {}, {}
    for loss in config.evaluator.losses:
        marker = markers[f"rerank_{loss}"]
        m, block = marker["metrics"], outcomes_of(marker)
        table3[loss] = {**_pick(m, _TABLE3_KEYS), "grading_policy": _policy(m),
                        "val_auroc": json_number(markers[f"evaluator_{loss}"]["metrics"].get("val/auroc")),
                        "test_auroc": json_number(m.get("test_auroc")),
                        "test_auroc_answered": json_number(m.get("test_auroc_answered")),
                        "ci95": intervals(block, _TABLE3_KEYS, seed=config.seed),
                        **breakdowns(block, meta, _TABLE3_KEYS)}
        table4[loss] = {"k": m["k"], "top_n": m["top_n"], "grading_policy": _policy(m),
                        "accuracy": _pick(m, STRATEGY_NAMES), "cost": m["cost"],
                        "rows": m["rows"], "ci95": intervals(block, STRATEGY_NAMES, seed=config.seed),
                        **breakdowns(block, meta, STRATEGY_NAMES)}
        figures[loss] = {k: os.path.relpath(v, out) for k, v in marker["outputs"]["figures"].items()}
    return table3, table4, figures


def build_report(config: PipelineConfig, markers: dict[str, dict[str, Any]], out: Path,
                 meta: Meta | None = None) -> dict[str, Any]:
    """The report as plain data (also written as ``report.json``).

    Besides the tables' numbers: ``table2[style]["ci95"]``, ``table3[loss]["ci95"]``,
    ``table4[loss]["ci95"]`` (main K and N') and ``table7[generator]["ci95"]`` map each accuracy's key to
    its 95% interval ``[low, high]`` (``None`` without per-problem outcomes), and ``significance`` maps
    each comparison name to ``{"diff", "ci95", "n"}`` (:func:`~mathft.pipeline.significance.comparisons`).
    Where the test problems carry levels or subjects (``meta``: ``{id: {"level", "subject"}}``), each of
    those rows also has ``by_level`` / ``by_subject`` (:func:`~mathft.pipeline.breakdown.breakdown`);
    ``per_problem`` holds every problem's outcomes by stage, and ``data`` what each stage kept and dropped.
    """
    meta = meta or {}
    table2 = {s: _generator_row(markers[f"sample_test_{s}"], config.seed, meta) for s in config.generator.styles}
    table3, table4, figures = _evaluator_tables(config, markers, out, meta)
    table7 = None
    if "sample_test_multitask" in markers:
        table7 = {"ssft": table2[config.primary_style],
                  "multitask": _generator_row(markers["sample_test_multitask"], config.seed, meta)}
    fewshot = {s: _generator_row(markers[f"sample_test_fewshot_{s}"], config.seed, meta)
               for s in config.generator.styles if f"sample_test_fewshot_{s}" in markers}
    blocks = {name: outcomes_of(m) for name, m in markers.items() if name.startswith(("sample_test_", "rerank_"))}
    timed = {n: m["seconds"] for n, m in markers.items() if n != "report"}
    return {"config": asdict(config), "grading_policy": policy_name(config.grading.approximate),
            "n": config.sampling.num_samples, "k": config.rerank.k,
            "top_n": config.rerank.top_n, "primary_style": config.primary_style, "primary_loss": config.primary_loss,
            "table2": table2, "table2_fewshot": fewshot or None, "table3": table3, "table4": table4,
            "table7": table7, "multitask_evaluator_phase": _evaluator_phase(markers),
            "significance": comparisons(config, markers), "figures": figures,
            "stage_seconds": timed, "skipped": [n for n, m in markers.items() if m.get("skipped")],
            "total_seconds": sum(timed.values()), "backbone_parameters": markers.get("backbone", {}).get(
                "metrics", {}).get("parameters"),
            # From the stage's record: a run folder's backbone may have been built before prebuilt was on.
            "backbone_prebuilt": bool(markers.get("backbone", {}).get("metrics", {}).get("prebuilt")),
            "dataset": _dataset(markers), "data": stage_drops(markers),
            "per_problem": per_problem_results(blocks, meta)}


def _dataset(markers: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Problem counts the data stage recorded (empty for a marker set without it)."""
    metrics = markers.get("data", {}).get("metrics", {})
    return {k: metrics[k] for k in ("train_problems", "test_problems", "train_solutions_by_style") if k in metrics}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _acc(row: dict[str, Any], key: str, accuracy: dict[str, Any] | None = None) -> str:
    """``42.3 [37.0, 47.7]``: the accuracy (from ``accuracy`` or ``row``) and ``row``'s interval for it."""
    value = (row if accuracy is None else accuracy).get(key)
    ci = (row.get("ci95") or {}).get(key)
    if value is None or ci is None:
        return _pct(value)
    return f"{_pct(value)} [{_pct(ci[0])}, {_pct(ci[1])}]"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *["| " + " | ".join(r) + " |" for r in rows]]


def _glossary(report: dict[str, Any]) -> list[str]:
    """One line per metric, under the paper's generic names, with this run's N, K and N' filled in."""
    n, k, top_n = report["n"], report["k"], report["top_n"]
    entries = [
        ("Pass@1", "the greedy (temperature 0) solution's answer is right."),
        ("Pass@N", f"any of the N = {n} sampled solutions is right: the oracle re-ranker, an upper bound for "
                   "every strategy."),
        ("Maj1@N", "the most frequent answer among the N samples (answers clustered by equivalence) is right: "
                   "majority voting, no evaluator."),
        ("MajK@N", f"any of the K = {k} most frequent answers is right: the bound for choosing within the top "
                   "clusters."),
        ("RR.All", "the answer of the sample the evaluator scores highest among all N is right."),
        ("RR.MajK", f"the highest-scored sample within the K = {k} largest answer clusters is right (the paper's "
                    "proposal)."),
        ("W-RR", "the answer cluster with the largest sum of evaluator scores is right."),
        ("W-RR.MajK", f"W-RR restricted to the K = {k} largest clusters."),
        ("Maj1", "majority voting as a row of Table 4 (the same as Maj1@N)."),
        ("Few-shot", "the base model before fine-tuning, prompted with four solved problems (when enabled: "
                     "fewshot.enabled)."),
        ("Maj1.TopN", f"majority voting among the N' = {top_n} best-scored samples."),
        ("Evaluator cost", "share of the N samples the evaluator must score to apply a strategy (0 for voting)."),
        ("Distinct answers", "mean number of different answers (equivalence clusters) per problem."),
        ("val AUROC", "how well the evaluator's scores separate right from wrong solutions of held-out training "
                      "problems (0.5: chance); n/a when undefined (only one kind of solution held out). Quoted "
                      "for the checkpoint the stage selected."),
        ("test AUROC", "the same on the test samples the evaluator re-ranks, every sample pooled."),
        ("test AUROC, answered", "the same among the test samples that reach a final answer. A sample cut off "
                                 "before its answer is wrong and easy to spot, and is never chosen: this column "
                                 "says whether the evaluator judges the solutions re-ranking chooses among."),
        ("[low, high]", f"95% percentile-bootstrap interval over problems ({RESAMPLES} resamples); a comparison "
                        "resamples the same problems for both sides (paired)."),
    ]
    return ["## Metrics", "", *[f"- **{name}**: {text}" for name, text in entries]]


def _generator_tables(report: dict[str, Any]) -> list[str]:
    n, k = report["n"], report["k"]
    lines = ["## Table 2: SSFT generators by solution style", ""]
    rows = [*report["table2"].items(),
            *[(f"few-shot base model, {s}", r) for s, r in (report.get("table2_fewshot") or {}).items()]]
    lines += _table(["generator", "Pass@1 (greedy)", f"Maj1@{n}", f"Maj{k}@{n}", f"Pass@{n}", "distinct answers"],
                    [[s, *[_acc(r, key) for key in SAMPLING_KEYS], _distinct(r)] for s, r in rows])
    if report.get("table2_fewshot"):
        lines += ["", "The few-shot rows sample the base model, not fine-tuned, with a 4-shot prompt in each style "
                  "(the paper's \"Few-shot\" baseline; mathft/data/fewshot.py)."]
    return lines


def _distinct(row: dict[str, Any]) -> str:
    value = row.get("distinct_answers")
    return "-" if value is None else f"{value:.1f}"


def _evaluator_phase(markers: dict[str, dict[str, Any]]) -> str | None:
    """The evaluator stage the multi-task stage started from (``multitask.reuse_evaluator``), read from what
    ran; ``None`` for a sequential fit (its evaluator phase trained inside the stage) or no multi-task stage."""
    inputs = markers.get("multitask", {}).get("inputs", {})
    return next((name for name in inputs if name.startswith("evaluator_")), None)


def _multitask_table(report: dict[str, Any]) -> list[str]:
    if not report["table7"]:
        return []
    n = report["n"]
    lines = ["## Table 7: sequential multi-task generator (generator -> evaluator -> generator) vs SSFT", ""]
    lines += _table(["generator", "Pass@1", f"Maj1@{n}", f"Pass@{n}"],
                    [[name, _acc(r, "pass@1"), _acc(r, "maj1@N"), _acc(r, "pass@N")]
                     for name, r in report["table7"].items()])
    phase = report.get("multitask_evaluator_phase")
    how = (f"the evaluator stage `{phase}` (the SSFT generator trained as an evaluator) fine-tuned again as a "
           "generator" if phase else "one fit of an evaluator phase, from the SSFT generator, then a generator phase")
    return [*lines, "", f"The multi-task generator is {how} (`multitask.train`).", ""]


def _evaluator_sections(report: dict[str, Any]) -> list[str]:
    n, k = report["n"], report["k"]
    lines = [f"## Table 3: evaluators by loss (re-ranking the {report['primary_style']} generator's samples)", ""]
    lines += _table(["loss", "RR.All", f"RR.Top-{k} (RR.Maj{k})", f"Maj1@{n}", f"Pass@{n}", "val AUROC",
                     "test AUROC", "test AUROC, answered"],
                    [[loss, *[_acc(r, key) for key in _TABLE3_KEYS],
                      *[auroc_text(r.get(key)) for key in ("val_auroc", "test_auroc", "test_auroc_answered")]]
                     for loss, r in report["table3"].items()])
    for loss, t4 in report["table4"].items():
        lines += ["", f"## Table 4: selection strategies, {loss} evaluator (accuracy / evaluator cost, %)", "",
                  f"Intervals on the main row (K = {t4['k']}, N' = {t4['top_n']}).", ""]
        lines += _table(["K", "N'", *[LABELS[s] for s in STRATEGY_NAMES]], [_strategy_row(t4, r) for r in t4["rows"]])
    return lines


def _strategy_row(t4: dict[str, Any], row: dict[str, Any]) -> list[str]:
    main = (row["k"], row["top_n"]) == (t4["k"], t4["top_n"])
    cells = [(_acc(t4, s, row["accuracy"]) if main else _pct(row["accuracy"][s])) + f" / {_pct(row['cost'][s])}"
             for s in STRATEGY_NAMES]
    return [str(row["k"]), str(row["top_n"]), *cells]


def _comparisons(report: dict[str, Any]) -> list[str]:
    lines = ["## Comparisons (paired bootstrap over the same problems, points)", ""]
    if not report["significance"]:
        return [*lines, "No per-problem outcomes were recorded, so nothing can be compared."]
    return lines + _table(["comparison (first - second)", "difference", "95% interval", "problems",
                           "interval excludes 0"],
                          comparison_rows(report))


def _figures_and_times(report: dict[str, Any]) -> list[str]:
    lines = ["## Figures", ""]
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
    return lines


def _policy_lines(report: dict[str, Any]) -> list[str]:
    """Which grading policy produced the accuracies, and any table graded under another one."""
    policy = report.get("grading_policy", "exact")
    lines = [f"Every accuracy was graded under the `{policy}` policy (docs/grading.md): {POLICIES[policy]}."]
    tables = [("Table 2", s, r) for s, r in report["table2"].items()]
    tables += [("Table 2", f"few-shot {s}", r) for s, r in (report.get("table2_fewshot") or {}).items()]
    tables += [("Table 3", loss, r) for loss, r in report["table3"].items()]
    tables += [("Table 7", name, r) for name, r in (report["table7"] or {}).items()]
    for table, row, values in tables:
        recorded = values.get("grading_policy", policy)
        if recorded != policy:
            why = ("before grading policies were recorded, when rounded decimals were accepted"
                   if recorded == "unrecorded" else "before grading.approximate changed")
            lines.append(f"**{table} ({row}) was graded under the `{recorded}` policy** (its stage ran {why}; "
                         "rerun that stage to regrade it).")
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """The Markdown report (figures embedded by relative path)."""
    n, k, top_n = report["n"], report["k"], report["top_n"]
    lines = ["# mathft pipeline report", "",
             f"N = {n} samples per problem, K = {k}, N' = {top_n}; accuracies in % with 95% bootstrap intervals "
             f"over problems in brackets. Total stage time {report['total_seconds']:.0f}s.", "",
             *_policy_lines(report), ""]
    lines += [*_generator_tables(report), "", *_evaluator_sections(report), "", *_multitask_table(report),
              *breakdown_sections(report, lambda metric: metric_label(metric, n, k, top_n)), *_comparisons(report),
              "", *_data_section(report), *_figures_and_times(report), "", *_glossary(report), "", *caveats(report),
              ""]
    return "\n".join(lines)


def _data_section(report: dict[str, Any]) -> list[str]:
    """What each stage kept, dropped and truncated (nothing is dropped without a count here)."""
    drops = report.get("data") or {}
    if not drops:
        return []
    def listed(counts: dict[str, int]) -> str:
        return "; ".join(f"{n} {what}" for what, n in counts.items()) or "none"

    lines = ["## Data: what each stage kept, dropped and truncated", ""]
    lines += _table(["stage", "kept", "dropped or truncated"],
                    [[stage, listed(d["kept"]), listed(d["lost"])] for stage, d in drops.items()])
    return [*lines, ""]


def write_report(out: Path, config: PipelineConfig, markers: dict[str, dict[str, Any]],
                 meta: Meta | None = None) -> dict[str, Path]:
    """Write ``report.json`` and ``report.md`` into ``out``; returns their paths.

    Args:
        out: The pipeline's output folder.
        config: The run's config.
        markers: Every stage's marker.
        meta: Level and subject of each test problem, for the breakdowns (see :func:`build_report`).
    """
    report = build_report(config, markers, out, meta)
    paths = {"json": out / "report.json", "markdown": out / "report.md"}
    paths["json"].write_text(json.dumps(report, indent=2, default=str))
    paths["markdown"].write_text(render_markdown(report))
    return paths
