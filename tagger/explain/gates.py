"""The gates of nn.LSTM and nn.GRU, recomputed from their weights.

torch's recurrent layers return only hidden states, so every gate is recomputed here
step by step with the layer's own weights and arithmetic (torch's gate order: i f g o
for the LSTM, r z n for the GRU; `_reverse` weights for the backward direction, which
starts at each sentence's last real token). The recomputed hidden states equal the
layer's outputs up to float rounding (tests/explain/test_gates.py). Pure tensor code:
no sentences, no labels. Padding positions are zero in every returned tensor.
"""

from __future__ import annotations

import torch
from torch import nn

from tagger.model.mirrored import mirror_index, mirrored

LSTM_PARTS = ("input", "forget", "output", "candidate", "cell", "hidden")
GRU_PARTS = ("reset", "update", "candidate", "hidden")
DIRECTIONS = ("forward", "backward")

Direction = dict[str, torch.Tensor]  # part name -> (batch, time, hidden)
Layer = dict[str, Direction]  # "forward" / "backward" -> its parts


def parts_of(rnn: nn.Module) -> tuple[str, ...]:
    """The names recompute gives for each direction of this layer type."""
    return LSTM_PARTS if isinstance(rnn, nn.LSTM) else GRU_PARTS


@torch.no_grad()
def recompute(rnn: nn.LSTM | nn.GRU, x: torch.Tensor, lengths: torch.Tensor) -> list[Layer]:
    """Every gate, the cell and the hidden state of a batch_first bidirectional LSTM/GRU,
    layer by layer from the input up (eval mode: no dropout between layers).

    x: (batch, time, in) padded input; lengths: (batch,) real tokens per sentence.
    """
    if not (rnn.bidirectional and rnn.batch_first) or getattr(rnn, "proj_size", 0):
        raise ValueError("expected a batch_first bidirectional nn.LSTM or nn.GRU without proj")
    x = x.float()
    time = x.shape[1]
    real = (torch.arange(time, device=x.device)[None, :] < lengths[:, None]).unsqueeze(-1)
    index = mirror_index(lengths, time)
    layers: list[Layer] = []
    for layer in range(rnn.num_layers):
        forward = _direction(rnn, x, layer, "")
        backward = {
            k: mirrored(v, index)
            for k, v in _direction(rnn, mirrored(x, index), layer, "_reverse").items()
        }
        layers.append(
            {
                "forward": {k: v * real for k, v in forward.items()},
                "backward": {k: v * real for k, v in backward.items()},
            }
        )
        x = torch.cat([layers[-1]["forward"]["hidden"], layers[-1]["backward"]["hidden"]], -1)
    return layers


def outputs(layers: list[Layer]) -> torch.Tensor:
    """The top layer's [forward ; backward] hidden states: (batch, time, 2*hidden), what
    the recurrent layer itself returns."""
    top = layers[-1]
    return torch.cat([top["forward"]["hidden"], top["backward"]["hidden"]], dim=-1)


def _weights(rnn: nn.Module, layer: int, suffix: str) -> tuple[torch.Tensor, ...]:
    """W_ih, W_hh, b_ih, b_hh of one direction of one layer (zero biases without bias)."""
    w_ih = getattr(rnn, f"weight_ih_l{layer}{suffix}").float()
    w_hh = getattr(rnn, f"weight_hh_l{layer}{suffix}").float()
    if rnn.bias:
        b_ih = getattr(rnn, f"bias_ih_l{layer}{suffix}").float()
        b_hh = getattr(rnn, f"bias_hh_l{layer}{suffix}").float()
    else:
        b_ih = b_hh = w_ih.new_zeros(w_ih.shape[0])
    return w_ih, w_hh, b_ih, b_hh


def _direction(rnn: nn.Module, x: torch.Tensor, layer: int, suffix: str) -> Direction:
    """One direction over x in its own reading order: each part (batch, time, hidden)."""
    w_ih, w_hh, b_ih, b_hh = _weights(rnn, layer, suffix)
    hidden = rnn.hidden_size
    batch, time, _ = x.shape
    projected = x @ w_ih.t() + b_ih  # (batch, time, gates * hidden)
    h = x.new_zeros(batch, hidden)
    c = x.new_zeros(batch, hidden)
    steps: dict[str, list[torch.Tensor]] = {name: [] for name in parts_of(rnn)}
    for t in range(time):
        recurrent = h @ w_hh.t() + b_hh  # (batch, gates * hidden)
        if isinstance(rnn, nn.LSTM):
            i, f, g, o = (projected[:, t] + recurrent).split(hidden, dim=-1)
            i, f, g, o = i.sigmoid(), f.sigmoid(), g.tanh(), o.sigmoid()
            c = f * c + i * g
            h = o * c.tanh()
            found = {"input": i, "forget": f, "output": o, "candidate": g, "cell": c}
        else:
            x_r, x_z, x_n = projected[:, t].split(hidden, dim=-1)
            h_r, h_z, h_n = recurrent.split(hidden, dim=-1)
            r = (x_r + h_r).sigmoid()
            z = (x_z + h_z).sigmoid()
            n = (x_n + r * h_n).tanh()
            h = (1 - z) * n + z * h
            found = {"reset": r, "update": z, "candidate": n}
        found["hidden"] = h
        for name, value in found.items():
            steps[name].append(value)
    return {name: torch.stack(values, dim=1) for name, values in steps.items()}
