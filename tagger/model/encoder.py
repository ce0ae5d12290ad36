"""The bidirectional recurrent encoder: [forward ; backward] state of every token."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.model import mirrored
from tagger.model.lstm_inference import InputGates, Weights, bilstm_forward, gate_weights


class BiLSTMEncoder(nn.Module):
    """(batch, time, in) -> (batch, time, 2*hidden); [..., :hidden] reads left to right."""

    def __init__(self, input_dim: int, hidden: int, layers: int, dropout: float, rnn: str) -> None:
        super().__init__()
        cls = {"lstm": nn.LSTM, "gru": nn.GRU}[rnn]
        self.rnn = cls(
            input_dim,
            hidden,
            num_layers=layers,
            dropout=dropout if layers > 1 else 0.0,
            batch_first=True,
            bidirectional=True,
        )
        self.hidden = hidden
        self.out_dim = 2 * hidden
        self.inference_loop = True  # tagger.model.lstm_inference when no gradients are kept
        self._gate_weights: tuple[tuple, Weights] | None = None

    def forward(self, x: torch.Tensor | InputGates, lengths: torch.Tensor) -> torch.Tensor:
        """`x`: the input, or its first-layer products where a GateCache made them (only
        for the inference path, whose conditions it checked)."""
        if isinstance(x, InputGates) or self.inference_path(x):
            return bilstm_forward(self.gate_weights(), x, lengths)
        if mirrored.applies(self.rnn, x):  # CPU training: oneDNN's fused kernels
            return mirrored.bidirectional(self.rnn, x, lengths)
        time = x.shape[1]
        packed = pack_padded_sequence(
            x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False
        )
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=time)
        return out  # (batch, time, 2*hidden)

    def inference_path(self, x: torch.Tensor) -> bool:
        """Whether this call may take lstm_inference: fp32 LSTM on CPU, no autograd, no export."""
        return (
            self.inference_loop
            and type(self.rnn) is nn.LSTM
            and self.rnn.proj_size == 0
            and not self.training
            and not torch.is_grad_enabled()
            and x.device.type == "cpu"
            and x.dtype == torch.float32
            and x.numel() > 0
            and not torch.jit.is_tracing()
            and not torch.jit.is_scripting()
            and not torch.onnx.is_in_onnx_export()
        )

    def train(self, mode: bool = True) -> BiLSTMEncoder:
        # Fused optimizers update weights in place without bumping their version, so
        # the layout is rebuilt whenever the model leaves or enters training too.
        self._gate_weights = None
        return super().train(mode)

    def gate_weights(self) -> Weights:
        """lstm_inference's layout of the weights, rebuilt whenever a parameter changed."""
        key = tuple((p.data_ptr(), p._version) for p in self.rnn.parameters())
        if self._gate_weights is None or self._gate_weights[0] != key:
            self._gate_weights = (key, gate_weights(self.rnn))
        return self._gate_weights[1]
