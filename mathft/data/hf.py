"""Reader for problem datasets on the Hugging Face Hub (optional extra ``mathft[hf]``)."""

from __future__ import annotations

from mathft.data.errors import DataError
from mathft.data.problem import Problem
from mathft.data.rows import problem_from_row

__all__ = ["read_hf"]

_INSTALL_HINT = "pip install 'mathft[hf]'"


def read_hf(name: str, split: str = "train", config: str | None = None) -> list[Problem]:
    """Read a Hub dataset whose rows have MATH or PRM800K field names (``problem``, ``solution``, ...).

    Args:
        name: Dataset name, e.g. ``"hendrycks/competition_math"``, or a local dataset directory.
        split: Split to load.
        config: Dataset configuration name, if it has several.

    Raises:
        DataError: When ``datasets`` is not installed, the dataset cannot be loaded (e.g. no network),
            or a row is malformed (naming the dataset, split and row).
    """
    try:
        import datasets
    except ModuleNotFoundError:
        raise DataError(
            f"reading Hugging Face dataset {name!r} needs the 'datasets' package: {_INSTALL_HINT}, "
            "or pass a local MATH directory or JSONL file instead"
        ) from None
    try:
        rows = datasets.load_dataset(name, config, split=split)
    except Exception as err:  # noqa: BLE001 - the hub raises many types; all mean "could not load"
        raise DataError(
            f"could not load Hugging Face dataset {name!r} (config {config!r}, split {split!r}): "
            f"{type(err).__name__}: {err}. Without network access, download it where there is one and "
            "pass the local path"
        ) from err
    source = f"hf:{name}"
    return [
        problem_from_row(row, f"{source}[{split}] row {i}", default_id=f"{name}/{split}/{i}", source=source)
        for i, row in enumerate(rows)
    ]
