"""Gates recomputed from nn.LSTM / nn.GRU weights reproduce the layers' own outputs."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.explain.gates import GRU_PARTS, LSTM_PARTS, outputs, recompute


def packed_outputs(rnn: nn.Module, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """The layer's own outputs on a padded batch, through a packed call (zeros at padding)."""
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, _ = rnn(packed)
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("seed", [0, 1])
def test_recomputed_hidden_states_equal_the_layer(cls: type, layers: int, seed: int) -> None:
    torch.manual_seed(seed)
    dropout = 0.3 if layers > 1 else 0.0
    rnn = cls(7, 5, num_layers=layers, batch_first=True, bidirectional=True, dropout=dropout)
    rnn.eval()
    lengths = torch.tensor([6, 1, 4, 6, 2])
    x = torch.randn(5, 6, 7)
    with torch.no_grad():
        expected = packed_outputs(rnn, x, lengths)
    found = recompute(rnn, x, lengths)
    assert len(found) == layers
    assert (outputs(found) - expected).abs().max() <= 1e-5
    names = LSTM_PARTS if cls is nn.LSTM else GRU_PARTS
    for layer in found:
        for direction in ("forward", "backward"):
            assert tuple(layer[direction]) == names
            for value in layer[direction].values():
                assert value.shape == (5, 6, 5)
                assert value[1, 1:].abs().max() == 0  # padding is zero


def test_lstm_cell_and_hidden_follow_the_equations() -> None:
    torch.manual_seed(3)
    rnn = nn.LSTM(4, 3, batch_first=True, bidirectional=True).eval()
    lengths = torch.tensor([5, 3])
    layer = recompute(rnn, torch.randn(2, 5, 4), lengths)[0]
    fw = layer["forward"]
    previous = torch.cat([torch.zeros(2, 1, 3), fw["cell"][:, :-1]], dim=1)
    cell = fw["forget"] * previous + fw["input"] * fw["candidate"]
    assert torch.allclose(cell[0], fw["cell"][0], atol=1e-6)
    assert torch.allclose(fw["output"] * fw["cell"].tanh(), fw["hidden"], atol=1e-6)
    # The backward direction starts at each sentence's last real token.
    bw = layer["backward"]
    first = bw["input"][1, 2] * bw["candidate"][1, 2]  # c_0 = 0 at position len - 1
    assert torch.allclose(bw["cell"][1, 2], first, atol=1e-6)


def test_bias_free_layers_and_a_unidirectional_one() -> None:
    rnn = nn.LSTM(3, 2, batch_first=True, bidirectional=True, bias=False).eval()
    x, lengths = torch.randn(2, 4, 3), torch.tensor([4, 2])
    with torch.no_grad():
        expected = packed_outputs(rnn, x, lengths)
    assert (outputs(recompute(rnn, x, lengths)) - expected).abs().max() <= 1e-5
    with pytest.raises(ValueError, match="bidirectional"):
        recompute(nn.LSTM(3, 2, batch_first=True), x, lengths)
