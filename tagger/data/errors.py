"""The one error type for bad input data, formatted as `file:line: what was expected`."""

from __future__ import annotations

from pathlib import Path


class CorpusError(ValueError):
    """A corpus or input file that cannot be read; the message names file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.detail = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")
