"""training.png in the model folder: the curves of train_log.jsonl, redrawn as training goes."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tagger.callbacks import LOG, EpochReport, TrainState
from tagger.outputs import write_bytes

PLOT = "training.png"
REDRAW_SECONDS = 60.0  # at most one redraw a minute while training (about 0.3 s each)


def write_training_plot(output: Path) -> Path | None:
    """Draw output/training.png from output/train_log.jsonl (atomically); None without a log."""
    from tagger.explain.charts import read_log, training_curves  # matplotlib only when drawing

    log = output / LOG
    rows = read_log(log) if log.is_file() else []
    if not rows:
        return None
    data = training_curves(rows, title=output.name)
    return write_bytes(output / PLOT, data)


class TrainingPlot:
    """A training callback: keeps training.png current, at most every REDRAW_SECONDS
    (train() draws it once more when training ends)."""

    def __init__(self, output: Path, every: float = REDRAW_SECONDS) -> None:
        self.output = output
        self.every = every
        self.last = 0.0

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        if time.monotonic() - self.last >= self.every and self.output.is_dir():
            write_training_plot(self.output)
            self.last = time.monotonic()
