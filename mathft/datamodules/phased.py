"""The data of a sequential multi-task run: one data module per phase, the running phase's loaders served.

Phase ``i`` is the Lightning epoch ``i`` (see :mod:`mathft.modules.sequential`): at every epoch Lightning
asks again for the loaders, and this module hands out phase ``i``'s, its training loader cut to exactly the
phase's step budget (:class:`BudgetedLoader`, which runs through as many of the phase's own epochs as that
takes and saves its position in checkpoints, so a resume continues inside the phase).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lightning as L
from torch.utils.data import DataLoader, DistributedSampler

__all__ = ["BudgetedLoader", "PhasedDataModule"]


class BudgetedLoader:
    """Exactly ``batches`` batches from a :class:`~mathft.datamodules.batching.PlannedDataLoader`, over
    as many of its epochs as needed; stateful like it (Lightning saves :meth:`state_dict` in checkpoints).

    Args:
        loader: The phase's training loader (``state_dict``/``load_state_dict`` and a ``batch_sampler``
            with ``set_epoch``).
        batches: How many batches to serve.
        phase: The phase index, stored to catch a state loaded into another phase's loader.
    """

    def __init__(self, loader: DataLoader, batches: int, phase: int) -> None:
        if not (callable(getattr(loader, "state_dict", None)) and hasattr(loader.batch_sampler, "set_epoch")):
            raise TypeError(f"phase {phase}: the training loader must be a PlannedDataLoader (stateful, so that a "
                            f"resume continues inside the phase), got {type(loader).__name__}")
        self.loader, self.batches, self.phase = loader, batches, phase
        self.epoch, self.served = 0, 0  # the inner loader's epoch; batches served of the budget

    def __len__(self) -> int:
        return self.batches

    def __iter__(self) -> Iterator[Any]:
        while self.served < self.batches:
            self.loader.batch_sampler.set_epoch(self.epoch)
            for batch in self.loader:
                self.served += 1  # counted when handed out, like PlannedDataLoader's own position
                yield batch
                if self.served >= self.batches:
                    return
            self.epoch += 1

    def state_dict(self) -> dict[str, Any]:
        """Phase, batches served of the budget, and the inner loader's position."""
        return {"phase": self.phase, "served": self.served, "inner": self.loader.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from ``state`` (the inner loader moves to its next epoch when the saved one was done)."""
        if int(state["phase"]) != self.phase:
            raise ValueError(f"loader state of phase {state['phase']} loaded into phase {self.phase}'s loader")
        self.served = int(state["served"])
        self.loader.load_state_dict(state["inner"])
        self.epoch = int(self.loader.batch_sampler.position[0])


class PhasedDataModule(L.LightningDataModule):
    """Serves the running phase's loaders of a ``SequentialMultiTaskModule`` run.

    Args:
        phases: One data module per phase, in the model's phase order (e.g. SSFT, evaluator, SSFT).
        tokenizer: Tokenizer name or path handed to every phase's data module (the CLI links it from the
            model's backbone; the module's tokenizer object is connected over it).
    """

    def __init__(self, phases: list[L.LightningDataModule], tokenizer: str | None = None) -> None:
        super().__init__()
        if not phases:
            raise ValueError("data.init_args.phases: give one data module per phase")
        self.phases, self.tokenizer = list(phases), tokenizer

    def connect(self, tokenizer: Any | None = None, phase_settings: list[dict[str, Any]] | None = None,
                **_: Any) -> None:
        """Connect every phase's data module with the tokenizer and its task's data settings."""
        settings = phase_settings or [{} for _ in self.phases]
        if len(settings) != len(self.phases):
            raise ValueError(f"data.init_args.phases has {len(self.phases)} data modules for {len(settings)} phases")
        for data, extra in zip(self.phases, settings):
            connect = getattr(data, "connect", None)
            if callable(connect):
                connect(tokenizer=tokenizer or self.tokenizer, **extra)

    def setup(self, stage: str | None = None) -> None:
        """Set up every phase's data now: an unusable phase fails before the first step, not hours in."""
        module = self.trainer.lightning_module if self.trainer is not None else None
        count = len(getattr(module, "phases", self.phases))
        if count != len(self.phases):
            raise ValueError(f"data.init_args.phases has {len(self.phases)} data modules for {count} model phases")
        for data in self.phases:
            data.trainer = self.trainer
            data.setup(stage)

    def _phase(self) -> int:
        return self.trainer.lightning_module.phase_index

    def train_dataloader(self) -> BudgetedLoader:
        """The running phase's training batches, cut to its step budget (dealt out per rank)."""
        index, module = self._phase(), self.trainer.lightning_module
        loader = self.phases[index].train_dataloader()
        _shard(loader, self.trainer)
        return BudgetedLoader(loader, module.phase_batches(index), index)

    def val_dataloader(self) -> Any:
        """The running phase's validation loader."""
        return self.phases[self._phase()].val_dataloader()

    def test_dataloader(self) -> Any:
        """The last phase's test loader (``trainer.test`` after the run)."""
        return self.phases[-1].test_dataloader()


def _shard(loader: DataLoader, trainer: Any) -> None:
    """Deal the planned batches out per rank: Lightning injects its distributed sampler only into the
    ``DataLoader`` it is handed, and the training loader here is wrapped."""
    if trainer.world_size <= 1:
        return
    sampler = loader.batch_sampler
    n = len(sampler.sampler)
    # PlannedBatchSampler reads only num_replicas, rank and epoch from it (see its docstring).
    sampler.sampler = DistributedSampler(range(n), num_replicas=trainer.world_size, rank=trainer.global_rank,
                                         shuffle=False)
