"""A study's settings (what every worker process needs) and the Optuna study itself:
its storage, sampler (TPE for one objective, NSGA-II for several) and pruner."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tagger.config import Config, config_from_dict
from tagger.tune.objectives import directions
from tagger.tune.space import BUDGET_KEY, Param, config_value, with_values
from tagger.tune.storage import GRACE_S, HEARTBEAT_S, open_storage

PRUNERS = ("median", "hyperband", "none")
OBJECTIVES_ATTR = "tagger_objectives"  # the study's objective names, kept in its storage


@dataclass(frozen=True)
class TuneSetup:
    """Everything a trial needs, picklable for spawned workers."""

    base: dict[str, Any]  # the config file's values
    params: tuple[Param, ...]  # the search space
    output: Path  # the tune folder
    storage: str  # database URL
    study: str  # study name
    trials: int  # trials in the study in total (complete, pruned or running)
    trial_minutes: float  # train.max_minutes of every trial
    objectives: tuple[str, ...] = ("dev",)
    pruner: str = "median"  # median | hyperband | none
    seed: int = 0  # of the sampler (worker k: seed + k)
    overrides: tuple[str, ...] = ()  # --set
    data_dir: Path | None = None
    device: str = "auto"
    threads: int = 0  # torch threads of a worker process (0: torch's default)
    progress: bool = True  # a line per finished trial on stderr
    heartbeat_s: int = HEARTBEAT_S  # a running trial's heartbeat interval
    grace_s: int = GRACE_S  # a trial silent this long has lost its worker: failed

    def config(self, values: dict[str, Any]) -> Config:
        """The config of a trial that samples `values` (dotted keys)."""
        merged = with_values(self.base, {**values, BUDGET_KEY: self.trial_minutes})
        return config_from_dict(merged, list(self.overrides))


def make_pruner(name: str, max_epochs: int) -> Any:
    import optuna

    if name == "median":  # epoch 1 is noisy: judged from epoch 2 on
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max_epochs)
    return optuna.pruners.NopPruner()


def make_sampler(objectives: tuple[str, ...], seed: int) -> Any:
    import optuna

    if len(objectives) > 1:
        return optuna.samplers.NSGAIISampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def quiet_optuna() -> None:
    """Optuna's own lines off (the command prints one per trial) and its warnings that
    the heartbeat is experimental."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def open_study(setup: TuneSetup, worker: int = 0) -> Any:
    """The setup's study, made or continued; a study made for other objectives is refused."""
    import optuna

    quiet_optuna()
    max_epochs = setup.config({}).train.max_epochs
    study = optuna.create_study(
        storage=open_storage(setup.storage, setup.heartbeat_s, setup.grace_s),
        study_name=setup.study,
        directions=directions(list(setup.objectives)),
        pruner=make_pruner(setup.pruner, max_epochs),
        load_if_exists=True,
    )
    # A worker that joins a running study (a restart, another machine) must not replay the
    # random start of the worker whose number it has: its seed counts the trials there.
    seen = len(study.get_trials(deepcopy=False))
    study.sampler = make_sampler(setup.objectives, setup.seed + worker + 7919 * seen)
    found = study.user_attrs.get(OBJECTIVES_ATTR)
    if found is None:
        study.set_user_attr(OBJECTIVES_ATTR, list(setup.objectives))
    elif list(found) != list(setup.objectives):
        raise ValueError(
            f"--study {setup.study}: optimises {','.join(found)}, not "
            f"{','.join(setup.objectives)}; give those --objectives or another --study"
        )
    return study


def enqueue_base(study: Any, setup: TuneSetup) -> bool:
    """Make the base config's own values the study's first trial, when the study is new
    and the space contains them all: the study's best is then measured against the
    config it started from, under the same budget. Whether it was enqueued."""
    if study.get_trials(deepcopy=False):
        return False
    config = setup.config({})
    values = {param.key: config_value(config, param.key) for param in setup.params}
    if not all(param.contains(values[param.key]) for param in setup.params):
        return False
    study.enqueue_trial(values, user_attrs={"base": True}, skip_if_exists=True)
    return True
