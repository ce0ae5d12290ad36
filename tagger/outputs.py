"""The one way anything is written: a temporary sibling, fsync, then a rename into place.

A command checks its outputs with `check_output` before any work starts: an output that
is one of its inputs, holds an input or the current folder, is part of an input folder,
is a folder of another kind, or holds files the command did not write (without
`force`) is refused with one line. `atomic_file` and `replace_folder` then write; on
any error or signal the target is untouched and the temporary removed (a SIGKILL
leaves only a hidden `.NAME.PID-N.tagger-part` sibling, removed by the next write).
"""

from __future__ import annotations

import bz2
import ctypes
import glob
import gzip
import io
import itertools
import json
import lzma
import os
import shutil
import stat
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

TEMP_TAG = "tagger-part"  # suffix of every temporary sibling this module makes
_COUNTER = itertools.count()
COMPRESSED: dict[str, Callable[[IO[bytes]], IO[bytes]]] = {
    ".gz": lambda raw: gzip.GzipFile(fileobj=raw, mode="wb"),  # type: ignore[dict-item]
    ".bz2": lambda raw: bz2.BZ2File(raw, "wb"),  # type: ignore[dict-item]
    ".xz": lambda raw: lzma.LZMAFile(raw, "wb"),  # type: ignore[dict-item]
}


class OutputError(ValueError):
    """An output that cannot be written safely; the message names it and says why."""


@dataclass(frozen=True)
class FolderKind:
    """What a command writes into an output folder."""

    what: str  # "a tagger model folder"
    command: str  # "tagger train"
    names: frozenset[str]  # every entry a folder of this kind may hold
    replaced: frozenset[str]  # entries dropped on a rewrite unless written anew
    marks: Callable[[Path], bool]  # whether an existing folder is of this kind


def _json_has(path: Path, key: str) -> bool:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(found, dict) and key in found


def _is_model(folder: Path) -> bool:
    return _json_has(folder / "meta.json", "format_version") or _json_has(
        folder / "checkpoint" / "meta.json", "format_version"
    )


def _is_pipeline(folder: Path) -> bool:
    return (folder / "config.cfg").is_file() and _json_has(folder / "meta.json", "pipeline")


def _pipeline_names(folder: Path) -> set[str]:
    """The component folders an existing spaCy pipeline lists in its meta.json."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        names = {str(name) for name in meta.get("pipeline", []) + meta.get("components", [])}
        return names | {f"{name}.json" for name in names}  # e.g. the sentencizer's file
    except (OSError, UnicodeDecodeError, ValueError, TypeError, AttributeError):
        return set()


ARTIFACT_NAMES = frozenset(
    {"config.json", "vocab.json", "model.safetensors", "meta.json", "tokenizer", "trainer.pt"}
)
MODEL = FolderKind(
    "a tagger model folder",
    "tagger train",
    ARTIFACT_NAMES | {"checkpoint", "train_log.jsonl", "training.png"},
    ARTIFACT_NAMES,
    _is_model,
)
PIPELINE = FolderKind(
    "a spaCy pipeline",
    "tagger to-spacy",
    frozenset({"config.cfg", "meta.json", "tokenizer", "vocab"}),
    frozenset({"config.cfg", "meta.json", "tokenizer", "vocab"}),
    _is_pipeline,
)


def _file_set(what: str, command: str, *names: str) -> FolderKind:
    """A folder of a few named files, any one of which marks it; nothing is dropped."""
    return FolderKind(
        what,
        command,
        frozenset(names),
        frozenset(),
        lambda folder: any((folder / name).exists() for name in names),
    )


EXPLAIN = _file_set(
    "an explain folder",
    "tagger explain",
    *("explain.html", "explain.jsonl", "png", "stats.html", "stats.json", "saturation.png"),
)
PLOTS = _file_set(
    "a plots folder",
    "tagger evaluate --plots",
    *("confusion.png", "confusion.json", "per_label.png"),
)
KINDS = (MODEL, PIPELINE, EXPLAIN, PLOTS)


def kind_of(folder: Path) -> FolderKind | None:
    """The kind of an existing output folder, or None for any other folder."""
    if not folder.is_dir():
        return None
    return next((kind for kind in KINDS if kind.marks(folder)), None)


def _names_of(kind: FolderKind, folder: Path) -> set[str]:
    names = set(kind.names)
    if kind is PIPELINE:
        names |= _pipeline_names(folder)
    return names


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(f".{TEMP_TAG}")


# ---- checks, before any work starts -------------------------------------------------


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
    if _descriptor(given) is not None:
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
        if not compress and given.suffix.lower() in COMPRESSED:
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
    if path.exists() and not (path.is_file() or _is_stream(path)):
        raise OutputError(f"{name}: is not a regular file")
    if path.is_file() and not path.stat().st_mode & 0o222:
        raise OutputError(f"{name}: is read-only; make it writable to replace it")
    owner = kind_of(path.parent)
    if owner is not None and owner.replaced and path.name in _names_of(owner, path.parent):
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
    entries = sorted(e.name for e in path.iterdir() if not _is_temp(e.name))
    own = _names_of(kind, path) if found is kind else set()
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


# ---- files ----------------------------------------------------------------------------


def _is_stream(path: Path) -> bool:
    """A character device or pipe (/dev/null, /dev/stdout, a FIFO): written in place."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def _descriptor(path: str | Path) -> int | None:
    """The open file descriptor a name like /dev/stdout or /dev/fd/3 stands for: written
    through as it is (reopening it would truncate a file the shell appends to)."""
    text = str(path)
    named = {"/dev/stdout": 1, "/dev/stderr": 2}
    if text in named:
        return named[text]
    for prefix in ("/dev/fd/", "/proc/self/fd/"):
        if text.startswith(prefix) and text[len(prefix) :].isdigit():
            return int(text[len(prefix) :])
    return None


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
    descriptor = _descriptor(target)
    if descriptor is not None or _is_stream(Path(target)):
        where = os.dup(descriptor) if descriptor is not None else target
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
    dropped = kind.replaced | (_pipeline_names(old) if kind is PIPELINE else set())
    for entry in old.iterdir():
        if entry.name in dropped or _is_temp(entry.name) or (new / entry.name).exists():
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
