"""Document context for an encoder (FLERT): each sentence's neighbouring words.

With `model.encoder_context = N`, the encoder reads each sentence with up to N words of
the sentences before it and N words of those after it, from the same document only, and
the tagger keeps the sentence's own words (Schweter and Akbik, 2020). Sentences given
together are read as consecutive: a corpus's order, or the lines of one block of text.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from tagger.data.batching import Context

MAX_CONTEXT = 512  # words on each side; more than any encoder window holds


def sentence_contexts(
    sentences: Sequence[Sequence[str]], documents: Sequence[int] | None, size: int
) -> list[Context]:
    """(words before, words after) each sentence: up to `size` each, nearest last/first,
    from neighbouring sentences whose document id is the same (`documents` None: one
    document). `size` 0 gives empty contexts."""
    if documents is not None and len(documents) != len(sentences):
        raise ValueError(f"{len(documents)} document ids for {len(sentences)} sentences")
    if not 0 <= size <= MAX_CONTEXT:
        raise ValueError(f"encoder context {size}: expected 0..{MAX_CONTEXT} words")
    docs = list(documents) if documents is not None else [0] * len(sentences)
    before = _preceding(sentences, docs, size)
    backwards = [list(reversed(words)) for words in reversed(sentences)]
    after = _preceding(backwards, docs[::-1], size)[::-1]  # each reversed
    return [(b, a[::-1]) for b, a in zip(before, after, strict=True)]


def _preceding(
    sentences: Sequence[Sequence[str]], docs: list[int], size: int
) -> list[tuple[str, ...]]:
    """The last `size` words before each sentence in its document, in reading order
    (given sentences and words backwards, the words after, backwards)."""
    found: list[tuple[str, ...]] = []
    window: deque[str] = deque(maxlen=size or 1)
    previous = None
    for words, doc in zip(sentences, docs, strict=True):
        if doc != previous:
            window.clear()
            previous = doc
        found.append(tuple(window) if size else ())
        window.extend(words)
    return found
