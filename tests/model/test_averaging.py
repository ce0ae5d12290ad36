"""The moving average of the weights: its arithmetic, and what training saves with it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from tagger.averaging import WeightAverage
from tagger.config import Config
from tagger.train import train


def test_average_follows_the_exponential_moving_average() -> None:
    layer = nn.Linear(2, 1, bias=False)
    average = WeightAverage(layer, decay=0.5)
    expected = layer.weight.detach().clone()
    for step, value in enumerate([1.0, 3.0, -2.0, 4.0], start=1):
        with torch.no_grad():
            layer.weight.fill_(value)
        average.update(layer)
        decay = min(0.5, (1 + step) / (10 + step))  # warm-up: 2/11, 3/12, ... then 0.5
        expected = decay * expected + (1 - decay) * value
    averaged = average.averaged(layer)
    assert torch.allclose(averaged.weight, expected)
    assert torch.all(layer.weight == 4.0)  # the model itself is unchanged
    assert averaged is not layer


def test_frozen_parameters_are_not_averaged() -> None:
    model = nn.Sequential(nn.Embedding(3, 2), nn.Linear(2, 2))
    model[0].weight.requires_grad_(False)
    assert WeightAverage(model, 0.9).names == ["1.weight", "1.bias"]


def test_state_round_trip_and_bad_decay() -> None:
    layer = nn.Linear(2, 2)
    a, b = WeightAverage(layer, 0.9), WeightAverage(layer, 0.9)
    with torch.no_grad():
        layer.weight.add_(1.0)
    a.update(layer)
    a.update(layer)
    b.load_state_dict(a.state_dict())
    assert b.steps == 2 and all(torch.equal(x, y) for x, y in zip(a.shadow, b.shadow, strict=True))
    with pytest.raises(ValueError, match="decay in"):
        WeightAverage(layer, 1.0)


def test_training_saves_the_average_and_checkpoints_the_weights(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path, train={"average": 0.9, "max_epochs": 3, "patience": 100})
    train(config, tmp_path / "model", progress=False, device="cpu", plots=False)
    saved = load_file(str(tmp_path / "model" / "model.safetensors"))
    trained = load_file(str(tmp_path / "model" / "checkpoint" / "model.safetensors"))
    name = "encoder.rnn.weight_hh_l0"
    assert not torch.equal(saved[name], trained[name])  # last epoch improved: both at epoch 3
