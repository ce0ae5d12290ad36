"""Tiny trained models of each kind, shared by the explain tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

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
def ner_model(tmp_path_factory: pytest.TempPathFactory, tiny_ner_config: TinyConfig) -> Path:
    """A tiny CRF NER model fitted to the toy corpus."""
    folder = tmp_path_factory.mktemp("explain-ner")
    train(tiny_ner_config(folder), folder / "model", progress=False)
    return folder / "model"


@pytest.fixture(scope="session")
def sentiment_model(
    tmp_path_factory: pytest.TempPathFactory, tiny_sentiment_config: TinyConfig
) -> Path:
    """A tiny attention-pooling sentiment model fitted to the toy corpus."""
    folder = tmp_path_factory.mktemp("explain-sentiment")
    train(tiny_sentiment_config(folder, pooling="attention"), folder / "model", progress=False)
    return folder / "model"
