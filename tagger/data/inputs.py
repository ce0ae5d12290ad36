"""Inputs as text tools take them: `-` for stdin, named pipes and /dev/fd/N, and files
compressed with gzip, bzip2 or xz (by their suffix), read transparently."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import shutil
import stat
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

STDIN = "-"
COMPRESSED: dict[str, Callable[..., IO[bytes]]] = {
    ".gz": gzip.open,
    ".bz2": bz2.open,
    ".xz": lzma.open,
}
# What a damaged or truncated compressed stream raises while it is read.
DECOMPRESSION_ERRORS = (EOFError, OSError, lzma.LZMAError, zlib.error)


def compression(path: str | Path) -> str:
    """The compression suffix (.gz, .bz2, .xz) when the name has one, else an empty string."""
    suffix = Path(str(path)).suffix.lower()
    return suffix if suffix in COMPRESSED else ""


def base_suffix(path: str | Path) -> str:
    """The suffix that names the format: `.conllu` for `dev.conllu.gz`."""
    name = Path(str(path))
    return (name.with_suffix("") if compression(name) else name).suffix.lower()


def is_readable(path: str | Path) -> bool:
    """`-`, or a path to a regular file, a named pipe or a character device (/dev/stdin,
    /dev/fd/N from a shell's `<(...)`); not a folder, not missing."""
    if str(path) == STDIN:
        return True
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


@contextlib.contextmanager
def reading(path: str | Path, decompress: bool = True) -> Iterator[IO[bytes]]:
    """The bytes of the input, decompressed unless told not to; `-` is stdin, which is
    left open."""
    if str(path) == STDIN:
        yield sys.stdin.buffer
        return
    opener = COMPRESSED.get(compression(path), open) if decompress else open
    with opener(path, "rb") as stream:
        yield stream


@contextlib.contextmanager
def spooled(path: str | Path) -> Iterator[Path]:
    """A regular file holding the input, for readers that open a file twice (format
    detection, then reading): the path itself when it is one, else a temporary copy of
    stdin, a pipe or a device, with the same suffixes, removed afterwards."""
    if str(path) != STDIN and stat.S_ISREG(os.stat(path).st_mode):
        yield Path(path)
        return
    suffixes = "".join(Path(str(path)).suffixes) if str(path) != STDIN else ""
    fd, name = tempfile.mkstemp(prefix="tagger-input-", suffix=suffixes)
    try:
        with os.fdopen(fd, "wb") as out, reading(path, decompress=False) as source:
            shutil.copyfileobj(source, out)
        yield Path(name)
    finally:
        os.unlink(name)
