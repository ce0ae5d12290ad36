"""Saliency of each input word: integrated gradients over the token features.

Integrated gradients (Sundararajan et al. 2017) with a zero baseline: the gradient of a
target score is averaged along the straight path from the baseline to the features and
multiplied by the features, then summed over feature dimensions, giving one number per
input word; the numbers of a target add up to score(x) - score(baseline) (completeness).
Pure tensor code: `score` is any differentiable function of the features.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

Score = Callable[[torch.Tensor], torch.Tensor]  # (n, time, dim) -> (n, targets)


def integrated_gradients(score: Score, x: torch.Tensor, steps: int = 32) -> torch.Tensor:
    """(targets, time) attribution of each position of x (time, dim) to each target score.

    The path is sampled at the midpoints of `steps` equal intervals, all in one batch.
    """
    if steps < 1:
        raise ValueError(f"saliency steps: expected at least 1, got {steps}")
    x = x.detach()
    alphas = (torch.arange(steps, device=x.device, dtype=x.dtype) + 0.5) / steps
    path = (alphas[:, None, None] * x[None]).requires_grad_(True)  # (steps, time, dim)
    with torch.enable_grad():
        scores = score(path)  # (steps, targets)
        rows = []
        for target in range(scores.shape[1]):
            last = target == scores.shape[1] - 1
            (grad,) = torch.autograd.grad(scores[:, target].sum(), path, retain_graph=not last)
            rows.append((grad.mean(dim=0) * x).sum(dim=-1))  # (time,)
    return torch.stack(rows)  # (targets, time)


def gradient_times_input(score: Score, x: torch.Tensor) -> torch.Tensor:
    """(targets, time): the gradient of each target score at x, times x, summed over the
    features; one backward pass per target on one sequence (integrated gradients with
    its path shrunk to the end point)."""
    x = x.detach()
    point = x[None].clone().requires_grad_(True)  # (1, time, dim)
    with torch.enable_grad():
        scores = score(point)  # (1, targets)
        rows = []
        for target in range(scores.shape[1]):
            last = target == scores.shape[1] - 1
            (grad,) = torch.autograd.grad(scores[0, target], point, retain_graph=not last)
            rows.append((grad[0] * x).sum(dim=-1))  # (time,)
    return torch.stack(rows)  # (targets, time)
