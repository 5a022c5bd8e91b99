"""A tqdm progress bar on stderr counting problems, with the generated tokens/s alongside."""

from __future__ import annotations

import sys
import time
from types import TracebackType

from tqdm.auto import tqdm

__all__ = ["SamplingProgress"]


class SamplingProgress:
    """Progress of a sampling run: problems done (the bar, with tqdm's problems/s) and tokens/s (postfix).

    Tokens are reported after every decoding step but the postfix is redrawn at most twice a second, so
    the bar costs nothing measurable next to a decoding step.
    """

    def __init__(self, total: int, *, enabled: bool = True) -> None:
        self._bar = tqdm(total=total, unit="problem", file=sys.stderr, disable=not enabled, dynamic_ncols=True)
        self._tokens = 0
        self._start = time.perf_counter()
        self._shown = self._start

    @property
    def tokens(self) -> int:
        """Tokens generated so far."""
        return self._tokens

    def add_tokens(self, count: int) -> None:
        """Record ``count`` newly generated tokens."""
        self._tokens += count
        now = time.perf_counter()
        if now - self._shown >= 0.5:
            self._refresh(now)

    def add_problems(self, count: int) -> None:
        """Record ``count`` problems whose samples are all done."""
        self._refresh(time.perf_counter())
        self._bar.update(count)

    def _refresh(self, now: float) -> None:
        self._shown = now
        rate = self._tokens / max(now - self._start, 1e-9)
        self._bar.set_postfix_str(f"{rate:,.0f} tok/s", refresh=True)

    def __enter__(self) -> SamplingProgress:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.close()
