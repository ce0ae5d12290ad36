"""One trial: sample the space, train into OUTPUT/trials/NNNN under the trial budget
with the dev score reported after every epoch, and return the objectives' values."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from tagger.callbacks import CHECKPOINT
from tagger.config import config_to_dict
from tagger.tune.fit import fit_trial
from tagger.tune.objectives import dev_text, words_per_s
from tagger.tune.pruning import ReportToTrial
from tagger.tune.study import TuneSetup

TRIALS = "trials"  # OUTPUT/trials/NNNN: each trial's model folder
COUNTED = ("COMPLETE", "PRUNED", "RUNNING", "WAITING")  # count toward --trials


class Surplus(Exception):
    """The study had its trials when this one was made (another worker took the last)."""


def trial_folder(output: Path, number: int) -> Path:
    return output / TRIALS / f"{number:04d}"


def counted_before(study: Any, number: int) -> int:
    """Trials made before trial `number` that count toward --trials."""
    trials = study.get_trials(deepcopy=False)
    return sum(1 for t in trials if t.number < number and t.state.name in COUNTED)


class Objective:
    """The function Optuna calls once per trial (in the worker's process)."""

    def __init__(self, setup: TuneSetup) -> None:
        self.setup = setup
        self._lines: list[str] | None = None  # the dev text, read once per worker

    def __call__(self, trial: Any) -> float | tuple[float, ...]:
        setup = self.setup
        # Optuna's heartbeat thread writes its first beat a moment later; a worker killed
        # before it would leave this trial RUNNING for ever (fail_stale_trials only fails
        # trials that have a heartbeat).
        record_heartbeat = getattr(trial.study._storage, "record_heartbeat", None)
        if record_heartbeat is not None:
            record_heartbeat(trial._trial_id)
        if counted_before(trial.study, trial.number) >= setup.trials:
            trial.set_user_attr("note", "surplus: the study had its trials")
            raise Surplus(f"trial {trial.number}: the study has its {setup.trials} trials")
        values = {param.key: param.sample(trial) for param in setup.params}
        config = setup.config(values)
        folder = trial_folder(setup.output, trial.number)
        trial.set_user_attr("pid", os.getpid())  # which worker runs it
        trial.set_user_attr("config", config_to_dict(config))
        trial.set_user_attr("folder", str(folder.relative_to(setup.output)))
        report = ReportToTrial(trial, prune=len(setup.objectives) == 1)
        try:
            summary = fit_trial(config, folder, [report], setup.data_dir, setup.device)
        finally:
            shutil.rmtree(folder / CHECKPOINT, ignore_errors=True)  # trials never resume
        found = {
            "dev": summary["dev_score"],
            "params": float(summary["parameters"]),
            "train_minutes": summary["training_seconds"] / 60,
        }
        if "words_per_s" in setup.objectives:
            if self._lines is None:
                self._lines = dev_text(config, setup.data_dir)
            found["words_per_s"] = words_per_s(folder, self._lines)
        for name, value in found.items():
            trial.set_user_attr(name, value)
        trial.set_user_attr("epochs", summary["epochs"])
        chosen = tuple(found[name] for name in setup.objectives)
        return chosen[0] if len(chosen) == 1 else chosen
