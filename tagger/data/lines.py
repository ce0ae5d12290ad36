"""Text files read line by line as UTF-8; a bad byte names its file and line."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
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
            text, problem = _decoded(raw, number)
            if problem is not None:
                raise CorpusError(name, number, problem)
            yield number, text


def _decoded(raw: bytes, number: int) -> tuple[str, str | None]:
    """The line's text without its ending, or why it is not UTF-8."""
    try:
        # utf-8-sig on the first line drops a byte-order mark if there is one.
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as e:
        return "", f"expected UTF-8 text, got byte 0x{raw[e.start]:02x} at column {e.start + 1}"
    text = text[:-1] if text.endswith("\n") else text
    return (text[:-1] if text.endswith("\r") else text), None  # one LF or CRLF, no more


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


TOKEN_SEPARATORS = " \t"  # the only characters that separate pretokenized tokens
_SEPARATORS = re.compile(f"[{TOKEN_SEPARATORS}]+")


def split_tokens(line: str) -> list[str]:
    """The tokens of a pretokenized line: split on runs of spaces and tabs only, so a
    no-break space, a lone CR or a control separator stays inside its token."""
    return [token for token in _SEPARATORS.split(line) if token]


MAX_TOKEN_CHARS = 100_000  # a "word" longer than this is garbage, not text to tag
ON_ERROR = ("stop", "skip")


def line_problem(text: str) -> str | None:
    """Why a line of text to tag is refused, or None: a token of more than MAX_TOKEN_CHARS."""
    if len(text) <= MAX_TOKEN_CHARS:
        return None
    longest = max((len(t) for t in split_tokens(text)), default=0)
    if longest > MAX_TOKEN_CHARS:
        return f"expected tokens of at most {MAX_TOKEN_CHARS:,} characters, got one of {longest:,}"
    return None


def checked_line(raw: bytes, number: int) -> tuple[str, str | None]:
    """A line of an input to tag, decoded, and why it is refused (or None)."""
    text, problem = _decoded(raw, number)
    return text, problem or line_problem(text)


def input_lines(
    path: str | Path,
    on_error: str = "stop",
    report: Callable[[CorpusError], None] | None = None,
) -> Iterator[tuple[int, str]]:
    """(number, text) of every line of an input to tag. A bad line (not UTF-8, or with an
    overlong token) raises CorpusError naming file and line, or with on_error "skip" is
    passed to `report` and left out."""
    if on_error not in ON_ERROR:
        raise ValueError(f"--on-error: expected stop or skip, got {on_error!r}")
    name = "<stdin>" if str(path) == STDIN else path
    with reading(path) as f:
        for number, raw in _numbered(f, name):
            text, problem = checked_line(raw, number)
            if problem is None:
                yield number, text
                continue
            error = CorpusError(name, number, problem)
            if on_error == "stop":
                raise error
            if report is not None:
                report(error)


def file_sources(
    files: list[Path], on_error: str = "stop", report: Callable[[CorpusError], None] | None = None
) -> Iterator[Iterator[str]]:
    """The lines of every file to tag (`-`, or no file at all: stdin), streamed and
    decompressed, one iterator per file; a bad line stops or is skipped (input_lines)."""
    for path in files or [Path(STDIN)]:
        yield (line for _, line in input_lines(path, on_error, report))
