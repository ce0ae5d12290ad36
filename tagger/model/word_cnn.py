"""A convolution over the token features before the BiLSTM, as in C-LSTM (Zhou et al. 2015).

Each width has its filters; every output position sees the `width` tokens centred on it
(zero padding at the sentence's edges, padding tokens zeroed first), so the sequence keeps
its length and the BiLSTM reads n-gram features instead of single tokens.
"""

from __future__ import annotations

import torch
from torch import nn


def parse_widths(text: str) -> list[int]:
    """`"3,5"` -> [3, 5]; ValueError unless every width is a positive integer."""
    try:
        widths = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        widths = []
    if not widths or any(w < 1 for w in widths):
        raise ValueError(f"model.word_cnn_widths: expected widths such as '3,5', got {text!r}")
    return widths


class WordCNN(nn.Module):
    """(batch, time, in_dim) -> (batch, time, filters * len(widths)), ReLU, zero past lengths."""

    def __init__(self, in_dim: int, filters: int, widths: list[int]) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv1d(in_dim, filters, w, padding=w // 2) for w in widths)
        self.out_dim = filters * len(widths)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keep = mask.unsqueeze(-1).to(x.dtype)  # (batch, time, 1)
        time = x.shape[1]
        y = (x * keep).transpose(1, 2)  # (batch, in_dim, time)
        # An even width pads one position more than it uses: keep the first `time`.
        out = torch.cat([torch.relu(conv(y))[..., :time] for conv in self.convs], dim=1)
        return out.transpose(1, 2) * keep
