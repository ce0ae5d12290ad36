"""The inference BiLSTM equals nn.LSTM, and the encoder takes it only when it may."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
import torch

from tagger.model import encoder as encoder_module
from tagger.model.encoder import BiLSTMEncoder
from tagger.model.lstm_inference import packing


@pytest.fixture(params=[1, 2, 3], ids=["1-thread", "2-threads", "3-threads"])
def threads(request: pytest.FixtureRequest) -> Iterator[int]:
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


def make_encoder(input_dim: int, hidden: int, layers: int, bias: bool = True) -> BiLSTMEncoder:
    torch.manual_seed(input_dim * 100 + hidden * 10 + layers)
    encoder = BiLSTMEncoder(input_dim, hidden, layers, dropout=0.3, rnn="lstm")
    if not bias:
        encoder.rnn = torch.nn.LSTM(
            input_dim, hidden, num_layers=layers, bias=False, batch_first=True, bidirectional=True
        )
    return encoder.eval()


def both_paths(encoder: BiLSTMEncoder, x: torch.Tensor, lengths: torch.Tensor) -> tuple:
    with torch.inference_mode():
        encoder.inference_loop = False
        reference = encoder(x, lengths)
        encoder.inference_loop = True
        fused = encoder(x, lengths)
    return reference, fused


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize(
    "lengths",
    [[5, 3, 5, 1, 2], [4], [1, 1, 1], [0, 3, 2], [2, 6, 6, 6, 3, 1, 4, 5]],
    ids=["unsorted", "one", "ones", "empty-row", "mixed"],
)
def test_equals_nn_lstm(threads: int, layers: int, lengths: list[int]) -> None:
    encoder = make_encoder(7, 5, layers)
    time = max(lengths) + 2  # padding past the longest sentence too
    x = torch.randn(len(lengths), time, 7)
    reference, fused = both_paths(encoder, x, torch.tensor(lengths))
    assert fused.shape == reference.shape == (len(lengths), time, 10)
    torch.testing.assert_close(fused, reference, atol=1e-5, rtol=1e-5)
    for row, n in enumerate(lengths):
        assert not fused[row, max(n, 1) :].any()  # zeros past the end, as pad_packed_sequence


@pytest.mark.parametrize("input_dim", [7, 40])
def test_three_layers_whose_rows_differ_in_width(threads: int, input_dim: int) -> None:
    """Layer buffers of different row widths share memory: each must keep its bias column."""
    encoder = make_encoder(input_dim, 12, 3)
    lengths = torch.tensor([9, 4, 7, 1, 9, 3])
    x = torch.randn(6, 9, input_dim)
    reference, fused = both_paths(encoder, x, lengths)
    torch.testing.assert_close(fused, reference, atol=1e-5, rtol=1e-5)


def test_equals_nn_lstm_without_bias_on_a_large_batch(threads: int) -> None:
    encoder = make_encoder(33, 16, 2, bias=False)
    lengths = torch.randint(1, 40, (300,))  # more rows than one input-product chunk
    x = torch.randn(300, 40, 33)
    reference, fused = both_paths(encoder, x, lengths)
    torch.testing.assert_close(fused, reference, atol=1e-5, rtol=1e-5)


def test_packing_rows_and_mirror() -> None:
    active, sentence, position, mirror = packing(torch.tensor([3, 2, 1]))
    assert active == [3, 2, 1]
    assert list(zip(sentence.tolist(), position.tolist(), strict=True)) == [
        (0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (0, 2)
    ]  # fmt: skip
    # mirror of (s, t) is (s, len - 1 - t): (0,0)<->(0,2), (1,0)<->(1,1), the rest stay
    assert mirror.tolist() == [5, 4, 2, 3, 1, 0]


def test_taken_only_without_gradients_and_in_eval(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = encoder_module.bilstm_forward
    monkeypatch.setattr(encoder_module, "bilstm_forward", lambda *a: calls.append(1) or real(*a))
    encoder = make_encoder(4, 3, 2)
    x, lengths = torch.randn(2, 3, 4), torch.tensor([3, 2])

    out = encoder(x, lengths)  # eval, but gradients on: nn.LSTM, differentiable
    assert out.requires_grad and not calls
    with torch.no_grad():
        encoder.train()(x, lengths)  # training: nn.LSTM (dropout between layers)
        assert not calls
        encoder.eval()(x, lengths)
        assert len(calls) == 1
    with torch.inference_mode():
        encoder(x, lengths)
        assert len(calls) == 2
        monkeypatch.setattr(torch.onnx, "is_in_onnx_export", lambda: True)
        encoder(x, lengths)  # an ONNX export traces nn.LSTM, never the Python loop
        assert len(calls) == 2


def test_mixing_inference_mode_and_no_grad() -> None:
    """The reused buffers are inference tensors; calls under no_grad must still work."""
    encoder = make_encoder(6, 4, 2)
    x, lengths = torch.randn(3, 5, 6), torch.tensor([5, 2, 4])
    with torch.inference_mode():
        first = encoder(x, lengths).clone()
    with torch.no_grad():
        second = encoder(x, lengths)
        second.add_(0)  # the result is an ordinary tensor: in-place works outside inference
    with torch.inference_mode():
        third = encoder(x, lengths)
    torch.testing.assert_close(second, first)
    torch.testing.assert_close(third, first)


def test_weights_changed_in_place_are_picked_up() -> None:
    encoder = make_encoder(5, 4, 2)
    x, lengths = torch.randn(2, 4, 5), torch.tensor([4, 3])
    with torch.no_grad():
        before = encoder(x, lengths)
        for p in encoder.rnn.parameters():
            p.mul_(1.5)  # as an optimizer step or load_state_dict would, in place
        after = encoder(x, lengths)
        encoder.inference_loop = False
        reference = encoder(x, lengths)
    assert not torch.allclose(after, before)
    torch.testing.assert_close(after, reference, atol=1e-5, rtol=1e-5)


def test_threads_calling_at_once_get_their_own_results(threads: int) -> None:
    encoder = make_encoder(8, 6, 2)
    inputs = [(torch.randn(4 + i, 7, 8), torch.randint(1, 8, (4 + i,))) for i in range(4)]
    with torch.no_grad():
        encoder.inference_loop = False
        expected = [encoder(x, n) for x, n in inputs]
        encoder.inference_loop = True
    results: dict[int, list[torch.Tensor]] = {}

    def work(k: int) -> None:
        with torch.no_grad():
            results[k] = [encoder(x, n) for _ in range(20) for x, n in inputs[k : k + 1]]

    workers = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    for k, outs in results.items():
        for out in outs:
            torch.testing.assert_close(out, expected[k], atol=1e-5, rtol=1e-5)
    assert len(results) == 4


def test_loop_compiled_by_torchscript_or_left_in_python(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    from tagger.model import lstm_inference

    monkeypatch.setattr(lstm_inference, "_scripted", None)
    assert isinstance(lstm_inference._compiled_recur(), torch.jit.ScriptFunction)
    encoder = make_encoder(6, 4, 2)
    x, lengths = torch.randn(3, 5, 6), torch.tensor([5, 2, 4])
    reference, scripted = both_paths(encoder, x, lengths)
    torch.testing.assert_close(scripted, reference, atol=1e-5, rtol=1e-5)

    def no_torchscript(fn: object) -> object:
        raise RuntimeError("TorchScript is not available")

    monkeypatch.setattr(lstm_inference, "_scripted", None)
    monkeypatch.setattr(torch.jit, "script", no_torchscript)
    assert lstm_inference._compiled_recur() is lstm_inference._recur
    reference, python_loop = both_paths(encoder, x, lengths)
    torch.testing.assert_close(python_loop, reference, atol=1e-5, rtol=1e-5)
