"""The writer: a temporary sibling, fsync, then a rename (a folder: one atomic exchange)."""

from __future__ import annotations

import bz2
import ctypes
import glob
import gzip
import io
import itertools
import lzma
import os
import shutil
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from tagger.outputs.kinds import (
    PIPELINE,
    TEMP_TAG,
    FolderKind,
    descriptor,
    is_stream,
    is_temp,
    pipeline_names,
)

_COUNTER = itertools.count()
COMPRESSED: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="wb"),  # type: ignore[dict-item]
    ".bz2": lambda raw: bz2.BZ2File(raw, "wb"),  # type: ignore[dict-item]
    ".xz": lambda raw: lzma.LZMAFile(raw, "wb"),  # type: ignore[dict-item]
}


def _temp_sibling(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}-{next(_COUNTER)}.{TEMP_TAG}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(target: Path) -> None:
    """Remove temporaries of `target` left by killed processes (only names we make)."""
    pattern = glob.escape(f".{target.name}.") + f"*.{TEMP_TAG}"
    for stale in target.parent.glob(pattern):
        pid = stale.name[len(target.name) + 2 : -len(TEMP_TAG) - 1].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            _remove(stale)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_file(target: str | Path, text: bool = True, compress: bool = False) -> Iterator[IO[Any]]:
    """A file object whose content replaces `target` when the block ends without error.

    `compress`: a target ending in .gz, .bz2 or .xz is written compressed. A character
    device or pipe (/dev/stdout) is written in place, as it cannot be renamed onto.
    """
    fd = descriptor(target)
    if fd is not None or is_stream(Path(target)):
        where = os.dup(fd) if fd is not None else target
        with open(where, "w" if text else "wb", **({"encoding": "utf-8"} if text else {})) as f:
            yield f
        return
    target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    temp = _temp_sibling(target)
    try:
        with open(temp, "xb") as raw:
            layer: IO[Any] = raw
            packer = COMPRESSED.get(target.suffix.lower()) if compress else None
            if packer is not None:
                layer = packer(raw)
            stream = io.TextIOWrapper(layer, encoding="utf-8", newline="") if text else layer
            yield stream
            stream.flush()
            if text:
                stream.detach()  # leaves the layer below open
            if layer is not raw:
                layer.close()  # ends the compressed stream; leaves `raw` open
            raw.flush()
            os.fsync(raw.fileno())
        if target.is_file():
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
        os.replace(temp, target)
        _fsync_folder(target.parent)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes(target: str | Path, data: bytes) -> Path:
    """`data` into `target`, atomically."""
    with atomic_file(target, text=False) as out:
        out.write(data)
    return Path(target)


def write_text(target: str | Path, text: str) -> Path:
    """`text` (UTF-8) into `target`, atomically."""
    with atomic_file(target) as out:
        out.write(text)
    return Path(target)


# ---- folders --------------------------------------------------------------------------


def replace_folder(target: str | Path, kind: FolderKind, build: Callable[[Path], None]) -> Path:
    """Build a folder with `build(temp)` beside `target`, then swap it in atomically.

    Entries of an existing `target` that `build` did not write are kept (linked into
    the new folder), except `kind.replaced` names, which a rewrite drops. The old folder
    stays whole until the swap, so a failure or a kill at any point leaves it as it was.
    """
    target = Path(os.path.realpath(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(target)
    temp = _temp_sibling(target)
    temp.mkdir()
    swapped = False
    try:
        build(temp)
        _fsync_files(temp)
        if target.is_dir():
            _keep_entries(target, temp, kind)
            os.chmod(temp, stat.S_IMODE(target.stat().st_mode))
            _exchange(temp, target)
            swapped = True
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temp, 0o777 & ~umask)
            os.rename(temp, target)
        _fsync_folder(target.parent)
    finally:
        if swapped or temp.exists():
            shutil.rmtree(temp, ignore_errors=True)  # after a swap: the old folder
    return target


def _fsync_files(folder: Path) -> None:
    """Every file under `folder` on disk before the folder is renamed into place."""
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _keep_entries(old: Path, new: Path, kind: FolderKind) -> None:
    """Link every entry of `old` that `new` lacks into `new` (kind.replaced ones aside)."""
    dropped = kind.replaced | (pipeline_names(old) if kind is PIPELINE else set())
    for entry in old.iterdir():
        if entry.name in dropped or is_temp(entry.name) or (new / entry.name).exists():
            continue
        if entry.is_symlink() or not (entry.is_dir() or entry.is_file()):
            continue  # a link or a special file cannot be carried without touching it
        _link_tree(entry, new / entry.name)


def _link_tree(source: Path, target: Path) -> None:
    """A copy of `source` made of hard links (or copies where links are refused)."""
    if source.is_dir():
        target.mkdir()
        for child in source.iterdir():
            if not child.is_symlink():
                _link_tree(child, target / child.name)
        shutil.copystat(source, target)
        return
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux renameat2); elsewhere two renames."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        renameat2 = None
    if renameat2 is not None:
        done = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if done == 0:
            return
        errno = ctypes.get_errno()
        if errno not in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not on this file system
            raise OSError(errno, os.strerror(errno), str(b))
    aside = b.with_name(f".{b.name}.{os.getpid()}-{next(_COUNTER)}.tagger-old")
    os.rename(b, aside)
    try:
        os.rename(a, b)
    except BaseException:
        os.rename(aside, b)
        raise
    os.rename(aside, a)
