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
        self.made_with: tuple = ()  # the parameter versions the vectors were made with
        device = next(chars.parameters()).device  # the cache lives where the model runs
        self.vectors = torch.zeros(0, chars.out_dim, device=device)  # (capacity, out_dim)
        self.ready = torch.zeros(0, dtype=torch.bool, device=device)  # (capacity,)

    @torch.inference_mode()
    def features(self, batch: Batch) -> torch.Tensor:
        """(batch, time, out_dim) character features of every token; padding rows as computed."""
        self.fill(batch)  # ValueError without types
        assert batch.types is not None
        return self.vectors[batch.types][batch.char_index]

    @torch.inference_mode()
    def fill(self, batch: Batch) -> None:
        """Compute the vectors of the batch's types that are not known yet: afterwards
        `vectors[batch.types]` are theirs."""
        if batch.types is None:
            raise ValueError("CharCache needs batches from a BatchEncoder (with types)")
        made_with = parameter_versions(self.chars)
        if batch.generation != self.generation or made_with != self.made_with:
            # the encoder cleared its type table, or the model changed
            self.generation, self.made_with = batch.generation, made_with
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


def parameter_versions(module: nn.Module) -> tuple[tuple[int, int], ...]:
    """Where each parameter lives and its version: changes whenever one is changed in
    place (an optimizer step, load_state_dict) or replaced."""
    return tuple((p.data_ptr(), p._version) for p in module.parameters())
