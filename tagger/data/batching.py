"""Sentences -> padded tensors, and batches of similar length."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tagger.data.vocab import Vocabs, casing, normalize

MAX_WORD_CHARS = 30  # longer words keep their first and last 15 characters


@dataclass
class Batch:
    """Padded tensors for a batch of sentences (padding id 0 everywhere)."""

    words: torch.Tensor  # (batch, time) trainable word ids
    pretrained: torch.Tensor | None  # (batch, time) pretrained vector ids
    casing: torch.Tensor  # (batch, time) casing class ids
    chars: torch.Tensor  # (n_types, max_chars) character ids of each distinct word
    char_lengths: torch.Tensor  # (n_types,)
    char_index: torch.Tensor  # (batch, time) row of `chars` for each token
    lengths: torch.Tensor  # (batch,) sentence lengths
    tags: torch.Tensor | None = None  # (batch, time) gold label ids
    labels: torch.Tensor | None = None  # (batch,) gold sentence label ids

    @property
    def mask(self) -> torch.Tensor:
        """(batch, time) True at real tokens."""
        time = self.words.shape[1]
        return torch.arange(time)[None, :] < self.lengths[:, None]


class BatchEncoder:
    """Turns token lists into Batches; per-word lookups are cached across calls."""

    def __init__(self, vocabs: Vocabs) -> None:
        self.vocabs = vocabs
        self._cache: dict[str, tuple[int, int, int, list[int]]] = {}

    def _word(self, word: str) -> tuple[int, int, int, list[int]]:
        hit = self._cache.get(word)
        if hit is None:
            key = normalize(word)
            pretrained = self.vocabs.pretrained.id(key) if self.vocabs.pretrained else 0
            chars = word if len(word) <= MAX_WORD_CHARS else word[:15] + word[-15:]
            char_ids = [self.vocabs.chars.id(c) for c in chars] or [1]
            hit = (self.vocabs.words.id(key), pretrained, casing(word), char_ids)
            if len(self._cache) < 500_000:
                self._cache[word] = hit
        return hit

    def encode(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]] | None = None,
        labels: Sequence[str] | None = None,
    ) -> Batch:
        n, time = len(sentences), max((len(s) for s in sentences), default=0)
        time = max(time, 1)
        words = torch.zeros(n, time, dtype=torch.long)
        pretrained = torch.zeros(n, time, dtype=torch.long)
        casings = torch.zeros(n, time, dtype=torch.long)
        char_index = torch.zeros(n, time, dtype=torch.long)
        types: dict[str, int] = {"": 0}  # row 0: a padding word
        type_chars: list[list[int]] = [[0]]
        for i, sentence in enumerate(sentences):
            ids = [self._word(w) for w in sentence]
            if not ids:
                continue
            length = len(ids)
            words[i, :length] = torch.tensor([x[0] for x in ids])
            pretrained[i, :length] = torch.tensor([x[1] for x in ids])
            casings[i, :length] = torch.tensor([x[2] for x in ids])
            rows = []
            for word, x in zip(sentence, ids, strict=True):
                row = types.get(word)
                if row is None:
                    row = types[word] = len(type_chars)
                    type_chars.append(x[3])
                rows.append(row)
            char_index[i, :length] = torch.tensor(rows)
        char_lengths = torch.tensor([len(c) for c in type_chars])
        chars = torch.zeros(len(type_chars), int(char_lengths.max()), dtype=torch.long)
        for row, ids in enumerate(type_chars):
            chars[row, : len(ids)] = torch.tensor(ids)
        gold = None
        if tags is not None:
            gold = torch.zeros(n, time, dtype=torch.long)
            for i, sent_tags in enumerate(tags):
                if sent_tags:
                    gold[i, : len(sent_tags)] = torch.tensor(
                        [self.vocabs.labels.id(t) for t in sent_tags]
                    )
        return Batch(
            words=words,
            pretrained=pretrained if self.vocabs.pretrained else None,
            casing=casings,
            chars=chars,
            char_lengths=char_lengths,
            char_index=char_index,
            lengths=torch.tensor([len(s) for s in sentences], dtype=torch.long),
            tags=gold,
            labels=(
                torch.tensor([self.vocabs.labels.id(x) for x in labels])
                if labels is not None
                else None
            ),
        )


def length_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random | None = None
) -> list[list[int]]:
    """Indices grouped into batches of similar length; shuffled (ties and order) when rng given."""
    keys = [(n, rng.random() if rng else 0.0, i) for i, n in enumerate(lengths)]
    order = [i for _, _, i in sorted(keys)]
    batches = [order[k : k + batch_size] for k in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches
