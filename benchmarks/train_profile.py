"""Where a training step's seconds go: per-stage timers and torch.profiler's top operators.

    python benchmarks/train_profile.py                         # this checkout
    PYTHONPATH=../tagger-04e3517 python benchmarks/train_profile.py   # the trainer before

Runs `--batches` training steps of configs/pos-ewt.toml on EWT (the checkout's own
config, its trainer's optimizer, precision and batches of epoch 1), timing each stage
of the step: batch encoding, embeddings (with the character model), encoder, head and
loss, backward, gradient clipping, optimizer step. Then profiles `--profiled` more
steps with torch.profiler and prints the operators by self CPU time.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
from pathlib import Path

import torch

from tagger.config import load_config
from tagger.data.batching import length_batches
from tagger.trainer import new_trainer, seed_everything

try:
    from tagger.training_data import load_examples
except ImportError:  # a checkout from before issue 12 kept it in tagger.train
    from tagger.training_data import load_examples

STAGES = ("encode", "embed", "encoder", "head", "backward", "clip", "step")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="configs/pos-ewt.toml")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--profiled", type=int, default=60)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR", ""))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = load_config(args.config)
    seed_everything(config.train.seed)
    config, train, _, labels = load_examples(config, Path(args.data_dir) if args.data_dir else None)
    trainer = new_trainer(config, train[0], labels)
    model, t = trainer.model.train(), config.train
    precision = getattr(trainer, "precision", "fp32")
    cast = (
        (lambda: torch.autocast("cpu", dtype=torch.bfloat16))
        if precision == "bf16"
        else contextlib.nullcontext
    )
    lengths = [len(s) for s in train[0]]
    batches = length_batches(lengths, t.batch_size, random.Random(t.seed * 1000 + 1))
    seconds = dict.fromkeys(STAGES, 0.0)
    tokens = 0

    def step(indices: list[int], timed: bool) -> None:
        nonlocal tokens
        marks = [time.perf_counter()]
        batch = trainer.encoder.encode(
            [train[0][i] for i in indices], tags=[train[1][i] for i in indices]
        )
        marks.append(time.perf_counter())
        with cast():
            x = model.dropout(model.embedder(batch))
            marks.append(time.perf_counter())
            states = model.encoder(x, batch.lengths)
            marks.append(time.perf_counter())
            scores = model.head(states, batch.mask).float()
        loss = model.head.loss(scores, batch.tags, batch.mask)
        marks.append(time.perf_counter())
        trainer.optimizer.zero_grad()
        loss.backward()
        marks.append(time.perf_counter())
        torch.nn.utils.clip_grad_norm_(model.parameters(), t.clip)
        marks.append(time.perf_counter())
        trainer.optimizer.step()
        marks.append(time.perf_counter())
        if timed:
            for stage, a, b in zip(STAGES, marks, marks[1:], strict=False):
                seconds[stage] += b - a
            tokens += int(batch.lengths.sum())

    for indices in batches[:10]:  # warm-up: oneDNN primitives, allocator
        step(indices, timed=False)
    start = time.perf_counter()
    for indices in batches[10 : 10 + args.batches]:
        step(indices, timed=True)
    total = time.perf_counter() - start
    print(
        f"{tokens / total:,.0f} tokens/s over {args.batches} batches of {t.batch_size} "
        f"({precision}, {args.threads} threads)"
    )
    for stage in STAGES:
        print(f"  {stage:9s} {100 * seconds[stage] / total:5.1f}%")
    print(f"  other     {100 * (1 - sum(seconds.values()) / total):5.1f}%")
    rest = batches[10 + args.batches : 10 + args.batches + args.profiled]
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        for indices in rest:
            step(indices, timed=False)
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
