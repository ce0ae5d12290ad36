"""Dropout from uniform samples: the same inverted dropout as nn.Dropout, faster on CPU.

torch's CPU dropout draws its mask with bernoulli_, which took 10% of an EWT training
step here; comparing uniform samples with p gives the same distribution in about a
third of the time (BENCHMARKS.md, "Training speed"), on any device.
"""

from __future__ import annotations

import torch
from torch import nn


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """Each element zeroed with probability p, the rest scaled by 1 / (1 - p)."""
    if not training or p == 0.0:
        return x
    keep = torch.rand(x.shape, device=x.device) >= p
    return x * keep / (1.0 - p)


class Dropout(nn.Module):
    """nn.Dropout's interface over `dropout`."""

    def __init__(self, p: float) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout: expected a probability in [0, 1), got {p!r}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
