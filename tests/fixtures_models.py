"""Tiny trained models shared by the whole session: each trained once, on the toy corpus of
its config (in ../corpus beside the model folder), and read by every module that needs it.

A test must not write into a shared model's folder or beside it: it copies the model into
its own tmp_path first (shutil.copytree), so every other test sees it pristine.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tagger.config import Config
from tagger.train import train


@dataclass(frozen=True)
class TrainedModel:
    """A model folder, the config it was trained from, and train()'s summary."""

    config: Config
    path: Path
    summary: dict[str, Any]


def _train(folder: Path, make_config: Callable[[Path], Config], plots: bool) -> TrainedModel:
    """Train make_config(folder) into folder/model, on the CPU as every test serves it;
    training.png only where asked (drawing it costs more than a toy training)."""
    config = make_config(folder)
    summary = train(config, folder / "model", progress=False, device="cpu", plots=plots)
    return TrainedModel(config, folder / "model", summary)


@pytest.fixture(scope="session")
def shared_pos(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable) -> TrainedModel:
    """The tiny POS model of `tiny_config(folder)` (UPOS tags; dev in ../corpus/dev.conllu),
    with every file training writes (training.png too)."""
    return _train(tmp_path_factory.mktemp("shared-pos"), tiny_config, plots=True)


@pytest.fixture(scope="session")
def shared_ner(tmp_path_factory: pytest.TempPathFactory, tiny_ner_config: Callable) -> TrainedModel:
    """The tiny NER model of `tiny_ner_config(folder)` (CRF head, BIOES; dev ../corpus/dev.txt);
    no training.png."""
    return _train(tmp_path_factory.mktemp("shared-ner"), tiny_ner_config, plots=False)


@pytest.fixture(scope="session")
def shared_sentiment(
    tmp_path_factory: pytest.TempPathFactory, tiny_sentiment_config: Callable
) -> TrainedModel:
    """The tiny sentiment model of `tiny_sentiment_config(folder)` (attention pooling); no
    training.png."""
    return _train(tmp_path_factory.mktemp("shared-sentiment"), tiny_sentiment_config, plots=False)
