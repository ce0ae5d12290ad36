"""A trained tokenizer: raw text -> sentences of tokens (multi-word ones expanded), by a
tokenize model's character labels.

Every character of the input is accounted for: each non-whitespace character is in
exactly one token, in order and unchanged, and each token records whether whitespace
follows it, so the text can be rebuilt from the output.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from tagger.data.char_labels import TokenSpan, decode, model_chars, sentences_of
from tagger.data.multiword import Multiwords
from tagger.data.segments import Sentence, Token
from tagger.devices import resolve_device
from tagger.io import Artifact, read_tokenizer, require_tokenizer
from tagger.labeller import Labeller

# A long text is labelled in overlapping pieces: CORE characters whose labels are kept, with
# CONTEXT characters of the text before and after them. Pieces of similar length fill wide
# batches (MAX_BATCH_CHARS characters), which the LSTM steps through in few time steps.
CORE = 320
CONTEXT = 64
MAX_BATCH_CHARS = 65536


class TrainedTokenizer:
    """Splits texts into sentences with a tokenize model (see tagger.data.char_labels);
    a Labeller labels the characters."""

    def __init__(
        self, artifact: Artifact, device: str | torch.device = "cpu", batch_size: int = 512
    ) -> None:
        require_tokenizer(artifact, "tokenizer")
        self.artifact = artifact
        device = device if isinstance(device, torch.device) else resolve_device(device)
        self.labeller = Labeller(
            artifact, device, batch_size=batch_size, max_tokens=MAX_BATCH_CHARS
        )
        self.label_names = artifact.vocabs.labels.items
        self.multiwords = Multiwords.from_json(artifact.vocabs.multiword)

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu") -> TrainedTokenizer:
        return cls(read_tokenizer(path), device)

    def sentences(self, texts: Sequence[str]) -> list[list[Sentence]]:
        """For each text, its sentences (`[]` for a blank text)."""
        pieces: list[tuple[int, int, int, int, int]] = []  # text, piece start/end, core
        for k, text in enumerate(texts):
            pieces += [(k, *piece) for piece in _pieces(len(text))]
        labelled = self.labeller.label_ids([model_chars(texts[k][a:b]) for k, a, b, _, _ in pieces])
        labels: list[list[str]] = [[] for _ in texts]
        for (k, start, _, core, end), (ids, _) in zip(pieces, labelled, strict=True):
            labels[k] += [self.label_names[i] for i in ids[core - start : end - start]]
        return [self._sentences(t, t_labels) for t, t_labels in zip(texts, labels, strict=True)]

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
        multiword = span.multiword or self.multiwords.is_usual(surface)
        words = self.multiwords.expand(surface) if multiword else (surface,)
        space_after = span.end == len(text) or text[span.end].isspace()
        return Token(surface, words, space_after)


def _pieces(length: int) -> Iterator[tuple[int, int, int, int]]:
    """(start, end, core start, core end) of pieces of a text of `length` characters: the
    cores cover it end to end, each piece adds up to CONTEXT characters on either side,
    so that every character is labelled in the middle of some context."""
    if length <= CORE + 2 * CONTEXT:
        yield 0, length, 0, length
        return
    for core in range(0, length, CORE):
        end = min(core + CORE, length)
        yield max(0, core - CONTEXT), min(length, end + CONTEXT), core, end
