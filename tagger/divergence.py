"""Training that diverged: a loss, gradient norm, weight or dev score that is not finite
stops training with one line naming the epoch and the step, before anything is written."""

from __future__ import annotations

import math

import torch


class TrainingDiverged(ValueError):
    """A non-finite loss, gradient norm, weight or dev score: training cannot go on."""


DIVERGED_HINT = "(lower train.lr or set train.clip)"


class FirstBadStep:
    """Finds the first step whose loss or gradient norm is not finite. Steps are only kept
    (no work, no wait for the device); a look (one wait) runs where the loss is read anyway."""

    def __init__(self) -> None:
        self.window: list[tuple[int, torch.Tensor, torch.Tensor]] = []  # since the last look

    def see(self, step: int, loss: torch.Tensor, norm: torch.Tensor | None) -> None:
        """Keep this step's loss and gradient norm (None: not computed) for the next look."""
        loss = loss.detach()
        self.window.append((step, loss, loss if norm is None else norm.detach()))

    def first(self) -> tuple[int, float, float] | None:
        """(step, loss, gradient norm) of the first bad step kept, or None (waits)."""
        if not self.window:
            return None
        values = torch.stack(
            [torch.stack([loss.float(), norm.float()]) for _, loss, norm in self.window]
        )
        bad = (~torch.isfinite(values)).any(dim=1).nonzero()  # (bad steps, 1)
        if len(bad) == 0:
            self.window.clear()  # all finite: no need to look at these again
            return None
        i = int(bad[0, 0])
        return self.window[i][0], float(values[i, 0]), float(values[i, 1])

    def check(self, epoch: int) -> None:
        """Raise TrainingDiverged naming the epoch and the first bad step, if there was one."""
        found = self.first()
        if found is None:
            return
        step, loss, norm = found
        what = f"loss is {loss}" if not math.isfinite(loss) else f"gradient norm is {norm}"
        raise TrainingDiverged(
            f"training diverged: {what} at epoch {epoch}, step {step} {DIVERGED_HINT}"
        )
