"""Text files read line by line as UTF-8; a bad byte names its file and line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tagger.data.errors import CorpusError
from tagger.data.inputs import DECOMPRESSION_ERRORS, STDIN, compression, reading


def decoded_lines(path: str | Path) -> Iterator[tuple[int, str]]:
    """(1-based number, text without line ending) per line, streamed; bad UTF-8 names its
    line. `-` reads stdin; .gz, .bz2 and .xz files are decompressed as they are read."""
    name = "<stdin>" if str(path) == STDIN else path
    with reading(path) as f:
        for number, raw in _numbered(f, name):
            try:
                # utf-8-sig on the first line drops a byte-order mark if there is one.
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as e:
                raise CorpusError(
                    name,
                    number,
                    f"expected UTF-8 text, got byte 0x{raw[e.start]:02x} at column {e.start + 1}",
                ) from None
            yield number, text.rstrip("\r\n")


def _numbered(stream: IO[bytes], path: str | Path) -> Iterator[tuple[int, bytes]]:
    """(number, raw line); a damaged compressed stream names the line it broke at."""
    number = 0
    lines = iter(stream)
    while True:
        try:
            raw = next(lines)
        except StopIteration:
            return
        except DECOMPRESSION_ERRORS as err:
            kind = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz"}.get(compression(path), "")
            what = f"a complete {kind} stream" if kind else "a readable file"
            raise CorpusError(path, number + 1, f"expected {what} ({err})") from None
        number += 1
        yield number, raw
