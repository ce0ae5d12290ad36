"""Heads on top of the encoder states."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tagger.model.crf import CRF
from tagger.model.dropout import Dropout


class SoftmaxHead(nn.Module):
    """Independent softmax over labels for every token."""

    def __init__(self, input_dim: int, n_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = Dropout(dropout)
        self.linear = nn.Linear(input_dim, n_labels)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(states))  # (batch, time, n_labels)

    def loss(self, scores: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy over real tokens."""
        return F.cross_entropy(scores[mask], tags[mask])

    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, time) best label id of every token (padding positions are meaningless)."""
        return scores.argmax(dim=-1)

    def probabilities(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return scores.softmax(dim=-1)  # (batch, time, n_labels)


class CRFHead(nn.Module):
    """Emission scores per token, decoded jointly by a linear-chain CRF."""

    def __init__(self, input_dim: int, n_labels: int, dropout: float, crf: CRF) -> None:
        super().__init__()
        self.dropout = Dropout(dropout)
        self.linear = nn.Linear(input_dim, n_labels)
        self.crf = crf

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(states))  # (batch, time, n_labels) emissions

    def loss(self, scores: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of the gold sequences, per token."""
        return -self.crf.log_likelihood(scores, tags, mask).sum() / mask.sum()

    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.crf.viterbi(scores, mask)  # (batch, time)

    def probabilities(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.crf.marginals(scores, mask)  # (batch, time, n_labels)
