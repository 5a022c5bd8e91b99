"""The paper's recipe as an ordered list of stages (Liu et al. 2023, Sec. 3 and 4).

data -> [backbone, scratch models only] -> [sample_test_fewshot_<style>, the base model's few-shot baseline]
-> generator_<style> (SSFT, Table 2) -> sample_train (evaluator data) and sample_test_<style> ->
evaluator_<loss> (Table 3) -> score_<loss> -> rerank_<loss> (Table 4, figures) -> multitask (generator ->
evaluator -> generator, Sec. 3.3: the final generator phase fine-tuned from evaluator_<loss>'s export, or the
SSFT generator's evaluator and generator phases in one fit of a SequentialMultiTaskModule) ->
sample_test_multitask (Table 7) -> report.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import partial
from pathlib import Path
from typing import Any

from mathft.backbones.prebuilt import scratch_settings
from mathft.pipeline import dist
from mathft.pipeline.config import PipelineConfig
from mathft.pipeline.stages import Stage, StageContext, run_stages

__all__ = ["build_stages", "run_pipeline"]


def _backbone_path(ctx: StageContext, config: PipelineConfig) -> str:
    if "backbone" in ctx.inputs:
        return ctx.inputs["backbone"]["path"]
    return str(config.backbone.name_or_path)


def _train_generator(ctx: StageContext, config: PipelineConfig, style: str, train: Any,
                     start_stage: str | None = None, key: str = "generator.train") -> dict[str, Any]:
    """SSFT from the configured (or scratch) backbone, or from the export of the stage ``start_stage``.

    The data is set up first: a training or validation set that would be empty fails here, before any step,
    naming ``key``, the config section of ``train``.
    """
    from mathft.pipeline.data_checks import prepare_generator_data
    from mathft.pipeline.training import backbone_config, fit, generator_parts

    start = ctx.inputs[start_stage]["path"] if start_stage else _backbone_path(ctx, config)
    backbone = backbone_config(config.backbone, start)
    files = ctx.inputs["data"]
    module, data = generator_parts(backbone, train, style, files["train_files"], files["test_files"], config.seed)
    kept = prepare_generator_data(data, key, ctx.name)
    result = fit(module, data, hw=config.trainer, train=train, run_dir=ctx.dir, tb_root=ctx.out / "tb",
                 name=ctx.name, monitor="val/pass@1", seed=config.seed)
    return {"outputs": {"path": result.export_dir, "checkpoint": result.checkpoint},
            "metrics": {"best_val_pass@1": result.best, **{k: v for k, v in result.metrics.items() if "/" in k},
                        **{f"data/{k}": v for k, v in kept.items()}}}


def _prepare_evaluator_data(data: Any, prefix: str = "") -> None:
    """Set up evaluator data and print its summary (rank 0), failing before any step on data that cannot
    teach the loss or on a validation split that could pick no checkpoint."""
    import sys

    from mathft.pipeline.data_checks import check_evaluator_validation
    from mathft.pipeline.training import prepare_evaluator_data

    summary = prepare_evaluator_data(data)
    check_evaluator_validation(data, "evaluator.train")
    if dist.is_main():
        print(f"{prefix}{summary}", file=sys.stderr, flush=True)


def _train_evaluator(ctx: StageContext, config: PipelineConfig, loss: str) -> dict[str, Any]:
    from mathft.pipeline.training import backbone_config, evaluator_parts, fit

    ev = config.evaluator
    start = ctx.inputs[f"generator_{config.primary_style}"]["path"] if ev.init == "generator" \
        else _backbone_path(ctx, config)
    backbone = backbone_config(config.backbone, start)
    module, data = evaluator_parts(backbone, ev.train, loss, ev.margin, [ctx.inputs["sample_train"]["store"]],
                                   ev.max_pairs, config.rerank.k, config.seed)
    _prepare_evaluator_data(data)
    result = fit(module, data, hw=config.trainer, train=ev.train, run_dir=ctx.dir, tb_root=ctx.out / "tb",
                 name=ctx.name, monitor="val/rr_majK", seed=config.seed)
    # val/auroc is None (JSON null) when undefined: a one-class validation set, or never logged.
    return {"outputs": {"path": result.export_dir, "checkpoint": result.checkpoint},
            "metrics": {"best_val_rr_majK": result.best, "val/auroc": result.metrics.get("val/auroc"),
                        **{k: v for k, v in result.metrics.items() if "/" in k},
                        **{f"data/{k}": v for k, v in data.stats.items()}}}


def _train_multitask(ctx: StageContext, config: PipelineConfig) -> dict[str, Any]:
    """Sequential multi-task fine-tuning (Sec. 3.3) in one fit from the SSFT generator: an evaluator phase
    (``evaluator.train``, loss ``multitask.from_loss``) then a generator phase (``multitask.train``), one
    backbone passed between them in memory. The ``evaluator_<loss>`` stages stay the re-ranking evaluators."""
    from mathft.pipeline.data_checks import prepare_generator_data
    from mathft.pipeline.training import backbone_config, fit_multitask, multitask_parts

    style, ev, mt = config.primary_style, config.evaluator, config.multitask
    backbone = backbone_config(config.backbone, ctx.inputs[f"generator_{style}"]["path"])
    files = ctx.inputs["data"]
    module, data = multitask_parts(backbone, ev.train, mt.train, config.primary_loss, ev.margin,
                                   [ctx.inputs["sample_train"]["store"]], ev.max_pairs, config.rerank.k, style,
                                   files["train_files"], files["test_files"], config.seed)
    evaluator_data, generator_data = data.phases
    # Both phases' data fail here, before the first step, not after the evaluator phase has run.
    _prepare_evaluator_data(evaluator_data, f"{ctx.name}, evaluator phase: ")
    kept = prepare_generator_data(generator_data, "multitask.train", ctx.name)
    result = fit_multitask(module, data, hw=config.trainer, train=mt.train, run_dir=ctx.dir, tb_root=ctx.out / "tb",
                           name=ctx.name, seed=config.seed)
    return {"outputs": {"path": result.export_dir, "checkpoint": result.checkpoint},
            "metrics": {"best_val_pass@1": result.best, **{k: v for k, v in result.metrics.items() if "/" in k},
                        "phase_starts": list(module.phase_starts),
                        **{f"data/{k}": v for k, v in kept.items()}}}


def _sample(ctx: StageContext, config: PipelineConfig, model_stage: str | None, split: str,
            fewshot_style: str | None = None) -> dict[str, Any]:
    """Sample the stage ``model_stage``'s export, or (``None``) the base model with the 4-shot prompt of
    ``fewshot_style`` (the few-shot baseline)."""
    from mathft.data.fewshot import FEWSHOT_STOP, fewshot_template
    from mathft.data.templates import SSFT_PROMPT_TEMPLATE
    from mathft.pipeline.data import read_split
    from mathft.pipeline.data_checks import warn_length_stops
    from mathft.pipeline.sampling import run_sampling

    files = ctx.inputs["data"][f"{split}_files"]
    limit = config.sampling.train_problems if split == "train" else config.sampling.test_problems
    available = read_split(files, split)
    problems = available[:limit] if limit is not None else available
    prompt = {"prompt_template": fewshot_template(fewshot_style), "stop_strings": FEWSHOT_STOP} if fewshot_style \
        else {"prompt_template": SSFT_PROMPT_TEMPLATE}
    model_dir = ctx.inputs[model_stage]["path"] if model_stage else _backbone_path(ctx, config)
    result = run_sampling(ctx, model_dir=model_dir, problems=problems, section=config.sampling,
                          include_greedy=split == "test", k=config.rerank.k, dtype=config.backbone.dtype,
                          approximate=config.grading.approximate, **prompt)
    if "metrics" in result:  # rank 0, which records the stage
        left_out = len(available) - len(problems)
        result["metrics"]["problems_not_sampled"] = left_out
        if left_out:
            print(f"{ctx.name}: sampled {len(problems)} of {len(available)} {split} problems "
                  f"(sampling.{split}_problems={limit})", flush=True)
        warn_length_stops(ctx.name, result["metrics"], config.sampling.max_new_tokens)
    return result


def _score(ctx: StageContext, config: PipelineConfig, loss: str) -> dict[str, Any]:
    from mathft.pipeline.sampling import run_scoring

    train = config.evaluator.train
    return run_scoring(ctx, evaluator_dir=ctx.inputs[f"evaluator_{loss}"]["path"],
                       source_store=ctx.inputs[f"sample_test_{config.primary_style}"]["store"], name=loss,
                       max_length=train.max_length, batch_size=train.batch_size, dtype=config.backbone.dtype)


def _rerank(ctx: StageContext, config: PipelineConfig, loss: str) -> dict[str, Any]:
    from mathft.grading import policy_name
    from mathft.pipeline.evaluation import (analyze, outcome_table, sampling_metrics, score_aurocs, strategy_rows,
                                            write_figures)
    from mathft.sampling.runner import load_scored
    from mathft.selection import summarize

    scored = ctx.inputs[f"score_{loss}"]
    analyses = analyze(load_scored(scored["store"], name=scored["name"]), config.grading.approximate)
    rr = config.rerank
    main = summarize(analyses, k=rr.k, top_n=rr.top_n)
    figures = write_figures(analyses, ctx.dir / "figures", k=rr.k, top_n=rr.top_n, seed=config.seed)
    metrics = {**sampling_metrics(analyses, rr.k), **main.metrics, **score_aurocs(analyses), "k": rr.k,
               "top_n": rr.top_n, "grading_policy": policy_name(config.grading.approximate)}
    return {"outputs": {"figures": figures},
            "metrics": {**metrics, "cost": main.evaluator_cost,
                        "rows": strategy_rows(analyses, sorted({rr.k, *rr.ks}), sorted({rr.top_n, *rr.top_ns})),
                        # Every metric at the main K / N', per problem: the report's intervals and pairings.
                        "per_problem": outcome_table(analyses, list(main.metrics), k=rr.k, top_n=rr.top_n)}}


def _report(ctx: StageContext, config: PipelineConfig) -> dict[str, Any]:
    import sys

    from mathft.pipeline.breakdown import problem_meta
    from mathft.pipeline.data import read_split
    from mathft.pipeline.report import write_report

    # Levels and subjects of the test problems (MATH has both): the report breaks every accuracy down by them.
    try:
        meta = problem_meta(read_split(ctx.inputs["data"]["test_files"], "test"))
    except (ValueError, OSError) as err:  # test files moved since they were sampled: report without breakdowns
        print(f"report: no per-level or per-subject tables ({err})", file=sys.stderr)
        meta = {}
    paths = write_report(ctx.out, config, ctx.markers, meta)
    return {"outputs": {k: str(v) for k, v in paths.items()}}


def _data_stages(config: PipelineConfig) -> list[Stage]:
    from mathft.pipeline.data import run_data, run_scratch_backbone

    # Errors of the data stage name their file, line or key; a fixed hint would only mislead.
    stages = [Stage("data", lambda ctx: run_data(ctx, config.data, config.generator.styles), config=config.data)]
    scratch = config.backbone.scratch
    if scratch is not None and config.data.synthetic:
        stages.append(Stage("backbone", lambda ctx: run_scratch_backbone(ctx, scratch, config.data.seed,
                                                                      config.data.families),
                            # The tokenizer's corpus follows the data's families, so they key this stage too.
                            config={"backbone": _backbone_key(config), "families": config.data.families},
                            hint="check backbone.scratch (heads must divide hidden_size)"))
    elif scratch is not None:  # the tokenizer is trained on the run's training files (the data stage's output)
        stages.append(Stage("backbone", lambda ctx: run_scratch_backbone(
            ctx, scratch, config.data.seed, train_files=ctx.inputs["data"]["train_files"]), ("data",),
            config={"backbone": _backbone_key(config)}, hint="check backbone.scratch"))
    return stages


def _fewshot_stages(config: PipelineConfig) -> list[Stage]:
    """The few-shot baseline: the base model sampled on the test split with a 4-shot prompt, per style."""
    if not config.fewshot.enabled:
        return []
    deps = ("data", "backbone") if config.backbone.scratch is not None else ("data",)
    key = {**asdict(config.sampling), "backbone": _backbone_key(config), "seed": config.seed}
    return [Stage(f"sample_test_fewshot_{style}", partial(_sample, config=config, model_stage=None, split="test",
                                                          fewshot_style=style),
                  deps, {**key, "fewshot_style": style}, resumable=True,
                  hint="check sampling.*; a rerun resumes the store", collective=True)
            for style in config.generator.styles]


def _generator_stages(config: PipelineConfig) -> list[Stage]:
    deps = ("data", "backbone") if config.backbone.scratch is not None else ("data",)
    common = {"backbone": _backbone_key(config), "trainer": asdict(config.trainer), "seed": config.seed}
    stages = []
    for style in config.generator.styles:
        run = partial(_train_generator, config=config, style=style, train=config.generator.train)
        stages.append(Stage(f"generator_{style}", run, deps, {**common, "train": asdict(config.generator.train)},
                            resumable=True,  # a restart resumes from the stage's last.ckpt
                            collective=True))  # its data errors name their keys (data_checks)
    for style in config.generator.styles:
        stages.append(Stage(f"sample_test_{style}", partial(_sample, config=config, model_stage=f"generator_{style}",
                                                            split="test"),
                            ("data", f"generator_{style}"), asdict(config.sampling), resumable=True,
                            hint="check sampling.*; a rerun resumes the store", collective=True))
    stages.append(Stage("sample_train", partial(_sample, config=config, model_stage=f"generator_{config.primary_style}",
                                                split="train"),
                        ("data", f"generator_{config.primary_style}"), asdict(config.sampling), resumable=True,
                        hint="check sampling.*; a rerun resumes the store", collective=True))
    return stages


def _backbone_key(config: PipelineConfig) -> dict[str, Any]:
    """The backbone section as a stage key, without the judging drill's keys while it is off and without
    ``number_tokens`` at 0 (runs written before those keys existed stay finished), and without
    ``prebuilt``, which says where the backbone comes from, not what it is (a shipped build has exactly the
    run's settings)."""
    section = asdict(config.backbone)
    if config.backbone.scratch is not None:
        scratch = section["scratch"] = scratch_settings(config.backbone.scratch)
        if not scratch["judge_steps"]:
            del scratch["judge_steps"], scratch["judge_lr"]
    return section


def _evaluator_key(config: PipelineConfig, *, with_init: bool) -> dict[str, Any]:
    """The evaluator section as a stage key, without ``init`` where it does not change the stage (the
    multi-task stage) or has its default: runs written before the key existed stay finished."""
    section = asdict(config.evaluator)
    if not with_init or config.evaluator.init == "generator":
        del section["init"]
    return section


def _evaluator_stages(config: PipelineConfig) -> list[Stage]:
    ev, stages = config.evaluator, []
    key = {"evaluator": _evaluator_key(config, with_init=True), "trainer": asdict(config.trainer),
           "k": config.rerank.k, "seed": config.seed}
    deps: tuple[str, ...] = ("sample_train", f"generator_{config.primary_style}")
    if ev.init == "backbone" and config.backbone.scratch is not None:
        deps += ("backbone",)
    for loss in ev.losses:
        stages.append(Stage(f"evaluator_{loss}", partial(_train_evaluator, config=config, loss=loss), deps, key,
                            resumable=True,  # a restart resumes from the stage's last.ckpt
                            collective=True))  # its data errors name their keys (data_checks, training)
        stages.append(Stage(f"score_{loss}", partial(_score, config=config, loss=loss),
                            (f"evaluator_{loss}", f"sample_test_{config.primary_style}"), asdict(ev.train),
                            resumable=True, hint="check evaluator.train.max_length / batch_size", collective=True))
        stages.append(Stage(f"rerank_{loss}", partial(_rerank, config=config, loss=loss), (f"score_{loss}",),
                            # Re-grading is cheap: a changed grading policy reruns this stage (not sampling).
                            {**asdict(config.rerank), "grading": asdict(config.grading)},
                            hint="check rerank.k / rerank.top_n"))
    return stages


def _reuses_evaluator(config: PipelineConfig) -> bool:
    """Whether the multi-task stage takes its evaluator phase from the ``evaluator_<loss>`` stage
    (``multitask.reuse_evaluator``): only an evaluator started from the SSFT generator is that phase."""
    return config.multitask.reuse_evaluator and config.evaluator.init == "generator"


def _multitask_stage(config: PipelineConfig) -> Stage:
    """Generator -> evaluator -> generator: the final generator phase from the evaluator stage's export, or both
    phases in one sequential fit (:func:`_train_multitask`)."""
    mt, style = config.multitask, config.primary_style
    settings = {k: v for k, v in asdict(mt).items() if k != "reuse_evaluator"}
    common = {"trainer": asdict(config.trainer), "seed": config.seed}
    if _reuses_evaluator(config):
        # The evaluator stage's own key and run id key its export: only the generator phase is this stage's.
        run = partial(_train_generator, config=config, style=style, train=mt.train,
                      start_stage=f"evaluator_{config.primary_loss}", key="multitask.train")
        return Stage("multitask", run, ("data", f"evaluator_{config.primary_loss}"),
                     {"multitask": settings, "reuses": f"evaluator_{config.primary_loss}", "style": style, **common},
                     resumable=True, collective=True)
    key = {"multitask": settings, "evaluator": _evaluator_key(config, with_init=False),
           "loss": config.primary_loss, "k": config.rerank.k, **common}
    return Stage("multitask", partial(_train_multitask, config=config), ("data", "sample_train", f"generator_{style}"),
                 key, resumable=True,  # a restart resumes from its last.ckpt, in the phase it was in
                 collective=True)


def _multitask_stages(config: PipelineConfig) -> list[Stage]:
    if not config.multitask.enabled:
        return []
    return [
        _multitask_stage(config),
        Stage("sample_test_multitask", partial(_sample, config=config, model_stage="multitask", split="test"),
              ("data", "multitask"), asdict(config.sampling), resumable=True,
              hint="check sampling.*; a rerun resumes the store", collective=True),
    ]


def build_stages(config: PipelineConfig) -> list[Stage]:
    """Every stage of the recipe for ``config``, in dependency order, ending with the report."""
    stages = [*_data_stages(config), *_fewshot_stages(config), *_generator_stages(config),
              *_evaluator_stages(config), *_multitask_stages(config)]
    stages.append(Stage("report", partial(_report, config=config), tuple(s.name for s in stages), None, always=True))
    return stages


def run_pipeline(config: PipelineConfig, out: str | Path | None = None,
                 timeout_minutes: float = dist.DEFAULT_TIMEOUT_MINUTES) -> dict[str, dict[str, Any]]:
    """Run (or resume) the whole recipe; returns each stage's marker. See :func:`build_stages`.

    Under ``torchrun`` every rank calls this: it joins the process group (``timeout_minutes`` bounds any
    wait for a peer) and runs the stages as :func:`~mathft.pipeline.stages.run_stages` describes.
    """
    import torch

    if config.trainer.threads:
        # The configured threads are the node's budget: ranks on one node split it rather than oversubscribe.
        torch.set_num_threads(max(1, config.trainer.threads // dist.local_world_size()))
    dist.init(timeout_minutes)
    return run_stages(build_stages(config), out or config.out)
