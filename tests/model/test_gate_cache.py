"""GateCache: the first BiLSTM layer's input products per word type give the scores of
the model without it, batch after batch, and are made once per type."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from tagger.backends import TorchNetwork, network, quantized
from tagger.config import Config, ModelConfig
from tagger.data.batching import BatchEncoder
from tagger.data.vocab import Vocab, Vocabs
from tagger.io import Artifact
from tagger.model.build import SequenceTagger, build_model
from tagger.model.gate_cache import GateCache
from tagger.predict import Predictor

TRAIN = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["A", "big", "bird", "finds", "every", "old", "tree", "!"],
]
LABELS = ["ADJ", "DET", "NOUN", "PUNCT", "VERB"]
STREAM = [  # overlapping words, new words, a long one, one-token and one-sentence batches
    [["The", "dog", "sees", "a", "cat", "."], ["a", "cat"]],
    [["dog"]],
    [["A", "big", "bird", "finds", "every", "old", "tree", "!"], ["The", "dog", "."]],
    [["Zürich", "Pneumonoultramicroscopicsilicovolcanoconiosis", "dog"], ["cat", "cat"]],
    [["the", "old", "dog"], ["x"], ["The", "bird", "sees", "every", "big", "tree", "!"]],
    [["The", "cat", "sees", "a", "new", "dog", "."]],
]


def tiny_model(**changes: Any) -> tuple[SequenceTagger, Vocabs]:
    words = Vocab.build(w.lower() for s in TRAIN for w in s)
    chars = Vocab.build(c for s in TRAIN for w in s for c in w)
    vocabs = Vocabs(words, chars, Vocab.labels(LABELS))
    torch.manual_seed(0)
    sizes = dict(word_dim=8, casing_dim=4, char="lstm", char_dim=8, char_hidden=8, hidden=8)
    config = ModelConfig(**{**sizes, "layers": 2, **changes})
    return build_model(config, vocabs).eval(), vocabs


def plain_scores(model: SequenceTagger, batch: Any) -> torch.Tensor:
    """The model's scores without any cache (the embedder and the BiLSTM run in full)."""
    with torch.inference_mode():
        return model(batch)


@pytest.mark.parametrize("max_types", [200_000, 6])
@pytest.mark.parametrize(
    "changes",
    [{}, {"char": "cnn"}, {"char": "none"}, {"layers": 1}, {"casing_dim": 0, "head": "crf"}],
    ids=["char-lstm", "char-cnn", "no-chars", "one-layer", "crf-no-casing"],
)
def test_scores_equal_the_model_without_it(changes: dict, max_types: int) -> None:
    model, vocabs = tiny_model(**changes)
    encoder, net = BatchEncoder(vocabs, max_types=max_types), TorchNetwork(model)
    assert net.gates is not None
    generations = set()
    for sentences in STREAM * 2:
        batch = encoder.encode(sentences)
        generations.add(batch.generation)
        expected = plain_scores(model, batch)
        net.prepare(batch)
        assert batch.input_gates is not None  # the cached path is the one compared
        scores = net.run(batch)
        mask = batch.mask
        assert torch.allclose(scores[mask], expected[mask], rtol=0.0, atol=1e-5)
        assert torch.equal(scores[mask].argmax(-1), expected[mask].argmax(-1))
    assert len(generations) == 1 if max_types > 1000 else len(generations) >= 4


def test_each_word_type_is_projected_once(monkeypatch: pytest.MonkeyPatch) -> None:
    model, vocabs = tiny_model()
    rows: list[int] = []
    real = model.embedder.type_features

    def counted(words: torch.Tensor, *args: Any) -> torch.Tensor:
        rows.append(len(words))
        return real(words, *args)

    monkeypatch.setattr(model.embedder, "type_features", counted)
    encoder, net = BatchEncoder(vocabs), TorchNetwork(model)
    net.prepare(encoder.encode(STREAM[0]))
    assert rows == [1 + 6]  # padding, The dog sees a cat .
    net.prepare(encoder.encode([["a", "cat", "dog"], ["."]]))
    assert rows == [7]  # nothing new: the embedder is not run
    net.prepare(encoder.encode([["a", "red", "cat", "runs"]]))
    assert rows == [7, 2]  # red, runs


@pytest.mark.parametrize("changed", ["encoder", "embeddings", "characters"])
def test_changed_weights_remake_the_tables(changed: str) -> None:
    model, vocabs = tiny_model()
    encoder, net = BatchEncoder(vocabs), TorchNetwork(model)
    batch = encoder.encode(STREAM[0])
    net.prepare(batch)
    before = net.run(batch)
    weight = {
        "encoder": model.encoder.rnn.weight_ih_l0,
        "embeddings": model.embedder.words.weight,
        "characters": model.embedder.chars.embed.weight,
    }[changed]
    with torch.no_grad():
        weight.add_(0.5)  # in place: its version moves
    batch = encoder.encode(STREAM[0])
    net.prepare(batch)
    after = net.run(batch)
    mask = batch.mask
    assert not torch.allclose(after[mask], before[mask], atol=1e-3)
    assert torch.allclose(after[mask], plain_scores(model, batch)[mask], rtol=0.0, atol=1e-5)


def test_a_training_model_reads_no_tables() -> None:
    model, vocabs = tiny_model()
    net = TorchNetwork(model)
    batch = BatchEncoder(vocabs).encode(STREAM[0])
    model.train()
    assert net.gates is not None and net.gates.inputs(batch) is None


@pytest.mark.parametrize("changes", [{"word_cnn": 4}, {"rnn": "gru"}], ids=["word-cnn", "gru"])
def test_models_whose_first_layer_reads_more_than_the_type_have_none(changes: dict) -> None:
    model, vocabs = tiny_model(**changes)
    assert TorchNetwork(model).gates is None
    batch = BatchEncoder(vocabs).encode(STREAM[0])
    TorchNetwork(model).prepare(batch)
    assert batch.input_gates is None and batch.char_features is not None


def test_int8_and_other_devices_have_none() -> None:
    model, _ = tiny_model()
    assert TorchNetwork(quantized(model), batch_workers=2).gates is None
    assert not GateCache.applies(model, torch.device("cuda"))
    assert not GateCache.applies(model, torch.device("mps"))
    assert GateCache.applies(model, torch.device("cpu"))


def test_predictor_tags_as_the_uncached_model_one_at_a_time_and_in_batches() -> None:
    model, vocabs = tiny_model()
    artifact = Artifact(Config(task="pos"), vocabs, model)
    sentences = [s for block in STREAM for s in block]
    predictor = Predictor(artifact, batch_size=3)
    assert isinstance(predictor.network, TorchNetwork) and predictor.network.gates is not None
    batched = predictor.predict_ids(sentences, scores=True)
    alone = [predictor.predict_ids([s], scores=True)[0] for s in sentences]
    uncached = network(artifact, "torch", False, None, torch.device("cpu"))
    uncached.gates = None
    predictor.labeller.network = uncached
    plain = predictor.predict_ids(sentences, scores=True)
    for (ids, probs), (one_ids, one_probs), (plain_ids, plain_probs) in zip(
        batched, alone, plain, strict=True
    ):
        assert ids == one_ids == plain_ids
        assert probs is not None and one_probs is not None and plain_probs is not None
        assert probs == pytest.approx(plain_probs, abs=1e-5)
        assert one_probs == pytest.approx(plain_probs, abs=1e-5)
