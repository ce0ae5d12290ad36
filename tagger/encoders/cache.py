"""A frozen encoder's features on disk: computed once per text, read back memory-mapped.

One folder per encoder key (weights hash, layers, pooling, format) holds an append-only
data file of float16 rows and an index of JSON lines (text key -> offset, shape). A text
key hashes the encoder key, the words and the context, so a change of any of them misses
and the same text hits (a second run, `--resume`, a dev split read again).

Crash safety: the data of new entries is written and fsynced before their index lines are
appended and fsynced, so an index line never points at missing data; a kill leaves the
new entries either absent or complete. A reader ignores a cut last line, a malformed line
or a line whose data lies past the end of the data file; the next writer rewrites the
index without them (atomically, through tagger.outputs). Bytes a killed writer left after
the last entry are never read and the next entry starts after them.

Processes (torchrun ranks, forked workers) may share a cache: writers append under an
exclusive `flock` of the folder's lock file, readers read the index under a shared one,
and a writer skips texts another process stored meanwhile. Appends bypass tagger.outputs
(a gigabyte cannot be rewritten per append); the fsync order gives the same guarantee.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from tagger.outputs import write_text

FORMAT = 1  # of the folder's layout; part of every text key
DATA = "features.f16"
INDEX = "index.jsonl"
LOCK = "lock"
KEY = "key.json"
ALIGN = 64  # bytes; every entry starts on a multiple
FLOAT16_MAX = 65504.0  # larger values would be stored as inf


class Encoder(Protocol):
    """What the cache needs of an encoder (tagger.encoders.words.WordEncoder is one)."""

    def encode(
        self, sentences: Sequence[Sequence[str]], contexts: Sequence[Any] | None = None
    ) -> list[torch.Tensor]: ...  # each (n_layers, n_words, dim), in input order

    def key(self) -> str: ...  # identifies the features: weights, layers, pooling


@dataclass(frozen=True)
class Entry:
    """Where one text's features lie in the data file."""

    offset: int  # bytes, a multiple of ALIGN
    shape: tuple[int, int, int]  # (n_layers, n_words, dim)

    @property
    def nbytes(self) -> int:
        return 2 * math.prod(self.shape)


def text_key(encoder_key: str, words: Sequence[str], context: Any) -> str:
    """sha256 of the encoder key, the words and the context, encoded as one JSON array
    (unambiguous whatever characters the words hold)."""
    try:
        payload = json.dumps([FORMAT, encoder_key, list(words), context], ensure_ascii=False)
    except TypeError as error:
        raise ValueError(f"encoder context: expected text or lists of text ({error})") from None
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _parse(line: bytes, data_size: int) -> tuple[str, Entry] | None:
    """One index line, or None when it is malformed or its data is not all on disk."""
    try:
        item = json.loads(line)
        key, offset, shape = item["key"], item["offset"], tuple(item["shape"])
    except (ValueError, TypeError, KeyError):
        return None
    usable = all(type(n) is int and n >= 0 for n in (offset, *shape))
    if not (usable and isinstance(key, str) and len(shape) == 3 and offset % ALIGN == 0):
        return None
    entry = Entry(offset, shape)  # type: ignore[arg-type]
    return (key, entry) if offset + entry.nbytes <= data_size else None


def read_index(path: Path, data_size: int) -> tuple[dict[str, Entry], bool]:
    """The usable entries of an index file, and whether every line was usable."""
    try:
        lines = path.read_bytes().split(b"\n")
    except FileNotFoundError:
        return {}, True
    clean = lines.pop() == b""  # the part after the last newline: a line cut by a kill
    entries: dict[str, Entry] = {}
    for line in lines:
        parsed = _parse(line, data_size)
        if parsed is None:
            clean = False
        else:
            entries[parsed[0]] = parsed[1]
    return entries, clean


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _align(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _chunks(order: list[int], lengths: list[int], max_words: int) -> Iterator[list[int]]:
    """`order` cut into runs of at most `max_words` words (at least one sentence each)."""
    chunk: list[int] = []
    words = 0
    for i in order:
        if chunk and words + lengths[i] > max_words:
            yield chunk
            chunk, words = [], 0
        chunk.append(i)
        words += lengths[i]
    if chunk:
        yield chunk


class FeatureCache:
    """An encoder's features of sentences, computed on a miss and stored under `folder`.

    `features` returns float16 views of the data file (cast a batch with `.float()`), so
    a split's features are paged in as read and never sit whole in memory. Misses are
    encoded in length order, `chunk_words` words per `encoder.encode` call, each chunk
    stored before the next is computed (a kill keeps the chunks already done).
    """

    def __init__(self, folder: Path, encoder: Encoder, chunk_words: int = 8192) -> None:
        self.encoder = encoder
        self.encoder_key = encoder.key()
        name = hashlib.sha256(self.encoder_key.encode("utf-8", "surrogatepass")).hexdigest()
        self.folder = Path(folder) / name[:24]
        self.data_path, self.index_path = self.folder / DATA, self.folder / INDEX
        self.chunk_words = chunk_words
        self._entries: dict[str, Entry] = {}
        self._stamp: tuple[int, int, int] | None = None  # of the index file last read
        self._map: np.memmap | None = None  # the data file, float16, copy-on-write
        self._create()

    def __len__(self) -> int:
        self._refresh()
        return len(self._entries)

    def features(
        self, sentences: Sequence[Sequence[str]], contexts: Sequence[Any] | None = None
    ) -> list[torch.Tensor]:
        """Each sentence's features, (n_layers, n_words, dim) float16, in input order."""
        if contexts is not None and len(contexts) != len(sentences):
            raise ValueError(f"{len(sentences)} sentences but {len(contexts)} contexts")
        # a sentence with no context words is keyed as one read alone: the same features
        context = [c if c and any(c) else None for c in contexts or [None] * len(sentences)]
        keys = [text_key(self.encoder_key, s, c) for s, c in zip(sentences, context, strict=True)]
        self._refresh()
        first: dict[str, int] = {}  # each missing key -> its first sentence
        for i, key in enumerate(keys):
            if key not in self._entries:
                first.setdefault(key, i)
        if first:
            self._compute(sentences, contexts, keys, list(first.values()))
        return [self._view(self._entries[key]) for key in keys]

    # ---- computing and appending ---------------------------------------------------------

    def _compute(
        self,
        sentences: Sequence[Sequence[str]],
        contexts: Sequence[Any] | None,
        keys: list[str],
        missing: list[int],
    ) -> None:
        lengths = [len(s) for s in sentences]
        order = sorted(missing, key=lambda i: lengths[i])
        for chunk in _chunks(order, lengths, self.chunk_words):
            part = None if contexts is None else [contexts[i] for i in chunk]
            computed = self.encoder.encode([sentences[i] for i in chunk], part)
            self._check(computed, [lengths[i] for i in chunk])
            self._append([(keys[i], f) for i, f in zip(chunk, computed, strict=True)])

    def _check(self, computed: list[torch.Tensor], lengths: list[int]) -> None:
        name = type(self.encoder).__name__
        if len(computed) != len(lengths):
            raise ValueError(f"{name}.encode: {len(computed)} results for {len(lengths)} texts")
        for tensor, n in zip(computed, lengths, strict=True):
            if tensor.dim() != 3 or tensor.shape[1] != n:
                got = tuple(tensor.shape)
                raise ValueError(f"{name}.encode: expected (n_layers, {n}, dim), got {got}")

    def _append(self, computed: list[tuple[str, torch.Tensor]]) -> None:
        """Data, fsync, index lines, fsync: under the exclusive lock."""
        with self._locked(fcntl.LOCK_EX):
            entries, clean = read_index(self.index_path, _size(self.data_path))
            if not clean:  # drop cut, malformed or dangling lines before appending
                write_text(self.index_path, "".join(_line(k, e) for k, e in entries.items()))
            offset = _align(_size(self.data_path))
            lines: list[str] = []
            with open(self.data_path, "r+b") as data:
                for key, tensor in computed:
                    if key in entries:  # stored by another process meanwhile
                        continue
                    rows = tensor.detach().clamp(-FLOAT16_MAX, FLOAT16_MAX)
                    rows = rows.to("cpu", torch.float16).contiguous().numpy()
                    entries[key] = Entry(offset, tuple(rows.shape))  # type: ignore[arg-type]
                    lines.append(_line(key, entries[key]))
                    data.seek(offset)
                    data.write(memoryview(rows.reshape(-1)).cast("B"))
                    offset = _align(offset + rows.nbytes)
                data.flush()
                os.fsync(data.fileno())
            with open(self.index_path, "ab") as index:
                index.write("".join(lines).encode("utf-8"))
                index.flush()
                os.fsync(index.fileno())
            self._entries, self._stamp = entries, self._index_stamp()

    # ---- reading -------------------------------------------------------------------------

    def _refresh(self) -> None:
        """Re-read the index when it changed (another process may have appended)."""
        if self._index_stamp() == self._stamp:
            return
        with self._locked(fcntl.LOCK_SH):
            self._entries, _ = read_index(self.index_path, _size(self.data_path))
            self._stamp = self._index_stamp()

    def _view(self, entry: Entry) -> torch.Tensor:
        """(n_layers, n_words, dim) float16 over the mapped data file (no copy)."""
        if entry.nbytes == 0:
            return torch.zeros(entry.shape, dtype=torch.float16)
        end = entry.offset + entry.nbytes
        if self._map is None or 2 * self._map.size < end:  # the file grew: map it again
            count = _size(self.data_path) // 2
            self._map = np.memmap(self.data_path, dtype=np.float16, mode="c", shape=(count,))
        start = entry.offset // 2
        return torch.from_numpy(self._map[start : end // 2].reshape(entry.shape))

    # ---- the folder ----------------------------------------------------------------------

    def _create(self) -> None:
        """The folder, its empty files and its key file; refuses another encoder's folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key_path = self.folder / KEY
        with self._locked(fcntl.LOCK_EX):
            for path in (self.data_path, self.index_path):
                if not path.exists():
                    path.touch()
                    _fsync(path)
                    _fsync(self.folder)
            if not key_path.exists():
                write_text(key_path, json.dumps({"format": FORMAT, "key": self.encoder_key}))
        try:
            stored = json.loads(key_path.read_text(encoding="utf-8"))["key"]
        except (ValueError, KeyError, TypeError):
            stored = None
        if stored != self.encoder_key:
            raise ValueError(f"{key_path}: expected the feature cache of {self.encoder_key!r}")

    def _index_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self.index_path.stat()
        except FileNotFoundError:
            return None
        return (stat.st_ino, stat.st_size, stat.st_mtime_ns)

    @contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fd = os.open(self.folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)  # closing releases the lock


def _line(key: str, entry: Entry) -> str:
    return json.dumps({"key": key, "offset": entry.offset, "shape": list(entry.shape)}) + "\n"
