"""Tagging never alters a token: pretokenized lines split on spaces and tabs only, input
lines on LF only, and every output format reads back (with a strict reader of that format,
str.splitlines() included) to the tokens that went in, or refuses what it cannot hold."""

from __future__ import annotations

import gzip
import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.data.lines import input_lines, split_tokens
from tagger.data.sentences import read_label_lines
from tagger.formats import (
    FORBIDDEN,
    FORMATS,
    FormatError,
    SentenceWriter,
    unescape,
    write_classified,
)
from tagger.io import Artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.tag import tag_block, tag_sources
from tagger.training_data import build_vocabs

# Characters that str.split() or str.splitlines() treat as white space or a line break,
# and characters that the formats give a meaning (escapes, pair and MISC separators).
AWKWARD = list("\xa0\x1c\x1d\x1e\x1f\x0b\x0c\x85\u2028\u2029\r\u3000\u200b\x00") + list("\\/|_#=-")
CHARS = st.one_of(
    st.sampled_from(AWKWARD + list("aZé😀")),
    st.characters(codec="utf-8", exclude_characters=" \t\n"),
)
TOKEN = st.text(CHARS, min_size=1, max_size=5)
SEPARATOR = st.text(st.sampled_from(" \t"), min_size=1, max_size=3)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


@st.composite
def lines(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A pretokenized line (tokens between runs of spaces and tabs) and its tokens."""
    tokens = draw(st.lists(TOKEN, max_size=5))
    parts = [draw(st.sampled_from(["", " ", "\t "]))]
    for token in tokens:
        parts += [token, draw(SEPARATOR)]
    return "".join(parts), tokens


LINES = st.lists(lines(), min_size=1, max_size=4)


def untrained(config: Config) -> Predictor:
    """An untrained model over the toy corpus of `config`, built in memory (no training)."""
    if config.task == "pos":
        tokens, tags = as_lists(read_conllu(config.data.train))
        labels = sorted({t for s in tags for t in s})
    else:
        tokens = [text.split() for text in read_label_lines(config.data.train)["text"]]
        labels = ["neg", "pos"]
    vocabs, vectors = build_vocabs(config, tokens, labels)
    torch.manual_seed(0)
    sentence_level = config.task != "pos"
    model = build_model(config.model, vocabs, vectors, sentence_level).eval()
    return Predictor(Artifact(config, vocabs, model), batch_size=3)


@pytest.fixture(scope="module")
def tagger_model(
    tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]
) -> Predictor:
    return untrained(tiny_config(tmp_path_factory.mktemp("tagger")))


@pytest.fixture(scope="module")
def sentence_model(
    tmp_path_factory: pytest.TempPathFactory, tiny_sentiment_config: Callable[..., Config]
) -> Predictor:
    return untrained(tiny_sentiment_config(tmp_path_factory.mktemp("sentiment")))


# --- strict readers, one per format: each line of str.splitlines() is one record ---


def read_conllu_text(text: str) -> list[list[str]]:
    """FORMs per sentence; a token line must have exactly 10 tab-separated columns."""
    return [
        [_columns(line, "\t", 10)[1] for line in block if not line.startswith("#")]
        for block in _blocks(text)
    ]


def read_conll_text(text: str) -> list[list[str]]:
    """Words per sentence; columns split as tagger's CoNLL reader does (spaces, tabs)."""
    return [[_columns(line, "[ \t]+", 2)[0] for line in block] for block in _blocks(text)]


def read_jsonl_text(text: str) -> list[list[str]]:
    return [json.loads(line)["tokens"] for line in text.splitlines()]


def read_text_text(text: str) -> list[list[str]]:
    """Pairs split at single spaces, each at its last `/`, both halves unescaped."""
    sentences = []
    for line in text.splitlines():
        pairs = [pair.rpartition("/") for pair in line.split(" ")] if line else []
        assert all(slash and tag for _, slash, tag in pairs), line
        sentences.append([unescape(token) for token, _, _ in pairs])
    return sentences


READERS = {
    "conllu": read_conllu_text,
    "conll": read_conll_text,
    "jsonl": read_jsonl_text,
    "text": read_text_text,
}


def _columns(line: str, separator: str, n: int) -> list[str]:
    columns = re.split(separator, line)
    assert len(columns) == n, f"{line!r}: {len(columns)} columns, expected {n}"
    return columns


def _blocks(text: str) -> list[list[str]]:
    """Blank-line-separated blocks of a text that ends with a blank line."""
    assert text == "" or text.endswith("\n\n")
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line:
            blocks[-1].append(line)
        else:
            blocks.append([])
    assert blocks[-1] == []
    return blocks[:-1]


def holds(fmt: str, tokens: list[str]) -> bool:
    """Whether `fmt` can hold these tokens (jsonl and text hold any)."""
    forbidden = FORBIDDEN.get(fmt, "")
    return not any(c in forbidden for token in tokens for c in token)


# --- pretokenized lines and input lines ---


@pytest.mark.parametrize("char", AWKWARD[:14])
def test_split_tokens_splits_on_spaces_and_tabs_only(char: str) -> None:
    assert split_tokens(f" \tA{char}B  C\t\tD{char} ") == [f"A{char}B", "C", f"D{char}"]
    assert split_tokens(" \t ") == []


def test_five_tokens_in_five_tags_out(tagger_model: Predictor) -> None:
    """The issue's case: no-break spaces and control separators stay inside tokens."""
    line = "the\xa0dog sees\x1ca\x1fcat .\x0b\u2028 x\rx"
    [sentence] = tag_block(tagger_model, True, False, False, [line, " \t", ""])
    assert sentence.tokens == ["the\xa0dog", "sees\x1ca\x1fcat", ".\x0b\u2028", "x\rx"]
    assert len(sentence.tags) == 4


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_input_lines_break_at_line_feeds_only(tmp_path: Path, suffix: str) -> None:
    inside = "a\rb\x0bc\x0cd\x1ce\x1df\x1eg\x85h\u2028i\u2029j\xa0k"
    data = f"{inside}\n{inside}\r\nlast\r\r\nend\u2028".encode()
    path = tmp_path / f"in{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    # One LF or CRLF ends a line: a CR before a CRLF is the line's own.
    expected = [(1, inside), (2, inside), (3, "last\r"), (4, "end\u2028")]
    assert list(input_lines(path)) == expected


# --- every format reads back to the tokens that went in ---


@SETTINGS
@given(drawn=LINES)
def test_token_formats_keep_every_token(
    tagger_model: Predictor, drawn: list[tuple[str, list[str]]]
) -> None:
    """Tokens out equal tokens in, for each format; conllu and conll refuse, before
    writing anything, a sentence with a token they cannot hold."""
    expected = [tokens for _, tokens in drawn if tokens]
    sentences = tag_block(tagger_model, True, False, False, [line for line, _ in drawn])
    assert [s.tokens for s in sentences] == expected
    for fmt in FORMATS:
        out = io.StringIO()
        writer = SentenceWriter(out, fmt)
        kept = []
        for sentence in sentences:
            before = out.tell()
            if holds(fmt, sentence.tokens):
                writer.write(sentence)
                kept.append(sentence.tokens)
                continue
            with pytest.raises(FormatError, match=f"--format {fmt} cannot hold the token"):
                writer.write(sentence)
            assert out.tell() == before
        assert READERS[fmt](out.getvalue()) == kept, fmt


@SETTINGS
@given(drawn=LINES, split=st.booleans())
def test_sentence_formats_keep_every_line(
    sentence_model: Predictor, drawn: list[tuple[str, list[str]]], split: bool
) -> None:
    """A sentence model's text format is one `label<TAB>text` line per input line, the
    text unescaping to the line; jsonl keeps the line and its tokens."""
    texts = [line for line, tokens in drawn if tokens]
    items = list(sentence_model.classify_texts([line for line, _ in drawn], split, True))
    assert [item.text for item in items] == texts
    assert [item.tokens for item in items] == [tokens for _, tokens in drawn if tokens]
    out = io.StringIO()
    write_classified(items, "text", out)
    records = [line.split("\t") for line in out.getvalue().splitlines()]
    assert all(len(fields) == 2 for fields in records)
    assert [unescape(text) for _, text in records] == texts
    assert {label for label, _ in records} <= {"neg", "pos"}
    out = io.StringIO()
    write_classified(items, "jsonl", out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["text"], r["tokens"]) for r in records] == [(i.text, i.tokens) for i in items]


def test_raw_text_line_with_breaks_is_one_text_record(sentence_model: Predictor) -> None:
    """Not pretokenized: the line with a lone CR, tab, form feed and U+2028 stays one record."""
    line = "a good\rmovie\tis\x0cfine\u2028really \\ ok"
    out = io.StringIO()
    write_classified(sentence_model.classify_texts([line]), "text", out)
    [record] = out.getvalue().splitlines()
    label, text = record.split("\t")
    assert label in ("neg", "pos") and unescape(text) == line


@pytest.mark.parametrize("fmt", FORMATS)
def test_tag_sources_pretokenized(tagger_model: Predictor, fmt: str) -> None:
    """Through `tagger tag`'s loop: no-break spaces and separators stay in their tokens."""
    tokens = ["the\xa0dog", "sees\x1fa", "cat\u00ad", "."]
    out = io.StringIO()
    tag_sources(tagger_model, [["\t".join(tokens), "  "]], out, fmt, pretokenized=True)
    assert READERS[fmt](out.getvalue()) == [tokens]


def test_conllu_refusal_is_one_line(tagger_model: Predictor) -> None:
    out = io.StringIO()
    with pytest.raises(FormatError) as refused:
        tag_sources(tagger_model, [["ok", "a\u2028b c"]], out, "conllu", pretokenized=True)
    message = str(refused.value)
    assert len(message.splitlines()) == 1
    assert "'a\\u2028b'" in message and "sentence 2" in message and "U+2028" in message
