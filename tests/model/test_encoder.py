"""Shapes of the encoder and embeddings, and which half of the BiLSTM sees which tokens."""

from __future__ import annotations

import pytest
import torch

from tagger.config import ModelConfig
from tagger.data.batching import BatchEncoder
from tagger.data.vocab import PAD, UNK, Vocab, Vocabs
from tagger.model.build import SequenceTagger, build_model
from tagger.model.embeddings import CharCNN, CharLSTM
from tagger.model.encoder import BiLSTMEncoder

SENTENCES = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["A", "big", "bird", "finds", "every", "old", "tree", "!"],
    ["This", "child", "likes", "the", "red", "cat", "."],
]
LABELS = ["ADJ", "DET", "NOUN", "PUNCT", "VERB"]
TINY = {
    "word_dim": 8,
    "casing_dim": 4,
    "char": "lstm",
    "char_dim": 8,
    "char_hidden": 8,
    "hidden": 8,
    "layers": 1,
}


def toy_vocabs(pretrained: bool = False) -> tuple[Vocabs, torch.Tensor | None]:
    """Vocabularies of SENTENCES, plus a random (n, 5) vector table when pretrained."""
    words = Vocab.build(w.lower() for s in SENTENCES for w in s)
    chars = Vocab.build(c for s in SENTENCES for w in s for c in w)
    vectors_vocab = Vocab([PAD, UNK, "the", "dog", "cat"]) if pretrained else None
    vectors = torch.randn(len(vectors_vocab), 5) if vectors_vocab else None
    return Vocabs(words, chars, Vocab.labels(LABELS), vectors_vocab), vectors


def tiny_tagger(seed: int = 0, **overrides: object) -> tuple[SequenceTagger, BatchEncoder]:
    """An untrained tiny SequenceTagger in eval mode, and the BatchEncoder of its vocabularies."""
    vocabs, vectors = toy_vocabs(pretrained=bool(overrides.pop("pretrained", False)))
    torch.manual_seed(seed)
    model = build_model(ModelConfig(**{**TINY, **overrides}), vocabs, vectors)
    return model.eval(), BatchEncoder(vocabs)


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return torch.allclose(a, b, rtol=0.0, atol=1e-6)


def differs(a: torch.Tensor, b: torch.Tensor) -> bool:
    return bool((a - b).abs().max() > 1e-4)


# --- BiLSTMEncoder alone, on random inputs ---


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_encoder_output_shape(rnn: str, layers: int) -> None:
    encoder = BiLSTMEncoder(input_dim=5, hidden=7, layers=layers, dropout=0.1, rnn=rnn)
    x = torch.randn(3, 4, 5)  # (batch, time, in)
    out = encoder(x, torch.tensor([4, 2, 1]))
    assert out.shape == (3, 4, 2 * 7)  # (batch, time, 2*hidden)
    assert encoder.out_dim == 14
    assert torch.count_nonzero(out[1, 2:]) == 0  # padding positions are zero
    assert torch.count_nonzero(out[2, 1:]) == 0


def test_encoder_rejects_unknown_rnn() -> None:
    with pytest.raises(KeyError):
        BiLSTMEncoder(5, 7, 1, 0.0, "transformer")


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_backward_half_sees_later_tokens(rnn: str) -> None:
    torch.manual_seed(0)
    hidden, time = 6, 5
    encoder = BiLSTMEncoder(input_dim=4, hidden=hidden, layers=1, dropout=0.0, rnn=rnn).eval()
    x = torch.randn(1, time, 4)
    changed = x.clone()
    changed[0, -1] = torch.randn(4)
    lengths = torch.tensor([time])
    with torch.no_grad():
        before, after = encoder(x, lengths), encoder(changed, lengths)
    # [..., hidden:] reads right to left: the first token's backward state sees the last token.
    assert differs(before[0, 0, hidden:], after[0, 0, hidden:])
    # [..., :hidden] reads left to right: nothing before the last token can see it.
    assert close(before[0, :-1, :hidden], after[0, :-1, :hidden])
    assert differs(before[0, -1, :hidden], after[0, -1, :hidden])


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_forward_half_sees_earlier_tokens(rnn: str) -> None:
    torch.manual_seed(1)
    hidden, time = 6, 5
    encoder = BiLSTMEncoder(input_dim=4, hidden=hidden, layers=1, dropout=0.0, rnn=rnn).eval()
    x = torch.randn(1, time, 4)
    changed = x.clone()
    changed[0, 0] = torch.randn(4)
    lengths = torch.tensor([time])
    with torch.no_grad():
        before, after = encoder(x, lengths), encoder(changed, lengths)
    assert differs(before[0, -1, :hidden], after[0, -1, :hidden])
    assert close(before[0, 1:, hidden:], after[0, 1:, hidden:])
    assert differs(before[0, 0, hidden:], after[0, 0, hidden:])


def test_backward_half_starts_at_the_sentence_end_not_the_padding() -> None:
    """With packing, a short sentence's backward state at its last token sees only that token."""
    torch.manual_seed(2)
    encoder = BiLSTMEncoder(input_dim=4, hidden=6, layers=1, dropout=0.0, rnn="lstm").eval()
    short = torch.randn(1, 3, 4)
    padded = torch.cat([short, torch.randn(1, 4, 4)], dim=1)  # garbage after the sentence
    with torch.no_grad():
        alone = encoder(short, torch.tensor([3]))
        in_padding = encoder(padded, torch.tensor([3]))
    assert close(alone[0], in_padding[0, :3])


def test_sentence_does_not_depend_on_its_batch_random_inputs() -> None:
    torch.manual_seed(3)
    encoder = BiLSTMEncoder(input_dim=4, hidden=6, layers=2, dropout=0.5, rnn="lstm").eval()
    short, long = torch.randn(3, 4), torch.randn(7, 4)
    batch = torch.zeros(2, 7, 4)
    batch[0], batch[1, :3] = long, short
    with torch.no_grad():
        alone = encoder(short[None], torch.tensor([3]))  # (1, 3, 12)
        together = encoder(batch, torch.tensor([7, 3]))  # (2, 7, 12)
    assert together.shape == (2, 7, 12)
    assert close(alone[0], together[1, :3])
    assert torch.count_nonzero(together[1, 3:]) == 0


# --- the same properties through a full SequenceTagger ---


@pytest.mark.parametrize("rnn", ["lstm", "gru"])
def test_tagger_encode_halves(rnn: str) -> None:
    model, encoder = tiny_tagger(rnn=rnn)
    hidden = model.encoder.hidden
    sentence = SENTENCES[0]
    last_changed = sentence[:-1] + ["!"]
    first_changed = ["A"] + sentence[1:]
    with torch.no_grad():
        base = model.encode(encoder.encode([sentence]))[0]  # (time, 2*hidden)
        last = model.encode(encoder.encode([last_changed]))[0]
        first = model.encode(encoder.encode([first_changed]))[0]
    assert base.shape == (len(sentence), 2 * hidden)
    assert differs(base[0, hidden:], last[0, hidden:])
    assert close(base[:-1, :hidden], last[:-1, :hidden])
    assert differs(base[-1, :hidden], first[-1, :hidden])
    assert close(base[1:, hidden:], first[1:, hidden:])


def test_tagger_sentence_does_not_depend_on_its_batch() -> None:
    model, encoder = tiny_tagger(char="cnn", char_kernel=3)
    short, long = SENTENCES[0], SENTENCES[1]
    with torch.no_grad():
        alone = model.encode(encoder.encode([short]))  # (1, 6, 2*hidden)
        together = model.encode(encoder.encode([long, short]))  # (2, 8, 2*hidden)
        scores = model(encoder.encode([long, short]))  # (2, 8, n_labels)
    assert alone.shape == (1, len(short), 2 * model.encoder.hidden)
    assert together.shape == (2, len(long), 2 * model.encoder.hidden)
    assert scores.shape == (2, len(long), len(LABELS))
    assert close(alone[0], together[1, : len(short)])


# --- embeddings ---


def char_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """(n_types, max_chars) ids and (n_types,) lengths of three words of 4, 1 and 2 characters."""
    chars = torch.tensor([[2, 3, 4, 5], [6, 0, 0, 0], [7, 8, 0, 0]])
    return chars, torch.tensor([4, 1, 2])


def test_char_lstm_shape_and_padding() -> None:
    torch.manual_seed(0)
    model = CharLSTM(n_chars=10, dim=5, hidden=6).eval()
    chars, lengths = char_batch()
    with torch.no_grad():
        out = model(chars, lengths)
        wider = model(torch.cat([chars, torch.zeros(3, 3, dtype=torch.long)], dim=1), lengths)
    assert out.shape == (3, 12)  # (n_types, 2*hidden)
    assert model.out_dim == 12
    assert close(out, wider)  # extra padding columns change nothing


@pytest.mark.parametrize("kernel", [1, 3, 5])
def test_char_cnn_shape_and_padding(kernel: int) -> None:
    torch.manual_seed(0)
    model = CharCNN(n_chars=10, dim=5, filters=7, kernel=kernel).eval()
    chars, lengths = char_batch()
    with torch.no_grad():
        out = model(chars, lengths)
        wider = model(torch.cat([chars, torch.zeros(3, 3, dtype=torch.long)], dim=1), lengths)
    assert out.shape == (3, 7)  # (n_types, filters)
    assert model.out_dim == 7
    assert close(out, wider)


@pytest.mark.parametrize("kernel", [2, 4])
def test_char_cnn_even_kernel(kernel: int) -> None:
    model = CharCNN(n_chars=10, dim=5, filters=7, kernel=kernel).eval()
    chars, lengths = char_batch()
    with torch.no_grad():
        assert model(chars, lengths).shape == (3, 7)


@pytest.mark.parametrize("pretrained", [False, True])
@pytest.mark.parametrize("casing_dim", [0, 8])
@pytest.mark.parametrize("char", ["lstm", "cnn", "none"])
def test_token_embedder_out_dim(pretrained: bool, casing_dim: int, char: str) -> None:
    model, encoder = tiny_tagger(pretrained=pretrained, casing_dim=casing_dim, char=char)
    embedder = model.embedder
    with torch.no_grad():
        features = embedder(encoder.encode(SENTENCES))  # (batch, time, out_dim)
    assert features.shape == (3, 8, embedder.out_dim)
    expected = (
        TINY["word_dim"]
        + (5 if pretrained else 0)
        + casing_dim
        + {"lstm": 2 * TINY["char_hidden"], "cnn": TINY["char_hidden"], "none": 0}[char]
    )
    assert embedder.out_dim == expected
    assert model.encoder.rnn.input_size == embedder.out_dim


def test_build_model_rejects_unknown_choices() -> None:
    vocabs, _ = toy_vocabs()
    with pytest.raises(ValueError, match="model.char"):
        build_model(ModelConfig(char="rnn"), vocabs)
    with pytest.raises(ValueError, match="model.rnn"):
        build_model(ModelConfig(rnn="transformer"), vocabs)
    with pytest.raises(ValueError, match="pretrained"):
        build_model(ModelConfig(), vocabs, torch.zeros(3, 2))  # vectors without a vocabulary
