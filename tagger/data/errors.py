"""The one error type for bad input data, formatted as `file:line: what was expected`."""

from __future__ import annotations

import re
from pathlib import Path


class CorpusError(ValueError):
    """A corpus or input file that cannot be read; the message names file and line."""

    def __init__(self, path: str | Path, line: int | None, message: str) -> None:
        self.path = str(path)
        self.line = line
        self.detail = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


# Unicode's control characters (category Cc: U+0000-001F, U+007F-009F) and the line and
# paragraph separators (Zl, Zp): inside a word or label they would break a line format.
_BREAKING = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def breaking_char(text: str) -> str | None:
    """The first character of `text` that would break a line or column format, if any."""
    found = _BREAKING.search(text)
    return found.group() if found else None


def check_text(path: str | Path, line: int | None, text: str, what: str) -> None:
    """Refuse a word or label holding a control character (NUL, tab, newline, a line
    separator): it would forge lines or columns of an output."""
    bad = breaking_char(text)
    if bad is not None:
        detail = f"expected {what} without control characters, got {text!r} (U+{ord(bad):04X})"
        raise CorpusError(path, line, detail)
