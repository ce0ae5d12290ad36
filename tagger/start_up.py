"""A serving command's start-up (`tagger tag`, `tagger evaluate`): idle OpenMP threads
that sleep, and Python's cyclic garbage collector paused over the imports.

Importing torch and spaCy and loading a model make a few million objects that live as
long as the process. Each full collection walks all of them again: in `tagger tag` of
172k words (EWT test x8, the fast POS model) five full collections, mostly during the
imports, took 0.45 s, and all collections 0.6 s of a 6 s process. The command pauses
the collector before it imports anything heavy (`pause_collector`), then, once the
model and its tokenizer are loaded, moves everything made so far out of the collector's
reach (gc.freeze) and resumes it (`settle_startup`): 0.06 s of collections remain.
Frozen objects are still freed by reference counting; only cycles among them would stay.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_paused = False  # whether pause_collector paused it (and settle_startup has not resumed it)


@contextmanager
def serving_start_up() -> Iterator[None]:
    """Around a serving command (tag, evaluate): idle OpenMP threads asleep, and the
    collector paused until the command calls `settle_startup`; resumed at the end in any
    case (a command that failed before loading its model, in a process that goes on)."""
    passive_openmp()
    pause_collector()
    try:
        yield
    finally:
        resume_collector()


def passive_openmp() -> None:
    """Idle OpenMP threads sleep instead of spinning (OMP_WAIT_POLICY=PASSIVE), unless
    the user set a policy; only takes effect before torch is imported.

    The inference BiLSTM runs its two directions on two Python threads, each with its
    own OpenMP team, so after every multi-threaded operation (the head, the embeddings)
    spinning workers take cycles from the direction threads. Sleeping ones made `tagger
    tag` of 172k words take 5.1-6.6 s instead of 6.0-6.9 s on 2 cores, 1.25x less CPU
    time (BENCHMARKS.md, issue 27).
    """
    if "torch" not in sys.modules:
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pause_collector() -> None:
    """Pause the cyclic collector until `settle_startup`, where a process's start-up is
    still to come (torch not imported yet: a program or test process that already holds
    it keeps its collector as it is)."""
    global _paused
    if gc.isenabled() and "torch" not in sys.modules:
        gc.disable()
        _paused = True


def settle_startup() -> None:
    """Where `pause_collector` paused the collector: freeze every object made so far and
    resume it. Otherwise nothing (a program that tags through the API keeps its own)."""
    global _paused
    if _paused:
        gc.freeze()
        gc.enable()
        _paused = False


def resume_collector() -> None:
    """Resume a collector that `pause_collector` paused, without freezing anything."""
    global _paused
    if _paused:
        gc.enable()
        _paused = False
