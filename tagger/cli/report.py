"""The `report` command: one self-contained HTML page about a model, or about a study
(a folder `tagger tune --output` wrote, told by its contents)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import DataDir, Device, check_counts, error_text, fail
from tagger.data.errors import CorpusError


def report_cli(
    model: Annotated[
        Path, typer.Argument(help="Model folder, or a tune folder (tagger tune --output).")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file to write.")],
    corpus: Annotated[
        str | None,
        typer.Option(help="Catalog name, hf:<id>[:<config>] or a file (a model's report)."),
    ] = None,
    split: Annotated[str, typer.Option(help="Split of the corpus to evaluate on.")] = "test",
    examples: Annotated[int, typer.Option(help="Sentences to explain in the report.")] = 3,
    data_dir: DataDir = None,
    device: Device = "cpu",
) -> None:
    """One self-contained HTML report: model card, curves, confusion, explained examples;
    or, for a tune folder, the study's trials, plots and best configs."""
    from tagger.outputs import check_output
    from tagger.tune.report import check_report_output, is_tune_folder, write_tune_report

    check_counts(examples=(examples, 0))
    tuned = is_tune_folder(model)
    if tuned and corpus is not None:
        fail(f"--corpus: {model} is a tune folder, whose report evaluates nothing; leave it out")
    if not tuned and corpus is None:
        fail(f"--corpus: the report of the model {model} evaluates it on a corpus; give one")
    try:
        if tuned:
            check_report_output(output, model)
            written = write_tune_report(model, output)
        else:
            from tagger.explain.report import write_report

            check_output(output, [model, corpus])
            written = write_report(model, corpus, output, split, data_dir, examples, device)
    except (CorpusError, OSError, ValueError, KeyError) as err:
        fail(error_text(err))
    typer.echo(str(written))
