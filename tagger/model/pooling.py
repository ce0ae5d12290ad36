"""Sentence heads: pool the BiLSTM states of a sentence, then classify the sentence."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tagger.model.dropout import Dropout


class SentenceHead(nn.Module):
    """Pooling over time -> dropout -> linear; scores are (batch, n_labels).

    pooling: "last" = final forward state ; first backward state, "max", "mean", or
    "attention" (a learned query scores each position; `last_weights` keeps the weights).
    """

    def __init__(self, input_dim: int, n_labels: int, dropout: float, pooling: str) -> None:
        super().__init__()
        if pooling not in ("last", "max", "mean", "attention"):
            raise ValueError(
                f"model.pooling: expected last, max, mean or attention, got {pooling!r}"
            )
        self.pooling = pooling
        self.dropout = Dropout(dropout)
        self.linear = nn.Linear(input_dim, n_labels)
        if pooling == "attention":
            self.project = nn.Linear(input_dim, input_dim)
            self.query = nn.Parameter(torch.randn(input_dim) / input_dim**0.5)
        self.last_weights: torch.Tensor | None = None  # (batch, time) after attention pooling

    def pool(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, time, 2*hidden) states, (batch, time) mask -> (batch, 2*hidden)."""
        if self.pooling == "last":
            half = states.shape[-1] // 2
            last = mask.long().sum(1).clamp(min=1) - 1  # (batch,)
            forward = states[
                torch.arange(states.shape[0], device=states.device), last, :half
            ]  # read the whole sentence
            backward = states[:, 0, half:]  # the backward LSTM ends at the first token
            return torch.cat([forward, backward], dim=-1)
        if self.pooling == "max":
            return states.masked_fill(~mask.unsqueeze(-1), float("-inf")).max(dim=1).values
        if self.pooling == "mean":
            m = mask.unsqueeze(-1).float()  # (batch, time, 1)
            return (states * m).sum(1) / m.sum(1).clamp(min=1.0)
        scores = torch.tanh(self.project(states)) @ self.query  # (batch, time)
        weights = scores.masked_fill(~mask, float("-inf")).softmax(dim=1)  # (batch, time)
        self.last_weights = weights.detach()
        return (weights.unsqueeze(-1) * states).sum(1)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return self.linear(self.dropout(self.pool(states, mask)))  # (batch, n_labels)

    def loss(self, scores: torch.Tensor, labels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(scores, labels)

    def decode(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return scores.argmax(dim=-1)  # (batch,)

    def probabilities(self, scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        return scores.softmax(dim=-1)  # (batch, n_labels)
