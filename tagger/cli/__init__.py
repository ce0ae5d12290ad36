"""The `tagger` command: one thin module per command, each parsing its options and
calling one importable function."""

from __future__ import annotations

import sys

import typer

from tagger.cli import (
    corpora,
    evaluate,
    explain,
    export,
    info,
    report,
    tag,
    to_spacy,
    train,
    tune,
)
from tagger.cli.options import repeated_option, run_interruptible

app = typer.Typer(help="BiLSTM sequence tagger: train, evaluate and tag.", no_args_is_help=True)
corpora_app = typer.Typer(help="The corpus catalog.", no_args_is_help=True)
app.add_typer(corpora_app, name="corpora")

app.command("train")(train.train_cli)
app.command("evaluate")(evaluate.evaluate_cli)
tag.register(app)
app.command("export")(export.export_cli)
app.command("to-spacy")(to_spacy.to_spacy_cli)
app.command("info")(info.info_cli)
corpora_app.command("list")(corpora.corpora_list_cli)
app.command("explain")(explain.explain_cli)
app.command("report")(report.report_cli)
app.command("tune")(tune.tune_cli)


def main(argv: list[str] | None = None) -> None:
    """The `tagger` command on `argv` (default: this process's arguments): an option
    given twice is an error; SIGINT and SIGTERM end it with one line (tagger.cli.options)."""
    args = sys.argv[1:] if argv is None else list(argv)
    twice = repeated_option(typer.main.get_command(app), args)
    if twice is not None:
        typer.echo(f"error: {twice} (the option takes one value)", err=True)
        sys.exit(2)
    run_interruptible(lambda: app(args=args))
