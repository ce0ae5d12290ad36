"""Sentences -> padded tensors, and batches of similar length."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import torch

from tagger.data.vocab import Vocabs, casing, normalize
from tagger.memory import release_freed_memory

if TYPE_CHECKING:
    from tagger.model.lstm_inference import InputGates

MAX_WORD_CHARS = 30  # longer words keep their first and last 15 characters
FEW_TOKENS = 256  # up to this many tokens, a batch's distinct types are found in Python
MAX_TYPES = 20_000  # the encoder forgets every word type past this many, so memory stays flat


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
    types: torch.Tensor | None = None  # (n_types,) the encoder's type id of each row of `chars`
    generation: int = 0  # which type table `types` refers to (see BatchEncoder.generation)
    char_features: torch.Tensor | None = None  # (batch, time, dim) precomputed character model
    encoder_features: torch.Tensor | None = None  # (batch, layers, time, dim) a pretrained
    # encoder's states of each word (float16 from a cache, or float32)
    encoder_words: list[list[str]] | None = None  # the words, for an encoder the network runs
    # itself (fine-tuned: tagger.encoders.tuned)
    encoder_contexts: list[Context] | None = None  # with encoder_words: each sentence's
    # document context (tagger.encoders.context), None without
    input_gates: InputGates | None = None  # the BiLSTM's first-layer input products,
    # looked up per type by the Predictor's GateCache (tagger.model.gate_cache)

    @property
    def mask(self) -> torch.Tensor:
        """(batch, time) True at real tokens."""
        time = self.words.shape[1]
        return torch.arange(time, device=self.lengths.device)[None, :] < self.lengths[:, None]


class BatchEncoder:
    """Turns token lists into Batches.

    Every distinct word becomes a row of a type table (its word, pretrained and casing ids
    and its character ids), so a batch is built by tensor indexing with no per-token work
    beyond one dict lookup. The table is cleared when it passes `max_types` rows, between
    batches; `generation` counts the clearings, so caches keyed by type id know.
    """

    def __init__(
        self,
        vocabs: Vocabs,
        max_types: int = MAX_TYPES,
        features: WordFeatures | None = None,
        words: bool = False,
    ) -> None:
        """`features`: a pretrained encoder's states of each sentence's words (an encoder,
        or its cache), added to every batch as `encoder_features`; `words`: the words
        themselves go into every batch (`encoder_words`), for a fine-tuned encoder."""
        self.vocabs = vocabs
        self.max_types = max_types
        self.features = features
        self.words = words
        self.generation = 0
        self._clear()

    def _clear(self) -> None:
        self.generation += 1
        self._index: dict[str, int] = {}
        self._pending: list[str] = []
        self._features = torch.zeros(1024, 3, dtype=torch.long)  # word, pretrained, casing
        self._chars = torch.zeros(1024, MAX_WORD_CHARS, dtype=torch.long)
        self._char_lengths = torch.ones(1024, dtype=torch.long)  # row 0: padding, one char 0
        self._rows = 1  # filled rows; row 0 is the padding word

    def _type_ids(self, sentences: Sequence[Sequence[str]]) -> list[int]:
        """The type id of every token, sentence after sentence; new words are added."""
        if self._rows > self.max_types:
            self._clear()
            release_freed_memory()
        words = [w for sentence in sentences for w in sentence]
        get = self._index.get
        flat = [get(w, 0) for w in words]  # 0 is the padding row: no word has it
        if 0 in flat:
            for k in [k for k, row in enumerate(flat) if row == 0]:
                flat[k] = get(words[k]) or self._add(words[k])  # a repeated new word: added once
            self._flush()
        return flat

    def _add(self, word: str) -> int:
        row = self._index[word] = self._rows + len(self._pending)
        self._pending.append(word)
        return row

    def _flush(self) -> None:
        """Write the pending words into the tensor tables."""
        words, self._pending = self._pending, []
        end = self._rows + len(words)
        if end > len(self._features):
            size = max(end, 2 * len(self._features))
            self._features = grown(self._features, size)
            self._chars = grown(self._chars, size)
            self._char_lengths = grown(self._char_lengths, size, fill=1)
        vocabs = self.vocabs
        features, char_rows = [], []
        for word in words:
            key = normalize(word)
            pretrained = vocabs.pretrained.id(key) if vocabs.pretrained else 0
            features.append((vocabs.words.id(key), pretrained, casing(word)))
            chars = word if len(word) <= MAX_WORD_CHARS else word[:15] + word[-15:]
            char_rows.append([vocabs.chars.id(c) for c in chars] or [1])
        self._features[self._rows : end] = torch.tensor(features, dtype=torch.long)
        lengths = [len(ids) for ids in char_rows]
        padded = [ids + [0] * (MAX_WORD_CHARS - len(ids)) for ids in char_rows]
        self._chars[self._rows : end] = torch.tensor(padded, dtype=torch.long)
        self._char_lengths[self._rows : end] = torch.tensor(lengths, dtype=torch.long)
        self._rows = end

    def encode(
        self,
        sentences: Sequence[Sequence[str]],
        tags: Sequence[Sequence[str]] | None = None,
        labels: Sequence[str] | None = None,
        contexts: Sequence[Context] | None = None,
    ) -> Batch:
        """`contexts`: each sentence's document context for the encoder (None: none)."""
        lengths = torch.tensor([len(s) for s in sentences], dtype=torch.long)
        n, time = len(sentences), max(int(lengths.max()) if len(sentences) else 0, 1)
        mask = torch.arange(time)[None, :] < lengths[:, None]  # (batch, time)
        token_types = torch.zeros(n, time, dtype=torch.long)
        flat = self._type_ids(sentences)
        token_types[mask] = torch.tensor(flat, dtype=torch.long)
        features = self._features[token_types]  # (batch, time, 3); padding row is zeros
        if len(flat) <= FEW_TOKENS:  # a sentence or a few: a dict beats five tensor ops
            types, char_index = _first_seen_of_list(flat, mask)
        else:
            types, char_index = _first_seen(token_types, mask)
        char_lengths = self._char_lengths[types]
        chars = self._chars[types, : int(char_lengths.max())]
        gold = None
        if tags is not None:
            gold = torch.zeros(n, time, dtype=torch.long)
            label_id = self.vocabs.labels.id
            gold[mask] = torch.tensor(
                [label_id(t) for sent_tags in tags for t in sent_tags], dtype=torch.long
            )
        return Batch(
            words=features[..., 0],
            pretrained=features[..., 1] if self.vocabs.pretrained else None,
            casing=features[..., 2],
            chars=chars,
            char_lengths=char_lengths,
            char_index=char_index,
            lengths=lengths,
            tags=gold,
            labels=(
                torch.tensor([self.vocabs.labels.id(x) for x in labels])
                if labels is not None
                else None
            ),
            types=types,
            generation=self.generation,
            encoder_features=(
                padded(self.features(sentences, contexts), time) if self.features else None
            ),
            encoder_words=[list(s) for s in sentences] if self.words else None,
            encoder_contexts=list(contexts) if self.words and contexts is not None else None,
        )


Context = tuple[Sequence[str], Sequence[str]]  # (words before, words after) a sentence


class WordFeatures(Protocol):
    """Sentences (and their document contexts) -> one (layers, n_words, dim) tensor each:
    a pretrained encoder's features (tagger.encoders)."""

    def __call__(
        self, sentences: Sequence[Sequence[str]], contexts: Sequence[Context] | None = None
    ) -> list[torch.Tensor]: ...


def padded(features: list[torch.Tensor], time: int) -> torch.Tensor:
    """(batch, layers, time, dim): each sentence's (layers, n_words, dim), zero-padded."""
    layers, _, dim = features[0].shape if features else (1, 0, 1)
    out = torch.zeros(
        len(features), layers, time, dim, dtype=features[0].dtype if features else None
    )
    for row, found in enumerate(features):
        out[row, :, : found.shape[1]] = found
    return out


def _first_seen(token_types: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The distinct types of a batch in order of first appearance, padding first, and the
    row of each token among them: (n_types,), (batch, time).

    The order depends on the batch alone, not on which words the encoder saw before, so
    a resumed training run builds the very same tensors as an uninterrupted one.
    """
    seen = torch.cat([torch.zeros(1, dtype=torch.long), token_types[mask]])  # padding first
    distinct, inverse = torch.unique(seen, return_inverse=True)
    first = torch.full((len(distinct),), len(seen), dtype=torch.long)
    first = first.scatter_reduce(0, inverse, torch.arange(len(seen)), "amin")
    order = first.argsort()
    rank = torch.empty_like(order)
    rank[order] = torch.arange(len(order))
    rows = torch.zeros_like(token_types)
    rows[mask] = rank[inverse[1:]]
    return distinct[order], rows


def _first_seen_of_list(flat: list[int], mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`_first_seen` from the type ids of the real tokens in order (`flat`), in Python."""
    rank = {0: 0}  # padding first
    rows = [rank.setdefault(t, len(rank)) for t in flat]
    char_index = torch.zeros(mask.shape, dtype=torch.long)
    char_index[mask] = torch.tensor(rows, dtype=torch.long)
    return torch.tensor(list(rank), dtype=torch.long), char_index


def grown(table: torch.Tensor, rows: int, fill: int = 0) -> torch.Tensor:
    """`table` with `rows` rows, the new ones set to `fill`."""
    grown = torch.full((rows, *table.shape[1:]), fill, dtype=table.dtype, device=table.device)
    grown[: len(table)] = table
    return grown


def length_batches(
    lengths: Sequence[int],
    batch_size: int,
    rng: random.Random | None = None,
    max_tokens: int | None = None,
) -> list[list[int]]:
    """Indices grouped into batches of similar length; shuffled (ties and order) when rng given.

    A batch holds at most `batch_size` sentences and, with `max_tokens`, at most that many
    padded tokens (longest length x sentences; a longer sentence goes alone): this bounds
    the memory the network's activations take, whatever the input.
    """
    keys = [(n, rng.random() if rng else 0.0, i) for i, n in enumerate(lengths)]
    batches: list[list[int]] = [[]]
    for n, _, i in sorted(keys):  # ascending: the newest sentence is the batch's longest
        batch = batches[-1]
        full = len(batch) >= batch_size
        if batch and (full or (max_tokens is not None and n * (len(batch) + 1) > max_tokens)):
            batches.append(batch := [])
        batch.append(i)
    if not batches[0]:
        return []
    if rng is not None:
        rng.shuffle(batches)
    return batches
