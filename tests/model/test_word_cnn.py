"""The word CNN before the BiLSTM (C-LSTM): shapes, padding, training, saving."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from tagger.config import Config, ConfigError, config_from_dict
from tagger.io import read_artifact
from tagger.model.word_cnn import WordCNN, parse_widths
from tagger.predict import Predictor
from tagger.train import train


def test_shapes_and_padding() -> None:
    torch.manual_seed(0)
    cnn = WordCNN(in_dim=5, filters=4, widths=[2, 3])
    x = torch.randn(2, 6, 5)
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    out = cnn(x, mask)
    assert out.shape == (2, 6, 8) and cnn.out_dim == 8
    assert torch.all(out[1, 3:] == 0)  # nothing past a sentence's end
    alone = cnn(x[1:, :3], mask[1:, :3])  # the short sentence alone: the same features
    assert torch.allclose(alone[0], out[1, :3], atol=1e-6)


def test_widths_parse_or_fail() -> None:
    assert parse_widths("3, 5") == [3, 5]
    with pytest.raises(ValueError, match="widths such as"):
        parse_widths("3,x")
    with pytest.raises(ConfigError, match="model.word_cnn_widths"):
        config_from_dict({"model": {"word_cnn": 8, "word_cnn_widths": "0"}})


def test_tagger_with_a_word_cnn_fits_saves_and_loads(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path, word_cnn=16, word_cnn_widths="1,3")
    result = train(config, tmp_path / "model", progress=False, plots=False)
    assert result["dev_score"] == 1.0  # the toy corpus is learnt
    artifact = read_artifact(tmp_path / "model")
    assert artifact.model.word_cnn is not None
    assert any(k.startswith("word_cnn.") for k in artifact.model.state_dict())
    tags = Predictor(artifact).predict([["The", "dog", "sees", "a", "cat", "."]])
    assert tags == [["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"]]
