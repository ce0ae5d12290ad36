"""One SQLite study, two workers at once: the enqueued trial (the base config's) goes
to one of them. SQLite ignores Optuna's SELECT ... FOR UPDATE, so without a write lock
taken at each transaction's start both would read it WAITING and both would run it."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import optuna
import pytest
from optuna.storages._rdb import models

from tagger.tune.storage import open_storage
from tagger.tune.study import quiet_optuna


def test_a_waiting_trial_is_popped_by_one_worker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet_optuna()
    url = f"sqlite:///{tmp_path / 'study.db'}"
    optuna.create_study(storage=open_storage(url), study_name="s").enqueue_trial({"x": 1.0})
    workers = [optuna.load_study(study_name="s", storage=open_storage(url)) for _ in range(2)]
    waiting = workers[0].get_trials()[0]._trial_id
    find = models.TrialModel.find_or_raise_by_id
    both_read = threading.Barrier(2)

    def find_then_wait(*args: Any, for_update: bool = False) -> Any:
        trial = find(*args, for_update=for_update)
        if for_update:  # the read before the write that takes the trial
            with contextlib.suppress(threading.BrokenBarrierError):
                both_read.wait(timeout=1)  # the other worker reads too, unless it must wait
        return trial

    monkeypatch.setattr(models.TrialModel, "find_or_raise_by_id", staticmethod(find_then_wait))
    with ThreadPoolExecutor(2) as pool:
        popped = list(pool.map(lambda study: study._pop_waiting_trial_id(), workers))
    assert sorted(popped, key=str) == sorted([waiting, None], key=str), popped
    assert [t.state.name for t in workers[0].get_trials()] == ["RUNNING"]
