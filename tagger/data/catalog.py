"""The corpus catalog: standard corpora by name, found locally, in the cache, or downloaded."""

from __future__ import annotations

import hashlib
import os
import tempfile
import tomllib
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import IO, Any

from datasets import Dataset

from tagger.data.columns import read_columns
from tagger.data.conllu import TAG_COLUMNS, read_conllu
from tagger.data.errors import CorpusError
from tagger.data.sentences import read_label_lines
from tagger.data.trees import read_sst_trees
from tagger.outputs import atomic_file

FORMATS = ("conllu", "conll", "labels", "sst-trees")
_TYPES = {"str": str, "int": int}  # field annotations (strings, see __future__) -> TOML types
_CHUNK = 1 << 20


@dataclass(frozen=True)
class SplitFile:
    """Where one split of a corpus lives and how to check it."""

    file: str  # path relative to the data dir or the cache
    url: str  # upstream download; "" when the data must be supplied by the user
    sha256: str  # hex checksum of the file
    member: str = ""  # when url names a zip archive: the file inside it (sha256 is the member's)


@dataclass(frozen=True)
class CatalogEntry:
    """One corpus of the catalog: its format, how to read its tags, and its split files."""

    name: str  # catalog key, e.g. "ud-english-ewt"
    format: str  # "conllu", "conll", "labels" (`LABEL text` lines) or "sst-trees"
    lang: str = ""  # ISO 639-1 code
    tag_field: str = "upos"  # conllu only: "upos" or "xpos"
    word_column: int = 0  # conll only: column of the word, negative counts from the end
    tag_column: int = -1  # conll only: column of the tag, negative counts from the end
    scheme: str = ""  # span encoding of the tags ("IOB1", "IOB2"); "" for POS tags
    description: str = ""  # one line for `tagger corpora list`
    license: str = ""  # licence of the data, in words
    splits: dict[str, SplitFile] = field(default_factory=dict)  # split name -> file


def default_catalog_path() -> Path:
    """$TAGGER_CATALOG, else corpora/catalog.toml at the repository root."""
    env = os.environ.get("TAGGER_CATALOG")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "corpora" / "catalog.toml"


def load_catalog(path: Path | None = None) -> dict[str, CatalogEntry]:
    """Parse and check the catalog; unknown keys and wrong types raise ValueError."""
    path = default_catalog_path() if path is None else Path(path)
    with open(path, "rb") as f:
        raw = tomllib.load(f)
    return {name: _entry(path, name, table) for name, table in raw.items()}


def _entry(path: Path, name: str, table: Any) -> CatalogEntry:
    """One checked CatalogEntry from its TOML table."""
    where = f"{path}: corpus {name!r}"
    if not isinstance(table, dict):
        raise ValueError(f"{where}: expected a table, got {table!r}")
    values = _checked(where, table, CatalogEntry, skip=frozenset({"name", "splits"}))
    if values.get("format") not in FORMATS:
        raise ValueError(f"{where}: expected format one of {', '.join(FORMATS)}")
    if values.get("tag_field", "upos") not in TAG_COLUMNS:
        raise ValueError(f"{where}: expected tag_field one of {', '.join(TAG_COLUMNS)}")
    splits = table.get("splits")
    if not isinstance(splits, dict) or not splits:
        raise ValueError(f"{where}: expected a [{name}.splits.<split>] table per split")
    files = {}
    for split, spec in splits.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{where}: split {split!r}: expected a table with file, url, sha256")
        files[split] = SplitFile(**_checked(f"{where}: split {split!r}", spec, SplitFile))
        if not _is_sha256(files[split].sha256):
            raise ValueError(f"{where}: split {split!r}: expected sha256 to be 64 hex digits")
    return CatalogEntry(name=name, splits=files, **values)


def _checked(where: str, table: dict, cls: type, skip: frozenset[str] = frozenset()) -> dict:
    """The table's values for the dataclass `cls`, rejecting unknown keys and wrong types."""
    types = {f.name: _TYPES[f.type] for f in fields(cls) if f.name not in skip}
    required = {f.name for f in fields(cls) if f.name in types and f.default is MISSING}
    allowed = sorted(set(types) | skip - {"name"})
    for key, value in table.items():
        if key not in allowed:
            raise ValueError(f"{where}: unknown key {key!r}; expected one of {', '.join(allowed)}")
        # `type(...) is` rather than isinstance: TOML booleans must not pass as ints.
        if key in types and type(value) is not types[key]:
            raise ValueError(f"{where}: expected {key} to be {types[key].__name__}, got {value!r}")
    missing = required - set(table)
    if missing:
        raise ValueError(f"{where}: missing {', '.join(sorted(missing))}")
    return {key: value for key, value in table.items() if key in types}


def _open_url(url: str) -> IO[bytes]:
    """urlopen with a timeout, so a dead server fails instead of hanging."""
    return urllib.request.urlopen(url, timeout=60)


def _is_sha256(text: str) -> bool:
    """Whether text looks like a lower-case hex sha256 digest."""
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


def resolve_split(
    entry: CatalogEntry,
    split: str,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    opener: Callable[[str], IO[bytes]] = _open_url,
) -> Path:
    """The local path of a split: data dir first, then a verified cache copy, then a download."""
    spec = _split(entry, split)
    data_dir = _env_dir(data_dir, "TAGGER_DATA_DIR")
    if data_dir is not None and (data_dir / spec.file).is_file():
        return data_dir / spec.file
    cached = default_cache_dir(cache_dir) / spec.file
    if cached.is_file() and sha256_of(cached) == spec.sha256:
        return cached
    if not spec.url:
        looked = f" (looked in {data_dir / spec.file})" if data_dir is not None else ""
        raise CorpusError(
            spec.file,
            None,
            f"corpus {entry.name!r} has no public download URL and must be supplied: pass "
            f"--data-dir DIR or set TAGGER_DATA_DIR to a folder holding {spec.file}{looked}",
        )
    _download(spec, cached, opener)
    return cached


def default_cache_dir(cache_dir: Path | None = None) -> Path:
    """The argument, else $TAGGER_CACHE_DIR, else ~/.cache/tagger/corpora."""
    found = _env_dir(cache_dir, "TAGGER_CACHE_DIR")
    return found if found is not None else Path.home() / ".cache" / "tagger" / "corpora"


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _download(spec: SplitFile, target: Path, opener: Callable[[str], IO[bytes]]) -> None:
    """Fetch spec.url (the named member of it, when it is a zip archive) into target
    through tagger.outputs, which renames it into place only once its sha256 is right."""
    with atomic_file(target, text=False) as out:
        if spec.member:
            with tempfile.TemporaryFile(dir=target.parent) as archive:
                _fetch(spec, archive, opener)
                archive.seek(0)
                digest = _extract(spec, archive, out)
        else:
            digest = _fetch(spec, out, opener)
        if digest != spec.sha256:
            where = f"{spec.url} ({spec.member})" if spec.member else spec.url
            raise CorpusError(where, None, f"expected sha256 {spec.sha256}, got {digest}")


def _fetch(spec: SplitFile, out: IO[bytes], opener: Callable[[str], IO[bytes]]) -> str:
    """Stream spec.url into `out`; the hex sha256 of what was written."""
    digest = hashlib.sha256()
    try:
        with opener(spec.url) as response:
            while chunk := response.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    except OSError as err:  # URLError, timeouts, refused connections
        raise CorpusError(
            spec.url,
            None,
            f"download failed ({getattr(err, 'reason', err)}); without internet, pass "
            f"--data-dir DIR or set TAGGER_DATA_DIR to a folder holding {spec.file}",
        ) from None
    return digest.hexdigest()


def _extract(spec: SplitFile, archive: IO[bytes], out: IO[bytes]) -> str:
    """Copy spec.member out of the zip archive into `out`; the hex sha256 of the member."""
    digest = hashlib.sha256()
    try:
        with zipfile.ZipFile(archive) as zipped:
            if spec.member not in zipped.namelist():
                raise CorpusError(
                    spec.url, None, f"expected the archive to hold {spec.member}; it does not"
                )
            with zipped.open(spec.member) as member:
                while chunk := member.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    except zipfile.BadZipFile:
        raise CorpusError(spec.url, None, "expected a zip archive") from None
    return digest.hexdigest()


def read_split(
    entry: CatalogEntry,
    split: str,
    data_dir: Path | None = None,
    cache_dir: Path | None = None,
    opener: Callable[[str], IO[bytes]] = _open_url,
) -> Dataset:
    """Resolve a split and read it with the reader its format calls for."""
    path = resolve_split(entry, split, data_dir, cache_dir, opener)
    if entry.format == "conllu":
        return read_conllu(path, entry.tag_field)
    if entry.format == "labels":
        return read_label_lines(path)
    if entry.format == "sst-trees":
        return read_sst_trees(path)
    return read_columns(path, entry.word_column, entry.tag_column)


def corpus_table(
    catalog: dict[str, CatalogEntry], data_dir: Path | None = None, cache_dir: Path | None = None
) -> list[dict]:
    """One row per corpus for `tagger corpora list`; a split is available if its file is present.

    Presence is checked without hashing, so listing stays fast.
    """
    data_dir = _env_dir(data_dir, "TAGGER_DATA_DIR")
    cache = default_cache_dir(cache_dir)
    rows = []
    for entry in catalog.values():
        available = {
            split: (data_dir is not None and (data_dir / spec.file).is_file())
            or (cache / spec.file).is_file()
            for split, spec in entry.splits.items()
        }
        rows.append(
            {
                "name": entry.name,
                "format": entry.format,
                "lang": entry.lang,
                "splits": list(entry.splits),
                "available": available,
                "description": entry.description,
            }
        )
    return rows


def _split(entry: CatalogEntry, split: str) -> SplitFile:
    """The entry's split, or a ValueError listing the splits it has."""
    if split not in entry.splits:
        raise ValueError(
            f"corpus {entry.name!r} has no split {split!r}; splits: {', '.join(entry.splits)}"
        )
    return entry.splits[split]


def _env_dir(value: Path | None, variable: str) -> Path | None:
    """The argument as a Path, else the environment variable's folder, else None."""
    if value is not None:
        return Path(value)
    env = os.environ.get(variable)
    return Path(env) if env else None
