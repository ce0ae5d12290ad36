"""The BiLSTM forward at inference: batched input products, one loop per direction.

torch's packed LSTM does, per direction and time step, a small input product, a small
hidden product and about ten separate gate operations, each on freshly allocated
memory. Here, per layer:

- the input-to-gate products of every token, with the bias folded in as a column of
  ones, are one large matrix product per direction;
- each direction then steps through time with one in-place hidden product and five
  in-place gate operations on reused buffers (the backward direction reads each
  sentence mirrored, so both walk the same time-major packed rows);
- with two or more torch threads the two directions run at once, each on half the
  threads, instead of splitting every small product between all of them.

The weights and the arithmetic are nn.LSTM's, so outputs equal it up to float
rounding (tests/model/test_lstm_inference.py). BiLSTMEncoder uses this only without
gradients; training and ONNX export keep nn.LSTM.
"""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import torch
from torch import nn


class Gates:
    """One direction of one layer in fp32: [W_ih^T ; b_ih + b_hh] and W_hh^T, gates i f o g.

    Gates are reordered from torch's i f g o so the three sigmoid gates are one slice.
    """

    def __init__(self, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor) -> None:
        self.hidden = w_hh.shape[1]
        self.w_ih = torch.cat([w_ih.t(), bias.unsqueeze(0)]).detach()  # (in + 1, 4h)
        self.w_hh = w_hh.t().contiguous().detach()  # (h, 4h)

    def inputs(self, rows: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        """[x ; 1] @ [W_ih^T ; b] for rows of [x ; 1], in `out` or a new tensor."""
        return torch.mm(rows, self.w_ih, out=out)

    def recurrent(self, states: torch.Tensor, gates: torch.Tensor) -> None:
        """gates += h @ W_hh^T."""
        gates.addmm_(states, self.w_hh)


class Int8Gates(Gates):
    """The same in int8: weights quantized per gate row, activations per product (dynamic).

    The products are torch's dynamic quantized linear (torch.ao.nn.quantized.dynamic),
    the arithmetic of `quantize_dynamic` on nn.LSTM; only the loop around them differs.
    """

    def __init__(self, w_ih: torch.Tensor, w_hh: torch.Tensor, bias: torch.Tensor) -> None:
        self.hidden = w_hh.shape[1]
        engine = int8_engine()
        # fbgemm keeps activations to 7 bits against int16 overflow, as torch's own modules
        self.reduce_range = engine != "onednn"
        with quantized_engine(engine):
            self.w_ih = _int8_linear(w_ih, bias)
            self.w_hh = _int8_linear(w_hh, None)

    def inputs(self, rows: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
        return torch.ops.quantized.linear_dynamic(rows[:, :-1], self.w_ih, self.reduce_range)

    def recurrent(self, states: torch.Tensor, gates: torch.Tensor) -> None:
        gates.add_(torch.ops.quantized.linear_dynamic(states, self.w_hh, self.reduce_range))


def int8_engine() -> str:
    """oneDNN where the CPU has VNNI (AMX too on recent Xeons), else torch's default.

    Weights packed under oneDNN run with oneDNN whatever the engine is later.
    """
    vnni = getattr(torch.cpu, "_is_vnni_supported", lambda: False)()
    if vnni and "onednn" in torch.backends.quantized.supported_engines:
        return "onednn"
    return torch.backends.quantized.engine


@contextmanager
def quantized_engine(engine: str) -> Iterator[None]:
    before = torch.backends.quantized.engine
    torch.backends.quantized.engine = engine
    try:
        yield
    finally:
        torch.backends.quantized.engine = before


def _int8_linear(weight: torch.Tensor, bias: torch.Tensor | None) -> object:
    """Packed int8 weight (symmetric, one scale per output row) for linear_dynamic."""
    weight = weight.detach().float()
    scales = (weight.abs().amax(dim=1) / 127).clamp(min=1e-8).double()
    zeros = torch.zeros(len(weight), dtype=torch.long)
    with warnings.catch_warnings():  # quantized tensors are deprecated for torchao; work
        warnings.simplefilter("ignore")
        q = torch.quantize_per_channel(weight, scales, zeros, 0, torch.qint8)
    return torch.ops.quantized.linear_prepack(q, None if bias is None else bias.detach())


Weights = list[tuple[Gates, Gates]]  # per layer: forward, backward


def gate_weights(lstm: nn.LSTM, int8: bool = False) -> Weights:
    """Per layer, the forward and the backward direction's Gates (Int8Gates with int8)."""
    hidden = lstm.hidden_size
    kind = Int8Gates if int8 else Gates

    def reordered(w: torch.Tensor) -> torch.Tensor:
        i, f, g, o = w.split(hidden)
        return torch.cat([i, f, o, g])

    layers = []
    for layer in range(lstm.num_layers):
        directions = []
        for suffix in ("", "_reverse"):
            name = f"l{layer}{suffix}"
            bias = torch.zeros(4 * hidden)
            if lstm.bias:
                bias = getattr(lstm, f"bias_ih_{name}") + getattr(lstm, f"bias_hh_{name}")
            w_ih = reordered(getattr(lstm, f"weight_ih_{name}"))
            w_hh = reordered(getattr(lstm, f"weight_hh_{name}"))
            directions.append(kind(w_ih, w_hh, reordered(bias)))
        layers.append((directions[0], directions[1]))
    return layers


def packing(lengths: torch.Tensor) -> tuple[list[int], torch.Tensor, torch.Tensor, torch.Tensor]:
    """Time-major packed order of a batch sorted by length, longest first.

    Step t's tokens are the rows offsets[t] : offsets[t] + active[t], sentence by
    sentence. Returns active, each row's (sentence, position), and `mirror`: the row of
    the same sentence's position len - 1 - t, where the backward direction reads it.
    """
    steps = int(lengths[0])
    grid = torch.arange(steps).unsqueeze(1) < lengths.unsqueeze(0)  # (steps, batch)
    position, sentence = grid.nonzero(as_tuple=True)
    counts = grid.sum(dim=1)
    offsets = torch.cumsum(counts, 0) - counts
    mirror = offsets[lengths[sentence] - 1 - position] + sentence
    return counts.tolist(), sentence, position, mirror


class Workspace(threading.local):
    """Buffers reused from call to call, one set per thread.

    A fresh allocation of tens of MB costs a page fault per 4 KB on first touch, about
    as much time as the gate arithmetic. The buffers grow to the largest batch seen.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> torch.Tensor:
        size = 1
        for n in shape:
            size *= n
        buffer = self.buffers.get(name)
        if buffer is None or buffer.numel() < size:
            buffer = self.buffers[name] = torch.empty(size)
        return buffer[:size].view(shape)

    def rows(self, name: str, tokens: int, width: int) -> torch.Tensor:
        """(2, tokens, width + 1): [0] forward-order rows, [1] mirrored, [..., width] for 1.

        Rows are padded to 64 bytes so every matrix product reads aligned rows. Views of
        one name share memory whatever their width: set the ones column just before use.
        """
        stride = -(-(width + 1) // 16) * 16
        return self.get(name, (2, tokens, stride))[..., : width + 1]


_workspace = Workspace()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _second_thread() -> ThreadPoolExecutor:
    """One worker thread for the backward direction; a fresh one after a fork."""
    global _pool
    if _pool is None or _pool[0] != os.getpid():
        _pool = (os.getpid(), ThreadPoolExecutor(1, thread_name_prefix="tagger-lstm"))
    return _pool[1]


CHUNK_ROWS = 512  # input products are made this many rows ahead: still in cache when used


def _recur(
    inputs: torch.Tensor,
    weights: Gates,
    gates: torch.Tensor,
    states: torch.Tensor,
    cell: torch.Tensor,
    scratch: torch.Tensor,
    active: list[int],
) -> None:
    """One direction of one layer through time: rows (tokens, in + 1) -> states (tokens, h)."""
    hidden = weights.hidden
    ready = start = previous = block_start = 0
    block = gates
    for t, b in enumerate(active):
        if start + b > ready:  # the input products of the next steps, CHUNK_ROWS or more
            ready, step = start, t
            while step < len(active) and ready - start < CHUNK_ROWS:
                ready, step = ready + active[step], step + 1
            block, block_start = weights.inputs(inputs[start:ready], gates[start:ready]), start
        g = block[start - block_start : start - block_start + b]
        if t:
            weights.recurrent(states[previous : previous + b], g)
        g[:, : 3 * hidden].sigmoid_()
        g[:, 3 * hidden :].tanh_()
        i, f, o, candidate = g.split(hidden, dim=1)
        c = cell[:b]
        if t:
            c.mul_(f).addcmul_(i, candidate)
        else:
            torch.mul(i, candidate, out=c)
        torch.tanh(c, out=scratch[:b])
        torch.mul(o, scratch[:b], out=states[start : start + b])
        previous, start = start, start + b


def bilstm_forward(weights: Weights, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """(batch, time, in) -> (batch, time, 2*hidden), zeros past each sentence's length.

    Lengths under 1 count as 1, as in BiLSTMEncoder.
    """
    batch, time, width = x.shape
    hidden = weights[0][0].hidden
    out = x.new_zeros(batch * time, 2 * hidden)  # an ordinary tensor, whatever the mode
    with torch.inference_mode():  # the workspace holds inference tensors
        lengths = lengths.clamp(min=1)
        order = torch.argsort(lengths, descending=True, stable=True)
        active, sentence, position, mirror = packing(lengths[order])
        tokens = len(sentence)
        forward_rows = order[sentence] * time + position  # each row's place in batch * time
        places = (forward_rows, forward_rows[mirror])  # and the backward direction's
        space = _workspace
        buffers = [space.rows("layer_0", tokens, width)]
        for layer in range(len(weights)):
            buffers.append(space.rows(f"layer_{(layer + 1) % 2}", tokens, 2 * hidden))
        gates = space.get("gates", (2, tokens, 4 * hidden))
        cell = space.get("cell", (2, batch, hidden))
        scratch = space.get("scratch", (2, batch, hidden))
        last = len(weights) - 1

        def layer(index: int, d: int, threads: int = 0) -> None:
            """Direction d of one layer, from gathering its rows to placing its states."""
            if threads:
                torch.set_num_threads(threads)
            with torch.inference_mode():
                rows, outputs = buffers[index], buffers[index + 1]
                if index == 0:
                    torch.index_select(x.reshape(-1, width), 0, places[d], out=rows[d, :, :width])
                rows[d, :, -1] = 1  # the bias row's input
                # forward states go to outputs[0][:, :hidden], backward ones to [1][:, hidden:]
                mine = slice(d * hidden, (d + 1) * hidden)
                states = outputs[d, :, mine]
                _recur(rows[d], weights[index][d], gates[d], states, cell[d], scratch[d], active)
                if index < last:  # the other direction's rows of the next layer
                    torch.index_select(states, 0, mirror, out=outputs[1 - d, :, mine])
                else:
                    out[:, mine].index_copy_(0, places[d], states)

        threads = torch.get_num_threads()
        for index in range(len(weights)):
            if threads == 1:
                layer(index, 0)
                layer(index, 1)
                continue
            torch.set_num_threads(threads - threads // 2)
            try:
                other = _second_thread().submit(layer, index, 1, threads // 2)
                layer(index, 0)
                other.result()
            finally:
                torch.set_num_threads(threads)
    return out.view(batch, time, 2 * hidden)
