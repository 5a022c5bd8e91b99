"""The :class:`Grader`: settings, caches and counters around the pure comparison functions."""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, fields
from typing import Any

from mathft.grading.ast import Node, has_decimal, num, to_data, tree_size
from mathft.grading.clock import ClockTime, read_clock
from mathft.grading.cluster import cluster_answers as _cluster
from mathft.grading.compare import CompareContext, equivalent, prepare, undefined
from mathft.grading.extract import answer_in_prose
from mathft.grading.extract import extract_answer as _extract
from mathft.grading.normalize import normalize_answer as _normalize
from mathft.grading.parser import ParseError, parse
from mathft.grading.sandbox import QueueTimeout, WorkerPool
from mathft.grading.text import WORD_LIST, is_text, meaningful, same_words, text_list, written_as_text

__all__ = ["Grader", "GraderStats", "default_grader"]

_MISSING = object()
_PLAIN_INTEGER = re.compile(r"-?[1-9]\d{0,30}|0")
_POISON_STRIKES = 2  # timeouts with distinct partners before an answer loses access to the worker
_WRAPPED = ("\\boxed", "\\fbox")


# The grading policies by name, each with the one line every report prints beside its accuracies.
POLICIES = {
    "exact": "approximations of exact answers are wrong, as in the PRM800K grader and Math-Verify",
    "approximate": "rounded decimals of exact answers are accepted, as in Qwen2.5-Math's evaluator",
}


def policy_name(approximate: bool) -> str:
    """``approximate`` or ``exact``: the name of the policy a ``Grader(approximate=...)`` grades under."""
    return "approximate" if approximate else "exact"


@dataclass
class GraderStats:
    """Counters of one :class:`Grader` (a snapshot; reading it does not reset them).

    Attributes:
        comparisons: Pair decisions requested (``is_equivalent`` calls and cluster representative pairs).
        cache_hits: Of those, the ones answered from the cache.
        timeouts: Symbolic comparisons stopped at the deadline (graded not equal).
        parse_failures: Distinct answers mathft's parser could not read (compared as strings only).
        too_long: Answers longer than ``max_length`` (graded not equal).
        worker_calls: Comparisons sent to the symbolic worker.
        poisoned_skips: Symbolic comparisons skipped because an answer is poisoned or the cluster call's
            ``cluster_timeout_s`` is spent (graded not equal, not cached).
        coalesced: Decisions that waited for the same decision running in another thread.
    """

    comparisons: int = 0
    cache_hits: int = 0
    timeouts: int = 0
    parse_failures: int = 0
    too_long: int = 0
    worker_calls: int = 0
    poisoned_skips: int = 0
    coalesced: int = 0


class _LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size: int) -> None:
        self.size, self._data, self._lock = size, OrderedDict[Hashable, Any](), threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            value = self._data.get(key, _MISSING)
            if value is not _MISSING:
                self._data.move_to_end(key)
            return value

    def reset_lock(self) -> None:
        self._lock = threading.Lock()

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            if len(self._data) > self.size:
                self._data.popitem(last=False)


@dataclass(frozen=True)
class _Parsed:
    normalized: str
    tree: Node | None  # None when the parser cannot read it: then only string equality counts
    equation: Node | None = None  # y = 2x + 1 kept as an equation (tree is its value 2x + 1)
    clock: ClockTime | None = None  # 9:15 a.m.: compared as minutes of the day, never parsed as math


class Grader:
    """Decides mathematical equivalence of answers under the policy in ``docs/grading.md``.

    Args:
        timeout_s: Hard limit on the symbolic work of one decision, waiting for a free worker included
            (the worker is killed when late; the pair is then not equal and counted in ``stats.timeouts``).
        max_length: Longest answer (after extraction) that is graded; longer ones are not equal.
        cache_size: Entries of the pair-verdict cache and of the parsed-answer cache.
        num_workers: Symbolic worker processes (started lazily, only when a comparison needs one; the
            second starts only when two threads need the worker at once).
        memory_limit_mb: Address space each worker may add after starting (a memory bomb in sympy then
            fails inside the worker instead of exhausting the machine).
        startup_timeout_s: How long a worker may take to start (importing sympy), not counted in
            ``timeout_s``.
        cluster_timeout_s: Symbolic time one ``cluster_answers`` call may spend in all (default
            ``2 * timeout_s``); after it, undecided pairs are decided by the fast path only (not equal
            unless proven), so one hostile answer among 64 cannot cost 63 timeouts.
        poison_size: Answers remembered as "poisoned" (their symbolic comparisons timed out with
            ``2`` distinct partners, each time as the larger side); later comparisons involving them skip
            the worker and are counted in ``stats.poisoned_skips``.
        approximate: Also accept a decimal prediction of >= 3 significant digits that rounds an exact gold
            (``\\frac{2}{3}`` vs ``0.667``), as Qwen2.5-Math's tolerance-based evaluator does. Off by default:
            MATH asks for exact forms, and the PRM800K grader and Math-Verify mark such answers wrong. A
            gold that is itself a decimal is handled the same either way.
    """

    def __init__(
        self,
        timeout_s: float = 2.0,
        max_length: int = 1000,
        cache_size: int = 100_000,
        num_workers: int = 2,
        memory_limit_mb: int = 2048,
        startup_timeout_s: float = 60.0,
        cluster_timeout_s: float | None = None,
        poison_size: int = 10_000,
        approximate: bool = False,
    ) -> None:
        if timeout_s <= 0 or max_length <= 0 or cache_size <= 0 or num_workers <= 0:
            raise ValueError(
                f"Grader: timeout_s, max_length, cache_size and num_workers must be positive, got "
                f"{timeout_s}, {max_length}, {cache_size}, {num_workers}"
            )
        self._settings = {
            "approximate": approximate, "timeout_s": timeout_s, "max_length": max_length, "cache_size": cache_size,
            "num_workers": num_workers, "memory_limit_mb": memory_limit_mb, "startup_timeout_s": startup_timeout_s,
            "cluster_timeout_s": cluster_timeout_s, "poison_size": poison_size,
        }
        self.cluster_timeout_s = 2 * timeout_s if cluster_timeout_s is None else cluster_timeout_s
        self._strikes = _LRU(poison_size)  # normalized answer -> partners it timed out with
        self._inflight: dict[tuple[Any, ...], threading.Event] = {}
        self._inflight_lock = threading.Lock()
        self._local = threading.local()  # the running cluster call's deadline, per thread
        self.timeout_s, self.max_length, self.approximate = timeout_s, max_length, approximate
        self._verdicts, self._answers = _LRU(cache_size), _LRU(cache_size)
        self._pool = WorkerPool(num_workers, memory_limit_mb, startup_timeout_s)
        self._stats, self._stats_lock = GraderStats(), threading.Lock()
        _GRADERS.add(self)

    def _after_fork(self) -> None:
        # A lock held by another thread at fork time stays held forever in the child: replace them.
        self._stats_lock = threading.Lock()
        self._inflight_lock, self._inflight = threading.Lock(), {}
        for cache in (self._verdicts, self._answers, self._strikes):
            cache.reset_lock()

    def __getstate__(self) -> dict[str, Any]:
        # Only the settings travel (to spawned DataLoader workers, for instance): caches, counters and
        # worker processes belong to one process.
        return dict(self._settings)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]

    # -- public API ------------------------------------------------------------------------------
    @property
    def policy(self) -> str:
        """The grading policy's name, to print beside every accuracy it produced (see :data:`POLICIES`)."""
        return policy_name(self.approximate)

    def extract_answer(self, text: str) -> str | None:
        """The final answer of a solution text (see :func:`mathft.grading.extract.extract_answer`)."""
        return _extract(text)

    def normalize_answer(self, answer: str) -> str:
        """The canonical string of an answer (see :func:`mathft.grading.normalize.normalize_answer`)."""
        return _normalize(answer)

    def is_equivalent(self, gold: str, pred: str | None) -> bool:
        """Whether ``pred`` is mathematically the same answer as ``gold``.

        Args:
            gold: The reference answer.
            pred: The extracted predicted answer; None (no answer) is never equivalent. An answer still in
                its wrapper (``$\\boxed{7}$.``, ``\\fbox{7}``) is extracted first.
        """
        if not isinstance(gold, (str, int, float)) or not isinstance(pred, (str, int, float)):
            return False  # None (no answer) or a non-answer object: never equivalent
        left, right = self._parse(gold), self._parse(pred)
        if left is None or right is None:
            return False
        return self._decide(left, right, symmetric=False)

    def cluster_answers(self, answers: Sequence[str | None]) -> list[list[int]]:
        """Indices of ``answers`` grouped by equivalence (see :func:`mathft.grading.cluster.cluster_answers`).

        Two predictions are compared with the same relation as :meth:`is_equivalent`, except that the
        rounding rule applies in both directions (either may be the decimal).
        """
        parsed: dict[str, _Parsed] = {}

        def key(answer: str) -> str | None:
            item = self._parse(answer)
            if item is None:
                return None
            parsed[item.normalized] = item
            return item.normalized

        def rounded(normalized: str) -> bool:
            tree = parsed[normalized].tree
            return tree is not None and has_decimal(tree)

        self._local.deadline = time.monotonic() + self.cluster_timeout_s
        try:
            return _cluster(answers, key, lambda a, b: self._decide(parsed[a], parsed[b], symmetric=True), rounded)
        finally:
            self._local.deadline = None

    @property
    def stats(self) -> GraderStats:
        """A snapshot of the counters."""
        with self._stats_lock:
            return GraderStats(**{f.name: getattr(self._stats, f.name) for f in fields(GraderStats)})

    def warm_up(self) -> None:
        """Start the symbolic workers now rather than on the first comparison that needs one.

        Starting one takes about a second (importing sympy); this is never counted against
        ``timeout_s``, but calling it before timing or before a deadline-sensitive loop keeps latency flat.
        """
        self._pool.start()

    def close(self) -> None:
        """Stop the worker processes (a later symbolic comparison starts new ones)."""
        self._pool.close()

    def __enter__(self) -> Grader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------------
    def _count(self, name: str) -> None:
        with self._stats_lock:
            setattr(self._stats, name, getattr(self._stats, name) + 1)

    def _parse(self, answer: str) -> _Parsed | None:
        text = (answer if isinstance(answer, str) else str(answer)).strip()  # tolerate 5 or 0.5 from JSON
        if any(wrapper in text for wrapper in _WRAPPED):
            text = (_extract(text) or text).strip()  # $\boxed{7}$. is 7, as every other grader's parse has it
        elif (stated := answer_in_prose(text)) is not None:
            text = stated.strip()  # "So we get $x = 5$." states x = 5
        if len(text) > self.max_length:
            self._count("too_long")
            return None
        cached = self._answers.get(text)
        if cached is not _MISSING:
            return cached
        if _PLAIN_INTEGER.fullmatch(text):  # the most common answer: skip normalizing and parsing
            item = _Parsed(text, num(int(text)))
            self._answers.put(text, item)
            return item
        item = self._read(text)
        self._answers.put(text, item)
        return item

    def _read(self, text: str) -> _Parsed | None:
        """Normalize and parse one answer (the uncached part of :meth:`_parse`)."""
        clock = read_clock(text)
        if clock is not None and clock.meridiem:
            return _Parsed(clock.canonical, None, clock=clock)
        item = self._read_math(text)
        if clock is None:
            return item
        if item is None:  # 3:00 is a time, never the undefined ratio 3/0
            return _Parsed(clock.canonical, None, clock=clock)
        # 10:15 without a meridiem is a time against a time, and the ratio 10/15 against anything else.
        return _Parsed(item.normalized, item.tree, item.equation, clock)

    def _read_math(self, text: str) -> _Parsed | None:
        """The normalized string and syntax tree of an answer (None for noise and undefined values)."""
        normalized = _normalize(text)
        item = None
        if normalized:
            tree: Node | None = None
            if is_text(normalized) or (WORD_LIST.fullmatch(normalized) is not None and written_as_text(text)):
                normalized = text_list(normalized)
            else:
                try:
                    tree = prepare(parse(normalized))
                except ParseError:
                    self._count("parse_failures")
            # Unreadable text without a letter or digit ("$$", "?!", "...") is noise, not an answer;
            # unreadable text with some ("x \to 2", "\hat{x}") still matches its own spelling.
            if tree is not None and undefined(tree):
                pass  # 1/0 is not a value: equal to nothing, not even itself, and in no cluster
            elif tree is not None or any(meaningful(ch) for ch in normalized):
                item = _Parsed(normalized, tree, _equation(text) if "=" in text and tree is not None else None)
        return item

    def _decide(self, left: _Parsed, right: _Parsed, symmetric: bool) -> bool:
        self._count("comparisons")
        if left.normalized == right.normalized or same_words(left.normalized, right.normalized):
            return True
        # "y=2x+3" normalizes to "2x+3" but also compares as an equation: it needs its own cache entries.
        pair = (_cache_name(left), _cache_name(right))
        key = (*sorted(pair), True) if symmetric else (*pair, False)
        verdict = self._verdicts.get(key)
        if verdict is not _MISSING:
            self._count("cache_hits")
            return verdict
        with self._inflight_lock:  # the same pair asked by several threads at once is computed once
            running = self._inflight.get(key)
            if running is None:
                self._inflight[key] = threading.Event()
        if running is not None:
            self._count("coalesced")
            running.wait(self.timeout_s + self._settings["startup_timeout_s"])
            verdict = self._verdicts.get(key)
            return False if verdict is _MISSING else verdict
        try:
            verdict, complete = self._compute(left, right, symmetric, pair != key[:2])
            if complete:  # a verdict cut short by a spent cluster budget may differ next time: not cached
                self._verdicts.put(key, verdict)
            return verdict
        finally:
            with self._inflight_lock:
                self._inflight.pop(key).set()

    def _compute(self, left: _Parsed, right: _Parsed, symmetric: bool, swap: bool) -> tuple[bool, bool]:
        """The verdict, and whether it is final (False when the symbolic step was skipped by a budget)."""
        if left.clock is not None and right.clock is not None:
            return left.clock.same_time(right.clock), True
        if left.tree is None or right.tree is None:
            return False, True
        if symmetric and swap:
            left, right = right, left  # same orientation for both cache orders
        # One deadline for the whole decision: a list of 64 trigonometric answers gets timeout_s in
        # all, not timeout_s per element pair; inside cluster_answers also no later than its budget.
        own_deadline = time.monotonic() + self.timeout_s
        budget = getattr(self._local, "deadline", None)
        deadline = own_deadline if budget is None else min(own_deadline, budget)
        names = (left.normalized, right.normalized)
        state = {"skipped": False, "timed_out": False}
        poisoned = any(self._poisoned(name) for name in names)

        def symbolic(a: Node, b: Node) -> bool:
            if poisoned or (budget is not None and time.monotonic() >= budget):
                state["skipped"] = True
                self._count("poisoned_skips")
                return False
            try:
                equal = self._symbolic(a, b, deadline)
            except QueueTimeout:  # no worker was free: not the answers' fault, and not final
                self._count("timeouts")
                state["skipped"] = True
                return False
            if equal is None:  # late: the answers' fault only when their own timeout_s was spent
                state["timed_out" if deadline == own_deadline else "skipped"] = True
            return bool(equal)

        ctx = CompareContext(symbolic, symmetric, self.approximate)
        try:
            verdict = equivalent(left.tree, right.tree, ctx)
            if not verdict and (left.equation or right.equation):  # y = -x/2 + 3/4 vs 2x + 4y - 3 = 0
                as_equations = (left.equation or left.tree, right.equation or right.tree)
                verdict = all(t.op == "rel" for t in as_equations) and equivalent(*as_equations, ctx)
        except RecursionError:  # trees are depth-capped by the parser; this is a last line of defence
            verdict = False
        if state["timed_out"]:
            # The worker's cost grows with the larger expression: "0" timing out against a huge power is
            # not to blame, so only the larger side (both when they are the same size) gets a strike.
            sizes = (tree_size(left.tree), tree_size(right.tree))
            for name, partner, size, other in ((*names, *sizes), (*names[::-1], *sizes[::-1])):
                if size >= other:
                    self._strike(name, partner)
        return verdict, not state["skipped"]

    def _poisoned(self, name: str) -> bool:
        partners = self._strikes.get(name)
        return partners is not _MISSING and len(partners) >= _POISON_STRIKES

    def _strike(self, name: str, partner: str) -> None:
        """Record that ``name`` timed out with ``partner``; two distinct partners poison it."""
        partners = self._strikes.get(name)
        partners = frozenset() if partners is _MISSING else partners
        if len(partners) < _POISON_STRIKES:
            self._strikes.put(name, partners | {partner})

    def _symbolic(self, a: Node, b: Node, deadline: float) -> bool | None:
        """The worker's verdict on a scalar pair, or None when it ran out of time.

        Raises:
            QueueTimeout: When the deadline passed while every worker was busy with other calls.
        """
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            self._count("timeouts")
            return None
        self._count("worker_calls")
        reply = self._pool.request({"a": to_data(a), "b": to_data(b)}, remaining)
        if reply is None:
            self._count("timeouts")
            return None
        return bool(reply.get("equal"))


def _cache_name(item: _Parsed) -> str:
    return item.normalized if item.equation is None else "\0equation:" + item.normalized


def _equation(text: str) -> Node | None:
    """The answer as an equation when it is one with its ``y =`` prefix kept (``y = 2x + 1``)."""
    try:
        tree = prepare(parse(_normalize(text, keep_prefix=True)), drop=False)
    except ParseError:
        return None
    return tree if tree.op == "rel" and tree.value == ("=",) else None


_DEFAULT: Grader | None = None
_DEFAULT_LOCK = threading.Lock()
_GRADERS: weakref.WeakSet[Grader] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    global _DEFAULT_LOCK
    _DEFAULT_LOCK = threading.Lock()
    for grader in list(_GRADERS):
        grader._after_fork()


if hasattr(os, "register_at_fork"):  # POSIX only
    os.register_at_fork(after_in_child=_after_fork_in_child)


def default_grader() -> Grader:
    """The shared :class:`Grader` behind the module-level functions (created on first use)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Grader()
        return _DEFAULT
