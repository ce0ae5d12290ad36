"""Raw text into sentences of tokens, with spaCy's rule-based tokenizer and sentencizer.

Tokens are substrings of the input: every non-whitespace character appears in exactly
one token, in order and unchanged; whitespace is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc


class TextTokenizer:
    """Split paragraphs into sentences of token strings; spaCy is loaded on construction."""

    def __init__(self, lang: str = "en") -> None:
        import spacy  # imported here so that importing this module stays light

        self.lang = lang
        self.nlp: Language = spacy.blank(lang)
        self.nlp.add_pipe("sentencizer")

    def sentences(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[list[list[str]]]:
        """For each text, its sentences as lists of tokens; `[]` for a blank text."""
        for doc in self.nlp.pipe(texts, batch_size=batch_size):
            yield _doc_sentences(doc)


def _doc_sentences(doc: Doc) -> list[list[str]]:
    """Sentences of a parsed Doc, without whitespace; sentences left empty are dropped."""
    sentences = []
    for sent in doc.sents:
        # spaCy already splits on every str.isspace() character and marks such runs
        # `is_space`; splitting each token again makes the no-whitespace promise local.
        tokens = [piece for token in sent for piece in token.text.split()]
        if tokens:
            sentences.append(tokens)
    return sentences


def pretokenized(line: str) -> list[str]:
    """One already tokenized sentence per line, tokens separated by whitespace."""
    return line.split()
