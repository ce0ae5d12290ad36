"""The optimizer and its reduce-on-plateau schedule, from train.*: one parameter group for
the tagger at train.lr, and one for a fine-tuned encoder at train.encoder_lr."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tagger.config import TrainConfig


def param_groups(model: nn.Module, tuned: nn.Module | None, t: TrainConfig) -> list[dict[str, Any]]:
    """The tagger's trainable parameters at train.lr, then the tuned encoder's (a
    submodule of `model`) at train.encoder_lr."""
    inside = {id(p) for p in tuned.parameters()} if tuned is not None else set()
    own = [p for p in model.parameters() if p.requires_grad and id(p) not in inside]
    groups: list[dict[str, Any]] = [{"params": own, "lr": t.lr}]
    if tuned is not None:
        trained = [p for p in tuned.parameters() if p.requires_grad]
        groups.append({"params": trained, "lr": t.encoder_lr})
    return groups


def build_optimizer(
    model: nn.Module, tuned: nn.Module | None, t: TrainConfig, device: torch.device
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.ReduceLROnPlateau]:
    """train.optimizer over param_groups, and the schedule that scales every group's rate
    by train.lr_factor on a plateau, each floored at train.min_lr in proportion."""
    groups = param_groups(model, tuned, t)
    optimizer: torch.optim.Optimizer
    if t.optimizer == "adam":
        # One fused kernel over all parameters instead of ~10 ops per tensor.
        optimizer = torch.optim.Adam(
            groups,
            lr=t.lr,
            betas=(t.momentum, t.beta2),
            weight_decay=t.weight_decay,
            fused=device.type in ("cpu", "cuda"),
        )
    elif t.optimizer == "sgd":
        optimizer = torch.optim.SGD(
            groups, lr=t.lr, momentum=t.momentum, weight_decay=t.weight_decay
        )
    else:
        raise ValueError(f"train.optimizer: expected 'adam' or 'sgd', got {t.optimizer!r}")
    floors = [t.min_lr * group["lr"] / t.lr for group in groups]
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer,
        mode="max",
        factor=t.lr_factor,
        patience=t.lr_patience,
        min_lr=floors if len(floors) > 1 else t.min_lr,
    )
    return optimizer, scheduler
