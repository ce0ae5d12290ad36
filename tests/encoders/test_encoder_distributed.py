"""torchrun with a frozen encoder: two gloo processes train one model through one feature
cache (rank 0 fills it, rank 1 reads it), which holds each text once and right, and the
saved model tags dev as training scored it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from test_distributed import torchrun, write_config

from tagger.encoders.cache import DATA, INDEX, FeatureCache, read_index
from tagger.encoders.features import word_encoder
from tagger.evaluate import evaluate_examples
from tagger.predict import Predictor
from tagger.train import train

pytestmark = pytest.mark.integration


def read_tagged(path: Path) -> tuple[list[list[str]], list[list[str]]]:
    """The words and tags of a toy CoNLL-U file (ID, FORM, _, UPOS, ...)."""
    words: list[list[str]] = [[]]
    tags: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line:
            if words[-1]:
                words.append([])
                tags.append([])
        elif not line.startswith("#"):
            columns = line.split("\t")
            words[-1].append(columns[1])
            tags[-1].append(columns[3])
    return [w for w in words if w], [t for t in tags if t]


def test_two_ranks_train_through_one_feature_cache(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("TAGGER_FEATURE_CACHE", str(cache))  # torchrun's workers inherit it
    config = tiny_config(
        tmp_path,
        train={"max_epochs": 3, "patience": 0},
        encoder=str(tiny_bert),
        encoder_layers="-2,-1",
    )
    summary = torchrun(write_config(config, tmp_path / "encoder.toml"), tmp_path / "ddp")
    assert summary["world_size"] == 2 and summary["epochs"] == 3

    # One folder (one encoder key), a clean index, each train and dev text stored once.
    [folder] = list(cache.iterdir())
    size = (folder / DATA).stat().st_size
    entries, clean = read_index(folder / INDEX, size)
    train_words, _ = read_tagged(Path(config.data.train))
    dev_words, dev_tags = read_tagged(Path(config.data.dev))
    texts = {tuple(words) for words in train_words + dev_words}
    lines = (folder / INDEX).read_text().splitlines()
    assert clean and len(lines) == len(entries) == len(texts)

    # Each entry holds its own text's features (float16), none another's or zeros.
    encoder = word_encoder(config.model)
    stored = FeatureCache(cache, encoder).features(train_words + dev_words)
    for words, found in zip(train_words + dev_words, stored, strict=True):
        fresh = encoder.encode([words])[0].half()
        torch.testing.assert_close(found, fresh, atol=2e-3, rtol=2e-3)
    assert (folder / DATA).stat().st_size == size  # all hits: nothing appended

    # The saved model tags dev (encoding on the fly) exactly as training scored it.
    predictor = Predictor.load(tmp_path / "ddp")
    score = evaluate_examples(predictor, dev_words, dev_tags).accuracy
    assert score == pytest.approx(summary["dev_score"], abs=1e-9)

    # A later run, alone, reads the same cache and encodes nothing.
    train(config, tmp_path / "single", progress=False, device="cpu")
    assert (folder / DATA).stat().st_size == size
    assert (folder / INDEX).read_text().splitlines() == lines
