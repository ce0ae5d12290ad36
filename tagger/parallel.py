"""Ordered maps over worker processes or threads, with a bounded number of items in flight."""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
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
    one_torch_thread_in_forked_children()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes) as pool:
        try:
            pending: deque = deque()
            for item in items:
                pending.append(pool.apply_async(_call, (item,)))
                if len(pending) >= 2 * processes:
                    yield pending.popleft().get()
            while pending:
                yield pending.popleft().get()
        except BaseException:  # interrupted, or the consumer stopped
            _abandon(pool)
            raise


def _abandon(pool: Any) -> None:
    """Kill an interrupted pool's workers and drop the pool without Pool.terminate.

    terminate() waits on the pool's queues, and a worker ended in the middle of one (a
    Ctrl-C or SIGTERM to the process group reaches the workers too; the kill here) leaves
    a lock taken or half a message in a pipe: it waited forever. The pool's threads are
    daemons, blocked where they are until the process ends; its exit-time finalizer,
    which would join them, is cancelled, so `with`'s terminate() does nothing more.
    """
    pool._worker_handler._state = multiprocessing.pool.TERMINATE  # no replacement workers
    pool._terminate.cancel()
    workers = list(pool._pool)
    for worker in workers:
        worker.kill()
    for worker in workers:
        worker.join()


_FORK_HOOK = False
_FORKED = False  # set in children forked after one_torch_thread_in_forked_children


def in_forked_child() -> bool:
    """Whether this process was forked by ordered_map or spaCy's n_process (CUDA cannot
    be initialised again after a fork)."""
    return _FORKED


def _after_fork_in_child() -> None:
    import torch

    global _FORKED
    _FORKED = True
    torch.set_num_threads(1)
    # The parent alone handles Ctrl-C and SIGTERM (it ends its workers); workers die
    # silently when it terminates them, instead of printing tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def one_torch_thread_in_forked_children() -> None:
    """Forked children run torch on one thread: N workers share N cores, and torch's OpenMP
    pool, once used with several threads, deadlocks in a forked child (nlp.pipe with
    n_process forks too)."""
    global _FORK_HOOK
    if not _FORK_HOOK:
        os.register_at_fork(after_in_child=_after_fork_in_child)
        _FORK_HOOK = True


def _call(item: Any) -> Any:
    assert _WORK is not None
    return _WORK(item)


_POOLS: dict[tuple[int, str, int], ThreadPoolExecutor] = {}  # (pid, name, workers)


def threaded_map(fn: Callable[[Any], Any], items: Iterable[Any], workers: int) -> Iterator[Any]:
    """fn(item) for every item, in order, on `workers` threads that share torch's threads.

    `items` is consumed on the calling thread. Each worker runs torch on an equal share
    of the caller's threads (so no more workers than threads; with one, fn runs here).
    At most two items per worker are in flight.
    """
    import torch

    threads = torch.get_num_threads()
    workers = min(workers, threads)
    if workers <= 1:
        yield from map(fn, items)
        return
    share = threads // workers

    def call(item: Any) -> Any:
        torch.set_num_threads(share)  # this thread's own setting (OpenMP and MKL)
        return fn(item)

    pool = thread_pool("tagger-batch", workers)
    pending: deque = deque()
    for item in items:
        pending.append(pool.submit(call, item))
        if len(pending) >= 2 * workers:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def thread_pool(name: str, workers: int) -> ThreadPoolExecutor:
    """A pool kept for this process, by name and size; a fork gets fresh ones (threads do
    not survive it)."""
    key = (os.getpid(), name, workers)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(workers, thread_name_prefix=name)
    return pool
