"""Whether a model name is a local path or a Hugging Face Hub id.

transformers looks any name that is not an existing directory up on the Hub: a mistyped local path
then waits on the network (52 s in one measurement) before failing with a message about repository ids.
A name that can only be a path fails at once instead, saying that the directory does not exist.
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["looks_local", "missing_local_model", "hub_problem", "weights_problem"]

# A Hugging Face Hub id: "name" or "namespace/name" of these characters.
_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def looks_local(name: str) -> bool:
    """Whether ``name`` can only be a local path.

    Hub ids are ``name`` or ``namespace/name``; a name that is absolute, starts with ``.`` or ``~``, has
    more than one ``/`` or other characters, or whose first folder exists here, is not one.
    """
    if name.startswith(("/", ".", "~")) or not _HUB_ID.match(name):
        return True
    head, _, tail = name.partition("/")
    return bool(tail) and Path(head).is_dir()


def missing_local_model(name: str | None) -> str | None:
    """A message when ``name`` is a local path that does not exist; ``None`` when it exists or may be a
    Hub id (then only the Hub can tell)."""
    if not name or Path(name).expanduser().exists() or not looks_local(name):
        return None
    return f"{name}: no such model directory (a local path; a Hub model is named 'name' or 'namespace/name')"


def hub_problem(name: str, timeout: float = 10.0) -> str | None:
    """Why ``name`` cannot be loaded from the Hub, or ``None`` when it is cached, found, or gated.

    Asked only for a name that is no local directory yet could be a Hub id (``artifacts/tiny_backbone``):
    transformers would otherwise spend its retries on the network (52 s in one measurement) before a
    traceback. One metadata request, bounded by ``timeout`` seconds including the name lookup.
    """
    import threading

    from huggingface_hub import try_to_load_from_cache

    if isinstance(try_to_load_from_cache(name, "config.json"), str):
        return None
    outcome: list[str | None] = []
    worker = threading.Thread(target=lambda: outcome.append(_ask_hub(name, timeout)), daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return f"{name}: no such local directory, and the Hugging Face Hub did not answer within {timeout:.0f} s"
    return outcome[0]


def _ask_hub(name: str, timeout: float) -> str | None:
    from huggingface_hub import model_info
    from huggingface_hub.errors import GatedRepoError, OfflineModeIsEnabled, RepositoryNotFoundError

    try:
        model_info(name, timeout=timeout)
    except GatedRepoError:
        return None  # it exists; transformers will use the user's token
    except RepositoryNotFoundError:
        return f"{name}: no such local directory, and no such model on the Hugging Face Hub (or it is private)"
    except OfflineModeIsEnabled:
        return f"{name}: no such local directory, and not in the Hugging Face cache (HF_HUB_OFFLINE is set)"
    except Exception as err:  # noqa: BLE001 - network errors come from the HTTP client of the installed version
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return f"{name}: no such local directory, and the Hugging Face Hub cannot be reached ({first})"
    return None


def weights_problem(model_dir: str | Path) -> str | None:
    """Why a local model directory's ``*.safetensors`` files are unusable, or ``None`` when they look whole.

    Reads only each file's header (an 8-byte length, then JSON naming every tensor's byte range): a
    truncated or garbage file fails here with its name, not as a safetensors traceback mid-load.
    """
    for path in sorted(Path(model_dir).glob("*.safetensors")):
        problem = _safetensors_problem(path)
        if problem:
            return f"{path}: {problem} (a truncated or damaged weights file; export or download it again)"
    return None


def _safetensors_problem(path: Path) -> str | None:
    import json

    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(8)
        if len(head) < 8:
            return f"{size} bytes, too short for a safetensors header"
        length = int.from_bytes(head, "little")
        if length > size - 8:
            return f"header of {length} bytes in a file of {size}"
        try:
            header = json.loads(handle.read(length))
        except (ValueError, RecursionError):
            return "the header is not JSON"
    if not isinstance(header, dict):
        return "the header is not a JSON object"
    offsets = [entry.get("data_offsets") for key, entry in header.items()
               if key != "__metadata__" and isinstance(entry, dict)]
    ends = [pair[1] for pair in offsets if isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], int)]
    if ends and max(ends) > size - 8 - length:
        return f"tensors need {max(ends) + 8 + length} bytes, the file has {size}"
    return None
