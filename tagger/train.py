"""`train()`: data loaded, a Trainer made or resumed (tagger.trainer), fitted with the
callbacks that write the model folder. Side effects live in tagger.callbacks."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from tagger import distributed
from tagger.callbacks import (
    CHECKPOINT,
    Callback,
    Checkpoint,
    EarlyStop,
    JsonlLog,
    KeepBest,
    Progress,
    TrainState,
)
from tagger.config import Config
from tagger.distributed import World
from tagger.encoders.bundle import bundle_encoder
from tagger.encoders.context import sentence_contexts
from tagger.encoders.features import feature_cache_dir
from tagger.encoders.load import resolve_encoder
from tagger.explain.training_plot import TrainingPlot, write_training_plot
from tagger.io import weights_digest
from tagger.outputs import MODEL, check_output
from tagger.resume import resume_trainer
from tagger.tasks import get_task
from tagger.trainer import Trainer, new_trainer, seed_everything
from tagger.training_data import load_documents, load_examples


def train(
    config: Config,
    output: str | Path,
    data_dir: Path | None = None,
    resume: bool = False,
    progress: bool = True,
    device: str = "auto",
    force: bool = False,
    inputs: Sequence[str | Path] = (),
    bundle: bool = False,
    extra: Sequence[Callback] = (),
    plots: bool = True,
) -> dict[str, Any]:
    """Train a model on config's corpus into `output`; with resume, continue its checkpoint.

    `output` is checked first (tagger.outputs): a folder holding files training did not
    write is refused unless `force`; `inputs` (the config file) may not be inside it.
    Under torchrun every rank runs this; rank 0 alone writes `output`. Workers that
    torchrun restarted after a failure resume from the checkpoint when there is one.
    `bundle` copies the model's pretrained encoder into it (OUTPUT/encoder); a model
    that fine-tunes its encoder always holds the tuned one there. `extra` callbacks run
    after the usual ones (a tuning trial's report to its study); `plots` False leaves out
    training.png.
    """
    if bundle and not config.model.encoder:
        raise ValueError("--bundle-encoder: the config names no model.encoder to bundle")
    if config.model.encoder and get_task(config.task).makes_tokens:
        raise ValueError(
            f"model.encoder: a {config.task} model labels characters, and an encoder reads "
            "words; leave model.encoder empty"
        )
    if config.model.encoder_context and get_task(config.task).sentence_level:
        raise ValueError(
            f"model.encoder_context: a {config.task} model classifies each sentence alone; "
            "set it to 0"
        )
    output = check_output(output, [*inputs, *training_inputs(config, data_dir)], MODEL, force)
    world = distributed.from_environment()
    if config.train.threads > 0:
        torch.set_num_threads(config.train.threads)
    where = distributed.start(world, device)
    try:
        run = Run(resume, progress, plots, tuple(extra))
        state, digest, parameters = _fit(config, output, data_dir, run, where, world)
    finally:
        distributed.stop(world)  # the trainer and its DDP wrapper are gone by now
    if world.main and plots:
        write_training_plot(output)
    if world.main and bundle and not config.model.encoder_finetune:  # a tuned one is in it
        bundle_encoder(output, resolve_encoder(config.model.encoder)[0])
    return {
        "epochs": state.epoch,
        "best_epoch": state.best_epoch,
        "dev_score": state.best_score,
        "training_seconds": state.elapsed,
        "stop_reason": state.stop_reason,
        "device": str(where),
        "world_size": world.world_size,
        "weights_sha256": digest,  # of the final weights (the folder holds the best epoch's)
        "parameters": parameters,
    }


def training_inputs(config: Config, data_dir: Path | None) -> list[str | Path]:
    """The files and folders training reads: corpus files, tokenizer, vectors, data dir."""
    data = config.data
    found: list[str | Path] = [data.train, data.dev, data.test, data.tokenizer]
    for source in (config.model.pretrained, config.model.encoder):  # a path, or a name
        if source and Path(source).exists():
            found.append(source)
    if data_dir is not None:
        found.append(data_dir)
    return [item for item in found if item]


@dataclass(frozen=True)
class Run:
    """How `train` runs: resumed, with progress output, plots and extra callbacks."""

    resume: bool
    progress: bool
    plots: bool
    extra: tuple[Callback, ...]


def _fit(
    config: Config, output: Path, data_dir: Path | None, run: Run, where: torch.device, world: World
) -> tuple[TrainState, str, int]:
    """Load the data, make or resume the trainer, fit; the final state, weights digest
    and parameter count."""
    resume, progress = run.resume, run.progress
    seed_everything(config.train.seed)
    config, train_examples, dev, labels = load_examples(config, data_dir)
    resume = resume or (world.restarts > 0 and (output / CHECKPOINT).is_dir())
    if resume:
        trainer, state = resume_trainer(config, output, where, world, labels)
    else:
        multiword = get_task(config.task).multiword_table(config, data_dir)
        trainer = new_trainer(config, train_examples[0], labels, where, world, multiword)
        state = TrainState()
    size = config.model.encoder_context
    if size:  # the encoder reads each sentence with its neighbours in the document
        trainer.use_documents(train_examples[0], load_documents(config, data_dir))
    features = trainer.features
    if features is not None:  # each sentence's encoder features once, cached on disk
        sentences = train_examples[0] + dev[0]
        contexts = None
        if trainer.contexts is not None:
            contexts = trainer.contexts + sentence_contexts(dev[0], trainer.dev_documents, size)
        if progress and world.rank == 0:
            print(
                f"encoder {config.model.encoder}: features of {len(sentences):,} sentences "
                f"(computed once, cached in {feature_cache_dir()})",
                file=sys.stderr,
            )
        distributed.rank_zero_first(world, lambda: features(sentences, contexts))
    usual = callbacks(trainer, output, progress, resume, run.plots)
    state = trainer.fit(train_examples, dev, state, [*usual, *run.extra])
    digest = weights_digest(trainer.model)
    if not distributed.same_everywhere(digest, world, where):
        raise RuntimeError(f"rank {world.rank}: the ranks ended training with different weights")
    return state, digest, sum(p.numel() for p in trainer.model.parameters())


def callbacks(
    trainer: Trainer, output: Path, progress: bool, resume: bool = False, plots: bool = True
) -> list[Callback]:
    """Early stopping on every rank (its state must agree); files and output on rank 0."""
    stop: list[Callback] = [EarlyStop(trainer.config.train.patience)]
    if not trainer.world.main:
        return stop
    files: list[Callback] = [
        KeepBest(output),
        *stop,
        Checkpoint(output),
        JsonlLog(output, not resume),
    ]
    return files + ([TrainingPlot(output)] if plots else []) + ([Progress()] if progress else [])
