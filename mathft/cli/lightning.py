"""``mathft fit|validate|test``: LightningCLI over the mathft modules and data modules.

Model and data are chosen in YAML by ``class_path`` (subclass mode), configs compose with
``--config a.yaml --config b.yaml``, and values both need are linked once: the data module's tokenizer is
the model backbone's (``data.init_args.tokenizer`` <- ``model.init_args.backbone``), and after
instantiation the module's tokenizer object itself, and what its objective needs of the data (e.g. the
margin loss's pair-only batches, ``BackboneModule.data_settings``), are handed to the data module's ``connect``.

A run lives in one folder, ``trainer.default_root_dir``: ``config.yaml``, ``checkpoints/`` (``last.ckpt``
and the best), ``tb/`` (the default logger, one fixed version rather than a new ``version_N`` per run) and
``hf_best/``. Rerunning the same command with ``--ckpt_path=last`` resumes it. A run stopped by SIGTERM or
SIGUSR1 saves ``last.ckpt`` and exits with 128 + the signal number (143 for SIGTERM).
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI, SaveConfigCallback
from lightning.pytorch.utilities.exceptions import SIGTERMException

from mathft.callbacks.preemption import Preempted
from mathft.cli.checks import InputError, check_config_files, check_local_model, check_output_dir
from mathft.data.errors import DataError
from mathft.modules.base import BackboneModule

__all__ = ["MathFTCLI", "RunFolderConfig", "build_cli", "main"]

SIGTERM_STATUS = 143  # 128 + SIGTERM, what a shell reports for a process ended by SIGTERM


def _tokenizer_of(backbone: Any) -> str | None:
    """The tokenizer path of a backbone config given as a dataclass or a dict (before instantiation)."""
    if backbone is None:
        return None
    get = backbone.get if isinstance(backbone, dict) else lambda k: getattr(backbone, k, None)
    return get("tokenizer") or get("name_or_path")


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if hasattr(obj, "get") else getattr(obj, key, None)


class RunFolderConfig(SaveConfigCallback):
    """Save the parsed config in the run folder (``<default_root_dir>/config.yaml``), not a logger's folder.

    ``fit`` writes ``config.yaml``; ``validate`` and ``test`` write ``<stage>_config.yaml`` beside it, so
    that evaluating a run never replaces the config it was trained with.
    """

    def save_config(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        stage = str(getattr(stage, "value", stage))  # Lightning passes its TrainerFn enum
        name = self.config_filename if stage == "fit" else f"{stage}_{self.config_filename}"
        path = Path(trainer.default_root_dir) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.parser.save(self.config, str(path), skip_none=False, overwrite=self.overwrite, multifile=self.multifile)


def _run_logger(root: str) -> Any:
    """The default logger: TensorBoard in ``<root>/tb`` with a fixed version, so a resumed run appends to it."""
    from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger
    from lightning.fabric.loggers.tensorboard import _TENSORBOARD_AVAILABLE, _TENSORBOARDX_AVAILABLE

    if _TENSORBOARD_AVAILABLE or _TENSORBOARDX_AVAILABLE:
        return TensorBoardLogger(root, name="tb", version="")
    return CSVLogger(root, name="csv", version="")


class MathFTCLI(LightningCLI):
    """LightningCLI with mathft's links between model and data, and one folder per run."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("model.init_args.backbone", "data.init_args.tokenizer", compute_fn=_tokenizer_of)

    def _connect(self) -> None:
        connect = getattr(self.datamodule, "connect", None)
        if callable(connect) and isinstance(self.model, BackboneModule):
            connect(tokenizer=self.model.tokenizer, **self.model.data_settings())

    def _pin_default_logger(self) -> None:
        # Lightning's default logger numbers a new `version_N` folder per run; a logger the config names
        # explicitly is left as configured.
        config = self.config[self.subcommand] if self.subcommand else self.config
        if config.trainer.get("logger") in (None, True):
            self.trainer.logger = _run_logger(self.trainer.default_root_dir)

    def before_instantiate_classes(self) -> None:
        # A missing local model is otherwise looked up on the Hub first (52 s without a network) and then
        # fails with a message about repository ids: fail now, naming the key.
        config = self.config[self.subcommand] if self.subcommand else self.config
        backbone = (config.get("model") or {}).get("init_args", {}).get("backbone")
        for key in ("name_or_path", "tokenizer"):
            check_local_model(_field(backbone, key), f"model.init_args.backbone.{key}")
        root = (config.get("trainer") or {}).get("default_root_dir")
        if root:
            check_output_dir(root, "trainer.default_root_dir")

    def instantiate_classes(self) -> None:
        super().instantiate_classes()
        self._pin_default_logger()
        self._connect()

    def before_test(self) -> None:
        # Otherwise a traceback from inside the test loop, after the model was built.
        if getattr(self.datamodule, "test_files", None) == []:
            raise InputError("data.init_args.test_files: `mathft test` needs test problems; pass e.g. "
                             "--data.init_args.test_files=[data/synthetic/test.math.jsonl]")


def build_cli(args: Sequence[str], *, run: bool = True) -> MathFTCLI:
    """Parse ``args`` (with a subcommand when ``run``) and instantiate model, data and trainer."""
    return MathFTCLI(
        BackboneModule,
        pl.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        args=list(args),
        run=run,
        save_config_callback=RunFolderConfig,
        save_config_kwargs={"overwrite": True, "save_to_log_dir": False},
        auto_configure_optimizers=False,
    )


def main(argv: Sequence[str]) -> int:
    """Entry point of ``mathft fit|validate|test ...``; returns the exit status.

    0 when the command finished; 128 + the signal number when a stop signal ended it after saving
    ``last.ckpt`` (143 for SIGTERM), so that a batch scheduler does not count the run as done.
    """
    status = 0
    with warnings.catch_warnings():
        # `mathft` passes its own argv on explicitly; LightningCLI would warn that sys.argv is also set.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
        try:
            check_config_files(argv)
            build_cli(argv, run=True)
        except (InputError, DataError) as err:  # a config file, model path or data file named by the message
            print(f"mathft {argv[0] if argv else 'fit'}: error: {err}", file=sys.stderr)
            return 2
        except Preempted as stop:
            print(f"mathft: {stop}", file=sys.stderr)
            status = int(stop.code)
        except SIGTERMException:
            # Lightning's own handler (a SIGTERM outside the training loop) would exit with status 0.
            status = SIGTERM_STATUS
    # Lightning keeps the process group alive after fit; leaving it together (barrier, then destroy)
    # stops a rank that exits early from aborting a peer still in a collective.
    from mathft.pipeline import dist

    dist.shutdown()
    return status
