"""The BiLSTM forward at inference: batched input products, one loop per direction.

torch's packed LSTM does, per direction and time step, a small input product, a small
hidden product and about ten separate gate operations, each on freshly allocated
memory. Here, per layer:

- the input-to-gate products, with the bias folded in as a column of ones, are made
  for CHUNK_ROWS tokens at a time, a little ahead of the loop that needs them (large
  products, still in cache when read);
- each direction steps through time with one in-place hidden product and six gate
  operations, in place or into reused buffers (the backward direction reads each
  sentence mirrored, so both walk the same time-major packed rows);
- with two or more torch threads the two directions run at once, each on half the
  threads, instead of splitting every small product between all of them.

The weights and the arithmetic are nn.LSTM's, so outputs equal it up to float
rounding (tests/model/test_lstm_inference.py). BiLSTMEncoder uses this only without
gradients; training and ONNX export keep nn.LSTM.
"""

from __future__ import annotations

import functools
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from tagger.model.lstm_one import recur_one
from tagger.model.workspace import Workspace
from tagger.parallel import thread_pool

Weights = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: ([W_ih^T ; bias], W_hh^T)


def gate_weights(lstm: nn.LSTM) -> Weights:
    """Per layer, both directions stacked: ([W_ih^T ; b_ih + b_hh], W_hh^T).

    Gates are reordered from torch's i f g o to i f o g, so the three sigmoid gates
    are one contiguous slice.
    """
    hidden = lstm.hidden_size

    def reordered(w: torch.Tensor) -> torch.Tensor:
        i, f, g, o = w.split(hidden)
        return torch.cat([i, f, o, g])

    layers = []
    for layer in range(lstm.num_layers):
        ih, hh = [], []
        for suffix in ("", "_reverse"):
            name = f"l{layer}{suffix}"
            bias = torch.zeros(4 * hidden)
            if lstm.bias:
                bias = getattr(lstm, f"bias_ih_{name}") + getattr(lstm, f"bias_hh_{name}")
            w_ih = reordered(getattr(lstm, f"weight_ih_{name}")).t()
            ih.append(torch.cat([w_ih, reordered(bias).unsqueeze(0)]))
            hh.append(reordered(getattr(lstm, f"weight_hh_{name}")).t())
        layers.append((torch.stack(ih).detach(), torch.stack(hh).contiguous().detach()))
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


Placing = tuple[list[int], torch.Tensor, tuple[torch.Tensor, torch.Tensor]]


def _placing(lengths: torch.Tensor, time: int) -> Placing:
    """`packing` of a (batch,) of lengths, unsorted: active, mirror, and the place in
    batch * time of each forward row and of each backward row."""
    order = torch.argsort(lengths, descending=True, stable=True)
    active, sentence, position, mirror = packing(lengths[order])
    forward_rows = order[sentence] * time + position  # each row's place in batch * time
    return active, mirror, (forward_rows, forward_rows[mirror])


@functools.lru_cache(maxsize=256)
def _one_sentence(time: int) -> Placing:
    """`_placing` of one sentence of `time` tokens, made once per length (the tensors are
    only read: index_select, index_copy_)."""
    with torch.inference_mode():
        return _placing(torch.tensor([time]), time)


_workspace = Workspace()
CHUNK_ROWS = 512  # input products are made this many rows ahead: still in cache when used


def _recur(
    inputs: torch.Tensor,
    w_ih: torch.Tensor,
    w_hh: torch.Tensor,
    gates: torch.Tensor,
    states: torch.Tensor,
    cell: torch.Tensor,
    scratch: torch.Tensor,
    active: list[int],
    chunk: int,
    ready: int,
) -> None:
    """One direction of one layer through time: rows (tokens, in + 1) -> states (tokens, h).

    The input products of the first `ready` rows are already in `gates` (all of them for
    a first layer read from a GateCache; then `inputs` is not read). Written for
    TorchScript (see `_compiled_recur`), which runs it without the GIL.
    """
    hidden = w_hh.shape[0]
    start = 0
    previous = 0
    for t in range(len(active)):
        b = active[t]
        if start + b > ready:
            end = min(max(start + b, ready + chunk), inputs.shape[0])
            torch.mm(inputs[ready:end], w_ih, out=gates[ready:end])
            ready = end
        g = gates[start : start + b]
        if t > 0:
            g.addmm_(states[previous : previous + b], w_hh)
        g[:, : 3 * hidden].sigmoid_()
        g[:, 3 * hidden :].tanh_()
        i = g[:, :hidden]
        f = g[:, hidden : 2 * hidden]
        o = g[:, 2 * hidden : 3 * hidden]
        candidate = g[:, 3 * hidden :]
        c = cell[:b]
        if t > 0:
            c.mul_(f).addcmul_(i, candidate)
        else:
            torch.mul(i, candidate, out=c)
        torch.tanh(c, out=scratch[:b])
        torch.mul(o, scratch[:b], out=states[start : start + b])
        previous = start
        start = start + b


_scripted: Callable[..., None] | None = None
_script_lock = threading.Lock()


def _compiled_recur() -> Callable[..., None]:
    """`_recur` compiled by TorchScript, or `_recur` itself where that cannot be done.

    TorchScript runs the loop without holding the GIL, so the two direction threads
    step truly at once (on 2 threads 295-310 GFLOP/s against 284-296 for the Python
    loop in the same passes, BENCHMARKS.md; on 1 thread about the same). It needs the
    module's source, and torch has deprecated TorchScript: a frozen application, or a
    torch without it, gets the Python loop, with the same results.
    """
    global _scripted
    with _script_lock:
        if _scripted is None:
            _scripted = _script(_recur)
        return _scripted


_scripted_one: Callable[..., None] | None = None


def _compiled_one() -> Callable[..., None]:
    """lstm_one.recur_one (one sentence's loop), compiled as `_compiled_recur` says."""
    global _scripted_one
    with _script_lock:
        if _scripted_one is None:
            _scripted_one = _script(recur_one)
        return _scripted_one


def _script(function: Callable[..., None]) -> Callable[..., None]:
    """`function` compiled by TorchScript, or itself where that cannot be done."""
    try:
        with warnings.catch_warnings():  # deprecated in favour of torch.compile
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.script(function)
    except Exception:  # noqa: BLE001 - any failure to compile leaves the Python loop
        return function


@dataclass
class InputGates:
    """A first layer's input products, looked up per word type (tagger.model.gate_cache):
    `tables[d][k]` is direction d's W_ih [x; 1] for type k, `types` each token's k."""

    tables: tuple[torch.Tensor, torch.Tensor]  # each (n_types, 4 * hidden), gates i f o g
    types: torch.Tensor  # (batch, time) row of the tables of each token; padding: any row


def bilstm_forward(
    weights: Weights, x: torch.Tensor | InputGates, lengths: torch.Tensor
) -> torch.Tensor:
    """(batch, time, in) -> (batch, time, 2*hidden), zeros past each sentence's length.

    `x` is the first layer's input, or its input products already made (InputGates).
    Lengths under 1 count as 1, as in BiLSTMEncoder.
    """
    first = x if isinstance(x, InputGates) else None
    batch, time = first.types.shape if first is not None else x.shape[:2]
    hidden = weights[0][1].shape[1]
    out = torch.zeros(batch * time, 2 * hidden)  # an ordinary tensor, whatever the mode
    with torch.inference_mode():  # the workspace holds inference tensors
        if batch == 1 and int(lengths[0]) == time:  # one sentence, as services send
            active, mirror, places = _one_sentence(time)
        else:
            active, mirror, places = _placing(lengths.clamp(min=1), time)
        tokens = len(mirror)
        space = _workspace
        width = 0
        if first is None:
            width = x.shape[2]
            buffers = [space.rows("layer_0", tokens, width)]
        else:  # each direction's rows of the table, in its reading order
            types = first.types.reshape(-1)
            buffers = [torch.stack([types.index_select(0, places[d]) for d in (0, 1)])]
        for layer in range(len(weights)):
            buffers.append(space.rows(f"layer_{(layer + 1) % 2}", tokens, 2 * hidden))
        gates = space.get("gates", (2, tokens, 4 * hidden))
        cell = space.get("cell", (2, batch, hidden))
        scratch = space.get("scratch", (2, batch, hidden))
        last = len(weights) - 1
        recur = _compiled_recur()
        one = _compiled_one() if batch == 1 and tokens <= CHUNK_ROWS else None

        def layer(index: int, d: int, threads: int = 0) -> None:
            """Direction d of one layer, from gathering its rows to placing its states."""
            if threads:
                torch.set_num_threads(threads)
            with torch.inference_mode():
                rows, outputs = buffers[index][d], buffers[index + 1]
                w_ih, w_hh = weights[index]
                ready = 0  # rows whose input products are in gates[d] already
                if index == 0 and first is not None:
                    torch.index_select(first.tables[d], 0, rows, out=gates[d])
                    rows, ready = gates[d], tokens  # `rows` is not read any more
                else:
                    if index == 0:
                        x_rows = x.reshape(-1, width)
                        torch.index_select(x_rows, 0, places[d], out=rows[:, :width])
                    rows[:, -1] = 1  # the bias row's input
                # forward states go to outputs[0][:, :hidden], backward ones to [1][:, hidden:]
                mine = slice(d * hidden, (d + 1) * hidden)
                states = outputs[d, :, mine]
                if one is not None:  # one sentence: the same steps, views made once
                    one(rows, w_ih[d], w_hh[d], gates[d], states, cell[d], scratch[d], not ready)
                else:
                    recur(
                        rows,
                        w_ih[d],
                        w_hh[d],
                        gates[d],
                        states,
                        cell[d],
                        scratch[d],
                        active,
                        CHUNK_ROWS,
                        ready,
                    )
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
                other = thread_pool("tagger-lstm", 1).submit(layer, index, 1, threads // 2)
                layer(index, 0)
                other.result()
            finally:
                torch.set_num_threads(threads)
    return out.view(batch, time, 2 * hidden)
