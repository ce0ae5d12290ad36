"""Training under torchrun: 2 gloo processes on a tiny corpus, resume, uneven batches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tagger.config import Config, config_to_dict
from tagger.distributed import World, from_environment, my_batches
from tagger.predict import Predictor
from tagger.train import train

pytestmark = pytest.mark.integration

TIMEOUT = 240  # seconds: a hang fails the test instead of blocking the suite


def failure(done: subprocess.CompletedProcess) -> str:
    """What the workers printed (torchrun's summary comes last and hides the cause)."""
    return done.stdout[-2000:] + "\n" + done.stderr[:6000]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(config: Config, path: Path) -> Path:
    """The config as a TOML file, for the CLI that torchrun starts."""
    lines = [f'task = "{config.task}"']
    for section, values in config_to_dict(config).items():
        if not isinstance(values, dict):
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def torchrun(config: Path, output: Path, *extra: str, nproc: int = 2) -> dict:
    """`torchrun --nproc-per-node N -m tagger train CONFIG -o OUTPUT`; rank 0's summary.
    --no-plot: rank 0 drawing training.png after epoch 1 holds every rank up (matplotlib's
    import and a drawing, ~2 s); test_ranks_end_with_identical_weights_and_only_rank_0_writes
    trains with it, and checks that rank 1 writes nothing."""
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", str(nproc)]
    command += ["--master-addr", "127.0.0.1", "--master-port", str(free_port())]
    command += ["-m", "tagger", "train", str(config), "-o", str(output), "--quiet", "--no-plot"]
    command += extra
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=env)
    assert done.returncode == 0, failure(done)
    summaries = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(summaries) == 1, done.stdout  # rank 0 alone prints
    return json.loads(summaries[0])


@pytest.fixture(scope="module")
def ddp_config(
    tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]
) -> Config:
    # 20 training sentences in batches of 4: 5 batches, which 2 ranks cannot split
    # evenly without my_batches' padding (a rank stepping once more would hang).
    return tiny_config(tmp_path_factory.mktemp("ddp"), train={"max_epochs": 3, "patience": 0})


@pytest.fixture(scope="module")
def whole_run(tmp_path_factory: pytest.TempPathFactory, ddp_config: Config) -> tuple[Path, dict]:
    """(model folder, rank 0's summary) of one uninterrupted torchrun of ddp_config: what
    the first test checks, and what a resumed run must equal."""
    folder = tmp_path_factory.mktemp("ddp-whole")
    config = write_config(ddp_config, folder / "tiny.toml")
    return folder / "whole", torchrun(config, folder / "whole")


def test_my_batches_split_every_batch_and_pad_to_equal_counts() -> None:
    batches = list(range(5))
    ranks = [my_batches(batches, World(rank=r, world_size=2)) for r in (0, 1)]
    assert ranks == [[0, 2, 4], [1, 3, 0]]  # padded with the first batch
    assert sorted(ranks[0] + ranks[1])[1:] == batches
    assert my_batches(batches, World()) == batches
    assert [len(my_batches([7], World(rank=r, world_size=3))) for r in range(3)] == [1, 1, 1]


def test_world_from_torchrun_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"RANK": "3", "WORLD_SIZE": "4", "LOCAL_RANK": "1", "TORCHELASTIC_RESTART_COUNT": "2"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert from_environment() == World(rank=3, world_size=4, local_rank=1, restarts=2)
    assert not from_environment().main
    monkeypatch.setenv("RANK", "x")
    with pytest.raises(ValueError, match="integers"):
        from_environment()


def test_two_gloo_processes_train_one_model(
    tmp_path: Path, ddp_config: Config, whole_run: tuple[Path, dict]
) -> None:
    ddp, summary = whole_run
    train(ddp_config, tmp_path / "single", progress=False, device="cpu", plots=False)
    assert summary["world_size"] == 2 and summary["device"] == "cpu"
    assert summary["epochs"] == 3
    meta = json.loads((ddp / "meta.json").read_text())
    assert meta["world_size"] == 2 and meta["device"] == "cpu"
    log = [json.loads(line) for line in (ddp / "train_log.jsonl").open()]
    assert len(log) == 3
    # Tokens of both ranks: the whole corpus plus the batch repeated to even the ranks out.
    assert all(e["tokens"] >= single_epoch_tokens(tmp_path / "single") for e in log)
    predictor = Predictor.load(ddp)
    tags = predictor.predict([["the", "dog", "runs"]])
    assert len(tags[0]) == 3


def single_epoch_tokens(model: Path) -> int:
    return json.loads((model / "train_log.jsonl").open().readline())["tokens"]


def test_ranks_end_with_identical_weights_and_only_rank_0_writes(
    tmp_path: Path, ddp_config: Config
) -> None:
    """Each rank gets its own output folder here: rank 1's must stay empty, and the
    trainer itself compares the ranks' final weights (a mismatch fails the run)."""
    script = tmp_path / "worker.py"
    script.write_text(
        "import json, os, sys\n"
        "from tagger.config import load_config\n"
        "from tagger.train import train\n"
        "rank = os.environ['RANK']\n"
        "out = sys.argv[2] + '/rank' + rank\n"
        "result = train(load_config(sys.argv[1]), out, progress=False, device='cpu')\n"
        "open(sys.argv[2] + '/result' + rank + '.json', 'w').write(json.dumps(result))\n"
    )
    config = write_config(ddp_config, tmp_path / "tiny.toml")
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc-per-node", "2"]
    command += ["--master-addr", "127.0.0.1", "--master-port", str(free_port())]
    command += [str(script), str(config), str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, failure(done)
    results = [json.loads((tmp_path / f"result{r}.json").read_text()) for r in (0, 1)]
    assert results[0]["weights_sha256"] == results[1]["weights_sha256"]
    assert (tmp_path / "rank0" / "model.safetensors").is_file()
    assert not (tmp_path / "rank1").exists()


def test_resume_under_torchrun_equals_an_uninterrupted_run(
    tmp_path: Path, ddp_config: Config, whole_run: tuple[Path, dict]
) -> None:
    config = write_config(ddp_config, tmp_path / "tiny.toml")
    _, whole = whole_run
    torchrun(config, tmp_path / "parts", "--set", "train.max_epochs=1")
    resumed = torchrun(config, tmp_path / "parts", "--resume")
    assert resumed["epochs"] == whole["epochs"] == 3
    assert resumed["weights_sha256"] == whole["weights_sha256"]
    assert len((tmp_path / "parts" / "train_log.jsonl").read_text().splitlines()) == 3


def test_time_budget_stops_every_rank_together(tmp_path: Path, ddp_config: Config) -> None:
    config = write_config(ddp_config, tmp_path / "tiny.toml")
    summary = torchrun(config, tmp_path / "budget", "--max-minutes", "0.00001")
    assert summary["epochs"] == 1
    assert "time budget" in summary["stop_reason"]


def test_a_restarted_worker_resumes_from_the_checkpoint(
    tmp_path: Path, ddp_config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """torchrun restarts failed workers with the same command (no --resume) and
    TORCHELASTIC_RESTART_COUNT > 0: training lands on the checkpoint."""
    from dataclasses import replace

    short = replace(ddp_config, train=replace(ddp_config.train, max_epochs=1))
    train(short, tmp_path / "model", progress=False, device="cpu", plots=False)
    monkeypatch.setenv("TORCHELASTIC_RESTART_COUNT", "1")
    result = train(ddp_config, tmp_path / "model", progress=False, device="cpu", plots=False)
    assert result["epochs"] == 3
    assert len((tmp_path / "model" / "train_log.jsonl").read_text().splitlines()) == 3
