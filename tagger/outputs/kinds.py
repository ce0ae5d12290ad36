"""What an output target is: the kinds of folder commands write (a model, a spaCy
pipeline, an explain or plots folder), the temporaries this package makes, and the
targets written through rather than replaced (/dev/stdout, pipes)."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

TEMP_TAG = "tagger-part"  # suffix of every temporary sibling this package makes
COMPRESSED_SUFFIXES = (".gz", ".bz2", ".xz")  # written compressed where a command can


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


def pipeline_names(folder: Path) -> set[str]:
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
    ARTIFACT_NAMES | {"checkpoint", "train_log.jsonl", "training.png", "encoder"},
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


def names_of(kind: FolderKind, folder: Path) -> set[str]:
    names = set(kind.names)
    if kind is PIPELINE:
        names |= pipeline_names(folder)
    return names


def is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(f".{TEMP_TAG}")


def is_stream(path: Path) -> bool:
    """A character device or pipe (/dev/null, /dev/stdout, a FIFO): written in place."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def descriptor(path: str | Path) -> int | None:
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
