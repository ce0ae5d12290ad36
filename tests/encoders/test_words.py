"""WordEncoder on a tiny random BERT: alignment of pieces to words, pooling, windows,
batches and contexts, checked against the model run by hand."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tagger.encoders import LoadedEncoder, WordEncoder, load_encoder


@pytest.fixture(scope="module")
def loaded(tiny_bert: Path) -> LoadedEncoder:
    return load_encoder(str(tiny_bert), "cpu")


def by_hand(loaded: LoadedEncoder, pieces: list[str]) -> tuple[torch.Tensor, ...]:
    """The hidden states of [CLS] pieces [SEP], each (time, dim)."""
    tokenizer = loaded.tokenizer
    ids = tokenizer.convert_tokens_to_ids(["[CLS]", *pieces, "[SEP]"])
    with torch.inference_mode():
        states = loaded.model(input_ids=torch.tensor([ids])).hidden_states
    return tuple(state[0] for state in states)


def test_loaded_sizes(loaded: LoadedEncoder) -> None:
    assert (loaded.n_layers, loaded.dim, loaded.max_pieces) == (2, 16, 22)
    assert loaded.revision == "" and len(loaded.weights_sha256) == 64
    assert not loaded.model.training


def test_shapes_and_layers(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, layers=(0, -1), pooling="first")
    out = encoder.encode([["the", "cat", "sat"], ["dog"], []])
    assert [tuple(t.shape) for t in out] == [(2, 3, 16), (2, 1, 16), (2, 0, 16)]
    assert all(t.dtype == torch.float32 and t.device.type == "cpu" for t in out)
    states = by_hand(loaded, ["the", "cat", "sat"])
    torch.testing.assert_close(out[0][0], states[0][1:4])  # 0: the embeddings
    torch.testing.assert_close(out[0][1], states[2][1:4], atol=1e-5, rtol=1e-5)  # -1: last
    with pytest.raises(ValueError, match="encoder layer 3"):
        WordEncoder(loaded, layers=(3,))
    with pytest.raises(ValueError, match="pooling"):
        WordEncoder(loaded, pooling="max")  # type: ignore[arg-type]


def test_first_and_mean_pooling_of_a_two_piece_word(loaded: LoadedEncoder) -> None:
    words = ["the", "unable", "cat"]  # unable -> un ##able
    states = by_hand(loaded, ["the", "un", "##able", "cat"])[-1]
    first = WordEncoder(loaded, pooling="first").encode([words])[0][0]
    mean = WordEncoder(loaded, pooling="mean").encode([words])[0][0]
    torch.testing.assert_close(first[1], states[2], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(mean[1], states[2:4].mean(0), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(first[2], states[4], atol=1e-5, rtol=1e-5)  # after the pair
    assert not torch.allclose(first[1], mean[1])


@pytest.mark.parametrize("odd", ["\x00", "\u200b", "\u0301", "", " ", "😀", "🏳️‍🌈"])
def test_a_word_without_pieces_or_an_emoji_is_unk_and_kept(loaded: LoadedEncoder, odd: str) -> None:
    encoder = WordEncoder(loaded, pooling="mean")
    assert encoder.word_pieces(["cat", odd, "sat"])[1] == [loaded.tokenizer.unk_token_id]
    out = encoder.encode([["cat", odd, "sat"]])[0]
    assert out.shape == (1, 3, 16)
    states = by_hand(loaded, ["cat", "[UNK]", "sat"])[-1]
    torch.testing.assert_close(out[0], states[1:4], atol=1e-5, rtol=1e-5)


def test_a_very_long_word_keeps_its_first_pieces(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, pooling="mean")
    long_word = "x" * 80  # x ##x ##x ... : 80 pieces, over the window of 22
    assert len(encoder.word_pieces([long_word])[0]) == loaded.max_pieces
    unk = loaded.tokenizer.unk_token_id
    assert encoder.word_pieces(["x" * 200]) == [[unk]]  # WordPiece's own limit: 100 chars
    segments = encoder.segments([["the", long_word, "cat"]], None)
    assert all(len(s.ids) <= loaded.max_pieces + 2 for s in segments)
    out = encoder.encode([["the", long_word, "cat"]])[0]
    assert out.shape == (1, 3, 16) and out.isfinite().all()
    alone = by_hand(loaded, ["x"] + ["##x"] * (loaded.max_pieces - 1))[-1]
    torch.testing.assert_close(out[0, 1], alone[1:-1].mean(0), atol=1e-5, rtol=1e-5)


def test_a_sentence_over_the_window_keeps_every_word(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, layers=(-2, -1), pooling="mean")
    words = ["the", "cat", "sat", "on", "the", "mat", "unable", "dogs"] * 8  # 72 pieces
    segments = encoder.segments([words], None)
    assert len(segments) > 3 and all(len(s.ids) <= loaded.max_pieces + 2 for s in segments)
    given = sorted(word for s in segments for word, _, _ in s.spans)
    assert given == list(range(len(words)))  # each word read out exactly once
    out = encoder.encode([words])[0]
    assert out.shape == (2, len(words), 16) and out.isfinite().all()
    assert (out.abs().sum(-1) > 0).all()  # no word left as zeros
    # the first word comes from the first window: the longest prefix that fits in one
    counts = [len(pieces) for pieces in encoder.word_pieces(words)]
    fitting = max(n for n in range(len(words)) if sum(counts[:n]) <= loaded.max_pieces)
    head = encoder.encode([words[:fitting]])[0]
    torch.testing.assert_close(out[:, 0], head[:, 0], atol=1e-5, rtol=1e-5)


def test_a_sentence_in_one_window_is_unaffected_by_long_neighbours(
    loaded: LoadedEncoder,
) -> None:
    encoder = WordEncoder(loaded, pooling="first", batch_pieces=1000)
    short = ["hello", "world", "!"]
    alone = encoder.encode([short])[0]
    mixed = encoder.encode([["the", "cat", "ran"] * 20, short, ["x" * 50]])[1]
    torch.testing.assert_close(mixed, alone, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("batch_pieces", [1, 30, 10_000])
def test_batch_equals_single(loaded: LoadedEncoder, batch_pieces: int) -> None:
    encoder = WordEncoder(loaded, layers=(1, 2), pooling="mean", batch_pieces=batch_pieces)
    sentences = [
        ["the", "cat", "sat", "on", "the", "mat", "."],
        ["dog"],
        ["new", "york", "is", "big", ",", "unable", "dogs", "!"] * 4,
        ["hello", "\x00", "😀"],
    ]
    together = encoder.encode(sentences)
    for sentence, batched in zip(sentences, together, strict=True):
        torch.testing.assert_close(batched, encoder.encode([sentence])[0], atol=1e-5, rtol=1e-5)


def test_contexts_change_vectors_not_their_count(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, pooling="first")
    sentences = [["the", "cat", "sat"], ["dog", "ran"]]
    plain = encoder.encode(sentences)
    contexts = [(["hello", "world"], ["the", "dog"]), ([], ["to", "new", "york"])]
    framed = encoder.encode(sentences, contexts)
    assert [t.shape for t in framed] == [t.shape for t in plain]
    for a, b in zip(plain, framed, strict=True):
        assert not torch.allclose(a, b, atol=1e-4)
    segment = encoder.segments([sentences[0]], contexts[:1])[0]
    assert len(segment.ids) == 2 + 2 + 3 + 2  # specials, left, sentence, right
    assert [word for word, _, _ in segment.spans] == [0, 1, 2]
    # the same sentence with the context as its own words, read at the same places
    whole = encoder.encode([["hello", "world", "the", "cat", "sat", "the", "dog"]])[0]
    torch.testing.assert_close(framed[0], whole[:, 2:5], atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="contexts"):
        encoder.encode(sentences, contexts[:1])


def test_a_long_context_is_cut_and_the_sentence_kept(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded)
    sentence = ["the", "cat", "sat", "on", "the", "mat"]
    context = (["dog"] * 40, ["ran"] * 40)
    segments = encoder.segments([sentence], [context])
    assert len(segments) == 1 and len(segments[0].ids) == loaded.max_pieces + 2
    assert [word for word, _, _ in segments[0].spans] == list(range(6))
    out = encoder.encode([sentence], [context])[0]
    assert out.shape == (1, 6, 16) and out.isfinite().all()


def test_key_names_weights_layers_and_pooling(loaded: LoadedEncoder) -> None:
    key = WordEncoder(loaded, layers=(-1,), pooling="first").key()
    assert loaded.weights_sha256 in key
    assert key == WordEncoder(loaded, layers=(2,), pooling="first").key()  # -1 is 2 here
    assert key != WordEncoder(loaded, layers=(1,), pooling="first").key()
    assert key != WordEncoder(loaded, layers=(-1,), pooling="mean").key()


def test_states_and_pool_carry_gradients_for_fine_tuning(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, pooling="mean")
    segments = encoder.segments([["the", "unable", "cat"]], None)
    pooled = encoder.pool(encoder.states(segments)[:, 0], segments[0].spans)  # (1, 3, 16)
    torch.testing.assert_close(pooled.detach(), encoder.encode([["the", "unable", "cat"]])[0])
    pooled.sum().backward()
    grad = loaded.model.embeddings.word_embeddings.weight.grad
    loaded.model.zero_grad(set_to_none=True)
    assert grad is not None and grad[loaded.tokenizer.convert_tokens_to_ids("un")].abs().sum() > 0
