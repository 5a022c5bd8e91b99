"""The pipeline's torchrun helpers in one process: the trainer layout follows the launch, helpers are no-ops."""

from __future__ import annotations

import pytest

from mathft.pipeline import dist
from mathft.pipeline.config import TrainerConfig
from mathft.pipeline.training import launched_layout


def _launch(monkeypatch: pytest.MonkeyPatch, world: int, local: int) -> None:
    monkeypatch.setenv("WORLD_SIZE", str(world))
    monkeypatch.setenv("LOCAL_WORLD_SIZE", str(local))


def test_unset_layout_follows_the_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    """16 ranks, 8 per node: devices 8 x 2 nodes."""
    _launch(monkeypatch, 16, 8)
    hw = launched_layout(TrainerConfig())
    assert (hw.devices, hw.num_nodes) == (8, 2)


def test_a_matching_layout_is_kept_and_a_wrong_one_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _launch(monkeypatch, 8, 8)
    assert launched_layout(TrainerConfig(devices=8)) == TrainerConfig(devices=8)
    with pytest.raises(ValueError, match="trainer.devices=4 x trainer.num_nodes=1 .* WORLD_SIZE=8"):
        launched_layout(TrainerConfig(devices=4))


def test_one_process_keeps_the_config_and_needs_no_group(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORLD_SIZE", "LOCAL_WORLD_SIZE", "RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launched_layout(TrainerConfig(devices=2)) == TrainerConfig(devices=2)  # Lightning launches them
    assert not dist.init() and dist.is_main()
    assert dist.broadcast({"a": 1}) == {"a": 1} and dist.total({"n": 3}) == {"n": 3}
    dist.barrier()
    dist.shutdown()
