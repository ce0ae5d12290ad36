"""Predictor.tag_texts and tag_tokens never lose, add, change or reorder a token."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.io import Artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.training_data import build_vocabs

# Whitespace of every kind, punctuation that spaCy splits off, and text beyond ASCII.
WHITESPACE = [chr(c) for c in range(0x3001) if chr(c).isspace()]
COMMON = list(" \t\n\r.,;:!?'\"()-/$%&@#…«»—") + list("aZéüñçß09") + ["😀", "\u200b", "\u0301"]
# codec="utf-8": no lone surrogates, which no decoded input file can contain.
CHARS = st.one_of(st.sampled_from(WHITESPACE + COMMON), st.characters(codec="utf-8"))
TEXTS = st.lists(st.text(CHARS, max_size=30), max_size=5)
TOKENS = st.lists(st.lists(st.text(CHARS, max_size=6), max_size=6), max_size=5)


@pytest.fixture(scope="module")
def predictor(
    tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]
) -> Predictor:
    """An untrained tiny model over the toy corpus's vocabularies, built in memory."""
    config = tiny_config(tmp_path_factory.mktemp("predict"))
    tokens, tags = as_lists(read_conllu(config.data.train))
    vocabs, vectors = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    torch.manual_seed(0)
    model = build_model(config.model, vocabs, vectors).eval()
    return Predictor(Artifact(config, vocabs, model), batch_size=3)


def no_whitespace(texts: list[str]) -> str:
    return "".join("".join(texts).split())


@pytest.mark.parametrize(
    "texts",
    [[], [""], [" ", "\n\t", "\u3000"], ["The dog sees a cat.", "", "Zoë runs!  Bye."]],
)
def test_tag_texts_examples(predictor: Predictor, texts: list[str]) -> None:
    sentences = list(predictor.tag_texts(texts))
    assert "".join(t for s in sentences for t in s.tokens) == no_whitespace(texts)


def test_tag_texts_splits_sentences(predictor: Predictor) -> None:
    sentences = list(predictor.tag_texts(["The dog sees a cat. A bird finds the tree!"]))
    assert [s.tokens for s in sentences] == [
        ["The", "dog", "sees", "a", "cat", "."],
        ["A", "bird", "finds", "the", "tree", "!"],
    ]
    assert all(tag in predictor.labels for s in sentences for tag in s.tags)


@settings(max_examples=50, deadline=None)
@given(texts=TEXTS, chunk=st.sampled_from([1, 2, 1024]))
def test_tag_texts_keeps_every_token(predictor: Predictor, texts: list[str], chunk: int) -> None:
    sentences = list(predictor.tag_texts(iter(texts), chunk=chunk))
    assert "".join(t for s in sentences for t in s.tokens) == no_whitespace(texts)
    for sentence in sentences:
        assert sentence.tokens and len(sentence.tags) == len(sentence.tokens)
        assert not any(c.isspace() for t in sentence.tokens for c in t)
        assert set(sentence.tags) <= set(predictor.labels)


@settings(max_examples=50, deadline=None)
@given(sentences=TOKENS, chunk=st.sampled_from([1, 2, 4096]))
def test_tag_tokens_returns_the_given_tokens(
    predictor: Predictor, sentences: list[list[str]], chunk: int
) -> None:
    tagged = list(predictor.tag_tokens(iter(sentences), chunk=chunk))
    assert [s.tokens for s in tagged] == sentences
    assert [len(s.tags) for s in tagged] == [len(s) for s in sentences]
    assert [s.tags for s in tagged] == predictor.predict(sentences)


def test_tag_texts_uses_the_model_language(predictor: Predictor) -> None:
    list(predictor.tag_texts(["x"]))
    assert predictor._tokenizer is not None and predictor._tokenizer.lang == "en"


def test_tag_lines_streams_input_and_output(predictor: Predictor) -> None:
    """Output of the first block is written before the input is read much further (three
    blocks: a tagger that read all its input first would have read 3 * BLOCK_LINES)."""
    from tagger.tag import BLOCK_LINES, tag_sources

    consumed = 0
    at_first_write: list[int] = []

    def lines() -> Iterator[str]:
        nonlocal consumed
        for i in range(3 * BLOCK_LINES):
            consumed += 1
            yield f"the dog {i} ."

    class Out(io.StringIO):
        def write(self, text: str) -> int:
            if not at_first_write:
                at_first_write.append(consumed)
            return super().write(text)

    out = Out()
    tag_sources(predictor, [lines()], out, "text")
    assert at_first_write and at_first_write[0] <= 2 * BLOCK_LINES
    assert out.getvalue().count("\n") == 3 * BLOCK_LINES


def test_predict_inside_and_outside_inference_mode(predictor: Predictor) -> None:
    """The encoder's type table may be grown in either mode, in any order."""
    fresh = Predictor(predictor.artifact, batch_size=3)
    words = [[f"w{i}", "the", f"x{i}"] for i in range(1200)]  # the type table grows
    with torch.inference_mode():
        inside = fresh.predict(words[:600])  # grown in inference mode
    outside = fresh.predict(words)  # then written to outside it
    assert outside[:600] == inside
    with torch.no_grad():
        assert fresh.predict(words[600:]) == outside[600:]
