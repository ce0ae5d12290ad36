"""Ordered map over worker processes, with a bounded number of blocks in flight."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_WORK: Callable[[Any], Any] | None = None  # the function forked workers run


def ordered_map(
    fn: Callable[[Any], Any], items: Iterable[Any], processes: int = 1
) -> Iterator[Any]:
    """fn(item) for every item, in order; in `processes` forked workers when above 1.

    Workers inherit `fn` (and the model inside it) by fork, so nothing large is pickled;
    each runs torch on one thread. At most two items per worker are in flight, so memory
    stays flat however long `items` is.
    """
    if processes <= 1:
        yield from map(fn, items)
        return
    global _WORK
    _WORK = fn
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_one_thread) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.apply_async(_call, (item,)))
            if len(pending) >= 2 * processes:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _call(item: Any) -> Any:
    assert _WORK is not None
    return _WORK(item)
