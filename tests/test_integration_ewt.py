"""Train a tiny model on real UD English EWT through the catalog, evaluate it with the CLI.

Runs only where the shared corpora sit beside the repository (../shared/corpora).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import config_from_dict
from tagger.train import train

CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
EWT_DEV_WORDS = 25147  # syntactic words (no multi-word ranges, no empty nodes) of EWT r2.16 dev


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TAGGER_CATALOG", "TAGGER_DATA_DIR", "TAGGER_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.slow
def test_train_and_evaluate_on_ewt(tmp_path: Path) -> None:
    if not (CORPORA / "ud-english-ewt").is_dir():
        pytest.skip("../shared/corpora/ud-english-ewt not present")
    config = config_from_dict(
        {
            "data": {"corpus": "ud-english-ewt", "max_train_sentences": 300},
            "model": {
                "word_dim": 32,
                "casing_dim": 4,
                "char": "cnn",
                "char_dim": 8,
                "char_hidden": 16,
                "hidden": 16,
                "layers": 1,
                "dropout": 0.1,
            },
            "train": {
                "lr": 0.02,
                "batch_size": 8,
                "max_epochs": 2,
                "max_minutes": 1.0,
                "threads": 1,
                "eval_batch_size": 512,
            },
        }
    )
    result = train(config, tmp_path / "model", data_dir=CORPORA, progress=False, plots=False)
    assert result["epochs"] == 2

    scores = CliRunner().invoke(
        app,
        [
            "evaluate",
            str(tmp_path / "model"),
            "ud-english-ewt",
            "--split",
            "dev",
            "--json",
            "--data-dir",
            str(CORPORA),
        ],
    )
    assert scores.exit_code == 0, scores.output
    report = json.loads(scores.stdout)
    assert report["n_tokens"] == EWT_DEV_WORDS
    assert report["accuracy"] > 0.5
    assert report["accuracy"] == pytest.approx(result["dev_score"], abs=1e-9)
    assert "NOUN" in report["per_label"]
