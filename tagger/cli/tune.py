"""The `tune` command: an Optuna study of configs around a base config and a search space."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import DataDir, Device, error_text, fail
from tagger.data.errors import CorpusError
from tagger.tune.storage import GRACE_S, HEARTBEAT_S


def tune_cli(
    config: Annotated[Path, typer.Argument(help="Base TOML config.", exists=True, dir_okay=False)],
    space: Annotated[
        Path, typer.Option("--space", help="Search space TOML.", exists=True, dir_okay=False)
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Tune folder to write.")],
    trials: Annotated[int, typer.Option("--trials", help="Trials in the study in total.")] = 20,
    trial_minutes: Annotated[
        float, typer.Option("--trial-minutes", help="Training budget of each trial.")
    ] = 5.0,
    study: Annotated[
        str | None, typer.Option("--study", help="Study name (default: the config's stem).")
    ] = None,
    storage: Annotated[
        str | None,
        typer.Option("--storage", help="Database URL (default: sqlite:///OUTPUT/study.db)."),
    ] = None,
    objectives: Annotated[
        str,
        typer.Option("--objectives", help="dev, or dev,words_per_s (or params, train_minutes)."),
    ] = "dev",
    pruner: Annotated[
        str | None, typer.Option("--pruner", help="median (default), hyperband or none.")
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes on this machine.")] = 1,
    threads: Annotated[
        int, typer.Option("--threads", help="Torch threads per worker (0: 1 with --jobs > 1).")
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the sampler.")] = 0,
    heartbeat: Annotated[
        int,
        typer.Option(
            "--heartbeat", metavar="SECONDS", help="How often a running trial says it is alive."
        ),
    ] = HEARTBEAT_S,
    grace: Annotated[
        int,
        typer.Option(
            "--grace",
            metavar="SECONDS",
            help="A trial silent this long lost its worker and is failed (longer on slow "
            "shared storage).",
        ),
    ] = GRACE_S,
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Fix a config key in every trial.")
    ] = None,
    data_dir: DataDir = None,
    device: Device = "auto",
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")] = False,
) -> None:
    """Search configs: train a trial per sampled config, keep the best (or the front)."""
    from tagger.config import ConfigError
    from tagger.tune.run import make_setup, tune

    try:
        setup = make_setup(
            config,
            space,
            output,
            trials,
            trial_minutes,
            objectives=objectives,
            pruner=pruner,
            overrides=overrides,
            storage=storage,
            study=study,
            seed=seed,
            data_dir=data_dir,
            device=device,
            threads=threads if threads > 0 else (1 if jobs > 1 else 0),
            progress=not quiet,
            heartbeat_s=heartbeat,
            grace_s=grace,
        )
        summary = tune(setup, jobs)
    except (ConfigError, CorpusError, OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps(summary))
