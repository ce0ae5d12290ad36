"""Bidirectional RNNs over padded batches, one fused call per direction (CPU training).

torch's CPU LSTM takes oneDNN's fused kernels only for padded input; a packed batch
falls back to a loop of small products per time step, 2.6x slower to train on the EWT
batches (BENCHMARKS.md, "Training speed"). One bidirectional call over padded input
would start the backward direction on padding, so each direction is a call of its own:
the forward one reads the batch as it is, the backward one reads every sentence mirrored
within its length. Padding stays at the end of both, after every real token, so it
reaches no real output. The weights are nn.LSTM's (or nn.GRU's), and so are the results,
up to float rounding (tests/model/test_mirrored.py).
"""

from __future__ import annotations

import torch
from torch import nn

from tagger.model.dropout import dropout

CHAR_GROUPS = 2  # character sequences run in this many groups of similar length


def mirror_index(lengths: torch.Tensor, time: int) -> torch.Tensor:
    """(batch, time) position read at each step of the mirrored sentence: len-1-t on real
    tokens, t itself on padding. Applying it twice gives back the original order."""
    steps = torch.arange(time, device=lengths.device).unsqueeze(0)  # (1, time)
    last = (lengths.clamp(min=1) - 1).unsqueeze(1)  # (batch, 1)
    return torch.where(steps <= last, last - steps, steps)


def mirrored(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """(batch, time, dim) with each sentence's real tokens in reverse order."""
    return x.gather(1, index.unsqueeze(-1).expand_as(x))


def _direction(rnn: nn.RNNBase, x: torch.Tensor, layer: int, suffix: str) -> torch.Tensor:
    """One direction of one layer, padded: (batch, time, in) -> (batch, time, hidden)."""
    names = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if rnn.bias else [])
    weights = [getattr(rnn, f"{n}_l{layer}{suffix}") for n in names]
    h0 = x.new_zeros(1, x.shape[0], rnn.hidden_size)
    if isinstance(rnn, nn.LSTM):
        return torch.lstm(x, (h0, h0), weights, rnn.bias, 1, 0.0, rnn.training, False, True)[0]
    return torch.gru(x, h0, weights, rnn.bias, 1, 0.0, rnn.training, False, True)[0]


def bidirectional(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """nn.LSTM/nn.GRU (batch_first, bidirectional) over a padded batch:
    (batch, time, in) -> (batch, time, 2*hidden), zeros at padding, as a packed call gives."""
    index = mirror_index(lengths, x.shape[1])
    for layer in range(rnn.num_layers):
        if layer:
            x = dropout(x, rnn.dropout, rnn.training)  # as nn.LSTM, between layers
        forward = _direction(rnn, x, layer, "")
        backward = mirrored(_direction(rnn, mirrored(x, index), layer, "_reverse"), index)
        x = torch.cat([forward, backward], dim=-1)
    # An empty sentence reads one padding step, as the packed call (lengths clamped to 1).
    real = torch.arange(x.shape[1], device=x.device)[None, :] < lengths.clamp(min=1)[:, None]
    return x * real.unsqueeze(-1)  # (batch, time, 2*hidden)


def final_states(rnn: nn.LSTM, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Final states of a one-layer bidirectional LSTM over padded sequences: the forward
    direction at each sequence's last step, the backward one at its first.
    (n, time, in) -> (n, 2*hidden).

    Sequences are sorted by length and run in CHAR_GROUPS groups, each cut to its own
    longest, so short words do not step through the padding of long ones.
    """
    lengths = lengths.clamp(min=1)
    order = lengths.argsort()
    parts = []
    for rows in order.tensor_split(min(CHAR_GROUPS, len(order))):
        group_lengths = lengths[rows]
        group = x[rows, : int(group_lengths.max())]  # (rows, group_time, in)
        last = (group_lengths - 1).view(-1, 1, 1).expand(-1, 1, rnn.hidden_size)
        forward = _direction(rnn, group, 0, "").gather(1, last)
        mirror = mirror_index(group_lengths, group.shape[1])
        # The mirrored sequence's last step is the backward direction's final state.
        backward = _direction(rnn, mirrored(group, mirror), 0, "_reverse").gather(1, last)
        parts.append(torch.cat([forward, backward], dim=-1).squeeze(1))
    states = torch.cat(parts)  # (n, 2*hidden), rows in `order`
    return states[order.argsort()]


def applies(rnn: nn.Module, x: torch.Tensor) -> bool:
    """Whether a call may take this path: a float nn.LSTM/nn.GRU on the CPU, not being
    traced or exported (the ONNX graph keeps the packed call)."""
    return (
        type(rnn) in (nn.LSTM, nn.GRU)
        and getattr(rnn, "proj_size", 0) == 0
        and x.device.type == "cpu"
        and x.numel() > 0
        and not torch.jit.is_tracing()
        and not torch.jit.is_scripting()
        and not torch.onnx.is_in_onnx_export()
    )
