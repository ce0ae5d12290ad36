"""The `train` command: a config file (and --set overrides) into a model folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import DataDir, Device, Force, error_text, fail
from tagger.data.errors import CorpusError


def train_cli(
    config: Annotated[Path, typer.Argument(help="TOML config file.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write.")],
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key: model.hidden=128.")
    ] = None,
    max_minutes: Annotated[
        float | None,
        typer.Option("--max-minutes", help="Training time budget (train.max_minutes)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT/checkpoint.")
    ] = False,
    data_dir: DataDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    device: Device = "auto",
    force: Force = False,
    bundle: Annotated[
        bool,
        typer.Option(
            "--bundle-encoder", help="Copy model.encoder's files into OUTPUT/encoder (no hub)."
        ),
    ] = False,
    plot: Annotated[
        bool,
        typer.Option("--plot/--no-plot", help="Draw the curves in OUTPUT/training.png."),
    ] = True,
) -> None:
    """Train a model from a config file into OUTPUT."""
    from tagger.config import ConfigError, load_config
    from tagger.distributed import from_environment
    from tagger.train import train

    items = list(overrides or [])
    if max_minutes is not None:
        items.append(f"train.max_minutes={max_minutes}")
    try:
        cfg = load_config(config, items)
        result = train(
            cfg,
            output,
            data_dir=data_dir,
            resume=resume,
            progress=not quiet,
            device=device,
            force=force,
            inputs=[config],
            bundle=bundle,
            plots=plot,
        )
    except (ConfigError, CorpusError, OSError, ValueError) as err:
        fail(error_text(err))
    if from_environment().main:  # under torchrun, one summary
        typer.echo(json.dumps(result))
