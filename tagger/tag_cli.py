"""The `tag` command: raw text or tokens from files or stdin, tagged locally or on Ray."""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli_options import (
    Backend,
    Device,
    Int8,
    OnnxFile,
    check_counts,
    error_text,
    fail,
)
from tagger.data.errors import CorpusError


def register(app: typer.Typer) -> None:
    """Add the `tag` command to the CLI."""
    app.command("tag")(tag_cli)


def tag_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    files: Annotated[
        list[Path] | None, typer.Argument(help="Input files (default: stdin).")
    ] = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="conllu, conll, jsonl or text (word/TAG); sentence models: jsonl or text "
            "(label<TAB>text). Default: conllu, or jsonl for sentence models.",
        ),
    ] = "",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here, not stdout.")
    ] = None,
    pretokenized: Annotated[
        bool,
        typer.Option(
            "--pretokenized", help="One sentence per line, tokens split on spaces and tabs."
        ),
    ] = False,
    batch_size: Annotated[int, typer.Option(help="Sentences per batch.")] = 512,
    scheme: Annotated[str, typer.Option(help="NER output scheme: iob2, iob1 or bioes.")] = "iob2",
    scores: Annotated[
        bool, typer.Option("--scores", help="Add tag probabilities (jsonl), entity confidences.")
    ] = False,
    threads: Annotated[
        int, typer.Option(help="Torch threads (0 = all cores); 1 when other jobs share the CPU.")
    ] = 0,
    split_sentences: Annotated[
        bool, typer.Option("--split-sentences", help="Sentence models: one result per sentence.")
    ] = False,
    backend: Backend = "torch",
    int8: Int8 = False,
    onnx: OnnxFile = None,
    processes: Annotated[
        int, typer.Option(help="Worker processes, one torch thread each (bulk tagging).")
    ] = 1,
    device: Device = "auto",
    tokenizer: Annotated[
        Path | None,
        typer.Option(
            help="A trained tokenize model to split raw text with (default: the one the model "
            "carries, else spaCy's rules)."
        ),
    ] = None,
    on_error: Annotated[
        str,
        typer.Option(
            "--on-error", help="A bad line (not UTF-8, an overlong token): stop, or skip it."
        ),
    ] = "stop",
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Tag on Ray: local (alone: a Ray on this machine), auto or HOST:PORT.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            help="--ray: tagging actors, one CPU each (0 = every CPU of the Ray cluster)."
        ),
    ] = 0,
) -> None:
    """Tag raw text (or pre-tokenized lines) from FILES or stdin.

    A sentence model labels each line (or sentence); a tokenize model writes tokens and sentences.
    """
    from tagger.config import SENTENCE_TASKS
    from tagger.data.inputs import is_readable
    from tagger.data.lines import ON_ERROR, file_sources
    from tagger.data.schemes import SCHEMES
    from tagger.devices import serving_device
    from tagger.outputs import atomic_file, check_output
    from tagger.predict import Predictor
    from tagger.tag import check_format, tag_sources

    for path in files or []:
        if not is_readable(path):
            fail(f"{path}: no such file (expected a file, a named pipe, /dev/fd/N or -)")
    check_counts(batch_size=(batch_size, 1), processes=(processes, 1))
    check_counts(threads=(threads, 0), workers=(workers, 0))
    if on_error not in ON_ERROR:
        fail(f"--on-error: expected stop or skip, got {on_error!r}")
    if scheme not in SCHEMES:
        fail(f"--scheme: expected one of {', '.join(SCHEMES)}, got {scheme!r}")
    to_file = output is not None and str(output) != "-"  # `--output -` is stdout
    if to_file and ray is None:
        inputs = [model, *(files or []), tokenizer, onnx]
        try:
            check_output(output, inputs, compress=True)  # type: ignore[arg-type]
        except ValueError as err:
            fail(error_text(err))
    if ray is not None:  # the same output through tagger.cluster's Ray actors
        from tagger.cluster import TagOptions, tag_files

        options = TagOptions(
            model=str(model),
            fmt=fmt,
            pretokenized=pretokenized,
            scores=scores,
            split_sentences=split_sentences,
            batch_size=batch_size,
            scheme=scheme,
            int8=int8,
            on_error=on_error,
            tokenizer=str(tokenizer or ""),
        )
        try:
            tag_files(files or [], output, options, workers, ray)
        except (CorpusError, OSError, ValueError) as err:
            fail(error_text(err))
        return
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
    try:
        where = serving_device(device, backend, int8, processes)
        predictor = Predictor.load(
            model, batch_size, scheme, backend, int8, onnx, where, tokenizer=tokenizer
        )
        fmt = fmt or ("jsonl" if predictor.config.task in SENTENCE_TASKS else "conllu")
        check_format(predictor, fmt)
    except (OSError, ValueError) as err:
        fail(error_text(err))

    def report(error: CorpusError) -> None:
        typer.echo(f"skipped {error}", err=True)

    sources = file_sources(files or [], on_error, report)
    try:
        with ExitStack() as stack:
            # A file is written beside its name and renamed into place only when complete.
            out = stack.enter_context(atomic_file(output, compress=True)) if to_file else sys.stdout
            tag_sources(
                predictor, sources, out, fmt, pretokenized, scores, split_sentences, processes
            )
    except (CorpusError, OSError, ValueError) as err:
        fail(error_text(err))
