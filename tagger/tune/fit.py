"""One trial's training: `tagger.train.train` with the trial's callback added."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tagger.callbacks import Callback
from tagger.config import Config
from tagger.train import train


def fit_trial(
    config: Config,
    output: Path,
    extra: Sequence[Callback],
    data_dir: Path | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train a fresh model into `output` (a model folder) with `extra` callbacks after the
    usual ones, without the training plot (trials.csv and the study's plots show the
    curves); train's summary (dev_score, epochs, training_seconds, parameters...)."""
    return train(config, output, data_dir, progress=False, device=device, extra=extra, plots=False)
