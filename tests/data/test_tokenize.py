"""TextTokenizer keeps every non-whitespace character, in order, in exactly one token."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.data.tokenize import TextTokenizer, pretokenized

# Every character Python's str.split() treats as whitespace, plus common text characters.
WHITESPACE = [chr(c) for c in range(0x3001) if chr(c).isspace()]
COMMON = (
    list(" \t\n\r.,;:!?'\"()[]{}-/$%&@#…«»—")
    + list("aZéüñçøßÆ0123456789")
    + [
        "😀",
        "👍",
        "\U0001f3fd",  # skin-tone modifier
        "\U0001f1ec",  # regional indicators G and B: a flag when adjacent
        "\U0001f1e7",
        "\u200d",  # zero-width joiner, as in emoji sequences
        "\u200b",  # zero-width space: not whitespace for str.split(), so it must be kept
        "\u0301",  # combining acute accent
    ]
)
CHARS = st.one_of(st.sampled_from(WHITESPACE + COMMON), st.characters(codec="utf-8"))


@pytest.fixture(scope="module")
def tokenizer() -> TextTokenizer:
    return TextTokenizer("en")


def tokenize(tokenizer: TextTokenizer, text: str) -> list[list[str]]:
    (sentences,) = tokenizer.sentences([text])
    return sentences


def test_english_sentences_and_tokens(tokenizer: TextTokenizer) -> None:
    text = "Apple is looking at buying U.K. startup for $1 billion. It rains."
    assert tokenize(tokenizer, text) == [
        [
            "Apple",
            "is",
            "looking",
            "at",
            "buying",
            "U.K.",
            "startup",
            "for",
            "$",
            "1",
            "billion",
            ".",
        ],
        ["It", "rains", "."],
    ]


@pytest.mark.parametrize("text", ["", " ", "   ", "\n", "\t \n\r\n", "\u00a0\u3000"])
def test_blank_text_has_no_sentences(tokenizer: TextTokenizer, text: str) -> None:
    assert tokenize(tokenizer, text) == []


def test_newlines_inside_a_text(tokenizer: TextTokenizer) -> None:
    sentences = tokenize(tokenizer, "Hi there.\n\nBye now.\nOk")
    assert sentences == [["Hi", "there", "."], ["Bye", "now", "."], ["Ok"]]


def test_one_result_per_text_in_order(tokenizer: TextTokenizer) -> None:
    texts = ["One.", "", "Two. Three.", "  \n"] * 3
    results = list(tokenizer.sentences(texts, batch_size=2))
    assert results == [[["One", "."]], [], [["Two", "."], ["Three", "."]], []] * 3


def test_pretokenized_splits_on_whitespace() -> None:
    assert pretokenized("  U.K. startup\tfor $1 ") == ["U.K.", "startup", "for", "$1"]
    assert pretokenized("New\xa0York is") == ["New\xa0York", "is"]
    assert pretokenized("") == []


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=CHARS))
def test_tokens_are_the_text_without_whitespace(tokenizer: TextTokenizer, text: str) -> None:
    sentences = tokenize(tokenizer, text)
    tokens = [token for sentence in sentences for token in sentence]
    assert "".join(tokens) == "".join(text.split())
    assert all(sentences)
    assert all(token and token == "".join(token.split()) for token in tokens)


def test_long_texts_are_cut_at_whitespace_and_keep_every_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tagger.data.tokenize.MAX_CHARS", 40)
    words = [f"word{i}" for i in range(60)]
    text = " ".join(words)  # 469 characters: twelve pieces
    (sentences,) = TextTokenizer("en").sentences([text])
    assert [t for s in sentences for t in s] == words


def test_a_text_without_whitespace_is_cut_hard(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tagger.data.tokenize.MAX_CHARS", 10)
    (sentences,) = TextTokenizer("en").sentences(["x" * 25])
    assert "".join(t for s in sentences for t in s) == "x" * 25


def test_one_result_per_text_around_long_and_blank_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tagger.data.tokenize.MAX_CHARS", 20)
    texts = ["", "one two three four five six seven eight", "  ", "nine"]
    results = list(TextTokenizer("en").sentences(texts))
    assert len(results) == 4
    assert results[0] == results[2] == []
    assert [t for s in results[1] for t in s] == texts[1].split()
    assert results[3] == [["nine"]]


def test_spacy_is_renewed_when_its_vocabulary_grows() -> None:
    tokenizer = TextTokenizer("en")
    first = tokenizer.nlp
    tokenizer.max_lexemes = len(first.vocab) + 50  # a blank English pipeline has some already
    texts = [" ".join(f"w{i}x{j}" for j in range(10)) for i in range(20)]  # 200 new words
    assert [t for r in tokenizer.sentences(texts) for s in r for t in s] == " ".join(texts).split()
    assert tokenizer.nlp is first  # renewal happens between calls, never inside one
    assert list(tokenizer.sentences(["The end ."])) == [[["The", "end", "."]]]
    assert tokenizer.nlp is not first
    assert len(tokenizer.nlp.vocab) < len(first.vocab)


@pytest.mark.parametrize("space", ["\t", "\u00a0", "\u3000", "\r"])
def test_long_texts_are_cut_at_any_whitespace(monkeypatch: pytest.MonkeyPatch, space: str) -> None:
    monkeypatch.setattr("tagger.data.tokenize.MAX_CHARS", 40)
    words = [f"word{i}" for i in range(60)]
    (sentences,) = TextTokenizer("en").sentences([space.join(words)])
    assert [t for s in sentences for t in s] == words


@pytest.fixture(scope="module")
def spacy_sentencizer() -> object:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


def spacy_sentences(nlp: object, text: str) -> list[list[str]]:
    """The reference: spaCy's own sentencizer and Doc.sents, whitespace dropped."""
    found = [[p for token in sent for p in token.text.split()] for sent in nlp(text).sents]
    return [sentence for sentence in found if sentence]


TRICKY = [
    'He said "Stop!" Then he left.',
    "Wait... what?! Really?? Yes.",
    "U.S. officials met at 5 p.m. yesterday. They left.",
    "Line one.\n\nLine two!\tThree? (Four.) [Five!] 'Six.'",
    "。これは文です。次の文！",
    "No end punctuation here",
    "!!! ??? ...",
    ". starts with a period. ",
    "Emoji 😀. Next 👍! Done",
]


@pytest.mark.parametrize("text", TRICKY)
def test_sentences_as_spacys_sentencizer_cuts_them(
    tokenizer: TextTokenizer, spacy_sentencizer: object, text: str
) -> None:
    assert tokenize(tokenizer, text) == spacy_sentences(spacy_sentencizer, text)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=CHARS, max_size=80))
def test_any_text_is_cut_as_spacys_sentencizer_cuts_it(
    tokenizer: TextTokenizer, spacy_sentencizer: object, text: str
) -> None:
    assert tokenize(tokenizer, text) == spacy_sentences(spacy_sentencizer, text)
