"""Vector sources: word2vec binary files and spaCy pipelines (pruned tables included)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.vectors import Vectors

from tagger.config import config_from_dict
from tagger.data.errors import CorpusError
from tagger.data.vectors import load_vector_table
from tagger.data.vocab import Vocab
from tagger.training_data import build_vocabs

ROWS = np.array([[1, 0, 0, 0], [0, 2, 0, 0], [0, 0, 3, 0]], dtype=np.float32)


def write_word2vec_binary(path: Path, words: list[str], matrix: np.ndarray) -> Path:
    with open(path, "wb") as f:
        f.write(f"{len(words)} {matrix.shape[1]}\n".encode())
        for word, row in zip(words, matrix, strict=True):
            f.write(word.encode() + b" " + row.astype("<f4").tobytes() + b"\n")
    return path


def write_pruned_pipeline(folder: Path) -> Path:
    """A pipeline folder whose table has 3 rows and 6 keys: `Dog` shares the row of `dog`,
    `puppy` and `hound` share it too, as spaCy's pruned vectors do."""
    nlp = spacy.blank("en")
    vectors = Vectors(shape=ROWS.shape)
    vectors.data[:] = ROWS
    for word, row in [("dog", 0), ("cat", 1), ("bird", 2), ("Dog", 0), ("puppy", 0)]:
        vectors.add(nlp.vocab.strings.add(word), row=row)
    vectors.add(nlp.vocab.strings.add("Hound"), row=0)
    nlp.vocab.vectors = vectors
    nlp.to_disk(folder)
    return folder


def test_word2vec_binary(tmp_path: Path) -> None:
    path = write_word2vec_binary(tmp_path / "v.bin", ["The", "dog", "the"], ROWS)
    table = load_vector_table(str(path))
    assert table.names == ["the", "dog"]  # lower-cased; the first of `The`/`the` is kept
    np.testing.assert_array_equal(table.matrix, ROWS[:2])
    assert load_vector_table(str(path), max_words=1).names == ["the"]


def test_word2vec_binary_truncated_names_the_entry(tmp_path: Path) -> None:
    path = write_word2vec_binary(tmp_path / "v.bin", ["a", "b"], ROWS[:2])
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(CorpusError, match=r"v.bin: entry 2: expected 4 float32"):
        load_vector_table(str(path))
    (tmp_path / "bad.bin").write_bytes(b"not a header\n")
    with pytest.raises(CorpusError, match="bad.bin:1: expected a word2vec binary header"):
        load_vector_table(str(tmp_path / "bad.bin"))


def test_spacy_pipeline_with_a_pruned_table(tmp_path: Path) -> None:
    folder = write_pruned_pipeline(tmp_path / "nlp")
    table = load_vector_table(f"spacy:{folder}")
    assert table.matrix.shape == (3, 4)  # the rows, not one per key
    rows = dict(zip(table.names, table.rows or [], strict=True))
    assert rows == {"dog": 0, "cat": 1, "bird": 2, "puppy": 0, "hound": 0}


def test_missing_spacy_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no spaCy pipeline of that name or folder"):
        load_vector_table(f"spacy:{tmp_path / 'none'}")


def test_model_vocabulary_shares_the_rows(tmp_path: Path) -> None:
    folder = write_pruned_pipeline(tmp_path / "nlp")
    config = config_from_dict({"model": {"pretrained": f"spacy:{folder}", "word_dim": 4}})
    vocabs, vectors = build_vocabs(config, [["The", "puppy", "sees", "a", "cat"]], ["X"])
    assert vectors is not None and vectors.shape == (5, 4)  # <pad>, <unk> + 3 rows
    pretrained = vocabs.pretrained
    assert pretrained is not None
    assert pretrained.id("puppy") == pretrained.id("hound") == pretrained.id("dog") == 2
    assert vectors[pretrained.id("cat")].tolist() == [0, 2, 0, 0]
    assert pretrained.id("zebra") == 1  # <unk>
    again = Vocab.from_json(pretrained.to_json())
    assert again.id("puppy") == 2 and again.rows == pretrained.rows


def test_a_model_trained_on_spacy_vectors_saves_and_loads(tmp_path: Path, tiny_config) -> None:  # noqa: ANN001
    from tagger.io import read_artifact
    from tagger.predict import Predictor
    from tagger.train import train

    folder = write_pruned_pipeline(tmp_path / "nlp")
    config = tiny_config(tmp_path, pretrained=f"spacy:{folder}")
    train(config, tmp_path / "model", progress=False, plots=False)
    artifact = read_artifact(tmp_path / "model")
    assert artifact.vocabs.pretrained is not None and artifact.vocabs.pretrained.rows
    weight = artifact.model.state_dict()["embedder.pretrained.weight"]
    assert weight.shape == (5, 4)
    tags = Predictor(artifact).predict([["The", "puppy", "sees", "a", "cat", "."]])
    assert len(tags[0]) == 6
