"""One Tokenizer protocol, texts -> sentences of tokens, and the choice of a tokenizer.

Two kinds implement it: spaCy's rules in a language (tagger.data.tokenize.TextTokenizer),
whose sentences are token lists, and a trained tokenize model
(tagger.tokenizer.trained.TrainedTokenizer), whose sentences also know their layout in
the text (surface tokens, multi-word tokens, spacing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Protocol

from tagger.data.segments import Sentence

if TYPE_CHECKING:
    import torch

    from tagger.io import Artifact

TextSentence = Sentence | list[str]  # a sentence with its layout known, or its words only


class Tokenizer(Protocol):
    """Splits raw texts into sentences of tokens."""

    def sentences(self, texts: Sequence[str]) -> Iterable[list[TextSentence]]:
        """For each text, in order, its sentences (`[]` for a blank text)."""
        ...


def make_tokenizer(
    artifact: Artifact | None, lang: str, device: str | torch.device = "cpu"
) -> Tokenizer:
    """The trained tokenizer of a tokenize model's `artifact` (on `device`), else spaCy's
    rules for `lang`. Each is imported here: spaCy and the network load only when used."""
    if artifact is not None:
        from tagger.tokenizer.trained import TrainedTokenizer

        return TrainedTokenizer(artifact, device)
    from tagger.data.tokenize import TextTokenizer

    return TextTokenizer(lang)


def sentence_words(sentence: TextSentence) -> list[str]:
    """The words a sentence gives the tagger."""
    return sentence.words if isinstance(sentence, Sentence) else sentence


def sentence_text(sentence: TextSentence) -> str:
    """A sentence's text: its own where known, else its words joined by spaces."""
    return sentence.text if isinstance(sentence, Sentence) else " ".join(sentence)
