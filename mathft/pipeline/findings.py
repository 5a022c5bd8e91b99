"""What a run can and cannot tell, written from its numbers: the report's comparisons and closing text.

Nothing here is fixed prose about a particular run: the setup sentence comes from the config (synthetic
task or data files, a model from scratch or a pretrained one), the regime sentence from the primary
generator's accuracies, and a comparison is stated as a finding only when its paired 95% interval
excludes 0 (:mod:`mathft.pipeline.significance`); otherwise it is reported as not resolved.
"""

from __future__ import annotations

from typing import Any

from mathft.pipeline.significance import parse_comparison

__all__ = ["metric_label", "comparison_label", "comparison_rows", "caveats", "resolved", "auroc_text"]

_SIDES = {"math": "MATH-style (terse) generator", "prm800k": "PRM800K-style (step-by-step) generator",
          "multitask": "multi-task generator", "ssft": "SSFT generator",
          "margin": "margin-loss evaluator", "xent": "cross-entropy evaluator"}


def metric_label(name: str, n: int, k: int, top_n: int) -> str:
    """The paper's name of a metric with this run's N, K and N' filled in (``rr_majK`` -> ``RR.Maj3``)."""
    labels = {"pass@1": "Pass@1", "pass@N": f"Pass@{n}", "maj1@N": f"Maj1@{n}", "majK@N": f"Maj{k}@{n}",
              "rr_all": "RR.All", "rr_majK": f"RR.Maj{k}", "w_rr": "W-RR", "w_rr_majK": f"W-RR.Maj{k}",
              "maj1": "Maj1", "maj1_topN": f"Maj1.Top{top_n}"}
    return labels.get(name, name)


def _label(report: dict[str, Any], metric: str) -> str:
    return metric_label(metric, report["n"], report["k"], report["top_n"])


def _side(name: str) -> str:
    if name.startswith("fewshot_"):  # the base model sampled with a style's few-shot prompt
        return f"few-shot base model ({name.removeprefix('fewshot_')} prompt)"
    return _SIDES.get(name, name)


def resolved(entry: dict[str, Any]) -> bool:
    """Whether the comparison's interval excludes 0 (a difference of either sign is then shown)."""
    low, high = entry["ci95"]
    return low > 0 or high < 0


def comparison_label(report: dict[str, Any], name: str) -> str:
    """``"RR.Maj3 vs Maj1@16 (margin-loss evaluator)"`` or
    ``"multi-task generator vs SSFT generator on Pass@1"``; the difference is always first minus second."""
    side_a, side_b, metric_a, metric_b = parse_comparison(name)
    if side_a == side_b:
        return f"{_label(report, metric_a)} vs {_label(report, metric_b)} ({_side(side_a)})"
    return f"{_side(side_a)} vs {_side(side_b)} on {_label(report, metric_a)}"


def _points(entry: dict[str, Any]) -> str:
    low, high = entry["ci95"]
    return f"{100 * entry['diff']:+.1f} points [{100 * low:.1f}, {100 * high:.1f}]"


def _finding(report: dict[str, Any], name: str, entry: dict[str, Any]) -> str:
    """One sentence: a finding when the interval excludes 0, else the estimate marked not resolved."""
    side_a, side_b, metric_a, metric_b = parse_comparison(name)
    problems = f"{entry['n']} problems"
    if not resolved(entry):
        return f"{comparison_label(report, name)}: {_points(entry)}, not resolved at this sample size ({problems})."
    # "trails by 6.0 points (difference -6.0 [-11.7, -0.7])": a magnitude after the verb, the signed
    # difference with its interval after it, so that no sentence reads "trails by -6.0".
    verb = "beats" if entry["diff"] > 0 else "trails"
    by = f"{100 * abs(entry['diff']):.1f} points (difference {_points(entry)})"
    if side_a == side_b:
        return (f"{_label(report, metric_a)} {verb} {_label(report, metric_b)} by {by} "
                f"({_side(side_a)}, {problems}).")
    return f"The {_side(side_a)} {verb} the {_side(side_b)} on {_label(report, metric_a)} by {by} ({problems})."


def comparison_rows(report: dict[str, Any]) -> list[list[str]]:
    """Rows of the Comparisons table: comparison, difference, interval, problems, resolved or not."""
    rows = []
    for name, entry in report["significance"].items():
        low, high = entry["ci95"]
        rows.append([comparison_label(report, name), f"{100 * entry['diff']:+.1f}",
                     f"[{100 * low:.1f}, {100 * high:.1f}]", str(entry["n"]),
                     "yes" if resolved(entry) else "no: not resolved"])
    return rows


def _setup(report: dict[str, Any]) -> str:
    """What was trained on what, from the config: a synthetic run must never read like a MATH run."""
    config, params = report["config"], report.get("backbone_parameters")
    synthetic = config["data"]["synthetic"]
    scratch = config["backbone"]["scratch"]
    if scratch is not None:
        size = f"a {params / 1e6:.2f}M-parameter" if params else "a small"
        # A real-data run trains the scratch tokenizer on its own training files (mathft.backbones.corpus).
        model = f"{size} Llama trained from scratch" + ("" if synthetic else
                                                         " (its tokenizer trained on the training problems)")
        model += _drills(scratch, report.get("backbone_prebuilt", False))
    else:
        model = f"the pretrained model {config['backbone']['name_or_path']}"
    if synthetic:
        families = config["data"].get("families")
        data = "the built-in synthetic task" + (f" (families: {', '.join(families)})" if families else "")
    else:
        count = (report.get("dataset") or {}).get("train_problems")
        data = (f"{count} training problems" if count else "problems") + (
            f" from {', '.join(config['data']['train_files'])} (test problems from "
            f"{', '.join(config['data']['test_files'])})")
    return f"This run fine-tuned {model} on {data}"


def _drills(scratch: dict[str, Any], prebuilt: bool) -> str:
    """How the scratch backbone was pretrained before fine-tuning, and whether the shipped build was used."""
    drills = [f"on {what} for {scratch[key]} steps" for key, what in (("drill_steps", "arithmetic"),
                                                                       ("judge_steps", "judging checks"))
              if scratch.get(key)]
    text = f", drilled {' and '.join(drills)}" if drills else ""
    return text + (" (the build shipped with mathft)" if prebuilt else "")


def _comparability(report: dict[str, Any]) -> str:
    config = report["config"]
    if config["data"]["synthetic"] or config["backbone"]["scratch"] is not None:
        return ("No accuracy here is comparable to the paper's (PaLM 2-S* and PaLM 2-L on MATH, N = 64), and "
                "which loss, style or strategy wins here says nothing about which wins at that scale.")
    return ("Its accuracies are comparable to the paper's (PaLM 2-S* and PaLM 2-L on MATH, N = 64) only as far "
            "as the model, the test problems and N match.")


def _regime(report: dict[str, Any]) -> str:
    gen = report["table2"][report["primary_style"]]
    ci = gen.get("ci95") or {}
    values = [(metric, gen.get(metric)) for metric in ("pass@N", "maj1@N", "pass@1")]
    if any(v is None for _, v in values):
        return "The primary generator's sampling metrics are missing, so its regime is unknown."
    shown = ", ".join(f"{_label(report, m)} {100 * v:.1f}" + _bracket(ci.get(m)) for m, v in values)
    in_regime = values[0][1] > values[1][1] > values[2][1]
    return (f"The {report['primary_style']} generator {'is' if in_regime else 'is not'} in the regime the paper "
            "studies, Pass@N > Maj1@N > Pass@1 (a right answer is often sampled but is not the most frequent "
            f"one, so re-ranking has room to help): {shown}.")


def _judging(report: dict[str, Any]) -> str:
    """How well each evaluator's scores order the test samples: pooled, and among those with an answer
    (the only ones re-ranking chooses among; a sample cut off before its answer is easy to call wrong)."""
    parts = []
    for loss, row in report["table3"].items():
        pooled, answered = row.get("test_auroc"), row.get("test_auroc_answered")
        if pooled is None and answered is None:
            continue
        parts.append(f"the {_side(loss)} {auroc_text(pooled)} ({auroc_text(answered)} among the samples with an "
                     "answer)")
    if not parts:
        return ""
    return ("Test AUROC, the chance that an evaluator scores a right test solution above a wrong one (0.5: "
            f"chance): {'; '.join(parts)}.")


def auroc_text(value: float | None) -> str:
    """An AUROC as the report writes it: three decimals, or ``n/a`` when undefined (never 0)."""
    return "n/a" if value is None else f"{value:.3f}"


def _bracket(ci: list[float] | None) -> str:
    return "" if ci is None else f" [{100 * ci[0]:.1f}, {100 * ci[1]:.1f}]"


def _findings(report: dict[str, Any]) -> list[str]:
    if not report["significance"]:
        return ["No comparison has per-problem outcomes (markers from before they were recorded, or a stage "
                "that did not run); delete the sampling and rerank stages' done.json markers and rerun to record them."]
    ordered = sorted(report["significance"].items(), key=lambda item: not resolved(item[1]))
    return [f"- {_finding(report, name, entry)}" for name, entry in ordered]


def caveats(report: dict[str, Any]) -> list[str]:
    """The report's closing section: setup, comparability, regime, each comparison, and the noise floor."""
    gen = report["table2"][report["primary_style"]]
    n_problems = gen.get("num_problems") or 0
    # 1.96 x the binomial standard error at p = 0.5: about the widest any accuracy's interval gets.
    half_width = 100 * 1.96 * 0.5 / max(n_problems, 1) ** 0.5
    return [
        "## What this run can and cannot tell", "",
        f"{_setup(report)}, and evaluated it on {n_problems} test problems with N = {report['n']} samples each. "
        f"{_comparability(report)}", "",
        _regime(report), "",
        *([judging, ""] if (judging := _judging(report)) else []),
        "Paired comparisons (95% bootstrap intervals over the same problems; a difference counts only when its "
        "interval excludes 0):", "",
        *_findings(report), "",
        f"With {n_problems} problems one accuracy's 95% interval is up to about +/-{half_width:.1f} points wide.",
    ]
