"""CharCache: character features per word type equal the character model's, batch after batch."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tagger.config import Config, ModelConfig
from tagger.data.batching import Batch, BatchEncoder
from tagger.data.vocab import Vocab, Vocabs
from tagger.io import Artifact
from tagger.model.build import SequenceTagger, build_model
from tagger.model.char_cache import CharCache
from tagger.predict import Predictor

TRAIN = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["A", "big", "bird", "finds", "every", "old", "tree", "!"],
]
LABELS = ["ADJ", "DET", "NOUN", "PUNCT", "VERB"]
STREAM = [  # overlapping words, new words, a long one, a one-token sentence
    [["The", "dog", "sees", "a", "cat", "."], ["a", "cat"]],
    [["dog"]],
    [["A", "big", "bird", "finds", "every", "old", "tree", "!"], ["The", "dog", "."]],
    [["Zürich", "Pneumonoultramicroscopicsilicovolcanoconiosis", "dog"], ["cat", "cat"]],
    [["the", "old", "dog"], ["x"], ["The", "bird", "sees", "every", "big", "tree", "!"]],
]


def tiny_model(char: str) -> tuple[SequenceTagger, Vocabs]:
    words = Vocab.build(w.lower() for s in TRAIN for w in s)
    chars = Vocab.build(c for s in TRAIN for w in s for c in w)
    vocabs = Vocabs(words, chars, Vocab.labels(LABELS))
    torch.manual_seed(0)
    config = ModelConfig(
        word_dim=8, casing_dim=4, char=char, char_dim=8, char_hidden=8, hidden=8, layers=1
    )
    return build_model(config, vocabs).eval(), vocabs


class Counting(nn.Module):
    """The character model, counting the word types it is run on."""

    def __init__(self, chars: nn.Module) -> None:
        super().__init__()
        self.chars = chars
        self.out_dim = chars.out_dim
        self.rows = 0

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        self.rows += len(chars)
        return self.chars(chars, lengths)


def uncached(model: SequenceTagger, batch: Batch) -> torch.Tensor:
    chars = model.embedder.chars
    assert chars is not None
    with torch.no_grad():
        return chars(batch.chars, batch.char_lengths)[batch.char_index]


@pytest.mark.parametrize("max_types", [200_000, 6])
@pytest.mark.parametrize("char", ["lstm", "cnn"])
def test_features_equal_the_character_model(char: str, max_types: int) -> None:
    model, vocabs = tiny_model(char)
    assert model.embedder.chars is not None
    encoder = BatchEncoder(vocabs, max_types=max_types)
    cache = CharCache(model.embedder.chars)
    generations = set()
    for sentences in STREAM * 2:
        batch = encoder.encode(sentences)
        generations.add(batch.generation)
        features = cache.features(batch)  # (batch, time, out_dim)
        assert features.shape == (*batch.words.shape, model.embedder.chars.out_dim)
        assert torch.allclose(features, uncached(model, batch), rtol=0.0, atol=1e-6)
        with torch.no_grad():
            plain = model(batch)
            batch.char_features = features
            cached = model(batch)
        assert torch.allclose(cached, plain, rtol=0.0, atol=1e-6)
    if max_types > 1000:
        assert len(generations) == 1
    else:
        assert len(generations) >= 4  # the encoder cleared its table between batches


def test_each_word_type_runs_the_character_model_once() -> None:
    model, vocabs = tiny_model("lstm")
    assert model.embedder.chars is not None
    counting = Counting(model.embedder.chars)
    encoder, cache = BatchEncoder(vocabs), CharCache(counting)
    cache.features(encoder.encode(STREAM[0]))
    assert counting.rows == 1 + 6  # padding, The dog sees a cat .
    cache.features(encoder.encode([["a", "cat", "dog"], ["."]]))
    assert counting.rows == 7  # nothing new
    cache.features(encoder.encode([["a", "red", "cat", "runs"]]))
    assert counting.rows == 9


def test_a_cleared_encoder_table_empties_the_cache() -> None:
    model, vocabs = tiny_model("cnn")
    assert model.embedder.chars is not None
    counting = Counting(model.embedder.chars)
    encoder, cache = BatchEncoder(vocabs, max_types=3), CharCache(counting)
    cache.features(encoder.encode([["a", "cat", "dog"]]))
    assert counting.rows == 4
    batch = encoder.encode([["dog", "a"]])  # the table passed 3 rows: dog is row 1 now
    assert batch.generation == cache.generation + 1
    assert torch.allclose(cache.features(batch), uncached(model, batch), rtol=0.0, atol=1e-6)
    assert counting.rows == 4 + 3


def test_batches_without_types_are_refused() -> None:
    model, vocabs = tiny_model("lstm")
    assert model.embedder.chars is not None
    batch = BatchEncoder(vocabs).encode([["a", "dog"]])
    batch.types = None
    with pytest.raises(ValueError, match="types"):
        CharCache(model.embedder.chars).features(batch)


def test_features_after_a_clearing_of_more_than_1024_types() -> None:
    model, vocabs = tiny_model("lstm")
    assert model.embedder.chars is not None
    encoder = BatchEncoder(vocabs, max_types=1100)
    cache = CharCache(model.embedder.chars)
    cache.features(encoder.encode([[f"w{i}" for i in range(1100)]]))
    batch = encoder.encode([["a", "dog"]])  # clears the table
    assert torch.allclose(cache.features(batch), uncached(model, batch), rtol=0.0, atol=1e-6)


# --- through the Predictor ---


def test_predictor_results_do_not_depend_on_earlier_batches() -> None:
    model, vocabs = tiny_model("lstm")
    artifact = Artifact(Config(task="pos"), vocabs, model)
    sentences = [["the", "big", "cat", "sees", "Zürich"], ["dog"], ["a", "tree", "!"]]
    fresh = Predictor(artifact, batch_size=2).predict_scored(sentences)
    for max_types in (200_000, 5):
        used = Predictor(artifact, batch_size=2)
        used.encoder = BatchEncoder(vocabs, max_types=max_types)
        used.predict([s[::-1] for s in STREAM[2] + STREAM[3] + sentences])
        again = used.predict_scored(sentences)
        assert [tags for tags, _ in again] == [tags for tags, _ in fresh]
        for (_, a), (_, b) in zip(again, fresh, strict=True):
            assert a == pytest.approx(b, abs=1e-6)


def test_changed_character_weights_are_not_read_from_the_cache() -> None:
    model, vocabs = tiny_model("lstm")
    assert model.embedder.chars is not None
    encoder, cache = BatchEncoder(vocabs), CharCache(model.embedder.chars)
    cache.features(encoder.encode(STREAM[0]))
    with torch.no_grad():
        model.embedder.chars.embed.weight.add_(0.5)  # in place, as an optimizer step
    batch = encoder.encode(STREAM[0])
    assert torch.allclose(cache.features(batch), uncached(model, batch), rtol=0.0, atol=1e-6)
