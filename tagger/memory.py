"""Keeping long runs at a flat RSS: freed heap handed back to the operating system, and
oneDNN's kernel cache kept small where shapes never repeat."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from functools import cache

KERNEL_CACHE_VARIABLE = "ONEDNN_PRIMITIVE_CACHE_CAPACITY"
INFERENCE_KERNEL_CACHE = 16  # oneDNN's own default is 1,024
TRAINING_KERNEL_CACHE = 16  # shapes repeat no more in training: a kernel is rarely reused


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


def release_freed_memory() -> None:
    """glibc's malloc_trim(0): hand freed heap pages back; a no-op without glibc."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def limit_kernel_cache(capacity: int = INFERENCE_KERNEL_CACHE) -> str:
    """Ask oneDNN to keep at most `capacity` compiled kernels (primitives); the size in force.

    torch runs the CPU LSTMs through oneDNN, which compiles a kernel for each input shape
    and keeps the last 1,024. Nearly every batch has shapes of its own (the character
    model's number of distinct words and their longest, the sentences' longest), so the
    cache only grows: when tagging, by about 2 MB a block of 1,024 lines, 450 MB over
    2,000 shapes (BENCHMARKS.md, "Memory of tagging: what grew"); when training, where each
    batch compiles forward and backward kernels for every layer and direction, by about
    150-200 MB an epoch of EWT (BENCHMARKS.md, "Training memory (issue 24)"). Compiling a
    kernel afresh costs little next to running it. oneDNN reads the variable once, when it
    makes its first kernel, so this works in a process that has not run one yet (a
    training or tagging process, a Ray actor, a spaCy pipeline being loaded) and changes
    nothing in one that has. A value set by the user is kept.
    """
    return os.environ.setdefault(KERNEL_CACHE_VARIABLE, str(capacity))
