"""Word vectors from a subword encoder: pieces aligned to words, pooled, windowed, batched.

Each word is tokenized with the fast tokenizer (`is_split_into_words=True`, `word_ids()`);
a word with no piece (a control character, a character the normaliser deletes) gets the
unk piece, so no word is ever dropped; a word longer than a window keeps its first pieces.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import torch

from tagger.encoders.load import LoadedEncoder
from tagger.encoders.windows import Window, plan_windows

FORMAT_VERSION = 1  # bump when the features for the same key would change
Pooling = Literal["first", "mean"]
Context = tuple[Sequence[str], Sequence[str]]  # (words before, words after) a sentence


@dataclass(frozen=True)
class Segment:
    """One encoder input: a window of one sentence's sequence, and the words it gives."""

    sentence: int  # index in the input
    ids: list[int]  # piece ids, special tokens included
    spans: list[tuple[int, int, int]]  # (word index in the sentence, first piece, end piece)


class WordEncoder:
    """Sentences of words -> (len(layers), n_words, dim) float32 CPU tensors."""

    def __init__(
        self,
        loaded: LoadedEncoder,
        layers: tuple[int, ...] = (-1,),
        pooling: Pooling = "first",
        batch_pieces: int = 4096,
    ) -> None:
        if pooling not in ("first", "mean"):
            raise ValueError(f"encoder pooling {pooling!r}: expected 'first' or 'mean'")
        if not layers:
            raise ValueError("encoder layers: expected at least one hidden-state index")
        if batch_pieces < 1:
            raise ValueError(f"encoder batch_pieces {batch_pieces}: expected at least 1")
        self.loaded = loaded
        self.layers = tuple(_layer_index(layer, loaded.n_layers) for layer in layers)
        self.pooling = pooling
        self.batch_pieces = batch_pieces
        self.width = loaded.max_pieces
        probe = loaded.tokenizer(["a"], is_split_into_words=True)
        inside = [k for k, word in enumerate(probe.word_ids()) if word is not None]
        self.prefix = probe["input_ids"][: inside[0]]  # e.g. [CLS]
        self.suffix = probe["input_ids"][inside[-1] + 1 :]  # e.g. [SEP]

    def key(self) -> str:
        """What identifies these features, for caches."""
        layers = ",".join(str(layer) for layer in self.layers)
        return (
            f"tagger-words/{FORMAT_VERSION} weights={self.loaded.weights_sha256} "
            f"tokenizer={self.loaded.tokenizer_sha256} layers={layers} "
            f"pooling={self.pooling} window={self.width}"
        )

    def encode(
        self,
        sentences: Sequence[Sequence[str]],
        contexts: Sequence[Context] | None = None,
    ) -> list[torch.Tensor]:
        """One (len(layers), n_words, dim) tensor per sentence, in input order."""
        if contexts is not None and len(contexts) != len(sentences):
            raise ValueError(
                f"encoder contexts: {len(contexts)} given for {len(sentences)} sentences"
            )
        dim = self.loaded.dim
        out = [torch.zeros(len(self.layers), len(words), dim) for words in sentences]
        segments = self.segments(sentences, contexts)
        with torch.inference_mode():
            for batch in self._batches(segments):
                self._run(batch, out)
        return out

    def segments(
        self, sentences: Sequence[Sequence[str]], contexts: Sequence[Context] | None
    ) -> list[Segment]:
        """Every window of every sentence, with the pieces of each word it gives."""
        found: list[Segment] = []
        for index, words in enumerate(sentences):
            left, right = contexts[index] if contexts is not None else ((), ())
            sequence = [*left, *words, *right]
            pieces = self.word_pieces(sequence)
            own = (len(left), len(left) + len(words))
            for window in plan_windows([len(p) for p in pieces], own, self.width):
                found.append(self._segment(index, pieces, window, len(left)))
        return found

    def word_pieces(self, words: Sequence[str]) -> list[list[int]]:
        """The piece ids of each word (at least one: unk; at most a window's width)."""
        pieces: list[list[int]] = [[] for _ in words]
        if words:
            encoded = self.loaded.tokenizer(
                list(words), is_split_into_words=True, add_special_tokens=False, verbose=False
            )
            for piece, word in zip(encoded["input_ids"], encoded.word_ids(), strict=True):
                if word is not None:
                    pieces[word].append(piece)
        tokenizer = self.loaded.tokenizer
        unk = tokenizer.unk_token_id  # None in some byte-level vocabularies
        unk = unk if unk is not None else tokenizer.pad_token_id
        return [p[: self.width] if p else [unk] for p in pieces]

    def _segment(
        self, sentence: int, pieces: list[list[int]], window: Window, skip: int
    ) -> Segment:
        """The ids of `window` with specials; `skip` = context words before the sentence."""
        ids = list(self.prefix)
        spans = []
        owned = set(window.owned)
        for word in range(window.start, window.end):
            if word in owned:
                spans.append((word - skip, len(ids), len(ids) + len(pieces[word])))
            ids.extend(pieces[word])
        return Segment(sentence, ids + list(self.suffix), spans)

    def _batches(self, segments: list[Segment]) -> list[list[Segment]]:
        """Length-sorted batches of at most `batch_pieces` padded pieces (one at least)."""
        ordered = sorted(segments, key=lambda s: len(s.ids), reverse=True)
        batches: list[list[Segment]] = []
        for segment in ordered:
            if batches and len(batches[-1][0].ids) * (len(batches[-1]) + 1) <= self.batch_pieces:
                batches[-1].append(segment)
            else:
                batches.append([segment])
        return batches

    def states(self, batch: list[Segment]) -> torch.Tensor:
        """(len(layers), batch, time, dim) hidden states on the model's device; with
        gradients when called outside inference mode (fine-tuning)."""
        model = self.loaded.model
        device = next(model.parameters()).device
        longest = max(len(s.ids) for s in batch)
        pad = self.loaded.tokenizer.pad_token_id or 0
        ids = torch.full((len(batch), longest), pad, dtype=torch.long)  # (batch, time)
        mask = torch.zeros((len(batch), longest), dtype=torch.long)
        for row, segment in enumerate(batch):
            ids[row, : len(segment.ids)] = torch.tensor(segment.ids)
            mask[row, : len(segment.ids)] = 1
        states = model(input_ids=ids.to(device), attention_mask=mask.to(device)).hidden_states
        return torch.stack([states[layer] for layer in self.layers])

    def _run(self, batch: list[Segment], out: list[torch.Tensor]) -> None:
        """Encode one batch and pool each given word's pieces into `out`."""
        chosen = self.states(batch).float().cpu()  # (layers, batch, time, dim)
        for row, segment in enumerate(batch):
            words = [word for word, _, _ in segment.spans]
            out[segment.sentence][:, words] = self.pool(chosen[:, row], segment.spans)

    def pool(self, states: torch.Tensor, spans: list[tuple[int, int, int]]) -> torch.Tensor:
        """(layers, time, dim) -> (layers, len(spans), dim): first piece or mean of pieces."""
        if self.pooling == "first":
            return states[:, [first for _, first, _ in spans]]
        positions = [k for _, first, end in spans for k in range(first, end)]
        owner = torch.tensor([n for n, (_, a, b) in enumerate(spans) for _ in range(a, b)])
        sizes = torch.tensor([b - a for _, a, b in spans], dtype=states.dtype)
        total = states.new_zeros(states.shape[0], len(spans), states.shape[2])
        total = total.index_add(1, owner.to(states.device), states[:, positions])
        return total / sizes.to(states.device)[None, :, None]


def _layer_index(layer: int, n_layers: int) -> int:
    """A hidden_states index (0 = embeddings, -1 = last) as a non-negative one."""
    index = layer if layer >= 0 else n_layers + 1 + layer
    if not 0 <= index <= n_layers:
        raise ValueError(
            f"encoder layer {layer}: expected -{n_layers + 1}..{n_layers} "
            f"(hidden states of a {n_layers}-layer encoder)"
        )
    return index
