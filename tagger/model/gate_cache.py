"""The first BiLSTM layer's input products remembered per word type, for tagging (never
for training).

Where a token's features depend on its word type alone (no word CNN, no pretrained
encoder), so do the first layer's input products W_ih [x; 1] of both directions. At
inference time each distinct word needs them once, in one product of all the batch's
new types; later batches gather rows of the table, and neither the embeddings nor the
character features of a known word are looked up again. For EWT's fast config (2 x 81
units, 133 input features) those products were about 45% of the BiLSTM's input
products and a sixth of its time (BENCHMARKS.md, issue 27). The tables hold at most
about as many rows as the encoder's type table (MAX_TYPES, 20,000): 2 x 4 x hidden
floats a row, 52 MB for 81 units, 164 MB for 256.
"""

from __future__ import annotations

import torch
from torch import nn

from tagger.data.batching import MAX_TYPES, Batch, grown
from tagger.model.char_cache import CharCache, parameter_versions
from tagger.model.lstm_inference import InputGates


class GateCache:
    """Per word type (the BatchEncoder's type ids), both directions' first-layer input
    products of a model's BiLSTM, for its inference loop (tagger.model.lstm_inference)."""

    def __init__(self, model: nn.Module, chars: CharCache | None) -> None:
        self.model = model
        self.chars = chars  # the character features of new types come from there
        self.generation = -1
        self.made_with: tuple = ()  # W_ih and the embedder's parameter versions of the tables
        width = 4 * model.encoder.hidden
        self.tables = [torch.zeros(0, width), torch.zeros(0, width)]  # (capacity, 4 * hidden)
        self.ready = torch.zeros(0, dtype=torch.bool)  # (capacity,)

    @staticmethod
    def applies(model: nn.Module, device: torch.device) -> bool:
        """Whether a model's first-layer inputs are a function of the word type and its
        BiLSTM takes the inference loop on `device`."""
        embedder, encoder = model.embedder, model.encoder
        rnn = getattr(encoder, "rnn", None)
        return (
            device.type == "cpu"
            and getattr(model, "word_cnn", None) is None
            and embedder.encoder_mix is None
            and embedder.tuned is None
            and type(rnn) is nn.LSTM
            and rnn.proj_size == 0
            and encoder.inference_loop
            and all(p.dtype == torch.float32 for p in model.parameters())
        )

    @torch.inference_mode()
    def inputs(self, batch: Batch) -> InputGates | None:
        """The batch's first-layer input products, making those of new types; None where
        the model is training (its weights move: the tables would go stale)."""
        if self.model.training or batch.types is None:
            return None
        w_ih = self.model.encoder.gate_weights()[0][0]  # (2, in + 1, 4 * hidden)
        made_with = (w_ih, *parameter_versions(self.model.embedder))
        if batch.generation != self.generation or not _same(made_with, self.made_with):
            self.generation, self.made_with = batch.generation, made_with
            self.ready.zero_()
        types = batch.types  # (n_types,) type id of each of the batch's type rows
        top = int(types.max()) + 1
        if top > len(self.ready):  # doubling, up to the type table's usual bound
            size = max(top, min(max(2 * len(self.ready), 1024), MAX_TYPES + 1))
            self.tables = [grown(table, size) for table in self.tables]
            self.ready = grown(self.ready, size)
        missing = ~self.ready[types]
        if bool(missing.any()):
            self._make(batch, missing, w_ih)
        return InputGates((self.tables[0], self.tables[1]), types[batch.char_index])

    def _make(self, batch: Batch, missing: torch.Tensor, w_ih: torch.Tensor) -> None:
        """Fill the tables' rows of the batch's type rows marked `missing`."""
        flat = batch.char_index.reshape(-1)  # each token's type row
        where = torch.zeros(len(missing), dtype=torch.long)  # a token of each type row
        where[flat] = torch.arange(len(flat))
        tokens = where[missing]
        new = batch.types[missing]
        chars = None
        if self.chars is not None:
            self.chars.fill(batch)
            chars = self.chars.vectors[new]
        pretrained = batch.pretrained.reshape(-1)[tokens] if batch.pretrained is not None else None
        x = self.model.embedder.type_features(
            batch.words.reshape(-1)[tokens], pretrained, batch.casing.reshape(-1)[tokens], chars
        )  # (n_new, in)
        rows = torch.cat([x, x.new_ones(len(x), 1)], dim=1)  # the bias row's input
        for d, table in enumerate(self.tables):
            table[new] = rows @ w_ih[d]
        self.ready[new] = True


def _same(a: tuple, b: tuple) -> bool:
    """The same W_ih (the very tensor: it is rebuilt when a parameter changes) and the
    same parameter versions."""
    return len(a) == len(b) > 0 and a[0] is b[0] and a[1:] == b[1:]
