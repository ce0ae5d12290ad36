"""The `to-spacy` command: model folders as one spaCy pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli.options import Device, Force, error_text, fail


def to_spacy_cli(
    models: Annotated[list[Path], typer.Argument(help="Model folders, one component each.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Pipeline folder to write.")],
    lang: Annotated[str, typer.Option(help="spaCy language (default: the first model's).")] = "",
    base: Annotated[
        str, typer.Option(help="Add the components to this pipeline instead of a blank one.")
    ] = "",
    int8: Annotated[
        bool, typer.Option("--int8", help="Components run int8 dynamic quantization.")
    ] = False,
    device: Device = "auto",
    tokenizer: Annotated[
        str,
        typer.Option(
            help="A trained tokenize model as the pipeline's tokenizer and sentence splitter "
            "(default: the one the first model carries, else spaCy's rules + sentencizer)."
        ),
    ] = "",
    force: Force = False,
    bundle: Annotated[
        bool,
        typer.Option(
            "--bundle-encoder", help="Copy the models' pretrained encoders into the pipeline."
        ),
    ] = False,
) -> None:
    """Write a spaCy pipeline (tokenizer, sentencizer, one component per model)."""
    from tagger.serving import ServeOptions
    from tagger.to_spacy import to_spacy

    try:
        serve = ServeOptions(int8=int8, device=device, tokenizer=tokenizer)
        nlp = to_spacy(models, output, lang, base, serve, force, bundle)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps({"output": str(output), "pipeline": nlp.pipe_names}))
