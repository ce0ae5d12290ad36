"""The `report` command: one self-contained HTML page about a model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import DataDir, Device, check_counts, error_text, fail
from tagger.data.errors import CorpusError


def report_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    corpus: Annotated[str, typer.Option(help="Catalog name, hf:<id>[:<config>] or a file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    split: Annotated[str, typer.Option(help="Split of the corpus to evaluate on.")] = "test",
    examples: Annotated[int, typer.Option(help="Sentences to explain in the report.")] = 3,
    data_dir: DataDir = None,
    device: Device = "cpu",
) -> None:
    """One self-contained HTML report: model card, curves, confusion, explained examples."""
    from tagger.explain.report import write_report
    from tagger.outputs import check_output

    check_counts(examples=(examples, 0))
    try:
        check_output(output, [model, corpus])
        written = write_report(model, corpus, output, split, data_dir, examples, device)
    except (CorpusError, OSError, ValueError, KeyError) as err:
        fail(error_text(err))
    typer.echo(str(written))
