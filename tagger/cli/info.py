"""The `info` command: what a model folder holds, as JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import error_text, fail


def info_cli(model: Annotated[Path, typer.Argument(help="Model folder.")]) -> None:
    """Print a model's task, labels, sizes, metrics and versions as JSON."""
    from tagger.io import artifact_info, read_artifact

    try:
        artifact = read_artifact(model)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps(artifact_info(artifact), indent=1))
