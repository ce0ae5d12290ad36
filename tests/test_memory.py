"""release_freed_memory hands freed heap back where glibc allows, and never fails."""

from __future__ import annotations

import platform

import pytest

from tagger import memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_malloc_trim_is_found_and_called() -> None:
    trim = memory._malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)  # 1: memory was released, 0: there was none to release
    memory.release_freed_memory()


def test_release_without_malloc_trim_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append(1))
    memory.release_freed_memory()
    assert calls == [1]  # looked up, found nothing, called nothing
