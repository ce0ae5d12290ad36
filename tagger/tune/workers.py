"""Worker processes: each takes trials from the shared study until it holds --trials
counted ones (complete, pruned or running), and waits while others' trials still run."""

from __future__ import annotations

import multiprocessing
import sys
import time
from typing import Any

from tagger.tune.objective import COUNTED, Objective, Surplus
from tagger.tune.study import TuneSetup, open_study


class WorkersFailed(ValueError):
    """Some worker processes ended with errors or were killed; the study is intact."""


POLL_S = 5  # how often a worker with nothing to run looks at the study again


def finished(study: Any) -> tuple[int, int]:
    """(complete or pruned trials, running or waiting ones) of the study."""
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    done = sum(1 for s in states if s in ("COMPLETE", "PRUNED"))
    return done, sum(1 for s in states if s in COUNTED) - done


def progress_line(study: Any, trial: Any, total: int) -> str:
    """`trial 0007 COMPLETE  dev 95.12  41 s  model.hidden=128 ...  (5/40 done)`."""
    values = "  ".join(f"{name} {value:,.4g}" for name, value in trial_values(study, trial))
    seconds = trial.duration.total_seconds() if trial.duration else 0.0
    params = " ".join(
        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
        for key, value in trial.params.items()
    )
    done = finished(study)[0]
    return (
        f"trial {trial.number:04d} {trial.state.name:<8} {values}  {seconds:.0f} s  {params}"
        f"  ({done}/{total} done)"
    )


def trial_values(study: Any, trial: Any) -> list[tuple[str, float]]:
    """(objective, value) of a finished trial; a pruned one shows its last dev score."""
    names = study.user_attrs.get("tagger_objectives", ["dev"])
    if trial.values is not None:
        return list(zip(names, trial.values, strict=False))
    scores = trial.user_attrs.get("dev_scores", [])
    return [("dev", scores[-1])] if scores else []


def run_worker(setup: TuneSetup, worker: int = 0) -> None:
    """Run trials of the study until it holds setup.trials counted ones, all finished."""
    import optuna
    import torch

    from tagger.divergence import TrainingDiverged

    if setup.threads > 0:
        torch.set_num_threads(setup.threads)
    study = open_study(setup, worker)
    objective = Objective(setup)

    def show(study: Any, trial: Any) -> None:
        if setup.progress and not isinstance(trial.user_attrs.get("note"), str):
            print(progress_line(study, trial, setup.trials), file=sys.stderr, flush=True)

    started = 0
    while True:
        optuna.storages.fail_stale_trials(study)  # a killed worker's trial fails
        done, running = finished(study)
        if done >= setup.trials:
            return
        if done + running >= setup.trials:  # the last ones run elsewhere
            time.sleep(min(POLL_S, setup.grace_s / 2))  # a dead worker's trial fails soon
            continue
        if started >= 4 * setup.trials:  # a bound, should trials keep failing
            raise ValueError(
                f"tune: this worker started {started} trials and the study still has only "
                f"{done} of --trials {setup.trials} complete or pruned: see the failed ones "
                "in trials.csv"
            )
        started += 1
        try:
            study.optimize(
                objective, n_trials=1, catch=(Surplus, TrainingDiverged), callbacks=[show]
            )
        except optuna.exceptions.UpdateFinishedTrialError as err:
            # Another worker found this live trial's heartbeat too old (a starved process,
            # or --grace too short) and failed it: this worker goes on with another.
            print(f"warning: worker {worker}: {err} (a longer --grace?)", file=sys.stderr)


def _worker_main(setup: TuneSetup, worker: int) -> None:
    """A spawned worker: errors as one line, exit status 1."""
    try:
        run_worker(setup, worker)
    except (OSError, ValueError) as err:
        text = str(err).strip().replace("\n", " ") or type(err).__name__
        print(f"error: worker {worker}: {text}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)


def run_workers(setup: TuneSetup, jobs: int) -> None:
    """`jobs` spawned worker processes on the setup's storage (one: this process)."""
    if jobs <= 1:
        run_worker(setup)
        return
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker_main, args=(setup, k)) for k in range(jobs)]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.join()
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
                process.join()
    failed = [k for k, p in enumerate(processes) if p.exitcode != 0]
    if failed:
        codes = ", ".join(f"worker {k}: status {processes[k].exitcode}" for k in failed)
        raise WorkersFailed(
            f"tune: workers ended with errors ({codes}; their lines, if any, are above); the study "
            "keeps every finished trial: run the same command again to continue it"
        )
