"""One trial's training: `tagger.train`'s pieces, with the trial's callback added.

A stand-in while `train()` takes no extra callbacks: with a `callbacks=` argument there,
`fit_trial` becomes one call of `train(config, output, ..., callbacks=extra)`. Encoder
models are left out here (their feature cache is set up inside train's private _fit)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from tagger.callbacks import Callback, TrainState
from tagger.config import Config
from tagger.devices import resolve_device
from tagger.distributed import World
from tagger.explain.training_plot import TrainingPlot
from tagger.outputs import MODEL, check_output
from tagger.tasks import get_task
from tagger.train import callbacks, training_inputs
from tagger.trainer import new_trainer, seed_everything
from tagger.training_data import load_examples


def fit_trial(
    config: Config,
    output: Path,
    extra: Sequence[Callback],
    data_dir: Path | None = None,
    device: str = "cpu",
) -> tuple[TrainState, Any]:
    """Train a fresh model into `output` (a model folder) with `extra` callbacks after
    the usual ones but the training plot (trials.csv and the study's plots show the
    curves); the final state and the trainer (its model's size is an objective)."""
    if config.model.encoder:
        raise ValueError("model.encoder: tagger tune does not train encoder models yet")
    output = check_output(output, training_inputs(config, data_dir), MODEL)
    if config.train.threads > 0:
        torch.set_num_threads(config.train.threads)
    where = resolve_device(device)
    seed_everything(config.train.seed)
    config, train_examples, dev, labels = load_examples(config, data_dir)
    multiword = get_task(config.task).multiword_table(config, data_dir)
    trainer = new_trainer(config, train_examples[0], labels, where, World(), multiword)
    kept = [
        c for c in callbacks(trainer, output, progress=False) if not isinstance(c, TrainingPlot)
    ]
    state = trainer.fit(train_examples, dev, TrainState(), [*kept, *extra])
    return state, trainer
