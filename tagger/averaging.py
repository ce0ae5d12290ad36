"""An exponential moving average of the weights, for dev scoring and the saved model.

Adam's last steps leave the weights wherever the last batches pushed them; their
average over the last ~1 / (1 - decay) steps generalises better (Polyak averaging). The
average is updated after every optimizer step; the training weights are untouched, so
training and resume go on exactly as without it.
"""

from __future__ import annotations

import copy

import torch
from torch import nn


class WeightAverage:
    """shadow <- decay * shadow + (1 - decay) * weights, for every trainable parameter."""

    def __init__(self, model: nn.Module, decay: float) -> None:
        if not 0.0 < decay < 1.0:
            raise ValueError(f"train.average: expected a decay in (0, 1), got {decay!r}")
        self.decay = decay
        self.names = [n for n, p in model.named_parameters() if p.requires_grad]
        params = dict(model.named_parameters())
        self.shadow = [params[n].detach().clone() for n in self.names]
        self.steps = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        params = dict(model.named_parameters())
        # The decay warms up, (1 + t) / (10 + t) until it reaches `decay`, so the first
        # epochs average over their own last steps, not back to the random start.
        self.steps += 1
        decay = min(self.decay, (1.0 + self.steps) / (10.0 + self.steps))
        torch._foreach_lerp_(self.shadow, [params[n].detach() for n in self.names], 1.0 - decay)

    @torch.no_grad()
    def averaged(self, model: nn.Module) -> nn.Module:
        """A copy of the model holding the averaged weights (the model is unchanged)."""
        copied = copy.deepcopy(model)
        params = dict(copied.named_parameters())
        for name, value in zip(self.names, self.shadow, strict=True):
            params[name].copy_(value)
        return copied

    def state_dict(self) -> dict:
        return {"decay": self.decay, "steps": self.steps, "shadow": self.shadow}

    def load_state_dict(self, state: dict) -> None:
        if len(state["shadow"]) != len(self.shadow):
            raise ValueError("checkpoint: the weight average does not match the model")
        self.steps = int(state["steps"])
        for mine, saved in zip(self.shadow, state["shadow"], strict=True):
            mine.copy_(saved)
