"""Small helpers shared by test modules (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagger.data.errors import CorpusError


def write(tmp_path: Path, text: str | bytes, name: str = "corpus.txt") -> Path:
    """Write text (or bytes) to a file in tmp_path and return its path."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(reader, *args) -> str:  # noqa: ANN001
    """The CorpusError message a reader raises."""
    with pytest.raises(CorpusError) as info:
        reader(*args)
    return str(info.value)
