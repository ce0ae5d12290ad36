"""Giving freed heap memory back to the operating system, so long runs keep a flat RSS."""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache


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
