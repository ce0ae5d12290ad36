"""kill -9 at 3 points of one training run, each time `--resume`: the final model equals
an uninterrupted run's, and the model folder is never half-written. A failed save (no
space left, simulated) leaves the previous model intact."""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from typer.testing import CliRunner

from tagger import io
from tagger.cli import app
from tagger.config import Config
from tagger.io import read_artifact, write_artifact
from tagger.train import train

pytestmark = pytest.mark.integration

SETTINGS = [
    "model.word_dim=16", "model.casing_dim=4", "model.char=cnn", "model.char_dim=8",
    "model.char_hidden=8", "model.hidden=16", "model.layers=1", "model.dropout=0.2",
    "model.word_dropout=0.1", "train.lr=0.03", "train.batch_size=4", "train.max_epochs=24",
    "train.patience=100", "train.threads=1",
]  # fmt: skip


def command(toml: Path, output: Path, resume: bool) -> list[str]:
    """`tagger train` without training.png: its drawing (and matplotlib's import, in each
    killed process) would cost more than the epochs it runs."""
    sets = [arg for item in SETTINGS for arg in ("--set", item)]
    return [sys.executable, "-m", "tagger", "train", str(toml), "--output", str(output),
            "--quiet", "--no-plot", *sets, *(["--resume"] if resume else [])]  # fmt: skip


def train_here(toml: Path, output: Path, resume: bool) -> None:
    """The same `tagger train` in this process: the runs that nobody kills need no process
    of their own (about 3 s of imports each)."""
    result = CliRunner().invoke(app, command(toml, output, resume)[3:])
    assert result.exit_code == 0, result.output


def epochs_logged(output: Path) -> int:
    try:
        return len((output / "train_log.jsonl").read_text().splitlines())
    except OSError:
        return 0


@pytest.mark.slow
def test_kill_nine_three_times_then_resume_equals_uninterrupted(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path)  # writes the toy corpus
    toml = tmp_path / "config.toml"
    toml.write_text(
        f'task = "pos"\n[data]\ntrain = "{config.data.train}"\ndev = "{config.data.dev}"\n'
    )
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    train_here(toml, whole, resume=False)
    rng = random.Random(7)
    kills = 0
    while kills < 3:
        resume = (killed / "checkpoint").is_dir()
        process = subprocess.Popen(
            command(toml, killed, resume), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        target = min(epochs_logged(killed) + rng.randint(1, 2), 23)
        while process.poll() is None and epochs_logged(killed) < target:
            time.sleep(0.005)
        time.sleep(rng.uniform(0, 0.05))  # somewhere inside the next epoch (or its saving)
        if process.poll() is not None:
            break  # finished before it could be killed
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills += 1
        if (killed / "model.safetensors").exists():
            read_artifact(killed)  # never half-written: it loads
    assert kills == 3
    train_here(toml, killed, resume=True)
    # A write cut by kill -9 leaves its temporary folder; the next write clears it.
    assert not [p for p in killed.parent.iterdir() if p.name.startswith(".killed.")]
    assert not [p for p in killed.iterdir() if p.name.startswith(".checkpoint.")]
    for name in ("model.safetensors", "checkpoint/model.safetensors"):
        a, b = load_file(str(whole / name)), load_file(str(killed / name))
        assert a.keys() == b.keys()
        assert all(torch.equal(a[k], b[k]) for k in a), name
    log = [
        json.loads(line)["epoch"] for line in (killed / "train_log.jsonl").read_text().splitlines()
    ]
    assert log[-1] == 24


def test_a_failed_save_leaves_the_previous_model_intact(
    tmp_path: Path, tiny_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tiny_config(tmp_path, train={"max_epochs": 2})
    train(config, tmp_path / "model", progress=False, plots=False)
    before = {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir() if p.is_file()}
    artifact = read_artifact(tmp_path / "model")

    def no_space(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(io, "save_file", no_space)
    with pytest.raises(OSError, match="No space left"):
        write_artifact(tmp_path / "model", artifact)
    after = {p.name: p.read_bytes() for p in (tmp_path / "model").iterdir() if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".model")] == []
    assert read_artifact(tmp_path / "model").config == config
