"""Backends: onnxruntime gives the torch scores for every kind of model; int8; their errors."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import onnx
import pytest
import torch
from fixtures_models import TrainedModel
from torch import nn

from tagger.backends import OnnxNetwork, TorchNetwork, int8_engine, network, quantized
from tagger.config import Config, ModelConfig
from tagger.data.batching import BatchEncoder
from tagger.data.vocab import PAD, UNK, Vocab, Vocabs
from tagger.export import export_onnx, input_names
from tagger.io import Artifact, read_artifact, weights_digest
from tagger.model.build import build_model
from tagger.predict import Predictor

LONG = "Pneumonoultramicroscopicsilicovolcanoconiosis"
SENTENCES = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["A", "big", "bird", "finds", "every", "old", "tree", "!"],
    ["This", "child", "likes", "the", "red", "cat", "."],
]
BATCHES = [  # varied lengths, one-token sentences, unknown words and characters, long words
    SENTENCES,
    [SENTENCES[0]],
    [["dog"]],
    [["Zürich", LONG, "qux"], ["a"], SENTENCES[1]],
    [["cat", "cat"], ["the", "dog"]],
    [SENTENCES[2], ["!"] * 12, ["the"]],
]
NER_LABELS = ["O", "B-PER", "I-PER", "E-PER", "S-PER", "B-LOC", "I-LOC", "E-LOC", "S-LOC"]
KINDS: dict[str, tuple[str, bool, dict[str, Any]]] = {  # name: (task, pretrained, model)
    "pos-char-lstm": ("pos", True, {"char": "lstm"}),
    "pos-char-cnn": ("pos", True, {"char": "cnn", "char_kernel": 3}),
    "pos-no-chars": ("pos", True, {"char": "none"}),
    "pos-no-chars-no-casing": ("pos", False, {"char": "none", "casing_dim": 0}),
    "pos-no-pretrained": ("pos", False, {"char": "lstm"}),
    "pos-gru-2-layers": ("pos", True, {"rnn": "gru", "layers": 2}),
    "ner-crf": ("ner", False, {"head": "crf", "char": "cnn"}),
    "pos-word-cnn": ("pos", True, {"word_cnn": 6, "word_cnn_widths": "2,3"}),
    "sentiment-word-cnn": ("sentiment", False, {"word_cnn": 6, "word_cnn_widths": "3,5"}),
    **{
        f"sentiment-{p}": ("sentiment", False, {"pooling": p, "char": "cnn"})
        for p in ("last", "max", "mean", "attention")
    },
}


def artifact_of(kind: str, seed: int = 0) -> Artifact:
    """An untrained tiny model of a kind (dropout on: eval mode matters)."""
    task, pretrained, overrides = KINDS[kind]
    labels = {"pos": ["ADJ", "DET", "NOUN", "PUNCT", "VERB"], "ner": NER_LABELS}
    words = Vocab.build(w.lower() for s in SENTENCES for w in s)
    chars = Vocab.build(c for s in SENTENCES for w in s for c in w)
    vectors_vocab = Vocab([PAD, UNK, "the", "dog", "cat"]) if pretrained else None
    vocabs = Vocabs(words, chars, Vocab.labels(labels.get(task, ["neg", "pos"])), vectors_vocab)
    config = ModelConfig(
        **{
            "word_dim": 8,
            "casing_dim": 4,
            "char_dim": 8,
            "char_hidden": 8,
            "hidden": 8,
            "layers": 1,
            "dropout": 0.3,
            "word_dropout": 0.2,
            **overrides,
        }
    )
    torch.manual_seed(seed)
    vectors = torch.randn(5, 6) if pretrained else None
    model = build_model(config, vocabs, vectors, sentence_level=task == "sentiment")
    return Artifact(Config(task=task, model=config), vocabs, model.eval())


@pytest.fixture(scope="module")
def trained(shared_pos: TrainedModel) -> Path:
    """A tiny POS model fitted to the toy corpus, saved; its dev file is corpus/dev.conllu."""
    assert shared_pos.summary["dev_score"] == 1.0
    return shared_pos.path


def dev_sentences(model: Path) -> list[list[str]]:
    lines = (model.parent / "corpus" / "dev.conllu").read_text(encoding="utf-8").splitlines()
    sentences: list[list[str]] = [[]]
    for line in lines:
        if not line:
            sentences.append([])
        elif not line.startswith("#"):
            sentences[-1].append(line.split("\t")[1])
    return [s for s in sentences if s]


# --- ONNX parity ---


@pytest.mark.parametrize("kind", list(KINDS))
def test_onnx_scores_and_labels_equal_torch(kind: str) -> None:
    artifact = artifact_of(kind)
    onnx_net = network(artifact, "onnx")  # exported first: the torch runner sets eval mode
    torch_net = network(artifact, "torch")
    assert isinstance(onnx_net, OnnxNetwork) and isinstance(torch_net, TorchNetwork)
    head = artifact.model.head
    encoder = BatchEncoder(artifact.vocabs)
    for sentences in BATCHES:
        batch = encoder.encode(sentences)
        expected = torch_net(batch)
        got = onnx_net(batch)
        assert got.shape == expected.shape
        assert torch.allclose(got, expected, rtol=0.0, atol=1e-4), kind
        with torch.no_grad():
            best, best_onnx = head.decode(expected, batch.mask), head.decode(got, batch.mask)
        if kind.startswith("sentiment"):
            assert torch.equal(best, best_onnx)
        else:
            assert torch.equal(best[batch.mask], best_onnx[batch.mask])


@pytest.mark.parametrize(
    "kind", ["pos-char-lstm", "ner-crf", "sentiment-last", "sentiment-mean", "pos-word-cnn"]
)
def test_onnx_padding_changes_nothing(kind: str) -> None:
    artifact = artifact_of(kind)
    onnx_net = network(artifact, "onnx")
    encoder = BatchEncoder(artifact.vocabs)
    together = onnx_net(encoder.encode(BATCHES[3]))  # lengths 3, 1, 8
    for row, sentence in enumerate(BATCHES[3]):
        alone = onnx_net(encoder.encode([sentence]))[0]
        part = together[row] if kind.startswith("sentiment") else together[row, : len(sentence)]
        assert torch.allclose(part, alone, rtol=0.0, atol=1e-5)


def test_onnx_predictor_equals_torch_on_a_trained_model(trained: Path, tmp_path: Path) -> None:
    sentences = dev_sentences(trained)
    sentences = sentences[:3] + [[], ["Zürich", LONG, "."], ["dog"]] + sentences[3:]
    expected = Predictor.load(trained, batch_size=3).predict_scored(sentences)
    target = tmp_path / "model.onnx"
    export_onnx(read_artifact(trained), target)
    for onnx_path in (None, target):
        predictor = Predictor.load(trained, batch_size=3, backend="onnx", onnx_path=onnx_path)
        got = predictor.predict_scored(sentences)
        assert [tags for tags, _ in got] == [tags for tags, _ in expected]
        for (_, a), (_, b) in zip(got, expected, strict=True):
            assert a == pytest.approx(b, abs=1e-4)


def test_onnx_predictor_classifies_like_torch() -> None:
    artifact = artifact_of("sentiment-attention")
    texts = [["the", "dog", "."], [], ["A", "big", "Zürich"], SENTENCES[1]]
    got = Predictor(artifact, batch_size=2, backend="onnx").classify(texts)
    expected = Predictor(artifact, batch_size=2).classify(texts)
    assert [label for label, _ in got] == [label for label, _ in expected]
    for (_, a), (_, b) in zip(got, expected, strict=True):
        assert a == pytest.approx(b, abs=1e-4)


# --- the exported file ---


def test_export_writes_the_bytes_it_returns_and_names_the_weights(tmp_path: Path) -> None:
    artifact = artifact_of("ner-crf")
    target = tmp_path / "nested" / "folder" / "ner.onnx"
    data = export_onnx(artifact, target)
    assert target.read_bytes() == data
    graph = onnx.load_from_string(data)
    meta = {prop.key: prop.value for prop in graph.metadata_props}
    assert meta == {"weights_digest": weights_digest(artifact.model), "task": "ner"}
    assert [node.name for node in graph.graph.output] == ["scores"]


@pytest.mark.parametrize("kind", ["pos-char-lstm", "pos-no-pretrained"])
def test_input_names_have_pretrained_only_with_vectors(kind: str) -> None:
    artifact = artifact_of(kind)
    names = input_names(artifact)
    assert ("pretrained" in names) == (artifact.vocabs.pretrained is not None)
    assert {"words", "lengths"} <= set(names)


def test_weights_digest_follows_the_weights_only() -> None:
    artifact = artifact_of("pos-char-lstm")
    digest = weights_digest(artifact.model)
    assert weights_digest(copy.deepcopy(artifact.model).train()) == digest
    assert weights_digest(artifact_of("pos-char-lstm", seed=1).model) != digest
    changed = copy.deepcopy(artifact.model)
    with torch.no_grad():
        changed.head.linear.weight[0, 0] += 1e-3
    assert weights_digest(changed) != digest


def test_onnx_file_of_other_weights_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "other.onnx"
    export_onnx(artifact_of("pos-char-lstm", seed=1), target)
    with pytest.raises(ValueError, match="not exported from this model's weights") as info:
        network(artifact_of("pos-char-lstm", seed=0), "onnx", onnx_path=target)
    assert str(target) in str(info.value) and "tagger export" in str(info.value)
    with pytest.raises(ValueError, match="not exported from this model's weights"):
        Predictor(artifact_of("pos-char-lstm", seed=0), backend="onnx", onnx_path=target)


def test_export_leaves_the_model_in_eval_mode() -> None:
    artifact = artifact_of("pos-char-lstm")
    assert not artifact.model.training
    export_onnx(artifact)
    assert not artifact.model.training


def test_a_file_that_is_not_onnx_is_a_value_error(tmp_path: Path) -> None:
    target = tmp_path / "not.onnx"
    target.write_bytes(b"not an onnx graph")
    with pytest.raises(ValueError, match="not.onnx"):
        network(artifact_of("pos-no-pretrained"), "onnx", onnx_path=target)


# --- option errors ---


def test_backend_option_errors(tmp_path: Path) -> None:
    artifact = artifact_of("pos-no-pretrained")
    with pytest.raises(ValueError, match="--int8 works with the torch backend"):
        network(artifact, "onnx", int8=True)
    with pytest.raises(ValueError, match="--backend: expected one of torch, onnx, got 'tf'"):
        network(artifact, "tf")
    with pytest.raises(ValueError, match="--onnx FILE goes with --backend onnx"):
        network(artifact, "torch", onnx_path=tmp_path / "model.onnx")
    with pytest.raises(ValueError, match="--int8"):
        Predictor(artifact, backend="onnx", int8=True)


# --- int8 ---


def test_int8_predictor_mostly_agrees_with_fp32(trained: Path) -> None:
    sentences = dev_sentences(trained) + [["Zürich", LONG, "."], ["dog"]]
    fp32 = Predictor.load(trained, batch_size=4)
    int8 = Predictor.load(trained, batch_size=4, int8=True)
    assert isinstance(int8.network, TorchNetwork)
    assert isinstance(int8.network.model.encoder.rnn, torch.ao.nn.quantized.dynamic.LSTM)
    expected, got = fp32.predict(sentences), int8.predict(sentences)
    assert [len(tags) for tags in got] == [len(s) for s in sentences]
    labels = set(fp32.labels)
    assert all(tag in labels for tags in got for tag in tags)
    pairs = [(a, b) for x, y in zip(got, expected, strict=True) for a, b in zip(x, y, strict=True)]
    assert sum(a == b for a, b in pairs) / len(pairs) >= 0.9
    scored = int8.predict_scored(sentences)
    assert all(0.0 <= p <= 1.0 + 1e-6 for _, probs in scored for p in probs)


def test_int8_keeps_the_character_model_fp32_so_history_does_not_matter(
    trained: Path,
) -> None:
    sentences = dev_sentences(trained)
    fresh = Predictor.load(trained, batch_size=4, int8=True)
    model = fresh.network.model
    assert type(model.embedder.chars.lstm) is nn.LSTM  # not quantized
    assert isinstance(model.head.linear, torch.ao.nn.quantized.dynamic.Linear)
    expected = fresh.predict_scored(sentences)
    primed = Predictor.load(trained, batch_size=4, int8=True)
    primed.predict([sentences[0] + ["Zürich", LONG]])  # its words cached in another batch
    assert primed.predict_scored(sentences) == expected  # the cache's history is invisible


def test_int8_runs_two_batches_at_once_with_the_same_results(trained: Path) -> None:
    sentences = dev_sentences(trained) * 3
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        int8 = Predictor.load(trained, batch_size=4, int8=True)
        assert int8.network.batch_workers == 2
        assert Predictor.load(trained).network.batch_workers == 1  # fp32 splits directions
        two_at_once = int8.predict_scored(sentences)
        int8.network.batch_workers = 1
        one_at_a_time = int8.predict_scored(sentences)
    finally:
        torch.set_num_threads(before)
    assert two_at_once == one_at_a_time


def test_int8_engine_is_onednn_only_with_vnni(monkeypatch: pytest.MonkeyPatch) -> None:
    default = torch.backends.quantized.engine
    monkeypatch.setattr(torch.cpu, "_is_vnni_supported", lambda: False, raising=False)
    assert int8_engine() == default
    monkeypatch.setattr(torch.cpu, "_is_vnni_supported", lambda: True, raising=False)
    expected = "onednn" if "onednn" in torch.backends.quantized.supported_engines else default
    assert int8_engine() == expected
    quantized(artifact_of("ner-crf").model)
    assert torch.backends.quantized.engine == default  # the global setting is put back


def test_int8_leaves_the_fp32_model_alone() -> None:
    artifact = artifact_of("ner-crf")
    before = weights_digest(artifact.model)
    predictor = Predictor(artifact, int8=True)
    predictor.predict(SENTENCES)
    assert isinstance(artifact.model.encoder.rnn, nn.LSTM)
    assert isinstance(predictor.network, TorchNetwork)
    assert predictor.network.model is not artifact.model
    assert weights_digest(artifact.model) == before


def test_export_without_onnx_installed_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import builtins

    real_import = builtins.__import__

    def no_onnx(name: str, *args: object, **kwargs: object) -> object:
        if name == "onnx":
            raise ImportError("No module named 'onnx'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_onnx)
    with pytest.raises(ValueError, match=r"pip install 'tagger\[onnx\]'"):
        export_onnx(None)  # type: ignore[arg-type]
