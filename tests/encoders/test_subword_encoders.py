"""Encoders whose vocabularies are not WordPiece: a byte-level BPE RoBERTa (as GPT-2's and
roberta-base's) and a SentencePiece-style Unigram XLM-R, both tiny, random and built here.
Each word must read exactly the pieces it has in running text (the prefix space), and its
vector must be the mean of exactly those pieces' states, checked against the model by hand.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest
import torch

from tagger.encoders import LoadedEncoder, WordEncoder, load_encoder
from tagger.predict import Predictor
from tagger.train import train

ENCODERS = ["tiny_roberta", "tiny_xlmr"]  # conftest.py's fixtures
SENTENCES = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["(hello)", "world!", "«Café»"],
    ["naïve", "déjà-vu", "😀"],
    ["don't", "U.S.", "résumé", ","],
    ["🏳️‍🌈", "résumé"],
]  # each within one window (22 pieces) of both vocabularies
ODD = ["", " ", "\x00", "\u200b", "\u0301"]  # words with few or no pieces of their own


@pytest.fixture(scope="module", params=ENCODERS)
def loaded(request: pytest.FixtureRequest) -> LoadedEncoder:
    return load_encoder(str(request.getfixturevalue(request.param)), "cpu")


@functools.cache
def _raw_tokenizer(folder: Path) -> Any:
    """The tokenizer as its files define it, without the prefix space tagger adds."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder, local_files_only=True)


def text_pieces(loaded: LoadedEncoder, text: str) -> list[int]:
    """The piece ids of `text` after a space, as in running text (no special tokens)."""
    return _raw_tokenizer(loaded.folder)(" " + text, add_special_tokens=False)["input_ids"]


def by_hand(loaded: LoadedEncoder, words: list[list[int]]) -> tuple[list[torch.Tensor], list]:
    """Run <s> pieces </s> through the model: each hidden state (time, dim), and each
    word's [first, end) positions."""
    tokenizer = loaded.tokenizer
    ids, spans = [tokenizer.cls_token_id], []
    for pieces in words:
        spans.append((len(ids), len(ids) + len(pieces)))
        ids += pieces
    with torch.inference_mode():
        states = loaded.model(input_ids=torch.tensor([[*ids, tokenizer.sep_token_id]]))
    return [state[0] for state in states.hidden_states], spans


def test_loaded_sizes(loaded: LoadedEncoder) -> None:
    assert (loaded.n_layers, loaded.dim, loaded.max_pieces) == (2, 32, 22)  # 26 - 2 - 2
    assert not loaded.model.training and loaded.tokenizer.is_fast


@pytest.mark.parametrize("words", SENTENCES)
def test_each_word_reads_its_pieces_of_running_text(
    loaded: LoadedEncoder, words: list[str]
) -> None:
    """No word merges with its neighbour: byte-level BPE needs the prefix space for each
    word (transformers 5 would otherwise read "Thedog"), and the pieces of the words,
    concatenated, are those of the sentence's text."""
    pieces = WordEncoder(loaded).word_pieces(words)
    assert pieces == [text_pieces(loaded, word) for word in words]
    assert sum(pieces, []) == text_pieces(loaded, " ".join(words))
    starts = loaded.tokenizer.convert_ids_to_tokens([p[0] for p in pieces])
    assert all(piece[0] in "Ġ▁" for piece in starts), starts


@pytest.mark.parametrize("words", SENTENCES)
def test_a_word_vector_is_the_mean_or_first_of_exactly_its_pieces(
    loaded: LoadedEncoder, words: list[str]
) -> None:
    pieces = [text_pieces(loaded, word) for word in words]
    assert sum(map(len, pieces)) <= loaded.max_pieces  # one window, as the by-hand run
    states, spans = by_hand(loaded, pieces)
    mean = WordEncoder(loaded, layers=(0, -1), pooling="mean").encode([words])[0]
    first = WordEncoder(loaded, layers=(-1,), pooling="first").encode([words])[0]
    assert mean.shape == (2, len(words), 32)
    for word, (a, b) in enumerate(spans):
        torch.testing.assert_close(mean[0, word], states[0][a:b].mean(0))
        torch.testing.assert_close(mean[1, word], states[-1][a:b].mean(0), atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(first[0, word], states[-1][a], atol=1e-5, rtol=1e-5)


def test_a_word_without_pieces_is_unk_and_none_is_dropped(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, pooling="mean")
    words = ["cat", *ODD, "dog"]
    pieces = encoder.word_pieces(words)
    assert pieces[1] == [loaded.tokenizer.unk_token_id]  # "" has no piece in any vocabulary
    assert all(pieces)
    out = encoder.encode([words])[0]
    assert out.shape == (1, len(words), 32) and out.isfinite().all()
    assert (out.abs().sum(-1) > 0).all()


def test_a_very_long_word_keeps_its_first_pieces(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, pooling="mean")
    long_word = "x" * 80
    assert len(text_pieces(loaded, long_word)) > loaded.max_pieces
    kept = text_pieces(loaded, long_word)[: loaded.max_pieces]
    assert encoder.word_pieces(["the", long_word, "cat"])[1] == kept
    out = encoder.encode([["the", long_word, "cat"]])[0]
    assert out.shape == (1, 3, 32) and out.isfinite().all()
    states, _ = by_hand(loaded, [kept])
    torch.testing.assert_close(out[0, 1], states[-1][1:-1].mean(0), atol=1e-5, rtol=1e-5)


def test_a_sentence_over_the_window_keeps_every_word(loaded: LoadedEncoder) -> None:
    encoder = WordEncoder(loaded, layers=(-2, -1), pooling="mean")
    words = ["The", "dog", "sees", "«Café»", "😀", "naïve", "!"] * 5
    segments = encoder.segments([words], None)
    assert len(segments) > 3 and all(len(s.ids) <= loaded.max_pieces + 2 for s in segments)
    assert sorted(word for s in segments for word, _, _ in s.spans) == list(range(len(words)))
    out = encoder.encode([words])[0]
    assert out.shape == (2, len(words), 32) and (out.abs().sum(-1) > 0).all()
    counts = [len(pieces) for pieces in encoder.word_pieces(words)]
    fitting = max(n for n in range(len(words)) if sum(counts[:n]) <= loaded.max_pieces)
    head = encoder.encode([words[:fitting]])[0]  # the first window, read alone
    torch.testing.assert_close(out[:, 0], head[:, 0], atol=1e-5, rtol=1e-5)


def test_batch_equals_single_with_padded_positions(loaded: LoadedEncoder) -> None:
    """RoBERTa numbers positions after its padding index: padding a shorter sentence in a
    batch must not move its words."""
    encoder = WordEncoder(loaded, layers=(1, 2), pooling="mean", batch_pieces=10_000)
    sentences = [*SENTENCES, ["cat"], ["The", "dog", "sees", "😀", "!"] * 6, ["", "dog"]]
    together = encoder.encode(sentences)
    for sentence, batched in zip(sentences, together, strict=True):
        torch.testing.assert_close(batched, encoder.encode([sentence])[0], atol=1e-5, rtol=1e-5)


def test_a_tokenizer_that_joins_pre_split_words_is_refused(tmp_path: Path) -> None:
    """A byte-level BPE whose pre-tokenizer add_prefix_space cannot reach (as Llama 3's)
    would read "a dog" as "adog": refused in one line, naming the folder."""
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(r"\s?\w+|\s?[^\s\w]+|\s+"), "isolated"),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    trainer = trainers.BpeTrainer(special_tokens=["<unk>"], initial_alphabet=alphabet)
    bpe.train_from_iterator(["the dog sees a cat"] * 3, trainer)
    PreTrainedTokenizerFast(tokenizer_object=bpe, unk_token="<unk>").save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"")  # refused before the weights are read
    with pytest.raises(ValueError, match="without the space between them") as error:
        load_encoder(str(tmp_path))
    assert str(error.value).startswith(f"{tmp_path}: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("encoder", ENCODERS)
def test_a_pos_model_trains_and_tags_raw_text(
    encoder: str,
    request: pytest.FixtureRequest,
    tiny_config: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = request.getfixturevalue(encoder)
    monkeypatch.setenv("TAGGER_FEATURE_CACHE", str(tmp_path / "cache"))
    config = tiny_config(
        tmp_path, train={"max_epochs": 3}, encoder=str(folder), encoder_layers="-2,-1"
    )
    train(config, tmp_path / "model", progress=False, plots=False, device="cpu")
    meta = json.loads((tmp_path / "model" / "meta.json").read_text())
    assert meta["encoder"]["name"] == str(folder) and meta["encoder"]["dim"] == 32
    predictor = Predictor.load(tmp_path / "model")
    texts = ["The «big» dog sees a cat!", "Every bird likes this tree 😀. Café naïve."]
    tagged = list(predictor.tag_texts(texts))
    assert [t.tokens for t in tagged][:2] == [
        ["The", "«", "big", "»", "dog", "sees", "a", "cat", "!"],
        ["Every", "bird", "likes", "this", "tree", "😀", "."],
    ]
    tokens = [t.tokens for t in tagged]
    assert [t.tags for t in tagged] == predictor.predict(tokens)
    assert [t.tags for t in tagged] == [predictor.predict([words])[0] for words in tokens]
