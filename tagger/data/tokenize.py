"""Raw text into sentences of tokens, with spaCy's rule-based tokenizer and sentencizer.

Tokens are substrings of the input: every non-whitespace character appears in exactly
one token, in order and unchanged; whitespace is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING

from tagger.data.lines import split_tokens
from tagger.memory import release_freed_memory

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


MAX_CHARS = 100_000  # longer texts are tokenized in pieces cut at whitespace
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)  # greedy: ends after the last whitespace
SENTENCIZER = ["sentencizer"]
MAX_LEXEMES = 50_000  # spaCy's vocabulary grows with every new word; start afresh past this


class TextTokenizer:
    """Split paragraphs into sentences of token strings; spaCy is loaded on construction.

    Memory stays flat on endless input: the spaCy pipeline is built anew (between calls of
    `sentences`) once its vocabulary passes MAX_LEXEMES, and a text longer than MAX_CHARS
    (spaCy refuses those) is cut at whitespace into pieces tokenized one after another.
    """

    def __init__(self, lang: str = "en", max_lexemes: int = MAX_LEXEMES) -> None:
        self.lang = lang
        self.max_lexemes = max_lexemes
        self._load()

    def _load(self) -> None:
        import spacy  # imported here so that importing this module stays light

        self.nlp: Language = spacy.blank(self.lang)
        # Its rule is applied by _doc_sentences, on arrays: as spaCy's pipe, faster.
        self._punct_chars = frozenset(self.nlp.add_pipe("sentencizer").punct_chars)

    def sentences(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[list[str]]]:
        """For each text, its sentences as lists of tokens; `[]` for a blank text."""
        if len(self.nlp.vocab) > self.max_lexemes:
            self._load()
            release_freed_memory()
        pieces = ((piece, (k, piece)) for k, text in enumerate(texts) for piece in _pieces(text))
        # The tokenizer alone: the sentencizer's rule is applied to arrays (_doc_sentences).
        docs = self.nlp.pipe(pieces, batch_size=batch_size, as_tuples=True, disable=SENTENCIZER)
        punct = self._punct_chars
        for _, group in groupby(docs, key=lambda found: found[1][0]):
            yield [
                sentence
                for doc, (_, piece) in group
                for sentence in _doc_sentences(doc, punct, piece)
            ]


def _pieces(text: str) -> Iterator[str]:
    """`text`, or for a text over MAX_CHARS, consecutive pieces of it cut after whitespace."""
    while len(text) > MAX_CHARS:
        last_space = _UP_TO_LAST_SPACE.match(text, 0, MAX_CHARS)
        cut = last_space.end() if last_space else MAX_CHARS  # no whitespace: a hard cut
        yield text[:cut]
        text = text[cut:]
    yield text


def _doc_sentences(doc: Doc, punct_chars: frozenset[str], text: str) -> list[list[str]]:
    """Sentences of a Doc that spaCy's tokenizer made of `text`, as spaCy's sentencizer
    cuts them, without whitespace; sentences left empty are dropped. Read from arrays and
    the text itself: no Token object is made (`doc.text` would make one per token)."""
    from spacy.attrs import IDX, IS_PUNCT, LENGTH

    if not len(doc):
        return []
    rows = doc.to_array([IDX, LENGTH, IS_PUNCT]).tolist()
    words = [text[start : start + length] for start, length, _ in rows]
    starts = sentence_starts(words, [punct for *_, punct in rows], punct_chars)
    sentences = []
    for start, end in zip(starts, [*starts[1:], len(words)], strict=True):
        # spaCy already splits on every str.isspace() character and marks such runs
        # `is_space`; splitting the tokens again makes the no-whitespace promise local.
        tokens = " ".join(words[start:end]).split()
        if tokens:
            sentences.append(tokens)
    return sentences


def sentence_starts(
    words: list[str], is_punct: list[int], punct_chars: frozenset[str]
) -> list[int]:
    """Where sentences start, by the rule of spaCy's Sentencizer.predict: after a token of
    `punct_chars`, the next token that is neither punctuation nor such a token starts one."""
    starts: list[int] = []
    start, seen_period = 0, False
    for i, word in enumerate(words):
        in_chars = word in punct_chars
        if seen_period and not is_punct[i] and not in_chars:
            starts.append(start)
            start, seen_period = i, False
        elif in_chars:
            seen_period = True
    starts.append(start)
    return starts


def pretokenized(line: str) -> list[str]:
    """One already tokenized sentence per line, tokens separated by spaces and tabs."""
    return split_tokens(line)
