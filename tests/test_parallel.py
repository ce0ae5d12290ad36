"""Ordered maps over threads (order, torch threads per worker, bounded work in flight)
and over forked processes (an interrupted one ends)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest
import torch

from tagger.parallel import threaded_map


@pytest.fixture
def two_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def test_results_in_input_order_from_worker_threads(two_threads: None) -> None:
    seen: list[tuple[str, int]] = []

    def slow_first(item: int) -> int:
        time.sleep(0.02 if item % 2 == 0 else 0.0)  # even items finish after the next one
        seen.append((threading.current_thread().name, torch.get_num_threads()))
        return item * item

    assert list(threaded_map(slow_first, range(12), workers=2)) == [i * i for i in range(12)]
    assert {name for name, _ in seen} != {threading.current_thread().name}
    assert {threads for _, threads in seen} == {1}  # two workers share the two threads
    assert torch.get_num_threads() == 2  # the caller keeps its own setting


def test_one_worker_or_one_thread_runs_on_the_calling_thread() -> None:
    here = threading.current_thread().name
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        names = list(threaded_map(lambda _: threading.current_thread().name, range(3), 2))
    finally:
        torch.set_num_threads(before)
    assert names == [here] * 3
    assert list(threaded_map(lambda _: threading.current_thread().name, range(3), 1)) == [here] * 3


def test_items_are_read_only_a_few_ahead(two_threads: None) -> None:
    read: list[int] = []

    def items() -> Iterator[int]:
        for i in range(100):
            read.append(i)
            yield i

    results = threaded_map(lambda i: i, items(), workers=2)
    assert next(results) == 0
    assert len(read) <= 4  # two per worker in flight
    assert list(results) == list(range(1, 100))


def test_a_worker_error_reaches_the_caller(two_threads: None) -> None:
    def fails_on_three(item: int) -> int:
        if item == 3:
            raise ValueError("bad item 3")
        return item

    with pytest.raises(ValueError, match="bad item 3"):
        list(threaded_map(fails_on_three, range(6), workers=2))


KILLED_IDLE_WORKERS = """
import multiprocessing, os, signal, time
from tagger.parallel import ordered_map
it = ordered_map(abs, [-1, -2, -3], processes=2)
assert next(it) == 1
time.sleep(0.5)  # both workers idle: one waits for a task holding the task queue's read lock
for child in multiprocessing.active_children():
    os.kill(child.pid, signal.SIGKILL)  # as a signal to the whole process group ends them
time.sleep(0.2)
it.close()  # as an interrupted `tagger tag --processes 2` unwinds
print("ended")
"""


def test_an_interrupted_map_ends_though_its_workers_died_holding_a_queue_lock() -> None:
    """Pool.terminate waited forever for the lock a killed worker held (a SIGTERM to
    `tagger tag --processes 2`'s process group hung it, now and then)."""
    done = subprocess.run(
        [sys.executable, "-c", KILLED_IDLE_WORKERS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ended"
    assert "Traceback" not in done.stderr
