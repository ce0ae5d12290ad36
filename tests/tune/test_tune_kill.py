"""A worker killed for real: `tagger tune --jobs 2` in its own process, one worker
killed with SIGKILL while its trial trains; the command ends non-zero naming that
worker, the same command run again ends well, and the study holds --trials complete or
pruned trials, the killed one failed, no trial running and no number twice. And the
heartbeat options, checked at the door."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from tune_helpers import write_tiny

from tagger.tune.run import make_setup

TRIALS = 3  # the surviving worker runs the others and the killed trial's replacement
EPOCHS = 6  # no early stopping: a worker's first trial (imports, model, epochs) lasts
# seconds, so the kill lands in it
WAIT_S = 300  # for a step of a slow, loaded machine: reached only when something is wrong
POLL_S = 0.05  # how often the test reads the study's database


def tune_command(config: Path, space: Path, output: Path) -> list[str]:
    """The real command: two spawned workers, a heartbeat every second, a trial silent
    for 3 s failed."""
    return [
        sys.executable, "-m", "tagger", "tune", str(config), "--space", str(space),
        "--output", str(output), "--trials", str(TRIALS), "--trial-minutes", "1",
        "--jobs", "2", "--pruner", "none", "--heartbeat", "1", "--grace", "3",
        "--set", "train.patience=0",
    ]  # fmt: skip


@contextlib.contextmanager
def started(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The command in a process group of its own, its output in `log`; the whole group
    (the workers it spawned too) is killed on the way out, whatever happened."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, cwd=log.parent, start_new_session=True
        )
        try:
            yield process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def running_trial(database: Path) -> tuple[int, int] | None:
    """(number, worker pid) of a RUNNING trial that has recorded its worker's pid and its
    first heartbeat (Optuna fails only a trial with a heartbeat: one killed before it
    stays RUNNING), read from the SQLite file without writing to it; None while there
    is none (or no file, no tables yet, or a writer holds the lock)."""
    try:
        uri = f"{database.resolve().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=1)) as connection:
            row = connection.execute(
                "SELECT trials.number, attrs.value_json FROM trials"
                " JOIN trial_user_attributes AS attrs ON attrs.trial_id = trials.trial_id"
                " JOIN trial_heartbeats AS beats ON beats.trial_id = trials.trial_id"
                " WHERE trials.state = 'RUNNING' AND attrs.key = 'pid'"
            ).fetchone()
    except sqlite3.Error:
        return None
    return None if row is None else (row[0], json.loads(row[1]))


def wait_for_running_trial(
    process: subprocess.Popen[bytes], database: Path, log: Path
) -> tuple[int, int]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = running_trial(database)
        if found is not None:
            return found
        if process.poll() is not None:
            pytest.fail(f"tune ended before any trial ran:\n{log.read_text()}")
        time.sleep(POLL_S)
    pytest.fail(f"no running trial within {WAIT_S} s:\n{log.read_text()}")


def run_to_end(command: list[str], log: Path) -> int:
    with started(command, log) as process:
        return process.wait(timeout=WAIT_S)


@pytest.mark.integration  # a real `tagger tune` with two workers, one killed (kill -9)
def test_a_killed_worker_fails_its_trial_and_a_rerun_finishes_the_study(
    tmp_path: Path,
) -> None:
    config, space = write_tiny(tmp_path, max_epochs=EPOCHS)
    output = tmp_path / "out"
    command = tune_command(config, space, output)
    first = tmp_path / "first.log"
    with started(command, first) as process:
        killed, pid = wait_for_running_trial(process, output / "study.db", first)
        os.kill(pid, signal.SIGKILL)
        status = process.wait(timeout=WAIT_S)
    text = first.read_text()
    assert status != 0, text
    assert re.search(r"worker \d+: status -9", text), text  # the killed worker, named

    second = tmp_path / "second.log"
    assert run_to_end(command, second) == 0, second.read_text()

    study = optuna.load_study(study_name="tiny", storage=f"sqlite:///{output / 'study.db'}")
    trials = study.get_trials(deepcopy=False)
    states = {t.number: t.state.name for t in trials}
    assert len(states) == len(trials)  # no number twice
    assert set(states.values()) <= {"COMPLETE", "PRUNED", "FAIL"}, states
    assert sum(s in ("COMPLETE", "PRUNED") for s in states.values()) == TRIALS, states
    assert states[killed] == "FAIL", states
    with (output / "trials.csv").open(encoding="utf-8") as rows:
        listed = {int(row["number"]): row["state"] for row in csv.DictReader(rows)}
    assert listed == states
    assert (output / "best.toml").is_file()


@pytest.mark.parametrize(
    ("heartbeat_s", "grace_s", "option"), [(0, 40, "--heartbeat"), (10, 10, "--grace")]
)
def test_heartbeat_and_grace_are_checked(
    tmp_path: Path, heartbeat_s: int, grace_s: int, option: str
) -> None:
    config, space = write_tiny(tmp_path)
    with pytest.raises(ValueError, match=f"^{option}: expected"):
        make_setup(
            config, space, tmp_path / "out", 2, 0.5, heartbeat_s=heartbeat_s, grace_s=grace_s
        )
    assert not (tmp_path / "out").exists()
