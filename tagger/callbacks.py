"""Side effects of training as small callbacks: log, progress, best model, checkpoint, stop."""

from __future__ import annotations

import io
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import torch

from tagger.io import write_artifact
from tagger.outputs import write_text

CHECKPOINT = "checkpoint"
TRAINER_STATE = "trainer.pt"
LOG = "train_log.jsonl"


@dataclass
class TrainState:
    """What the loop knows between epochs; saved in checkpoints to resume."""

    epoch: int = 0  # epochs completed
    best_score: float = -1.0
    best_epoch: int = 0
    bad_epochs: int = 0  # epochs since the best score
    elapsed: float = 0.0  # training seconds so far, over all runs
    stop: bool = False
    stop_reason: str = ""
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EpochReport:
    epoch: int
    loss: float
    dev_score: float
    lr: float
    tokens: int
    seconds: float  # this epoch's training time (no dev scoring)
    tokens_per_s: float
    elapsed: float  # total training time so far
    improved: bool = False


class Callback(Protocol):
    def on_batch(
        self, epoch: int, done: int, total: int, loss: float, tokens_per_s: float
    ) -> None: ...

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None: ...


class Progress:
    """A one-line progress bar on a terminal; one line per epoch otherwise."""

    def __init__(self, out: TextIO = sys.stderr, every: int = 20) -> None:
        self.out = out
        self.tty = out.isatty()
        self.every = every

    def on_batch(self, epoch: int, done: int, total: int, loss: float, tokens_per_s: float) -> None:
        if self.tty and (done % self.every == 0 or done == total):
            width = 30
            fill = int(width * done / max(total, 1))
            bar = "#" * fill + "." * (width - fill)
            self.out.write(
                f"\repoch {epoch:>3} [{bar}] {done}/{total} "
                f"loss {loss:.4f} {tokens_per_s:,.0f} tok/s"
            )
            self.out.flush()

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        mark = " *" if report.improved else ""
        self.out.write(
            f"{chr(13) if self.tty else ''}epoch {report.epoch:>3} loss {report.loss:.4f} "
            f"dev {100 * report.dev_score:.2f}{mark} lr {report.lr:.2g} "
            f"{report.tokens_per_s:,.0f} tok/s {report.elapsed / 60:.1f} min\n"
        )
        self.out.flush()


class JsonlLog:
    """Adds one JSON line per epoch to train_log.jsonl (strict JSON: no NaN); a `fresh`
    run replaces an earlier run's log at its first epoch, not before (a run that fails
    first leaves the folder as it was)."""

    def __init__(self, output: Path, fresh: bool = False) -> None:
        self.path = output / LOG
        self.fresh = fresh

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        # Rewritten whole (a few KB) so that a kill never leaves half a line.
        keep = self.path.is_file() and not self.fresh
        before = self.path.read_text(encoding="utf-8") if keep else ""
        self.fresh = False
        write_text(self.path, before + json.dumps(asdict(report), allow_nan=False) + "\n")


class KeepBest:
    """Writes the model to the output folder whenever the dev score improves."""

    def __init__(self, output: Path) -> None:
        self.output = output

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        if report.improved:
            write_artifact(self.output, trainer.artifact(state, report))


class EarlyStop:
    """Stops after `patience` epochs without a better dev score."""

    def __init__(self, patience: int) -> None:
        self.patience = patience

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        if self.patience and state.bad_epochs >= self.patience and not state.stop:
            state.stop, state.stop_reason = True, f"no dev improvement in {self.patience} epochs"


class Checkpoint:
    """Saves model, optimizer and loop state after every epoch, for `--resume`."""

    def __init__(self, output: Path) -> None:
        self.path = output / CHECKPOINT

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        buffer = io.BytesIO()
        saved = {
            "state": asdict(state),
            "optimizer": trainer.optimizer.state_dict(),
            "scheduler": trainer.scheduler.state_dict(),
        }
        if trainer.average is not None:
            saved["average"] = trainer.average.state_dict()
        torch.save(saved, buffer)
        artifact = trainer.training_artifact(state, report)  # the weights being trained
        write_artifact(self.path, artifact, extra={TRAINER_STATE: buffer.getvalue()})


def read_trainer_state(output: Path) -> dict[str, Any]:
    """The saved loop state of a checkpoint; loaded with weights_only=True (no arbitrary pickle)."""
    path = output / CHECKPOINT / TRAINER_STATE
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no checkpoint to resume from")
    return torch.load(path, weights_only=True, map_location="cpu")  # a GPU run resumes anywhere
