"""The signature tests of the model: overfit, save, load, same answer; batch equals single.

Plus the artifact's files (no pickle), reproducible training, exact resume, and frozen
pretrained vectors. Every model here is tiny and trains on a toy corpus in well under a second.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch
from fixtures_models import TrainedModel
from helpers import NEEDS_CPU_BF16
from safetensors.torch import load_file

from tagger.callbacks import TrainState
from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.data.errors import CorpusError
from tagger.data.vectors import read_vector_text
from tagger.evaluate import tag_scores
from tagger.io import ARTIFACT_FILES, FORMAT_VERSION, read_artifact, write_artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.train import train
from tagger.trainer import Trainer
from tagger.training_data import build_vocabs

TinyConfig = Callable[..., Config]


def corpus(config: Config) -> tuple[tuple[list, list], tuple[list, list]]:
    """(train, dev) of a tiny config, each as (token lists, tag lists)."""
    return as_lists(read_conllu(config.data.train)), as_lists(read_conllu(config.data.dev))


def state_dict(path: Path) -> dict[str, torch.Tensor]:
    return load_file(str(path))


def assert_same_tensors(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture(scope="module")
def trained(shared_pos: TrainedModel) -> tuple:
    """(config, model folder, train() result) of a tiny model fitted to the toy corpus."""
    return shared_pos.config, shared_pos.path, shared_pos.summary


# --- overfit, save, load, same answer ---


def test_overfits_the_toy_corpus(trained: tuple) -> None:
    config, model, result = trained
    assert result["dev_score"] >= 0.95
    _, (dev_tokens, dev_tags) = corpus(config)
    predicted = Predictor.load(model).predict(dev_tokens)
    assert tag_scores(dev_tags, predicted)["accuracy"] >= 0.95
    (train_tokens, train_tags), _ = corpus(config)
    assert Predictor.load(model).predict(train_tokens) == train_tags


def test_in_memory_save_load_same_answer(tmp_path: Path, tiny_config: TinyConfig) -> None:
    config = tiny_config(tmp_path, train={"max_epochs": 6})
    (tokens, tags), dev = corpus(config)
    vocabs, vectors = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    torch.manual_seed(0)
    trainer = Trainer(config, vocabs, build_model(config.model, vocabs, vectors))
    state = trainer.fit((tokens, tags), dev, TrainState(), callbacks=[])
    in_memory = Predictor(trainer.artifact(state))
    write_artifact(tmp_path / "saved", trainer.artifact(state))
    loaded = Predictor.load(tmp_path / "saved")

    assert loaded.predict(dev[0]) == in_memory.predict(dev[0]) == dev[1]
    batch = loaded.encoder.encode(dev[0])
    with torch.no_grad():
        assert torch.equal(loaded.artifact.model(batch), in_memory.artifact.model.eval()(batch))
    assert loaded.artifact.config == config
    assert loaded.artifact.vocabs.to_json() == vocabs.to_json()


def test_read_write_read_same_answer(trained: tuple, tmp_path: Path) -> None:
    config, model, _ = trained
    _, (dev_tokens, _) = corpus(config)
    artifact = read_artifact(model)
    first = Predictor(artifact).predict(dev_tokens)
    assert Predictor.load(model).predict(dev_tokens) == first
    write_artifact(tmp_path / "copy", artifact)
    assert Predictor.load(tmp_path / "copy").predict(dev_tokens) == first
    assert_same_tensors(
        state_dict(model / "model.safetensors"), state_dict(tmp_path / "copy" / "model.safetensors")
    )


# --- batch equals single ---


def test_batch_equals_single_in_input_order(trained: tuple) -> None:
    config, model, _ = trained
    _, (dev_tokens, dev_tags) = corpus(config)
    odd = [
        ["Dog"],
        ["the", "zebra", "gallops", "."],  # unknown words
        ["a", "big", "old", "red", "small", "dog", "sees", "every", "tree", "!"] * 3,
    ]
    sentences = dev_tokens[:3] + [odd[0], [], odd[1]] + dev_tokens[3:] + [odd[2], []]
    predictor = Predictor.load(model, batch_size=3)  # several batches, sorted by length

    together = predictor.predict(sentences)
    one_by_one = [predictor.predict([s])[0] for s in sentences]

    assert together == one_by_one
    assert [len(t) for t in together] == [len(s) for s in sentences]
    assert together[4] == [] and together[-1] == []
    assert together[:3] + together[6:-2] == dev_tags  # the fitted model: right tags, right place
    assert predictor.predict([]) == []
    assert predictor.predict([[], []]) == [[], []]


# --- the artifact folder ---


def test_artifact_files_are_json_and_safetensors(trained: tuple) -> None:
    _, model, _ = trained
    assert {p.name for p in model.iterdir()} == {
        *ARTIFACT_FILES,
        "train_log.jsonl",
        "training.png",
        "checkpoint",
    }
    assert {p.name for p in (model / "checkpoint").iterdir()} == {*ARTIFACT_FILES, "trainer.pt"}
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    assert meta["format_version"] == FORMAT_VERSION
    assert meta["task"] == "pos"

    for path in sorted(p for p in model.rglob("*") if p.is_file()):
        data = path.read_bytes()
        assert not data.startswith(b"\x80"), f"{path} is a pickle"
        if path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".jsonl":
            assert all(json.loads(line) for line in data.splitlines())
        elif path.suffix == ".safetensors":
            assert load_file(str(path))
        elif path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n")  # the training curves
        else:
            # torch.save's zip holds a pickle, but one that weights_only=True can read safely.
            assert path.relative_to(model).as_posix() == "checkpoint/trainer.pt"
            saved = torch.load(path, weights_only=True)
            assert {"state", "optimizer", "scheduler"} <= set(saved)


@pytest.mark.parametrize("name", ARTIFACT_FILES)
def test_read_artifact_names_a_missing_file(trained: tuple, tmp_path: Path, name: str) -> None:
    _, model, _ = trained
    broken = tmp_path / "broken"
    shutil.copytree(model, broken)
    (broken / name).unlink()
    with pytest.raises(FileNotFoundError, match=name.replace(".", r"\.")):
        read_artifact(broken)


@pytest.mark.parametrize("version", [FORMAT_VERSION + 1, 0, None])
def test_read_artifact_rejects_other_format_versions(
    trained: tuple, tmp_path: Path, version: int | None
) -> None:
    _, model, _ = trained
    other = tmp_path / "other"
    shutil.copytree(model, other)
    meta = json.loads((other / "meta.json").read_text(encoding="utf-8"))
    if version is None:
        del meta["format_version"]
    else:
        meta["format_version"] = version
    (other / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="format version"):
        read_artifact(other)


# --- reproducibility and resume ---
# (plots=False below: drawing training.png costs several times a toy training, and these
# tests compare weights and logs; test_artifact_files_are_json_and_safetensors checks it)

NOISY = {"dropout": 0.2, "word_dropout": 0.1}  # so that the random streams matter


@pytest.mark.parametrize("precision", ["fp32", pytest.param("bf16", marks=NEEDS_CPU_BF16)])
def test_same_seed_same_weights(tmp_path: Path, tiny_config: TinyConfig, precision: str) -> None:
    schedule = {"max_epochs": 3, "patience": 100, "precision": precision}
    config = tiny_config(tmp_path, train=schedule, **NOISY)
    train(config, tmp_path / "a", progress=False, plots=False)
    train(config, tmp_path / "b", progress=False, plots=False)
    a, b = tmp_path / "a" / "model.safetensors", tmp_path / "b" / "model.safetensors"
    assert_same_tensors(state_dict(a), state_dict(b))
    assert a.read_bytes() == b.read_bytes()

    other_seed = tiny_config(tmp_path, train={**schedule, "seed": 2}, **NOISY)
    train(other_seed, tmp_path / "c", progress=False, plots=False)
    c = state_dict(tmp_path / "c" / "model.safetensors")
    assert any(not torch.equal(c[k], v) for k, v in state_dict(a).items())


@pytest.mark.parametrize(
    ("precision", "average"),
    [("fp32", 0.0), pytest.param("bf16", 0.0, marks=NEEDS_CPU_BF16), ("fp32", 0.9)],
)
def test_resume_equals_uninterrupted(
    tmp_path: Path, tiny_config: TinyConfig, precision: str, average: float
) -> None:
    schedule = {"patience": 100, "precision": precision, "average": average}
    four = tiny_config(tmp_path, train={"max_epochs": 4, **schedule}, **NOISY)
    two = tiny_config(tmp_path, train={"max_epochs": 2, **schedule}, **NOISY)
    train(four, tmp_path / "a", progress=False, plots=False)
    train(two, tmp_path / "b", progress=False, plots=False)
    assert len((tmp_path / "b" / "train_log.jsonl").read_text().splitlines()) == 2
    result = train(four, tmp_path / "b", resume=True, progress=False, plots=False)

    assert result["epochs"] == 4
    assert_same_tensors(
        state_dict(tmp_path / "a" / "checkpoint" / "model.safetensors"),
        state_dict(tmp_path / "b" / "checkpoint" / "model.safetensors"),
    )
    logs = [
        [json.loads(line) for line in (tmp_path / run / "train_log.jsonl").read_text().splitlines()]
        for run in ("a", "b")
    ]
    assert [row["epoch"] for row in logs[1]] == [1, 2, 3, 4]
    assert [row["loss"] for row in logs[0]] == [row["loss"] for row in logs[1]]
    assert [row["dev_score"] for row in logs[0]] == [row["dev_score"] for row in logs[1]]
    assert_same_tensors(  # the best model, averaged where train.average is on
        state_dict(tmp_path / "a" / "model.safetensors"),
        state_dict(tmp_path / "b" / "model.safetensors"),
    )


# --- pretrained vectors ---


def write_glove(path: Path, header: str = "") -> dict[str, list[float]]:
    """A 3-d GloVe text file over some toy words and some others; returns word -> vector."""
    words = ["the", "dog", "zebra", "sees", "a", ".", "cat", "quokka"]
    vectors = {w: [round(0.1 * i + 0.01 * j, 2) for j in range(3)] for i, w in enumerate(words)}
    lines = [f"{w} {' '.join(str(x) for x in v)}" for w, v in vectors.items()]
    path.write_text(header + "\n".join(lines) + "\n", encoding="utf-8")
    return vectors


def test_pretrained_vectors_stay_frozen(tmp_path: Path, tiny_config: TinyConfig) -> None:
    vectors = write_glove(tmp_path / "vectors.txt")
    config = tiny_config(
        tmp_path, train={"max_epochs": 3}, pretrained=str(tmp_path / "vectors.txt")
    )
    train(config, tmp_path / "model", progress=False, plots=False)

    artifact = read_artifact(tmp_path / "model")
    vocab = artifact.vocabs.pretrained
    assert vocab is not None and vocab.items[2:] == list(vectors)
    table = artifact.model.embedder.pretrained
    assert not table.weight.requires_grad
    assert torch.equal(table.weight[:2], torch.zeros(2, 3))  # <pad>, <unk>
    for word, vector in vectors.items():
        assert torch.equal(table.weight[vocab.id(word)], torch.tensor(vector)), word
    assert artifact.model.embedder.out_dim == 16 + 3 + 4 + 2 * 8  # words, vectors, casing, chars
    (train_tokens, train_tags), _ = corpus(config)
    assert Predictor(artifact).predict(train_tokens[:3]) == train_tags[:3]


def test_pretrained_max_words_keeps_training_words(tmp_path: Path, tiny_config: TinyConfig) -> None:
    write_glove(tmp_path / "vectors.txt")
    config = tiny_config(tmp_path, pretrained=str(tmp_path / "vectors.txt"), pretrained_max_words=3)
    (tokens, tags), _ = corpus(config)
    vocabs, matrix = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    assert vocabs.pretrained is not None
    # The top 3, then training words beyond the top 3 ("quokka" is not a training word).
    assert vocabs.pretrained.items[2:] == ["the", "dog", "zebra", "sees", "a", ".", "cat"]
    assert matrix is not None and matrix.shape == (9, 3)


def test_min_word_count_keeps_rare_words_with_vectors(
    tmp_path: Path, tiny_config: TinyConfig
) -> None:
    write_glove(tmp_path / "vectors.txt")  # has "dog", not "bird"
    config = tiny_config(tmp_path, pretrained=str(tmp_path / "vectors.txt"), min_word_count=2)
    tokens = [["the", "dog", "sees", "the", "bird"], ["the", "cat", "sees", "a", "cat"]]
    vocabs, _ = build_vocabs(config, tokens, ["DET", "NOUN", "VERB"])
    assert "cat" in vocabs.words.items and "bird" not in vocabs.words.items
    assert "dog" in vocabs.words.items  # seen once, but it has a pretrained vector


def test_read_vector_text_glove_and_word2vec_header(tmp_path: Path) -> None:
    glove = write_glove(tmp_path / "glove.txt")
    words, matrix = read_vector_text(tmp_path / "glove.txt")
    assert words == list(glove)
    assert matrix.dtype == np.float32 and matrix.shape == (len(glove), 3)
    (tmp_path / "w2v.vec").write_text("2 3\nthe 1 2 3 \ndog 4 5 6\n", encoding="utf-8")
    words, matrix = read_vector_text(tmp_path / "w2v.vec")
    assert words == ["the", "dog"]
    assert matrix.tolist() == [[1, 2, 3], [4, 5, 6]]
    words, _ = read_vector_text(tmp_path / "glove.txt", max_words=2)
    assert words == ["the", "dog"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("the 1 2 3\ndog 4 5\n", ":2: expected a word and 3 numbers, got 2 numbers"),
        ("2 3\nthe 1 2\n", ":2: expected a word and 3 numbers, got 2 numbers"),
        ("the 1 2 3\ndog 4 x 6\n", ":2: expected numbers after the word"),
        ("\n\n", ": no vectors found"),
    ],
)
def test_read_vector_text_errors_name_file_and_line(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "vectors.txt"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        read_vector_text(path)
    assert str(err.value).startswith(str(path))
    assert message in str(err.value)


def test_read_vector_text_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "vectors.txt"
    path.write_bytes(b"the 1 2 3\ncaf\xe9 4 5 6\n")
    with pytest.raises(CorpusError, match=r"vectors\.txt:2: expected UTF-8"):
        read_vector_text(path)


def test_init_words_starts_trainable_rows_from_vectors(
    tmp_path: Path, tiny_config: TinyConfig
) -> None:
    vectors = write_glove(tmp_path / "vectors.txt")
    config = tiny_config(
        tmp_path, pretrained=str(tmp_path / "vectors.txt"), word_dim=3, init_words=True
    )
    (tokens, _), _ = corpus(config)
    vocabs, matrix = build_vocabs(config, tokens, ["DET", "NOUN", "VERB", "PUNCT", "ADJ"])
    model = build_model(config.model, vocabs, matrix)
    shared = [w for w in vectors if w in vocabs.words.index]
    assert shared, "the toy corpus and the toy vectors must share words"
    for word in shared:
        row = model.embedder.words.weight[vocabs.words.id(word)]
        assert torch.equal(row, torch.tensor(vectors[word])), word
    assert model.embedder.words.weight.requires_grad


def test_init_words_needs_matching_sizes(tmp_path: Path, tiny_config: TinyConfig) -> None:
    write_glove(tmp_path / "vectors.txt")
    config = tiny_config(tmp_path, pretrained=str(tmp_path / "vectors.txt"), init_words=True)
    (tokens, _), _ = corpus(config)
    vocabs, matrix = build_vocabs(config, tokens, ["DET", "NOUN"])
    with pytest.raises(ValueError, match="model.init_words needs model.word_dim = 3"):
        build_model(config.model, vocabs, matrix)
