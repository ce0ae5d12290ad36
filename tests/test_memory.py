"""release_freed_memory hands freed heap back where glibc allows, and never fails."""

from __future__ import annotations

import pytest

from tagger import memory


def test_release_freed_memory_runs() -> None:
    memory.release_freed_memory()  # glibc here; a no-op elsewhere


def test_release_without_malloc_trim_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_malloc_trim", lambda: None)
    memory.release_freed_memory()
