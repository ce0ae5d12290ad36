"""Tiny trained models of each kind, shared by the explain tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures_models import TrainedModel

from tagger.config import Config
from tagger.train import train

TinyConfig = Callable[..., Config]


@pytest.fixture(scope="session")
def pos_model(tmp_path_factory: pytest.TempPathFactory, tiny_config: TinyConfig) -> Path:
    """A tiny 2-layer POS model fitted to the toy corpus."""
    folder = tmp_path_factory.mktemp("explain-pos")
    train(tiny_config(folder, layers=2), folder / "model", progress=False)
    return folder / "model"


@pytest.fixture(scope="session")
def ner_model(shared_ner: TrainedModel) -> Path:
    """A tiny CRF NER model fitted to the toy corpus."""
    return shared_ner.path


@pytest.fixture(scope="session")
def sentiment_model(shared_sentiment: TrainedModel) -> Path:
    """A tiny attention-pooling sentiment model (the default pooling) fitted to the toy corpus."""
    assert shared_sentiment.config.model.pooling == "attention"
    return shared_sentiment.path
