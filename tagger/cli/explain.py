"""The `explain` command: what the LSTM does with a sentence, or over a corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import DataDir, Device, Force, error_text, fail
from tagger.data.errors import CorpusError


def explain_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    text: Annotated[
        str | None, typer.Argument(help="Text to explain (its sentences, as `tag` splits them).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Folder for the page, pictures, JSON.")
    ] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="html (page + PNG + JSON lines) or json (lines).")
    ] = "html",
    tokenized: Annotated[
        bool, typer.Option("--tokenized", help="TEXT is one sentence of space-separated tokens.")
    ] = False,
    saliency: Annotated[
        str,
        typer.Option(
            help="auto (integrated gradients for sentence models, gradient x input for "
            "taggers), ig, grad or none."
        ),
    ] = "auto",
    corpus: Annotated[
        str | None, typer.Option(help="With --stats: catalog name, hf:<id> or a file.")
    ] = None,
    split: Annotated[str, typer.Option(help="With --stats: split of the corpus.")] = "dev",
    stats: Annotated[
        bool, typer.Option("--stats", help="Gate saturation statistics over --corpus.")
    ] = False,
    data_dir: DataDir = None,
    device: Device = "cpu",
    force: Force = False,
) -> None:
    """Show what the LSTM does with a sentence: gates, cell states, saliency, attention."""
    from tagger.explain.command import (
        FORMATS,
        explain_text,
        write_json_file,
        write_json_lines,
        write_page,
    )
    from tagger.outputs import EXPLAIN, check_output, replace_folder
    from tagger.predict import Predictor

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
    if output is not None:
        try:
            check_output(output, [model, corpus if stats else None], EXPLAIN, force)
        except ValueError as err:
            fail(error_text(err))
    if stats:
        _stats(model, corpus, split, output, data_dir, device)
        return
    if text is None:
        fail("explain needs a TEXT (or --stats with --corpus)")
    if fmt == "html" and output is None:
        fail("--format html writes a page and pictures: give a folder with -o DIR")
    try:
        predictor = Predictor.load(model, device=device)
        explanations = explain_text(predictor, text, tokenized, saliency)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    if fmt == "json" and output is None:
        write_json_lines(explanations, sys.stdout)
        return
    assert output is not None
    if fmt == "json":
        replace_folder(
            output, EXPLAIN, lambda temp: write_json_file(explanations, temp / "explain.jsonl")
        )
        typer.echo(str(output / "explain.jsonl"))
        return
    typer.echo(str(write_page(explanations, output, f"{model.name}: {text}")))


def _stats(
    model: Path,
    corpus: str | None,
    split: str,
    output: Path | None,
    data_dir: Path | None,
    device: str,
) -> None:
    """--stats: gate statistics of MODEL over a corpus split, as JSON, or a page with -o."""
    from tagger.explain.command import corpus_stats, write_stats

    if corpus is None:
        fail("--stats needs --corpus (a catalog name, hf:<id> or a file)")
    try:
        stats = corpus_stats(model, corpus, split, data_dir, device)
    except (CorpusError, OSError, ValueError, KeyError) as err:
        fail(error_text(err))
    if output is None:
        typer.echo(json.dumps(stats.to_json()))
        return
    typer.echo(str(write_stats(stats, output, model.name, f"{corpus} {split}")))
