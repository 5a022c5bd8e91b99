"""``mathft fit|validate|test``: LightningCLI over the mathft modules and data modules.

Model and data are chosen in YAML by ``class_path`` (subclass mode), configs compose with
``--config a.yaml --config b.yaml``, and values both need are linked once: the data module's tokenizer is
the model backbone's (``data.init_args.tokenizer`` <- ``model.init_args.backbone``), and after
instantiation the module's tokenizer object itself, and what its objective needs of the data (e.g. the
margin loss's pair-only batches, ``BackboneModule.data_settings``), are handed to the data module's ``connect``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import lightning.pytorch as pl
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from mathft.modules.base import BackboneModule

__all__ = ["MathFTCLI", "build_cli", "main"]


def _tokenizer_of(backbone: Any) -> str | None:
    """The tokenizer path of a backbone config given as a dataclass or a dict (before instantiation)."""
    if backbone is None:
        return None
    get = backbone.get if isinstance(backbone, dict) else lambda k: getattr(backbone, k, None)
    return get("tokenizer") or get("name_or_path")


class MathFTCLI(LightningCLI):
    """LightningCLI with mathft's links between model and data."""

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.link_arguments("model.init_args.backbone", "data.init_args.tokenizer", compute_fn=_tokenizer_of)

    def _connect(self) -> None:
        connect = getattr(self.datamodule, "connect", None)
        if callable(connect) and isinstance(self.model, BackboneModule):
            connect(tokenizer=self.model.tokenizer, **self.model.data_settings())

    def instantiate_classes(self) -> None:
        super().instantiate_classes()
        self._connect()


def build_cli(args: Sequence[str], *, run: bool = True) -> MathFTCLI:
    """Parse ``args`` (with a subcommand when ``run``) and instantiate model, data and trainer."""
    return MathFTCLI(
        BackboneModule,
        pl.LightningDataModule,
        subclass_mode_model=True,
        subclass_mode_data=True,
        args=list(args),
        run=run,
        save_config_kwargs={"overwrite": True},
        auto_configure_optimizers=False,
    )


def main(argv: Sequence[str]) -> int:
    """Entry point of ``mathft fit|validate|test ...``; returns the exit status."""
    with warnings.catch_warnings():
        # `mathft` passes its own argv on explicitly; LightningCLI would warn that sys.argv is also set.
        warnings.filterwarnings("ignore", message="LightningCLI's args parameter")
        build_cli(argv, run=True)
    # Lightning keeps the process group alive after fit; leaving it together (barrier, then destroy)
    # stops a rank that exits early from aborting a peer still in a collective.
    from mathft.pipeline import dist

    dist.shutdown()
    return 0
