"""Text files read line by line as UTF-8; a bad byte names its file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tagger.data.errors import CorpusError


def decoded_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(1-based number, text without line ending) per line, streamed; bad UTF-8 names its line."""
    with open(path, "rb") as f:
        for number, raw in enumerate(f, start=1):
            try:
                # utf-8-sig on the first line drops a byte-order mark if there is one.
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise CorpusError(
                    path,
                    number,
                    f"expected UTF-8 text, got byte 0x{raw[e.start]:02x} at column {e.start + 1}",
                ) from None
            yield number, text.rstrip("\r\n")
