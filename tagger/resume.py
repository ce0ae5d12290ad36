"""A Trainer resumed from OUTPUT/checkpoint, once the checkpoint is shown to train what the
config describes (the same task, model settings and labels)."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import torch

from tagger.callbacks import CHECKPOINT, TrainState, read_trainer_state
from tagger.config import Config
from tagger.distributed import World
from tagger.encoders.features import saved_encoder
from tagger.io import Artifact, read_artifact
from tagger.trainer import Trainer


def resume_trainer(
    config: Config,
    output: Path,
    device: torch.device,
    world: World,
    labels: list[str] | None = None,
) -> tuple[Trainer, TrainState]:
    """Model, optimizer, schedule and loop state of OUTPUT/checkpoint, which must be of
    config's task and model, and know the training data's `labels` (when given)."""
    if not (output / CHECKPOINT).is_dir():
        raise FileNotFoundError(f"{output / CHECKPOINT}: no checkpoint to resume from")
    saved = read_artifact(output / CHECKPOINT)
    check_resumable(output / CHECKPOINT, saved, config, labels)
    # The model and data are the checkpoint's; the schedule may be extended (epochs, minutes).
    record = saved.encoder  # the checkpoint's encoder, checked against its hashes
    where = f"{output / CHECKPOINT}: encoder"
    encoder = None  # a fine-tuned one is in saved.model already (checkpoint/encoder)
    if record is not None and not record.finetuned:
        encoder = saved_encoder(record, device, where)
    trainer = Trainer(
        replace(saved.config, train=config.train),
        saved.vocabs,
        saved.model,
        device,
        world,
        saved.tokenizer,
        encoder,
    )
    trainer_state = read_trainer_state(output)
    trainer.optimizer.load_state_dict(trainer_state["optimizer"])  # moved to the params' device
    trainer.scheduler.load_state_dict(trainer_state["scheduler"])
    if trainer.average is not None and "average" in trainer_state:
        trainer.average.load_state_dict(trainer_state["average"])
    state = TrainState(**trainer_state["state"])
    state.stop, state.stop_reason = False, ""
    return trainer, state


def check_resumable(
    path: Path, saved: Artifact, config: Config, labels: list[str] | None = None
) -> None:
    """Raise ValueError naming the checkpoint unless it trains what `config` describes:
    the same task, the same model settings, and every label of the training data."""
    hint = "train without --resume into another folder, or resume with the checkpoint's config"
    if saved.config.task != config.task:
        raise ValueError(
            f"{path}: the checkpoint is of task {saved.config.task!r}, the config's task is "
            f"{config.task!r}; {hint}"
        )
    ours, theirs = asdict(config.model), asdict(saved.config.model)
    for key, value in ours.items():
        if theirs.get(key) != value:
            raise ValueError(
                f"{path}: the checkpoint's model.{key} is {theirs.get(key)!r}, the config's "
                f"is {value!r}; {hint}"
            )
    unknown = sorted(set(labels or ()) - set(saved.vocabs.labels.items))
    if unknown:
        shown = ", ".join(repr(label) for label in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ValueError(
            f"{path}: the training data has labels the checkpoint does not know "
            f"({shown}{more}); {hint}"
        )
