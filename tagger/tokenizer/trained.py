"""A trained tokenizer: raw text -> sentences of tokens (multi-word ones expanded), by a
tokenize model's character labels.

Every character of the input is accounted for: each non-whitespace character is in
exactly one token, in order and unchanged, and each token records whether whitespace
follows it, so the text can be rebuilt from the output.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from tagger.data.char_labels import SPACE, TokenSpan, decode, model_chars, sentences_of
from tagger.data.multiword import Multiwords
from tagger.data.segments import Sentence, Token
from tagger.io import Artifact, read_tokenizer

if TYPE_CHECKING:
    from tagger.predict import Predictor

MAX_PIECE = 2000  # characters labelled in one go; a longer text is cut after whitespace
_UP_TO_LAST_SPACE = re.compile(r".*\s", re.DOTALL)


class TrainedTokenizer:
    """Splits texts into sentences with a tokenize model (see tagger.data.char_labels)."""

    def __init__(
        self, artifact: Artifact, device: str | torch.device = "cpu", batch_size: int = 512
    ) -> None:
        from tagger.predict import Predictor  # the Predictor tags with one of these

        if artifact.config.task != "tokenize":
            raise ValueError(f"a tokenizer is a tokenize model, not a {artifact.config.task} one")
        self.predictor: Predictor = Predictor(artifact, batch_size=batch_size, device=device)
        self.multiwords = Multiwords.from_json(artifact.vocabs.multiword)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> TrainedTokenizer:
        return cls(read_tokenizer(path), device)

    def sentences(self, texts: Sequence[str]) -> list[list[Sentence]]:
        """For each text, its sentences (`[]` for a blank text)."""
        pieces: list[tuple[int, int, int]] = []  # text index, start, end
        for k, text in enumerate(texts):
            pieces += [(k, start, end) for start, end in _pieces(text)]
        labelled = self.predictor.predict([model_chars(texts[k][s:e]) for k, s, e in pieces])
        labels: list[list[str]] = [[] for _ in texts]
        for (k, start, end), piece_labels in zip(pieces, labelled, strict=True):
            labels[k] += piece_labels or [SPACE] * (end - start)
        return [
            self._sentences(text, text_labels)
            for text, text_labels in zip(texts, labels, strict=True)
        ]

    def _sentences(self, text: str, labels: list[str]) -> list[Sentence]:
        return [
            Sentence(
                tokens=tuple(self._token(text, span) for span in spans),
                text=text[spans[0].start : spans[-1].end],
            )
            for spans in sentences_of(decode(text, labels))
        ]

    def _token(self, text: str, span: TokenSpan) -> Token:
        surface = text[span.start : span.end]
        words = self.multiwords.expand(surface) if span.multiword else (surface,)
        space_after = span.end == len(text) or text[span.end].isspace()
        return Token(surface, words, space_after)


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of consecutive pieces covering `text`, each of at most MAX_PIECE
    characters and cut after whitespace where there is some."""
    start = 0
    while len(text) - start > MAX_PIECE:
        last_space = _UP_TO_LAST_SPACE.match(text, start, start + MAX_PIECE)
        end = last_space.end() if last_space else start + MAX_PIECE
        yield start, end
        start = end
    yield start, len(text)
