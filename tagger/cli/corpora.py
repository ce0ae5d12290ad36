"""The `corpora` commands: the corpus catalog."""

from __future__ import annotations

import json

import typer

from tagger.cli.options import DataDir


def corpora_list_cli(data_dir: DataDir = None) -> None:
    """List the catalog's corpora and whether each split is available locally."""
    from tagger.data.catalog import corpus_table, load_catalog

    for row in corpus_table(load_catalog(), data_dir=data_dir):
        typer.echo(json.dumps(row))
