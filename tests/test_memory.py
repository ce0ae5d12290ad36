"""release_freed_memory hands freed heap back where glibc allows, and never fails; a
small oneDNN kernel cache keeps tagging's memory flat."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tagger import memory
from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.io import Artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
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
        _direction(lstm, torch.randn(rng.randint(1, 3000), rng.randint(1, 30), 16), 0, "")
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


def test_a_predictor_limits_the_kernel_cache_unless_the_user_set_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path)
    tokens, tags = as_lists(read_conllu(config.data.train))
    vocabs, vectors = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    artifact = Artifact(config, vocabs, build_model(config.model, vocabs, vectors).eval())
    monkeypatch.delenv(memory.KERNEL_CACHE_VARIABLE, raising=False)
    Predictor(artifact)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == str(memory.INFERENCE_KERNEL_CACHE)
    monkeypatch.setenv(memory.KERNEL_CACHE_VARIABLE, "300")
    Predictor(artifact)
    assert os.environ[memory.KERNEL_CACHE_VARIABLE] == "300"
