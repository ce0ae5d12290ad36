"""The tokenizer's task: one label per character of raw text, and back to tokens.

Each character is labelled on where it stands: `I` inside a token that goes on, `E` the
last character of a token, `S` the last character of a sentence's last token, `M` and
`T` the same two for a multi-word token, `O` whitespace. Whitespace always ends a token
when decoding, whatever its label, so every non-whitespace character of the input lands
in exactly one token, in order and unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tagger.data.raw_text import Paragraph

if TYPE_CHECKING:  # `datasets` is imported only to build a corpus, never to tag
    from datasets import Dataset

INSIDE, END, SENTENCE, MULTI, MULTI_SENTENCE, SPACE = "I", "E", "S", "M", "T", "O"
LABELS = (END, INSIDE, MULTI, SPACE, SENTENCE, MULTI_SENTENCE)
_ENDS = {END: (False, False), SENTENCE: (False, True), MULTI: (True, False)}
_ENDS[MULTI_SENTENCE] = (True, True)
MAX_WINDOW = 400  # training text is cut into windows of at most this many characters


@dataclass(frozen=True)
class TokenSpan:
    """A decoded token: characters [start, end) of the text; ends a sentence or not."""

    start: int
    end: int
    multiword: bool = False
    sentence_end: bool = False


def model_chars(text: str) -> list[str]:
    """The model's input: one item per character, every whitespace character as a space."""
    return [" " if c.isspace() else c for c in text]


def paragraph_labels(paragraph: Paragraph) -> list[str]:
    """The gold label of every character of the paragraph's text."""
    labels = [SPACE if c.isspace() else INSIDE for c in paragraph.text]
    ends = set(paragraph.sentence_ends)
    for k, token in enumerate(paragraph.tokens):
        multi, sentence = len(token.words) > 1, k in ends
        last = token.end - 1
        if sentence:
            labels[last] = MULTI_SENTENCE if multi else SENTENCE
        else:
            labels[last] = MULTI if multi else END
    return labels


def decode(text: str, labels: Sequence[str]) -> list[TokenSpan]:
    """The tokens that `labels` (one per character of `text`) mark; the text's last token
    always ends a sentence."""
    if len(text) != len(labels):
        raise ValueError(f"{len(text)} characters but {len(labels)} labels")
    spans: list[TokenSpan] = []
    start = None
    for i, char in enumerate(text):
        if char.isspace():
            if start is not None:
                spans.append(TokenSpan(start, i))
                start = None
            continue
        if start is None:
            start = i
        end = _ENDS.get(labels[i])
        if end is not None:
            spans.append(TokenSpan(start, i + 1, *end))
            start = None
    if start is not None:
        spans.append(TokenSpan(start, len(text)))
    if spans and not spans[-1].sentence_end:
        last = spans[-1]
        spans[-1] = TokenSpan(last.start, last.end, last.multiword, True)
    return spans


def sentences_of(spans: Sequence[TokenSpan]) -> Iterator[list[TokenSpan]]:
    """Decoded tokens grouped into sentences."""
    sentence: list[TokenSpan] = []
    for span in spans:
        sentence.append(span)
        if span.sentence_end:
            yield sentence
            sentence = []
    if sentence:
        yield sentence


def windows(paragraph: Paragraph, max_chars: int = MAX_WINDOW) -> Iterator[tuple[int, int]]:
    """Character ranges of the paragraph, whole sentences of at most `max_chars` together; a
    longer sentence is cut between tokens (a token longer than that goes alone)."""
    tokens, ends = paragraph.tokens, set(paragraph.sentence_ends)
    start = 0  # index of the window's first token
    for k in range(len(tokens)):
        last_of_paragraph = k == len(tokens) - 1
        too_long = tokens[k].end - tokens[start].start > max_chars
        if too_long and k > start:
            cut = max((j for j in range(start, k) if j in ends), default=k - 1)
            yield tokens[start].start, tokens[cut].end
            start = cut + 1
        if last_of_paragraph:
            yield tokens[start].start, tokens[k].end


def char_dataset(paragraphs: Sequence[Paragraph], max_chars: int = 0) -> Dataset:
    """Characters and labels of every paragraph, or (with `max_chars`) of every window."""
    chars: list[list[str]] = []
    tags: list[list[str]] = []
    for paragraph in paragraphs:
        labels = paragraph_labels(paragraph)
        ranges = windows(paragraph, max_chars) if max_chars else [(0, len(paragraph.text))]
        for start, end in ranges:
            chars.append(model_chars(paragraph.text[start:end]))
            tags.append(labels[start:end])
    from tagger.data.dataset import token_dataset

    return token_dataset(chars, tags, label_names=LABELS)
