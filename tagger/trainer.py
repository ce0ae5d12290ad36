"""The Trainer: model, optimizer, schedule and the epoch loop; made fresh here, resumed by
tagger.resume.

Side effects live in tagger.callbacks; tagger.train drives this with them."""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict
from typing import TYPE_CHECKING

import numpy as np
import torch

from tagger import distributed
from tagger.averaging import WeightAverage
from tagger.callbacks import (
    Callback,
    EpochReport,
    TrainState,
)
from tagger.config import Config
from tagger.data.batching import Batch, BatchEncoder, Context, length_batches
from tagger.data.vocab import Vocabs
from tagger.devices import autocast, grad_scaler, to_device, training_precision
from tagger.distributed import World
from tagger.divergence import DIVERGED_HINT, FirstBadStep, TrainingDiverged
from tagger.encoders.context import sentence_contexts
from tagger.encoders.features import EncoderRecord, cached_features, word_encoder
from tagger.evaluate import evaluate_examples
from tagger.io import Artifact, library_versions, read_tokenizer
from tagger.memory import TRAINING_KERNEL_CACHE, limit_kernel_cache, release_freed_memory
from tagger.model.build import SequenceTagger, build_model
from tagger.optimizers import build_optimizer
from tagger.predict import Predictor
from tagger.tasks import get_task
from tagger.training_data import build_vocabs

if TYPE_CHECKING:
    from tagger.encoders.tuned import TunedEncoder
    from tagger.encoders.words import WordEncoder

TRAINING_TYPES = 10_000_000  # a corpus is finite: its encoder never clears its type table
LOSS_EVERY = 20  # batches between reads of the running loss (a read waits for a GPU)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


class Trainer:
    """Owns model, optimizer and schedule; `fit` runs epochs and calls the callbacks.

    The device and this process's place among torchrun's ranks (`world`) are values
    given here; with several ranks the model runs inside DistributedDataParallel.
    """

    def __init__(
        self,
        config: Config,
        vocabs: Vocabs,
        model: SequenceTagger,
        device: torch.device | None = None,
        world: World | None = None,
        tokenizer: Artifact | None = None,
        encoder: WordEncoder | None = None,
    ) -> None:
        """`encoder`: the pretrained encoder of config.model.encoder. Frozen, every batch
        reads its features through an on-disk cache (computed once per sentence); fine-tuned
        (model.encoder_finetune), it is part of `model` and every batch carries the words."""
        limit_kernel_cache(TRAINING_KERNEL_CACHE)  # before the first kernel: flat memory
        self.config = config
        self.tokenizer = tokenizer  # carried into every artifact written
        self.vocabs = vocabs
        self.device = device or torch.device("cpu")
        self.world = world or World()
        t = config.train
        self.precision = training_precision(t.precision, self.device)
        self.model = model.to(self.device)
        self.runner = distributed.wrap(self.model, self.world)  # forward + backward go here
        self.scaler = grad_scaler(self.device, self.precision)
        self.average = WeightAverage(self.model, t.average) if t.average > 0 else None
        tuned = model.embedder.tuned  # a fine-tuned encoder: its own learning rate
        self.optimizer, self.scheduler = build_optimizer(model, tuned, t, self.device)
        self.encoder_record = _encoder_record(encoder, tuned)
        frozen = encoder is not None and tuned is None
        self.features = cached_features(encoder) if frozen else None
        self.encoder = BatchEncoder(
            vocabs, max_types=TRAINING_TYPES, features=self.features, words=tuned is not None
        )
        self.task = get_task(config.task)
        self.sentence_level = self.task.sentence_level
        self.contexts: list[Context] | None = None  # of each train sentence: use_documents
        self.dev_documents: list[int] | None = None

    def use_documents(
        self, train: list[list[str]], documents: tuple[list[int] | None, ...]
    ) -> None:
        """The encoder reads each sentence with `model.encoder_context` words of its
        neighbours in the same document (`documents`: train's and dev's ids, or None)."""
        size = self.config.model.encoder_context
        self.contexts = sentence_contexts(train, documents[0], size) if size else None
        self.dev_documents = documents[1]

    def artifact(self, state: TrainState, report: EpochReport | None = None) -> Artifact:
        """The model as scored and saved: with train.average, a copy holding the average."""
        artifact = self.training_artifact(state, report)
        if self.average is not None:
            artifact.model = self.average.averaged(self.model)
        return artifact

    def training_artifact(self, state: TrainState, report: EpochReport | None = None) -> Artifact:
        """The weights being trained, for the checkpoint that resumes them."""
        meta = {
            "task": self.config.task,
            "epoch": state.epoch,
            "dev_score": report.dev_score if report else state.best_score,
            "best_epoch": state.best_epoch,
            "training_seconds": state.elapsed,
            "train_tokens_per_s": report.tokens_per_s if report else None,
            "device": str(self.device),
            "precision": self.precision,
            "world_size": self.world.world_size,
            "versions": library_versions(),
        }
        if self.encoder_record is not None:
            meta["encoder"] = self.encoder_record.to_json()
        return Artifact(self.config, self.vocabs, self.model, meta, self.tokenizer, self.features)

    def dev_score(self, state: TrainState, dev: tuple[list[list[str]], list[list[str]]]) -> float:
        """The task's main score of the current model on dev (NER: dev gold in IOB2)."""
        predictor = Predictor(
            self.artifact(state), batch_size=self.config.train.eval_batch_size, device=self.device
        )
        return self.task.main_score(evaluate_examples(predictor, *dev, self.dev_documents))

    def run_epoch(
        self,
        epoch: int,
        train: tuple[list[list[str]], list[list[str]]],
        state: TrainState,
        callbacks: list[Callback],
    ) -> tuple[float, int, float]:
        """One pass over this rank's share of the training data; returns (mean loss,
        tokens, seconds), loss and tokens summed over all ranks."""
        t, world = self.config.train, self.world
        seed = t.seed * 1000 + epoch  # same seed + epoch = same batches and dropout: exact resume
        torch.manual_seed(seed + 7919 * world.rank)  # ranks draw different dropout masks
        every = length_batches([len(s) for s in train[0]], t.batch_size, random.Random(seed))
        batches = distributed.my_batches(every, world)
        self.model.train()
        running = torch.zeros((), dtype=torch.float64, device=self.device)  # sum of loss x tokens
        bad = FirstBadStep()
        total_loss, tokens, start = 0.0, 0, time.perf_counter()
        budget = t.max_minutes * 60 if t.max_minutes > 0 else math.inf
        for done, indices in enumerate(batches, start=1):
            targets = [train[1][i] for i in indices]
            batch = self.encoder.encode(
                [train[0][i] for i in indices],
                tags=None if self.sentence_level else targets,
                labels=targets if self.sentence_level else None,
                contexts=[self.contexts[i] for i in indices] if self.contexts else None,
            )
            n = int(batch.lengths.sum())
            loss, norm = self.step(to_device(batch, self.device))
            bad.see(done, loss, norm)
            running += loss.detach() * n
            tokens += n
            seconds = time.perf_counter() - start
            if done % LOSS_EVERY == 0 or done == len(batches):
                total_loss = float(running)
                if not world.distributed:  # ranks stop together, at the epoch's end
                    bad.check(epoch)
            for callback in callbacks:
                callback.on_batch(epoch, done, len(batches), total_loss / tokens, tokens / seconds)
            over = state.elapsed + seconds > budget
            if distributed.shared(float(over), world, self.device):  # rank 0's clock decides
                state.stop, state.stop_reason = True, f"time budget of {t.max_minutes} minutes"
                break
        seconds = time.perf_counter() - start
        total_loss, all_tokens, bad_ranks = distributed.summed(
            [float(running), tokens, float(bad.first() is not None)], world, self.device
        )
        if bad_ranks or not math.isfinite(total_loss):
            bad.check(epoch)  # this rank's first bad step, else another rank's
            raise TrainingDiverged(f"training diverged at epoch {epoch} {DIVERGED_HINT}")
        return total_loss / max(all_tokens, 1), int(all_tokens), seconds

    def step(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Forward, backward and an optimizer step on one batch; returns the loss and the
        gradient norm (None when not clipping, or under fp16, whose scaler skips the steps
        with non-finite gradients)."""
        t = self.config.train
        with autocast(self.device, self.precision):
            loss = self.model.loss_of(self.runner(batch), batch)
        self.optimizer.zero_grad()
        if self.scaler is not None:  # fp16: scaled loss, unscaled before clipping
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        norm = None
        if t.clip > 0:
            norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), t.clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        if self.average is not None:
            self.average.update(self.model)
        return loss, None if self.scaler is not None else norm

    def check_weights(self, epoch: int) -> None:
        """Raise TrainingDiverged if a weight is not finite (one wait, once an epoch): the
        last step's update can overflow with a finite loss and gradient norm."""
        finite = torch.stack([torch.isfinite(p).all() for p in self.model.parameters()])
        if not bool(finite.all()):
            raise TrainingDiverged(
                f"training diverged: weights are not finite after epoch {epoch} {DIVERGED_HINT}"
            )

    def fit(
        self,
        train: tuple[list[list[str]], list[list[str]]],
        dev: tuple[list[list[str]], list[list[str]]],
        state: TrainState,
        callbacks: list[Callback],
    ) -> TrainState:
        t = self.config.train
        while state.epoch < t.max_epochs and not state.stop:
            epoch = state.epoch + 1
            loss, tokens, seconds = self.run_epoch(epoch, train, state, callbacks)
            seconds = distributed.shared(seconds, self.world, self.device)  # rank 0's clock
            state.elapsed += seconds
            self.check_weights(epoch)
            score = self.dev_score(state, dev) if self.world.main else 0.0
            release_freed_memory()  # the epoch's largest batch left free heap behind
            score = distributed.shared(score, self.world, self.device)  # the same schedule
            if not math.isfinite(score):
                raise TrainingDiverged(f"training diverged: dev score is {score} at epoch {epoch}")
            self.scheduler.step(score)
            improved = score > state.best_score
            state.epoch = epoch
            if improved:
                state.best_score, state.best_epoch, state.bad_epochs = score, epoch, 0
            else:
                state.bad_epochs += 1
            report = EpochReport(
                epoch=epoch,
                loss=loss,
                dev_score=score,
                lr=self.optimizer.param_groups[0]["lr"],
                tokens=tokens,
                seconds=seconds,
                tokens_per_s=tokens / seconds if seconds else 0.0,
                elapsed=state.elapsed,
                improved=improved,
            )
            state.history.append(asdict(report))
            for callback in callbacks:
                callback.on_epoch_end(state, report, self)
            state.stop = bool(distributed.shared(float(state.stop), self.world, self.device))
        if not state.stop:
            state.stop_reason = f"reached max_epochs = {t.max_epochs}"
        return state


def _encoder_record(
    encoder: WordEncoder | None, tuned: TunedEncoder | None
) -> EncoderRecord | None:
    """What meta.json records of the model's encoder: the frozen one, or the one it tunes
    (whose weights' hash the artifact writer fills in)."""
    if tuned is not None:
        return EncoderRecord.of(tuned.words, finetuned=True)
    return EncoderRecord.of(encoder) if encoder is not None else None


def new_trainer(
    config: Config,
    train_tokens: list[list[str]],
    labels: list[str],
    device: torch.device | None = None,
    world: World | None = None,
    multiword: dict | None = None,
) -> Trainer:
    """A freshly initialised model (seeded) with vocabularies from the training data
    (a tokenizer's with its `multiword` table), carrying `data.tokenizer` if named."""
    vocabs, vectors = build_vocabs(config, train_tokens, labels, multiword)
    tokenizer = read_tokenizer(config.data.tokenizer) if config.data.tokenizer else None
    encoder = word_encoder(config.model, device or "cpu") if config.model.encoder else None
    shape = EncoderRecord.of(encoder).shape if encoder is not None else None
    seed_everything(config.train.seed)
    sentence_level = get_task(config.task).sentence_level
    model = build_model(config.model, vocabs, vectors, sentence_level, shape, encoder)
    return Trainer(config, vocabs, model, device, world, tokenizer, encoder)
