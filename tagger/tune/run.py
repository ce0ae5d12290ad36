"""`tune(...)`: the setup checked at the door, the workers run, the results written."""

from __future__ import annotations

import contextlib
import sys
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from tagger.config import ConfigError
from tagger.train import training_inputs
from tagger.tune.folder import check_tune_folder, default_storage
from tagger.tune.objectives import parse_objectives
from tagger.tune.space import read_space
from tagger.tune.study import PRUNERS, TuneSetup, enqueue_base, open_study


def make_setup(
    config_path: Path,
    space_path: Path,
    output: Path,
    trials: int,
    trial_minutes: float,
    **options: Any,
) -> TuneSetup:
    """The study's setup from the command's options, each checked (ConfigError or
    ValueError naming the option); the tune folder is checked too, before any trial."""
    if trials < 1:
        raise ValueError(f"--trials: expected at least 1, got {trials}")
    if not trial_minutes > 0:
        raise ValueError(f"--trial-minutes: expected positive minutes, got {trial_minutes}")
    objectives = tuple(parse_objectives(options.pop("objectives", "dev")))
    pruner = options.pop("pruner", None) or ("median" if len(objectives) == 1 else "none")
    if pruner not in PRUNERS:
        raise ValueError(f"--pruner: expected one of {', '.join(PRUNERS)}, got {pruner!r}")
    if pruner != "none" and len(objectives) > 1:
        raise ValueError("--pruner: a study of several objectives cannot prune; leave it out")
    base = _read_base(config_path)
    params = tuple(read_space(space_path, base))
    overrides = tuple(options.pop("overrides", ()) or ())
    _check_overrides(overrides, params)
    storage = options.pop("storage", None)
    setup = TuneSetup(
        base=base,
        params=params,
        output=output,
        storage=storage or default_storage(output),
        study=options.pop("study", None) or config_path.stem,
        trials=trials,
        trial_minutes=trial_minutes,
        objectives=objectives,
        pruner=pruner,
        overrides=overrides,
        **options,
    )
    _check_heartbeat(setup)
    try:
        config = setup.config({})
    except ConfigError as err:
        raise ConfigError(f"{config_path}: {err}") from err
    inputs = [config_path, space_path, *training_inputs(config, setup.data_dir)]
    return replace(setup, output=check_tune_folder(output, inputs))


def _read_base(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from err


def _check_overrides(overrides: tuple[str, ...], params: tuple[Any, ...]) -> None:
    """A --set key that the space samples too is refused (which one would win?)."""
    sampled = {param.key for param in params}
    for item in overrides:
        key = item.split("=", 1)[0].strip()
        if key in sampled:
            raise ValueError(f"--set {item}: the space samples {key}; drop one of the two")


def _check_heartbeat(setup: TuneSetup) -> None:
    """Optuna's heartbeat is a whole number of seconds; a grace period no longer than it
    would fail a live worker's trial between two beats."""
    if setup.heartbeat_s < 1:
        raise ValueError(f"--heartbeat: expected at least 1 second, got {setup.heartbeat_s}")
    if setup.grace_s <= setup.heartbeat_s:
        raise ValueError(
            f"--grace: expected more seconds than --heartbeat ({setup.heartbeat_s}), "
            f"got {setup.grace_s}"
        )


def tune(setup: TuneSetup, jobs: int = 1) -> dict[str, Any]:
    """Run the study's remaining trials on `jobs` workers, then write its results into
    the tune folder and print the table; a summary of the study."""
    from tagger.tune.plots import write_plots
    from tagger.tune.results import table, write_results
    from tagger.tune.workers import WorkersFailed, finished, run_workers

    if jobs < 1:
        raise ValueError(f"--jobs: expected at least 1, got {jobs}")
    made = not setup.output.exists()
    setup.output.mkdir(parents=True, exist_ok=True)  # SQLite makes the file, not the folder
    try:
        study = open_study(setup)  # made here once, before the workers load it
    except BaseException:
        if made:  # a storage that cannot be opened leaves no empty folder behind
            with contextlib.suppress(OSError):
                setup.output.rmdir()
        raise
    enqueue_base(study, setup)
    failed: WorkersFailed | None = None
    try:
        if finished(study)[0] < setup.trials:  # a finished study starts no workers
            run_workers(setup, jobs)
    except WorkersFailed as err:  # a killed worker: what the others finished is written
        failed = err
    objectives = list(setup.objectives)
    lines = write_results(study, setup.output, objectives)
    plots = write_plots(study, setup.output, objectives)
    if plots:
        lines.append(f"{setup.output / 'plots'}: {', '.join(plots)}")
    if setup.progress:
        print(table(study, objectives), file=sys.stderr)
        for line in lines:
            print(line, file=sys.stderr)
    if failed is not None:
        raise failed
    states = [t.state.name for t in study.get_trials(deepcopy=False)]
    return {
        "study": setup.study,
        "storage": setup.storage,
        "trials": len(states),
        **{state.lower(): states.count(state) for state in ("COMPLETE", "PRUNED", "FAIL")},
    }
