"""SentenceHead pooling: shapes, padding, which states each pooling reads, attention weights."""

from __future__ import annotations

import pytest
import torch

from tagger.config import ModelConfig
from tagger.data.batching import Batch, BatchEncoder
from tagger.data.vocab import Vocab, Vocabs
from tagger.model.build import SequenceTagger, build_model
from tagger.model.encoder import BiLSTMEncoder
from tagger.model.pooling import SentenceHead

POOLINGS = ["last", "max", "mean", "attention"]
HIDDEN = 4  # per direction: states are (batch, time, 2*HIDDEN)
LABELS = ["neg", "neu", "pos"]
SENTENCES = [
    ["the", "movie", "was", "good", "."],
    ["a", "bad", "film", "!"],
    ["this", "plot", "is", "really", "dull", "and", "long", "."],
]
TINY = {
    "word_dim": 8,
    "casing_dim": 4,
    "char": "cnn",
    "char_dim": 8,
    "char_hidden": 8,
    "hidden": HIDDEN,
    "layers": 1,
    "dropout": 0.0,
    "word_dropout": 0.0,
}


def mask_of(lengths: list[int], time: int) -> torch.Tensor:
    """(batch, time) True at real tokens."""
    return torch.arange(time)[None, :] < torch.tensor(lengths)[:, None]


def head(pooling: str, seed: int = 0) -> SentenceHead:
    torch.manual_seed(seed)
    return SentenceHead(2 * HIDDEN, len(LABELS), dropout=0.0, pooling=pooling).eval()


def padded(real: torch.Tensor, time: int, fill: float = 0.0) -> torch.Tensor:
    """(length, dim) states of one sentence -> (1, time, dim), padded with `fill`."""
    out = torch.full((1, time, real.shape[-1]), fill)
    out[0, : real.shape[0]] = real
    return out


def tiny_model(pooling: str, seed: int = 0) -> tuple[SequenceTagger, BatchEncoder]:
    """An untrained tiny sentence model in eval mode, and the BatchEncoder of its vocabularies."""
    words = Vocab.build(w for s in SENTENCES for w in s)
    chars = Vocab.build(c for s in SENTENCES for w in s for c in w)
    vocabs = Vocabs(words, chars, Vocab.labels(LABELS))
    torch.manual_seed(seed)
    config = ModelConfig(**TINY, pooling=pooling)
    model = build_model(config, vocabs, sentence_level=True)
    return model.eval(), BatchEncoder(vocabs)


def pooled(model: SequenceTagger, batch: Batch) -> torch.Tensor:
    """(batch, 2*hidden) pooled encoder states."""
    with torch.no_grad():
        return model.head.pool(model.encode(batch), batch.mask)


# --- the head alone, on random states ---


@pytest.mark.parametrize("pooling", POOLINGS)
def test_scores_shape(pooling: str) -> None:
    states = torch.randn(3, 6, 2 * HIDDEN)  # (batch, time, 2*hidden)
    mask = mask_of([6, 2, 1], 6)  # (batch, time)
    sentence_head = head(pooling)
    assert sentence_head.pool(states, mask).shape == (3, 2 * HIDDEN)  # (batch, 2*hidden)
    scores = sentence_head(states, mask)
    assert scores.shape == (3, len(LABELS))  # (batch, n_labels)
    assert sentence_head.decode(scores, mask).shape == (3,)  # (batch,)
    probs = sentence_head.probabilities(scores, mask)  # (batch, n_labels)
    assert torch.allclose(probs.sum(-1), torch.ones(3))


def test_unknown_pooling() -> None:
    with pytest.raises(ValueError, match="model.pooling: expected last, max, mean or attention"):
        SentenceHead(8, 2, 0.0, "sum")


@pytest.mark.parametrize("pooling", POOLINGS)
def test_pooling_ignores_the_padding_length(pooling: str) -> None:
    real = torch.randn(4, 2 * HIDDEN)  # (length, 2*hidden)
    sentence_head = head(pooling)
    short = sentence_head.pool(padded(real, 5, fill=0.0), mask_of([4], 5))  # (1, 2*hidden)
    # Large padding values: a pooling that let them in could not give the same vector.
    long = sentence_head.pool(padded(real, 9, fill=100.0), mask_of([4], 9))
    assert torch.equal(short, long)


def test_max_is_over_real_positions_only() -> None:
    states = -torch.rand(2, 5, 2 * HIDDEN)  # all negative: zero padding would win a max
    lengths = [5, 3]
    result = head("max").pool(states, mask_of(lengths, 5))
    for i, n in enumerate(lengths):
        assert torch.equal(result[i], states[i, :n].max(0).values)


def test_mean_is_over_real_positions_only() -> None:
    states = torch.randn(2, 5, 2 * HIDDEN)
    lengths = [5, 2]
    result = head("mean").pool(states, mask_of(lengths, 5))
    for i, n in enumerate(lengths):
        assert torch.allclose(result[i], states[i, :n].mean(0), atol=1e-6)


def test_last_reads_forward_at_the_end_and_backward_at_the_start() -> None:
    states = torch.randn(3, 6, 2 * HIDDEN)
    lengths = [6, 3, 1]
    result = head("last").pool(states, mask_of(lengths, 6))  # (batch, 2*hidden)
    for i, n in enumerate(lengths):
        assert torch.equal(result[i, :HIDDEN], states[i, n - 1, :HIDDEN])  # forward, last token
        assert torch.equal(result[i, HIDDEN:], states[i, 0, HIDDEN:])  # backward, first token


def test_attention_weights_sum_to_one_over_real_tokens() -> None:
    states = torch.randn(3, 6, 2 * HIDDEN)
    lengths = [6, 4, 1]
    sentence_head = head("attention")
    assert sentence_head.last_weights is None
    result = sentence_head.pool(states, mask_of(lengths, 6))
    weights = sentence_head.last_weights
    assert weights is not None and weights.shape == (3, 6)  # (batch, time)
    assert torch.allclose(weights.sum(1), torch.ones(3))
    for i, n in enumerate(lengths):
        assert torch.all(weights[i, n:] == 0.0)
        assert torch.all(weights[i, :n] > 0.0)
    assert torch.equal(weights[2, 0], torch.tensor(1.0))  # one token takes all the weight
    assert torch.allclose(result, (weights.unsqueeze(-1) * states).sum(1), atol=1e-6)


def test_attention_weights_do_not_keep_the_graph() -> None:
    states = torch.randn(2, 3, 2 * HIDDEN, requires_grad=True)
    sentence_head = head("attention").train()
    sentence_head(states, mask_of([3, 2], 3)).sum().backward()
    assert sentence_head.last_weights is not None
    assert not sentence_head.last_weights.requires_grad
    assert states.grad is not None


# --- "last" on the real encoder: each half is read where it has seen the whole sentence ---


def encoded(x: torch.Tensor, lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(pooled "last" states, encoder states) of inputs x: (batch, time, 5)."""
    torch.manual_seed(3)
    encoder = BiLSTMEncoder(5, HIDDEN, 1, 0.0, "lstm").eval()
    with torch.no_grad():
        states = encoder(x, torch.tensor(lengths))  # (batch, time, 2*hidden)
    return head("last").pool(states, mask_of(lengths, x.shape[1])), states


def test_last_forward_part_sees_the_last_token() -> None:
    x = torch.randn(2, 6, 5)
    lengths = [6, 4]  # the second sentence ends at position 3, before the padding
    before, states = encoded(x, lengths)
    assert torch.equal(before[1, :HIDDEN], states[1, 3, :HIDDEN])
    assert before[1, :HIDDEN].abs().sum() > 0  # not a padded (zero) state
    changed = x.clone()
    changed[1, 3] += 1.0  # the last real token of sentence 2
    after, _ = encoded(changed, lengths)
    assert (after[1, :HIDDEN] - before[1, :HIDDEN]).abs().max() > 1e-4
    assert torch.equal(after[0], before[0])  # the other sentence is untouched


def test_last_backward_part_sees_the_first_token() -> None:
    x = torch.randn(1, 5, 5)
    before, _ = encoded(x, [5])
    changed = x.clone()
    changed[0, 0] += 1.0
    after, _ = encoded(changed, [5])
    assert (after[0, HIDDEN:] - before[0, HIDDEN:]).abs().max() > 1e-4


# --- in a full model ---


@pytest.mark.parametrize("pooling", POOLINGS)
def test_model_sentence_alone_equals_batched_with_a_longer_one(pooling: str) -> None:
    model, encoder = tiny_model(pooling)
    alone = pooled(model, encoder.encode([SENTENCES[1]]))  # time 4
    together = pooled(model, encoder.encode([SENTENCES[2], SENTENCES[1]]))  # time 8
    assert torch.allclose(alone[0], together[1], rtol=0.0, atol=1e-6)
    with torch.no_grad():
        scores = model(encoder.encode(SENTENCES))
    assert scores.shape == (3, len(LABELS))  # (batch, n_labels)


@pytest.mark.parametrize("pooling", POOLINGS)
@pytest.mark.parametrize("position", [0, 2, 4])
def test_model_output_changes_with_any_token(pooling: str, position: int) -> None:
    model, encoder = tiny_model(pooling)
    changed = list(SENTENCES[0])
    changed[position] = "bad"
    with torch.no_grad():
        before = model(encoder.encode([SENTENCES[0]]))
        after = model(encoder.encode([changed]))
    assert (after - before).abs().max() > 1e-5


def test_encode_labels_are_sentence_ids() -> None:
    _, encoder = tiny_model("max")
    batch = encoder.encode(SENTENCES, labels=["pos", "neg", "neu"])
    assert batch.labels is not None
    assert batch.labels.tolist() == [2, 0, 1]  # (batch,)
    assert batch.tags is None
    assert encoder.encode(SENTENCES).labels is None
    with pytest.raises(KeyError, match="unknown label 'great'"):
        encoder.encode(SENTENCES[:1], labels=["great"])


def test_model_loss_uses_sentence_labels() -> None:
    model, encoder = tiny_model("mean")
    batch = encoder.encode(SENTENCES, labels=["pos", "neg", "neu"])
    loss = model.loss(batch)
    assert loss.shape == () and loss > 0
    with pytest.raises(ValueError, match="labels"):
        model.loss(encoder.encode(SENTENCES))
