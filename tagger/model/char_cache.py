"""Character-model outputs remembered per word type, for tagging (never for training).

A word's character features depend on its characters alone, so at inference time each
distinct word needs the character model once; later batches look the vector up.
"""

from __future__ import annotations

import torch
from torch import nn

from tagger.data.batching import Batch, grown


class CharCache:
    """Vectors of the character model, indexed by the BatchEncoder's type ids."""

    def __init__(self, chars: nn.Module) -> None:
        self.chars = chars
        self.generation = -1
        device = next(chars.parameters()).device  # the cache lives where the model runs
        self.vectors = torch.zeros(0, chars.out_dim, device=device)  # (capacity, out_dim)
        self.ready = torch.zeros(0, dtype=torch.bool, device=device)  # (capacity,)

    @torch.inference_mode()
    def features(self, batch: Batch) -> torch.Tensor:
        """(batch, time, out_dim) character features of every token; padding rows as computed."""
        if batch.types is None:
            raise ValueError("CharCache needs batches from a BatchEncoder (with types)")
        if batch.generation != self.generation:  # the encoder cleared its type table
            self.generation = batch.generation
            self.ready.zero_()
        types = batch.types  # (n_types,) type id of each row of batch.chars
        top = int(types.max()) + 1
        if top > len(self.ready):
            size = max(top, 2 * len(self.ready), 1024)
            self.vectors = grown(self.vectors, size)
            self.ready = grown(self.ready, size)
        missing = ~self.ready[types]
        if bool(missing.any()):
            new = types[missing]
            self.vectors[new] = self.chars(batch.chars[missing], batch.char_lengths[missing])
            self.ready[new] = True
        return self.vectors[types][batch.char_index]
