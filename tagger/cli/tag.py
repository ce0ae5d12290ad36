"""The `tag` command: raw text or tokens from files or stdin, tagged locally or on Ray."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperCommand

from tagger.cli.options import (
    Backend,
    Device,
    Int8,
    OnnxFile,
    check_counts,
    error_text,
    fail,
)
from tagger.data.errors import CorpusError
from tagger.start_up import serving_start_up

if TYPE_CHECKING:  # tagger.serving imports torch: the CLI starts without it
    from tagger.serving import ServeOptions

RAY_ADDRESS = re.compile(r"^(local|auto|ray://.+|[^/\s]+:\d+)$")


def bare_ray_as_local(args: list[str]) -> list[str]:
    """`--ray` not followed by an address (local, auto, HOST:PORT, ray://...) means
    `--ray local`; what follows it stays an input file or an option."""
    read = []
    for i, arg in enumerate(args):
        read.append(arg)
        if arg == "--ray" and (i + 1 == len(args) or not RAY_ADDRESS.match(args[i + 1])):
            read.append("local")
    return read


class TagCommand(TyperCommand):
    """`tagger tag`, whose `--ray` may stand alone: Typer options cannot take an optional
    value (Typer dropped `flag_value`, typer#986), so the command reads its own arguments
    with a bare `--ray` meaning a Ray on this machine (sys.argv is left as it is)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, bare_ray_as_local(args))


def register(app: typer.Typer) -> None:
    """Add the `tag` command to the CLI."""
    app.command("tag", cls=TagCommand)(tag_cli)


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
        int,
        typer.Option(
            help="Torch threads (0 = all cores; --ray: 1 per actor); 1 when other jobs share "
            "the CPU."
        ),
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
            help="--ray: tagging actors of --threads CPUs (at least 1) each "
            "(0 = as many as the Ray cluster's CPUs hold)."
        ),
    ] = 0,
) -> None:
    """Tag raw text (or pre-tokenized lines) from FILES or stdin.

    A sentence model labels each line (or sentence); a tokenize model writes tokens and sentences.
    """
    with serving_start_up():  # before anything imports torch; settled by tag_here
        from tagger.cluster.blocks import TagOptions
        from tagger.data.inputs import is_readable
        from tagger.tag_run import tag

        for path in files or []:
            if not is_readable(path):
                fail(f"{path}: no such file (expected a file, a named pipe, /dev/fd/N or -)")
        check_counts(processes=(processes, 1), workers=(workers, 0))
        serve = serve_options(
            batch_size, scheme, backend, int8, onnx, device, threads, tokenizer, on_error, processes
        )
        options = TagOptions(str(model), fmt, pretokenized, scores, split_sentences, serve)
        try:
            tag(files or [], output, options, processes, ray, workers)
        except (CorpusError, OSError, ValueError) as err:
            fail(error_text(err))


def serve_options(
    batch_size: int,
    scheme: str,
    backend: str,
    int8: bool,
    onnx: Path | None,
    device: str,
    threads: int,
    tokenizer: Path | None,
    on_error: str,
    processes: int,
) -> ServeOptions:
    """The one ServeOptions of a `tag` run (`auto` is the CPU for forked processes);
    a bad value fails with the CLI's one-line error."""
    from tagger.devices import serving_device
    from tagger.serving import ServeOptions

    try:
        return ServeOptions(
            batch_size=batch_size,
            scheme=scheme,
            backend=backend,
            int8=int8,
            onnx=str(onnx or ""),
            device=serving_device(device, backend, int8, processes),
            threads=threads,
            tokenizer=str(tokenizer or ""),
            on_error=on_error,
        )
    except ValueError as err:
        fail(str(err))
