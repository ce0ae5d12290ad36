"""Small helpers shared by test modules (tests/ is on sys.path through its conftest)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from tagger.data.errors import CorpusError
from tagger.devices import cpu_bf16_lstm

NEEDS_CPU_BF16 = pytest.mark.skipif(
    not cpu_bf16_lstm(),
    reason="torch has no bf16 LSTM on this CPU (oneDNN needs AVX-512 or AMX): bf16 training "
    "is refused here (tests/test_devices.py checks the error)",
)


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


def fifo_with(tmp_path: Path, data: bytes, name: str = "pipe") -> Path:
    """A named pipe in tmp_path that a thread fills with data once a reader opens it."""
    path = tmp_path / name
    os.mkfifo(path)

    def feed() -> None:
        with open(path, "wb") as out:
            out.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return path
