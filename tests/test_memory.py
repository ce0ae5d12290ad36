"""release_freed_memory hands freed heap back where glibc allows, and never fails; a
small oneDNN kernel cache keeps the memory of tagging and of training flat."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tagger import memory
from tagger import trainer as trainer_module
from tagger.callbacks import TrainState
from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.io import Artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.trainer import new_trainer
from tagger.training_data import build_vocabs


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_malloc_trim_is_found_and_called() -> None:
    trim = memory._malloc_trim()
    assert trim is not None
    assert trim(0) in (0, 1)  # 1: memory was released, 0: there was none to release
    memory.release_freed_memory()


def test_release_without_malloc_trim_is_a_no_op(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(memory, "_malloc_trim", lambda: calls.append(1))
    memory.release_freed_memory()
    assert calls == [1]  # looked up, found nothing, called nothing


# Runs the character model's oneDNN LSTM on 700 shapes, as tagging does (nearly every
# batch has a shape of its own), and prints the RSS growth in MB after the first 100.
# Batches of up to 300 words: the kernels' memory hardly depends on the batch (up to 3,000
# grew 179 MB, up to 300 171 MB), the time of the run does (3.7 s against 1.0 s).
SHAPES = """
import random, sys, torch
if sys.argv[1] == "limit":
    from tagger.memory import limit_kernel_cache
    limit_kernel_cache()
from tagger.model.mirrored import _direction

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024

torch.set_num_threads(1)
lstm = torch.nn.LSTM(16, 16, batch_first=True)
rng = random.Random(0)
with torch.inference_mode():
    for k in range(700):
        _direction(lstm, torch.randn(rng.randint(1, 300), rng.randint(1, 30), 16), 0, "")
        if k == 100:
            start = rss_mb()
print(rss_mb() - start)
"""


def shape_growth_mb(mode: str, env: dict[str, str]) -> int:
    run = subprocess.run(
        [sys.executable, "-c", SHAPES, mode], env=env, capture_output=True, text=True, check=True
    )
    return int(run.stdout)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
def test_a_small_kernel_cache_keeps_memory_flat_over_new_shapes() -> None:
    env = {k: v for k, v in os.environ.items() if k != memory.KERNEL_CACHE_VARIABLE}
    # oneDNN's default of 1,024 kernels: the memory grows with every new shape
    assert shape_growth_mb("default", env) > 100
    assert shape_growth_mb("limit", env) < 40


def unset_kernel_cache_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset oneDNN's variable for this test; whatever it was comes back after it (a bare
    delenv of an unset variable records nothing, and the value set by the code would stay)."""
    monkeypatch.setenv(memory.KERNEL_CACHE_VARIABLE, "")
    monkeypatch.delenv(memory.KERNEL_CACHE_VARIABLE)


def test_a_predictor_limits_the_kernel_cache_unless_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path)
    tokens, tags = as_lists(read_conllu(config.data.train))
    vocabs, vectors = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    artifact = Artifact(config, vocabs, build_model(config.model, vocabs, vectors).eval())
    unset_kernel_cache_variable(monkeypatch)
    Predictor(artifact)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == str(memory.INFERENCE_KERNEL_CACHE)
    monkeypatch.setenv(memory.KERNEL_CACHE_VARIABLE, "300")
    Predictor(artifact)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == "300"


# Trains a tiny model in a fresh process on sentences of 1 to 40 random words, so nearly
# every batch has shapes of its own (sentence length, distinct words, longest word), and
# prints the RSS in MB after each epoch, dev scoring included.
TRAINING = """
import gc, random, sys, torch
from tagger.callbacks import TrainState
from tagger.memory import release_freed_memory
from tagger.config import config_from_dict
from tagger.trainer import new_trainer

def rss_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024

class Record:
    def on_batch(self, *args):
        pass

    def on_epoch_end(self, state, report, trainer):
        gc.collect()
        release_freed_memory()  # what is freed is not growth
        print(round(rss_mb(), 1), flush=True)

rng = random.Random(0)
def sentences(n):
    return [
        ["".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=rng.randint(1, 16)))
         for _ in range(rng.randint(1, 40))]
        for _ in range(n)
    ]
def tags(tokens):
    return [[rng.choice("AB") for _ in s] for s in tokens]

train, dev = sentences(int(sys.argv[1])), sentences(40)
model = {"word_dim": 4, "casing_dim": 0, "char_dim": 4, "char_hidden": 32, "hidden": 32,
         "layers": 1, "dropout": 0.0, "word_dropout": 0.0}
settings = {"batch_size": 8, "max_epochs": int(sys.argv[2]), "threads": 1, "patience": 0,
            "eval_batch_size": 8, "precision": "fp32", "average": 0.0}
config = config_from_dict({"task": "pos", "data": {"train": "-", "dev": "-"},
                           "model": model, "train": settings})
torch.set_num_threads(1)
trainer = new_trainer(config, train, ["A", "B"])
trainer.fit((train, tags(train)), (dev, tags(dev)), TrainState(), [Record()])
"""


def rss_after_epochs(sentences: int, epochs: int, env: dict[str, str]) -> list[float]:
    """The RSS in MB after each epoch of TRAINING, run in a fresh process."""
    run = subprocess.run(
        [sys.executable, "-c", TRAINING, str(sentences), str(epochs)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return [float(line) for line in run.stdout.split()]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmRSS from /proc")
def test_training_memory_stops_growing_over_new_shapes() -> None:
    # Without the Trainer's small kernel cache (oneDNN's default of 1,024 kernels), the
    # RSS grows by 3 to 5 MB an epoch here (12 MB from epoch 2 to 5); with it, under 1 MB.
    env = {k: v for k, v in os.environ.items() if k != memory.KERNEL_CACHE_VARIABLE}
    rss = rss_after_epochs(sentences=300, epochs=5, env=env)
    assert len(rss) == 5
    assert max(rss[2:]) - rss[1] < 3, f"RSS after each epoch (MB): {rss}"


def test_a_trainer_limits_the_kernel_cache_unless_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path)
    tokens, tags = as_lists(read_conllu(config.data.train))
    labels = sorted({t for s in tags for t in s})
    unset_kernel_cache_variable(monkeypatch)
    new_trainer(config, tokens, labels)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == str(memory.TRAINING_KERNEL_CACHE)
    monkeypatch.setenv(memory.KERNEL_CACHE_VARIABLE, "300")
    new_trainer(config, tokens, labels)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == "300"


def test_training_hands_freed_heap_back_after_each_epoch(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path, train={"max_epochs": 2, "patience": 0})
    tokens, tags = as_lists(read_conllu(config.data.train))
    trainer = new_trainer(config, tokens, sorted({t for s in tags for t in s}))
    calls: list[int] = []
    monkeypatch.setattr(trainer_module, "release_freed_memory", lambda: calls.append(1))
    trainer.fit((tokens, tags), (tokens, tags), TrainState(), [])
    assert len(calls) == 2  # once an epoch, after dev scoring
