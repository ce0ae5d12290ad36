"""The training callback through which a trial reports its dev score after every epoch
and is stopped when the pruner finds it hopeless; the train loop knows nothing of Optuna."""

from __future__ import annotations

from typing import Any

from tagger.callbacks import EpochReport, TrainState


class ReportToTrial:
    """Reports each epoch's dev score to an Optuna trial (the step is the epoch) and
    raises optuna.TrialPruned when the trial's pruner says so; `scores` keeps them."""

    def __init__(self, trial: Any, prune: bool = True) -> None:
        self.trial = trial
        self.prune = prune  # a study of several objectives cannot prune (Optuna refuses)
        self.scores: list[float] = []

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: EpochReport, trainer: Any) -> None:
        import optuna

        self.scores.append(report.dev_score)
        self.trial.set_user_attr("dev_scores", list(self.scores))
        if not self.prune:
            return
        self.trial.report(report.dev_score, report.epoch)
        if self.trial.should_prune():
            raise optuna.TrialPruned(f"pruned after epoch {report.epoch}")
