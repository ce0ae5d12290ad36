"""The pruning callback: dev scores go to the trial each epoch, and a hopeless trial
stops training (optuna.TrialPruned) while a good one goes on."""

from __future__ import annotations

import optuna
import pytest

from tagger.callbacks import EpochReport, TrainState
from tagger.tune.pruning import ReportToTrial
from tagger.tune.study import make_pruner


def epoch(number: int, score: float) -> EpochReport:
    return EpochReport(number, 0.1, score, 1e-3, 100, 1.0, 100.0, float(number))


class FakeTrial:
    """Prunes once a score under `floor` is reported."""

    def __init__(self, floor: float) -> None:
        self.floor = floor
        self.reported: list[tuple[int, float]] = []
        self.user_attrs: dict[str, object] = {}

    def report(self, value: float, step: int) -> None:
        self.reported.append((step, value))

    def should_prune(self) -> bool:
        return self.reported[-1][1] < self.floor

    def set_user_attr(self, key: str, value: object) -> None:
        self.user_attrs[key] = value


def test_a_bad_score_prunes_and_a_good_one_does_not() -> None:
    trial = FakeTrial(floor=0.5)
    callback = ReportToTrial(trial)
    callback.on_epoch_end(TrainState(), epoch(1, 0.9), None)
    with pytest.raises(optuna.TrialPruned):
        callback.on_epoch_end(TrainState(), epoch(2, 0.2), None)
    assert trial.reported == [(1, 0.9), (2, 0.2)]
    assert trial.user_attrs["dev_scores"] == [0.9, 0.2]


def test_without_pruning_scores_are_kept_but_not_reported() -> None:
    trial = FakeTrial(floor=0.5)
    callback = ReportToTrial(trial, prune=False)
    callback.on_epoch_end(TrainState(), epoch(1, 0.1), None)
    assert trial.reported == [] and trial.user_attrs["dev_scores"] == [0.1]


def test_the_median_pruner_stops_a_trial_below_the_others() -> None:
    study = optuna.create_study(direction="maximize", pruner=make_pruner("median", 10))
    for _ in range(4):  # good trials (the pruner's first 4 are never pruned)
        trial = study.ask()
        callback = ReportToTrial(trial)
        for number, score in enumerate((0.8, 0.9, 0.95), start=1):
            callback.on_epoch_end(TrainState(), epoch(number, score), None)
        study.tell(trial, 0.95)
    bad = ReportToTrial(study.ask())
    bad.on_epoch_end(TrainState(), epoch(1, 0.1), None)  # a warm-up step: never pruned
    with pytest.raises(optuna.TrialPruned):
        bad.on_epoch_end(TrainState(), epoch(2, 0.1), None)
    good = ReportToTrial(study.ask())
    for number, score in enumerate((0.85, 0.92), start=1):
        good.on_epoch_end(TrainState(), epoch(number, score), None)
