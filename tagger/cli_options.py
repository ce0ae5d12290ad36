"""Options and the error exit shared by the Typer commands of every room."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, NoReturn

import typer

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", envvar="TAGGER_DATA_DIR", help="Folder holding catalog corpora."),
]

Backend = Annotated[str, typer.Option(help="Run the network with torch or onnx (onnxruntime).")]
Int8 = Annotated[
    bool, typer.Option("--int8", help="Torch backend: int8 dynamic quantization (faster).")
]
Device = Annotated[
    str,
    typer.Option(
        "--device", help="auto (CUDA when available, else CPU), cpu, cuda, cuda:N or mps."
    ),
]
OnnxFile = Annotated[
    Path | None, typer.Option("--onnx", help="With --backend onnx: a file from `tagger export`.")
]


def fail(message: str) -> NoReturn:
    """Print `error: message` to stderr and exit with status 1 (no traceback)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


RAY_ADDRESS = re.compile(r"^(local|auto|ray://.+|[^/\s]+:\d+)$")


def ray_flag_argv(argv: list[str]) -> list[str]:
    """`--ray` not followed by an address (local, auto, HOST:PORT, ray://...) means
    `--ray local`: Typer options cannot take an optional value themselves."""
    fixed = []
    for i, arg in enumerate(argv):
        fixed.append(arg)
        if arg == "--ray" and (i + 1 == len(argv) or not RAY_ADDRESS.match(argv[i + 1])):
            fixed.append("local")
    return fixed
