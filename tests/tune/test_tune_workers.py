"""Workers sharing one SQLite study: two processes run --trials in total, no trial
number twice; a trial whose worker died (stale heartbeat) is failed, not counted, and
the study runs another in its place."""

from __future__ import annotations

import time
from pathlib import Path

import optuna
import pytest
from tune_helpers import write_tiny

from tagger.tune.run import make_setup, tune
from tagger.tune.study import open_study


@pytest.mark.integration  # spawns two Python processes (about 10 s)
def test_two_workers_share_the_study(tmp_path: Path) -> None:
    config, space = write_tiny(tmp_path)
    setup = make_setup(config, space, tmp_path / "out", 4, 0.5, threads=1, progress=False)
    summary = tune(setup, jobs=2)
    trials = open_study(setup).get_trials()
    counted = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert len(counted) == 4 == summary["complete"] + summary["pruned"]
    numbers = [t.number for t in trials]
    assert len(set(numbers)) == len(numbers)
    assert all(t.user_attrs.get("note") for t in trials if t.state.name == "FAIL")  # surplus
    assert len({t.user_attrs["folder"] for t in counted}) == 4  # each trained its own folder


@pytest.mark.filterwarnings("ignore:Heartbeat of storage")  # study.ask() with a heartbeat
def test_a_dead_workers_trial_is_failed_and_replaced(tmp_path: Path) -> None:
    config, space = write_tiny(tmp_path)
    out = tmp_path / "out"
    setup = make_setup(config, space, out, 1, 0.5, progress=False, heartbeat_s=1, grace_s=2)
    out.mkdir()
    study = open_study(setup)
    orphan = study.ask()  # RUNNING, as a worker killed mid-trial leaves it
    study._storage.record_heartbeat(orphan._trial_id)
    time.sleep(3)  # its heartbeat is now older than the grace period (SQLite: whole seconds)
    summary = tune(setup)
    states = {t.number: t.state for t in open_study(setup).get_trials()}
    assert states == {0: optuna.trial.TrialState.FAIL, 1: optuna.trial.TrialState.COMPLETE}
    assert summary["complete"] == 1 and summary["fail"] == 1
