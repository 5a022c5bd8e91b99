"""The pipeline's typed configuration: dataclasses, read from YAML with omegaconf.

One YAML file describes a whole run of the paper's recipe (data, backbone, SSFT generators, sampling,
evaluators, re-ranking, the multi-task stage). Every key is typed: a key the dataclasses do not define,
or a value of the wrong type, is an error that names the key and the file (a typo must never be silently
ignored, or a run of hours would use a default nobody asked for).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mathft.data.problem import STYLES
from mathft.pipeline.config_ranges import range_errors

__all__ = [
    "ConfigError",
    "DataConfig",
    "ScratchModelConfig",
    "BackboneSection",
    "TrainerConfig",
    "TrainConfig",
    "GeneratorConfig",
    "SamplingSection",
    "EvaluatorConfig",
    "RerankConfig",
    "MultitaskConfig",
    "GradingConfig",
    "FewShotConfig",
    "PipelineConfig",
    "load_config",
    "config_hash",
]

LOSSES = ("margin", "xent")
TRUNCATIONS = ("drop", "truncate")


class ConfigError(ValueError):
    """A pipeline config is invalid; the message names the file and the key to fix."""


@dataclass
class DataConfig:
    """Where the problems come from.

    Attributes:
        synthetic: Write the built-in synthetic task (``mathft.data.synthetic``) instead of reading files.
        n_train: Synthetic training problems (each with a MATH-style and a PRM800K-style solution).
        n_test: Synthetic test problems (never repeating a training problem).
        seed: Seed of the synthetic task.
        families: Synthetic families by name (``None``: the original four; see
            :func:`mathft.data.synthetic.family_names`, e.g. ``inverse_linear`` for guess-and-check).
        train_files: Training sources when not synthetic (MATH directories, PRM800K files, JSONL, ``hf:``).
        test_files: Test sources when not synthetic (only ever sampled, never trained on).
    """

    synthetic: bool = True
    n_train: int = 2000
    n_test: int = 100
    seed: int = 0
    families: list[str] | None = None
    train_files: list[str] = field(default_factory=list)
    test_files: list[str] = field(default_factory=list)


@dataclass
class ScratchModelConfig:
    """A tiny Llama trained from scratch with its own tokenizer (demo and tests: nothing is downloaded).

    Attributes:
        vocab_size: BPE vocabulary size of the tokenizer trained on the synthetic corpus.
        number_tokens: Integers below this are one token each, as in Llama 3's or GPT-4's tokenizer (every
            run of up to three digits one token); 0 splits every digit. With numbers as tokens the facts
            the drills teach are facts about tokens, which the tiny backbone learns to judge: the judging
            drill's backbone judged the demo generator's answered samples at AUROC 0.88 after 1200 steps
            (measured 2026-12-01), against 0.72-0.81 after 2500-5500 steps with digits split.
        corpus_problems: Synthetic problems in the tokenizer's corpus.
        hidden_size: Model width.
        num_layers: Decoder layers.
        num_heads: Attention heads.
        intermediate_size: MLP width (``None``: 4 x hidden).
        drill_steps: Steps of the arithmetic drill (:mod:`mathft.backbones.drill`) run on the new model
            before any fine-tuning, standing in for a real LLM's pretraining; 0 skips it.
        drill_lr: Peak learning rate of the drill.
        drill_batch_size: Lines per drill step (the judging drill's too).
        judge_steps: Steps of the judging drill (:func:`mathft.backbones.drill.judge_on_drill`) run after the
            arithmetic drill: the backbone learns to tell a false check from a true one, as a pretrained
            LLM can, while it keeps writing them (the writing drill is replayed beside it), so that a
            re-ranking evaluator fine-tuned from it has something to build on; 0 skips it.
        judge_lr: Learning rate of the judging drill (at 3e-3 it does not learn; 1e-3 does).
        prebuilt: Copy the build of exactly these settings shipped with mathft
            (:mod:`mathft.backbones.prebuilt`) instead of training it, when one is shipped; the backbone is
            built here otherwise. Not part of any stage key: it says where the backbone comes from.
    """

    vocab_size: int = 512
    number_tokens: int = 0
    corpus_problems: int = 1000
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int | None = None
    drill_steps: int = 0
    drill_lr: float = 3e-3
    drill_batch_size: int = 32
    judge_steps: int = 0
    judge_lr: float = 1e-3
    prebuilt: bool = False


@dataclass
class BackboneSection:
    """The LLM every stage fine-tunes (the paper fine-tunes one LLM as generator and evaluator).

    Attributes:
        name_or_path: A Hub name or local HF directory; ignored when ``scratch`` is set.
        scratch: Build a tiny model from scratch instead (the demo); ``None`` for a pretrained model.
        dtype: Weight dtype (``float32``, ``bfloat16``, ``float16``, ``auto``).
        attn_implementation: ``sdpa``, ``flash_attention_2``... or ``None`` for transformers' choice.
        gradient_checkpointing: Recompute activations in backward (large models).
    """

    name_or_path: str | None = None
    scratch: ScratchModelConfig | None = None
    dtype: str = "float32"
    attn_implementation: str | None = None
    gradient_checkpointing: bool = False


@dataclass
class TrainerConfig:
    """Hardware settings shared by every training stage.

    Attributes:
        accelerator: ``cpu``, ``gpu`` or ``auto``.
        devices: Devices per node.
        num_nodes: Nodes.
        strategy: ``auto``, ``ddp`` or ``fsdp2`` (Lightning ``ModelParallelStrategy``, sharded build).
        precision: Lightning precision (``32-true``, ``bf16-true``, ``bf16-mixed``).
        threads: ``torch.set_num_threads`` for CPU runs; ``None`` leaves torch's default.
    """

    accelerator: str = "cpu"
    devices: int = 1
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "32-true"
    threads: int | None = None


@dataclass
class TrainConfig:
    """One fine-tuning run (generator or evaluator).

    Attributes:
        max_steps: Optimizer steps.
        batch_size: Sequences (generator) or evaluator rows per batch.
        lr: Peak learning rate of AdamW.
        weight_decay: AdamW weight decay.
        warmup_steps: Linear warmup steps, then cosine decay to ``min_lr_ratio`` x lr.
        min_lr_ratio: Final learning rate as a share of ``lr``.
        max_length: Longest training sequence in tokens.
        val_every: Validate (and maybe checkpoint) every this many steps; the last step always validates.
        val_fraction: Share of training problems held out for validation.
        val_max_problems: Cap on validation problems (generator: greedy decoding is slow).
        val_max_new_tokens: Longest greedy validation solution (generator).
        accumulate_grad_batches: Gradient accumulation.
        gradient_clip_val: Clip the gradient norm (``None``: no clipping).
        truncation: What happens to a training sequence longer than ``max_length``: ``drop`` it or
            ``truncate`` its solution (generator and multi-task stages; an evaluator always drops). Each
            stage prints and records how many it dropped or truncated.
    """

    max_steps: int = 100
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 0.0
    warmup_steps: int = 10
    min_lr_ratio: float = 0.1
    max_length: int = 256
    val_every: int = 50
    val_fraction: float = 0.05
    val_max_problems: int = 32
    val_max_new_tokens: int = 128
    accumulate_grad_batches: int = 1
    gradient_clip_val: float | None = 1.0
    truncation: str = "drop"


@dataclass
class GeneratorConfig:
    """SSFT generators (paper Sec. 3.1, Table 2): one per solution style.

    Attributes:
        styles: ``math`` (terse, ``\\boxed{}``), ``prm800k`` (step per line, ``# Answer``) or both.
        train: Fine-tuning settings.
    """

    styles: list[str] = field(default_factory=lambda: ["math"])
    train: TrainConfig = field(default_factory=TrainConfig)


@dataclass
class SamplingSection:
    """Sampling N solutions per problem (paper: N = 64, T = 0.6, top-p 0.95).

    Attributes:
        num_samples: N.
        temperature: Softmax temperature.
        top_p: Nucleus mass.
        max_new_tokens: Longest solution.
        batch_size: Sequences decoded together.
        chunk_size: Problems per durable write to the store (the resume granularity).
        train_problems: Training problems sampled for the evaluator's data (``None``: all).
        test_problems: Test problems evaluated (``None``: all).
        seed: Root seed: a sample depends only on (seed, problem, sample index).
    """

    num_samples: int = 16
    temperature: float = 0.6
    top_p: float = 0.95
    max_new_tokens: int = 128
    batch_size: int = 256
    chunk_size: int = 16
    train_problems: int | None = 300
    test_problems: int | None = None
    seed: int = 0


@dataclass
class EvaluatorConfig:
    """The LLM fine-tuned as its own solution evaluator (paper Sec. 3.2, Table 3): one per loss.

    Attributes:
        losses: ``margin`` (pairwise, Eq. 8) and/or ``xent`` (cross-entropy on the verdict, Eq. 9).
        margin: Margin of the pairwise loss (paper: log 2).
        generator_style: Which style's generator samples the evaluator's data and starts the evaluator
            (``None``: the first of ``generator.styles``).
        max_pairs: (correct, incorrect) pairs per problem for the margin loss (paper: 10).
        init: What the evaluator is fine-tuned from: ``generator`` (the SSFT generator of
            ``generator_style``) or ``backbone`` (the base LLM, before any SSFT;
            SSFT can wash out what the base model knows, see ``factored_linear``).
        train: Fine-tuning settings (``max_length`` bounds the evaluator prompt).
    """

    losses: list[str] = field(default_factory=lambda: ["margin", "xent"])
    margin: float = 0.6931471805599453
    generator_style: str | None = None
    max_pairs: int = 10
    init: str = "generator"
    train: TrainConfig = field(default_factory=lambda: TrainConfig(max_length=384, val_fraction=0.15))


@dataclass
class RerankConfig:
    """Selection settings (paper Table 4, Figure 1).

    Attributes:
        k: K of RR.MajK / W-RR.MajK / MajK@N in the tables.
        top_n: N' of Maj1.TopN in the tables.
        ks: Extra K values reported as a table row each (figures sweep every K anyway).
        top_ns: Extra N' values reported.
    """

    k: int = 3
    top_n: int = 8
    ks: list[int] = field(default_factory=lambda: [1, 2, 3, 4])
    top_ns: list[int] = field(default_factory=lambda: [4, 8, 16])


@dataclass
class MultitaskConfig:
    """Sequential multi-task fine-tuning (paper Sec. 3.3, Table 7): generator -> evaluator -> generator.

    Attributes:
        enabled: Run the stage.
        from_loss: The loss of the run's evaluator phase (``None``: the first of ``evaluator.losses``); that
            phase trains with ``evaluator.train``'s settings, from the SSFT generator.
        reuse_evaluator: Take the evaluator phase from the ``evaluator_<from_loss>`` stage, which has trained
            exactly that evaluator already (from the SSFT generator, on the same data, with the same settings
            and seed), and fine-tune the final generator phase from its export: one evaluator fit fewer.
            The phase then hands on its best checkpoint by ``val/rr_majK``, as the stage exports it, where one
            fit hands on its last weights. Applies only with ``evaluator.init=generator``; otherwise, or when
            ``False``, both phases run in one fit of a ``SequentialMultiTaskModule``.
        train: Fine-tuning settings of the final generator phase.
    """

    enabled: bool = True
    from_loss: str | None = None
    reuse_evaluator: bool = True
    train: TrainConfig = field(default_factory=lambda: TrainConfig(lr=1e-3))


@dataclass
class GradingConfig:
    """How answers are graded (docs/grading.md); every accuracy in the report names this policy.

    Attributes:
        approximate: Accept a decimal of >= 3 significant digits that rounds an exact gold (Qwen2.5-Math's
            tolerance convention). Off by default, as in the PRM800K grader and Math-Verify, so that
            Pass@1 is comparable with published MATH numbers.
    """

    approximate: bool = False


@dataclass
class FewShotConfig:
    """The few-shot baseline (paper Tables 2 and 5, "Few-shot" rows): the *base* model, not fine-tuned,
    sampled on the test split with a 4-shot prompt (:mod:`mathft.data.fewshot`), one row per generator style.

    Attributes:
        enabled: Run a ``sample_test_fewshot_<style>`` stage per style in ``generator.styles``.
    """

    enabled: bool = False


@dataclass
class PipelineConfig:
    """The whole recipe.

    Attributes:
        out: Output folder (each stage writes ``<out>/<stage>/``).
        seed: Global seed of training.
        data: Problems.
        backbone: The LLM.
        trainer: Hardware.
        generator: SSFT generators.
        sampling: Sampling N solutions.
        evaluator: Evaluators.
        rerank: Selection settings.
        multitask: The multi-task stage.
        grading: The grading policy.
        fewshot: The few-shot baseline of the base model.
    """

    out: str = "runs/pipeline"
    seed: int = 0
    data: DataConfig = field(default_factory=DataConfig)
    backbone: BackboneSection = field(default_factory=BackboneSection)
    trainer: TrainerConfig = field(default_factory=TrainerConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    sampling: SamplingSection = field(default_factory=SamplingSection)
    evaluator: EvaluatorConfig = field(default_factory=EvaluatorConfig)
    rerank: RerankConfig = field(default_factory=RerankConfig)
    multitask: MultitaskConfig = field(default_factory=MultitaskConfig)
    grading: GradingConfig = field(default_factory=GradingConfig)
    fewshot: FewShotConfig = field(default_factory=FewShotConfig)

    @property
    def primary_style(self) -> str:
        """The style whose generator feeds the evaluator and the multi-task stage."""
        return self.evaluator.generator_style or self.generator.styles[0]

    @property
    def primary_loss(self) -> str:
        """The evaluator whose export starts the multi-task stage."""
        return self.multitask.from_loss or self.evaluator.losses[0]


def _describe(err: Exception) -> str:
    key = getattr(err, "full_key", None)
    first = str(err).splitlines()[0]
    return f"key {key!r}: {first}" if key else first


def _merge(source: str, base: Any, layer: Any) -> Any:
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    try:
        return OmegaConf.merge(base, layer)
    except OmegaConfBaseException as err:
        raise ConfigError(f"{source}: {_describe(err)}") from None


def load_config(path: str | Path | None = None, overrides: Sequence[str] = ()) -> PipelineConfig:
    """Read a pipeline YAML (or the defaults), apply ``key=value`` overrides and validate.

    Args:
        path: A YAML file whose keys mirror :class:`PipelineConfig`; ``None`` for the defaults.
        overrides: Dotted ``key=value`` overrides, e.g. ``sampling.num_samples=8``.

    Raises:
        ConfigError: Naming the file (or ``overrides``) and the unknown or ill-typed key.
    """
    from omegaconf import DictConfig, OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    merged = OmegaConf.structured(PipelineConfig)
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such config file" if not path.exists() else f"{path}: not a regular file")
        try:
            layer = OmegaConf.load(path)
        except Exception as err:  # yaml errors carry line and column
            raise ConfigError(f"{path}: not valid YAML: {err}") from None
        if not isinstance(layer, DictConfig):  # a top-level list cannot merge into the config's mapping
            raise ConfigError(f"{path}: the top level must be a mapping of keys (out:, data:, ...), "
                              f"got a {type(layer).__name__.removesuffix('Config').lower()}")
        merged = _merge(str(path), merged, layer)
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r}: expected key=value (e.g. sampling.num_samples=8)")
        try:
            layer = OmegaConf.from_dotlist([item])
        except OmegaConfBaseException as err:
            raise ConfigError(f"override {item!r}: {_describe(err)}") from None
        merged = _merge(f"override {item!r}", merged, layer)
    config = OmegaConf.to_object(merged)
    validate(config, str(path or "<defaults>") + (" with its overrides" if overrides else ""))
    return config


def validate(config: PipelineConfig, source: str) -> None:
    """Check values the types cannot (choices, cross-references).

    Raises:
        ConfigError: Naming ``source`` and the key.
    """
    def bad(key: str, message: str) -> ConfigError:
        return ConfigError(f"{source}: key {key!r}: {message}")

    if not config.generator.styles or any(s not in STYLES for s in config.generator.styles):
        raise bad("generator.styles", f"must be a non-empty list of {list(STYLES)}, got {config.generator.styles}")
    if not config.evaluator.losses or any(loss not in LOSSES for loss in config.evaluator.losses):
        raise bad("evaluator.losses", f"must be a non-empty list of {list(LOSSES)}, got {config.evaluator.losses}")
    if config.primary_style not in config.generator.styles:
        raise bad("evaluator.generator_style", f"{config.primary_style!r} is not in generator.styles")
    if config.primary_loss not in config.evaluator.losses:
        raise bad("multitask.from_loss", f"{config.primary_loss!r} is not in evaluator.losses")
    if config.backbone.scratch is None and not config.backbone.name_or_path:
        raise bad("backbone.name_or_path", "set a model (or backbone.scratch for a tiny model from scratch)")
    if not config.data.synthetic and not (config.data.train_files and config.data.test_files):
        raise bad("data.train_files", "non-synthetic data needs data.train_files and data.test_files")
    if config.data.synthetic:
        from mathft.data.synthetic import resolve_families

        try:
            resolve_families(config.data.families)
        except ValueError as err:
            raise bad("data.families", str(err)) from None
    if config.trainer.strategy not in ("auto", "ddp", "fsdp2"):
        raise bad("trainer.strategy", f"must be auto, ddp or fsdp2, got {config.trainer.strategy!r}")
    for key, train in (("generator.train", config.generator.train), ("multitask.train", config.multitask.train)):
        if train.truncation not in TRUNCATIONS:
            raise bad(f"{key}.truncation", f"must be one of {list(TRUNCATIONS)}, got {train.truncation!r}")
    if config.evaluator.train.truncation != "drop":  # a verdict on a cut-off solution would be a wrong label
        raise bad("evaluator.train.truncation", "must be 'drop': the evaluator drops candidates longer than "
                  "evaluator.train.max_length (raise that key instead)")
    first = next(range_errors(config), None)  # every numeric key, before any stage starts
    if first is not None:
        key, allowed, value = first
        raise bad(key, f"{allowed}, got {value!r}")


def config_hash(part: Any) -> str:
    """A short stable hash of a config section (dataclass or plain data), for stage markers."""
    data = asdict(part) if hasattr(part, "__dataclass_fields__") else part
    text = json.dumps(data, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
