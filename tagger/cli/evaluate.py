"""The `evaluate` command: a model scored on a corpus, as a table or JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import (
    Backend,
    DataDir,
    Device,
    Force,
    Int8,
    OnnxFile,
    error_text,
    fail,
)
from tagger.data.errors import CorpusError
from tagger.start_up import serving_start_up


def evaluate_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    corpus: Annotated[str, typer.Argument(help="Catalog name, hf:<id>[:<config>] or a file.")],
    split: Annotated[str, typer.Option(help="Split of a catalog or hf: corpus.")] = "test",
    fmt: Annotated[
        str, typer.Option("--format", help="File format: conllu, conll, parquet, json.")
    ] = "",
    columns: Annotated[str, typer.Option(help="WORD,TAG column indices of a CoNLL file.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data_dir: DataDir = None,
    backend: Backend = "torch",
    int8: Int8 = False,
    onnx: OnnxFile = None,
    device: Device = "auto",
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Folder for the confusion and per-label plots.")
    ] = None,
    force: Force = False,
) -> None:
    """Score MODEL on a corpus: accuracy and a per-label table."""
    with serving_start_up():  # before anything imports torch; settled by evaluate_model
        from tagger.evaluate import format_evaluation
        from tagger.evaluation_run import evaluate_model
        from tagger.serving import ServeOptions

        try:
            serve = ServeOptions(backend=backend, int8=int8, onnx=str(onnx or ""), device=device)
            where = (split, fmt, columns, data_dir)
            scores = evaluate_model(model, corpus, serve, *where, plots, force)
        except (CorpusError, OSError, ValueError, KeyError) as err:
            fail(error_text(err))
    typer.echo(json.dumps(dict(scores)) if as_json else format_evaluation(scores))
