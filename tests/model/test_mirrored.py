"""The CPU training path: one call per direction over padded batches equals packed nn.LSTM."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.model import mirrored
from tagger.model.dropout import Dropout, dropout
from tagger.model.embeddings import CharLSTM
from tagger.model.encoder import BiLSTMEncoder

LENGTHS = torch.tensor([7, 1, 4, 7, 2])


def packed(rnn: nn.RNNBase, x: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    out, _ = rnn(pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False))
    return pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])[0]


def test_mirror_index_reverses_real_tokens_and_keeps_padding() -> None:
    index = mirrored.mirror_index(torch.tensor([3, 1, 0]), 4)
    assert index.tolist() == [[2, 1, 0, 3], [0, 1, 2, 3], [0, 1, 2, 3]]
    x = torch.arange(12.0).view(3, 4, 1)
    assert torch.equal(mirrored.mirrored(mirrored.mirrored(x, index), index), x)


@pytest.mark.parametrize("cls", [nn.LSTM, nn.GRU])
@pytest.mark.parametrize("layers", [1, 2])
def test_bidirectional_equals_packed_outputs_and_gradients(cls: type, layers: int) -> None:
    torch.manual_seed(0)
    rnn = cls(5, 6, num_layers=layers, batch_first=True, bidirectional=True)
    x = torch.randn(len(LENGTHS), int(LENGTHS.max()), 5, requires_grad=True)
    weights = torch.randn(len(LENGTHS), int(LENGTHS.max()), 12)  # a loss that reads every state

    expected = packed(rnn, x, LENGTHS)
    expected_grads = torch.autograd.grad((expected * weights).sum(), [x, *rnn.parameters()])
    got = mirrored.bidirectional(rnn, x, LENGTHS)
    got_grads = torch.autograd.grad((got * weights).sum(), [x, *rnn.parameters()])

    assert got.shape == (len(LENGTHS), int(LENGTHS.max()), 12)  # (batch, time, 2*hidden)
    assert torch.allclose(got, expected, atol=1e-5)
    for g, e in zip(got_grads, expected_grads, strict=True):
        assert torch.allclose(g, e, atol=1e-4)


def test_the_backward_half_sees_later_tokens_only() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(3, 4, batch_first=True, bidirectional=True)
    x = torch.randn(1, 5, 3)
    changed = x.clone()
    changed[0, 4] += 1.0  # the last token
    a = mirrored.bidirectional(rnn, x, torch.tensor([5]))
    b = mirrored.bidirectional(rnn, changed, torch.tensor([5]))
    assert torch.allclose(a[0, :4, :4], b[0, :4, :4])  # forward half before it: unchanged
    assert not torch.allclose(a[0, 0, 4:], b[0, 0, 4:])  # backward half at the first token


def test_padding_reaches_no_real_output() -> None:
    torch.manual_seed(0)
    rnn = nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True)
    x = torch.randn(2, 6, 3)
    noisy = x.clone()
    noisy[1, 3:] = 100.0  # sentence 1 has 3 tokens; its padding is garbage
    lengths = torch.tensor([6, 3])
    a, b = mirrored.bidirectional(rnn, x, lengths), mirrored.bidirectional(rnn, noisy, lengths)
    assert torch.allclose(a, b)
    assert torch.all(b[1, 3:] == 0)  # zeros at padding, as the packed call gives


def test_char_final_states_equal_the_packed_char_lstm() -> None:
    torch.manual_seed(0)
    chars = CharLSTM(20, 5, 6)
    ids = torch.randint(1, 20, (9, 8))
    lengths = torch.tensor([8, 1, 3, 5, 2, 8, 4, 1, 6])
    ids[torch.arange(8)[None, :] >= lengths[:, None]] = 0
    x = chars.embed(ids)
    got = mirrored.final_states(chars.lstm, x, lengths)
    out = packed(chars.lstm, x, lengths)
    expected = torch.cat([out[torch.arange(9), lengths - 1, :6], out[:, 0, 6:]], dim=-1)
    assert got.shape == (9, 12)
    assert torch.allclose(got, expected, atol=1e-5)


def test_encoder_takes_the_mirrored_path_only_on_cpu_floats() -> None:
    encoder = BiLSTMEncoder(4, 3, 1, 0.0, "lstm")
    assert mirrored.applies(encoder.rnn, torch.zeros(1, 2, 4))
    assert not mirrored.applies(encoder.rnn, torch.zeros(0, 2, 4))
    assert not mirrored.applies(torch.ao.nn.quantized.dynamic.LSTM(4, 3), torch.zeros(1, 2, 4))


def test_eval_after_an_in_place_update_sees_the_new_weights() -> None:
    """A fused optimizer writes weights without bumping their version: the inference
    loop's weight layout must still be rebuilt (it was stale after fused Adam)."""
    torch.manual_seed(0)
    encoder = BiLSTMEncoder(4, 3, 1, 0.0, "lstm")
    x, lengths = torch.randn(2, 5, 4), torch.tensor([5, 3])
    optimizer = torch.optim.Adam(encoder.parameters(), lr=0.1, fused=True)
    encoder.eval()
    with torch.no_grad():
        before = encoder(x, lengths)
    encoder.train()
    encoder(x, lengths).sum().backward()
    optimizer.step()
    encoder.eval()
    with torch.no_grad():
        after = encoder(x, lengths)
        expected = packed(encoder.rnn, x, lengths)
    assert not torch.allclose(before, after)
    assert torch.allclose(after, expected, atol=1e-5)


def test_dropout_zeroes_a_share_p_and_keeps_the_mean() -> None:
    torch.manual_seed(0)
    x = torch.ones(200_000)
    out = dropout(x, 0.3, training=True)
    assert abs(float((out == 0).float().mean()) - 0.3) < 0.01
    assert abs(float(out.mean()) - 1.0) < 0.01
    assert torch.equal(dropout(x, 0.3, training=False), x)
    layer = Dropout(0.5).eval()
    assert torch.equal(layer(x), x)
    with pytest.raises(ValueError, match="probability"):
        Dropout(1.0)
