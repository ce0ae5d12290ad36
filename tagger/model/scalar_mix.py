"""ELMo's scalar mix: a learned softmax-weighted sum of an encoder's layers, times a scale."""

from __future__ import annotations

import torch
from torch import nn


class ScalarMix(nn.Module):
    """(batch, layers, time, dim) -> (batch, time, dim): softmax(w) . layers * gamma."""

    def __init__(self, n_layers: int) -> None:
        super().__init__()
        self.weights = nn.Parameter(torch.zeros(n_layers))  # equal shares to start
        self.gamma = nn.Parameter(torch.ones(1))  # (1,): 0-d tensors trip byte views

    def forward(self, layers: torch.Tensor) -> torch.Tensor:
        shares = torch.softmax(self.weights, dim=0).to(layers.dtype)  # (layers,)
        mixed = torch.einsum("l,bltd->btd", shares, layers)  # (batch, time, dim)
        return self.gamma.to(layers.dtype) * mixed
