"""The tokenizer's character labels: gold labels, decoding, windows, and no lost character."""

from __future__ import annotations

from pathlib import Path

from helpers import write
from hypothesis import given
from hypothesis import strategies as st
from treebank import conllu_paragraphs

from tagger.data.char_labels import (
    LABELS,
    char_dataset,
    decode,
    paragraph_labels,
    sentences_of,
    windows,
)
from tagger.data.raw_text import read_paragraphs


def paragraphs(tmp_path: Path, n: int = 30) -> list:
    return read_paragraphs(write(tmp_path, conllu_paragraphs(n, seed=5), "t.conllu"))


def test_gold_labels_decode_to_the_gold_tokens(tmp_path: Path) -> None:
    for p in paragraphs(tmp_path):
        spans = decode(p.text, paragraph_labels(p))
        assert [(s.start, s.end) for s in spans] == [(t.start, t.end) for t in p.tokens]
        assert [s.multiword for s in spans] == [len(t.words) > 1 for t in p.tokens]
        ends = [k for k, s in enumerate(spans) if s.sentence_end]
        assert ends == p.sentence_ends


def test_labels_by_hand() -> None:
    text = "I don't.Ok"
    labels = ["S", "O", "I", "I", "I", "I", "M", "S", "I", "I"]
    spans = decode(text, labels)
    assert [text[s.start : s.end] for s in spans] == ["I", "don't", ".", "Ok"]
    assert [s.multiword for s in spans] == [False, True, False, False]
    sentences = [[text[s.start : s.end] for s in group] for group in sentences_of(spans)]
    assert sentences == [["I"], ["don't", "."], ["Ok"]]  # the text's end ends a sentence


def test_whitespace_always_separates_tokens() -> None:
    spans = decode("ab cd", ["I", "I", "I", "I", "I"])  # no end predicted at all
    assert [(s.start, s.end) for s in spans] == [(0, 2), (3, 5)]


@given(
    st.text(max_size=60),
    st.lists(st.sampled_from(LABELS), min_size=60, max_size=60),
)
def test_every_character_kept_whatever_the_labels(text: str, labels: list[str]) -> None:
    spans = decode(text, labels[: len(text)])
    tokens = [text[s.start : s.end] for s in spans]
    assert "".join(tokens) == "".join(text.split())
    assert all(t and not any(c.isspace() for c in t) for t in tokens)


def test_windows_cover_every_token_once(tmp_path: Path) -> None:
    for p in paragraphs(tmp_path, 60):
        ranges = list(windows(p, max_chars=40))
        covered = [t for t in p.tokens if any(a <= t.start and t.end <= b for a, b in ranges)]
        assert covered == p.tokens
        assert all(b - a <= 40 or " " not in p.text[a:b] for a, b in ranges)
        assert all(b1 < a2 for (_, b1), (a2, _) in zip(ranges, ranges[1:], strict=False))


def test_char_dataset_rows(tmp_path: Path) -> None:
    ps = paragraphs(tmp_path)
    whole, windowed = char_dataset(ps), char_dataset(ps, max_chars=30)
    assert len(whole) == len(ps) < len(windowed)
    assert "".join(whole[0]["tokens"]) == ps[0].text
