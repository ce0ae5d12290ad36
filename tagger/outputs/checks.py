"""Checks of an output before any work starts: one OutputError line for each unsafe target."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from tagger.outputs.kinds import (
    COMPRESSED_SUFFIXES,
    FolderKind,
    descriptor,
    is_stream,
    is_temp,
    kind_of,
    names_of,
)


class OutputError(ValueError):
    """An output that cannot be written safely; the message names it and says why."""


def check_output(
    target: str | Path,
    inputs: Sequence[str | Path | None] = (),
    kind: FolderKind | None = None,
    force: bool = False,
    option: str = "--output",
    compress: bool = False,
) -> Path:
    """Refuse an unsafe output with an OutputError; return the path to write.

    `kind` None means a file. `inputs` are everything the command reads (files and
    folders; None and "-" are skipped). A file output may replace an existing file
    (the shell's `>` does too), never an input nor a file of a model folder or pipeline;
    a name ending in .gz, .bz2 or .xz is refused unless the command writes it `compress`ed.
    """
    given = Path(target)
    path = Path(os.path.realpath(given))
    name = f"{option} {given}"
    if descriptor(given) is not None:
        return given  # an open descriptor (/dev/stdout) is written through, never replaced
    for item in inputs:
        if item is None or str(item) in ("", "-"):
            continue
        source = Path(os.path.realpath(item))
        if path == source or _same_file(path, source):
            raise OutputError(f"{name}: is also an input of this command ({item})")
        if source.is_relative_to(path):
            raise OutputError(f"{name}: holds {item}, an input of this command")
        if path.exists() and source.is_dir() and path.is_relative_to(source):
            raise OutputError(f"{name}: is part of {item}, an input of this command")
    if Path.cwd().resolve().is_relative_to(path):
        raise OutputError(f"{name}: holds the current folder; give a new or empty folder")
    _check_parent(name, path)
    if kind is None:
        if str(target).endswith(("/", os.sep)):
            raise OutputError(f"{name}: names a folder; this command writes one file there")
        _check_file_target(name, path)
        if not compress and given.suffix.lower() in COMPRESSED_SUFFIXES:
            raise OutputError(f"{name}: this command writes no compressed files; drop the suffix")
    else:
        _check_folder_target(name, path, kind, force)
    return path


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _check_parent(name: str, path: Path) -> None:
    """The nearest existing folder above `path` must be a folder we may write in."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise OutputError(f"{name}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputError(f"{name}: cannot write in {parent} (permission denied)")


def _check_file_target(name: str, path: Path) -> None:
    if path.is_dir():
        raise OutputError(f"{name}: is a folder; expected a file name")
    if path.exists() and not (path.is_file() or is_stream(path)):
        raise OutputError(f"{name}: is not a regular file")
    if path.is_file() and not path.stat().st_mode & 0o222:
        raise OutputError(f"{name}: is read-only; make it writable to replace it")
    owner = kind_of(path.parent)
    if owner is not None and owner.replaced and path.name in names_of(owner, path.parent):
        raise OutputError(f"{name}: is part of {owner.what} ({path.parent}); choose another name")


def _check_folder_target(name: str, path: Path, kind: FolderKind, force: bool) -> None:
    if path.exists() and not path.is_dir():
        raise OutputError(f"{name}: is a file; {kind.command} writes a folder here")
    if not path.is_dir():
        return
    found = kind_of(path)
    if found is not None and found is not kind:
        raise OutputError(
            f"{name}: is {found.what}; {kind.command} writes {kind.what} (choose another folder)"
        )
    entries = sorted(e.name for e in path.iterdir() if not is_temp(e.name))
    own = names_of(kind, path) if found is kind else set()
    foreign = [e for e in entries if e not in own]
    clashing = [e for e in foreign if e in kind.names]
    if clashing:  # a user's own config.json: --force keeps other files, it cannot keep these
        raise OutputError(
            f"{name}: holds {', '.join(clashing)}, which {kind.command} would replace, and it "
            f"is not {kind.what}; give a new or empty folder"
        )
    if foreign and not force:
        more = f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
        shown = ", ".join(foreign[:3]) + more
        raise OutputError(
            f"{name}: holds files {kind.command} did not write ({shown}); give a new or empty "
            "folder, or --force to write beside them"
        )
