"""The `export` command: a model's network as an ONNX file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import error_text, fail


def export_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    onnx: Annotated[Path, typer.Option("--onnx", help="ONNX file to write.")],
) -> None:
    """Export the network (embeddings to scores) as ONNX, for `tag --backend onnx --onnx`."""
    from tagger.export import export_onnx
    from tagger.io import read_artifact
    from tagger.outputs import check_output

    try:
        check_output(onnx, [model], option="--onnx")
        data = export_onnx(read_artifact(model), onnx)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps({"output": str(onnx), "bytes": len(data)}))
