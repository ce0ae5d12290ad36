"""`tagger tag`'s work: files (or stdin) tagged into one output, here or on Ray."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from tagger.data.errors import CorpusError
from tagger.start_up import settle_startup

if TYPE_CHECKING:  # tagger.cluster is the `ray` extra's room: loaded only for --ray
    from tagger.cluster import TagOptions


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


def tag(
    files: Sequence[Path],
    output: Path | None,
    options: TagOptions,
    processes: int = 1,
    ray: str | None = None,
    workers: int = 0,
    report: Callable[[str], None] = _stderr,
) -> None:
    """Tag `files` (none: stdin) as `options` say into `output` (None or `-`: stdout):
    on Ray's actors when `ray` names a cluster (local, auto, HOST:PORT), else in this
    process and `processes` forked workers. The two paths write the same bytes; a bad
    option, input or output raises ValueError, OSError or CorpusError before any output."""
    if ray is None:
        tag_here(files, output, options, processes, report)
        return
    if processes > 1:
        raise ValueError("--processes does not apply with --ray; --workers sets the actors")
    settle_startup()  # the driver loads no model: the collector resumes now
    from tagger.cluster import tag_files

    tag_files(files, output, options, workers, ray, report)


def tag_here(
    files: Sequence[Path],
    output: Path | None,
    options: TagOptions,
    processes: int = 1,
    report: Callable[[str], None] = _stderr,
) -> None:
    """`tag` in this process (and `processes` forked workers): a file output is checked
    first, written beside its name and renamed into place only when complete."""
    from tagger.data.lines import file_sources
    from tagger.outputs import atomic_file, check_output
    from tagger.predict import Predictor
    from tagger.tag import check_format, tag_sources

    serve = options.serve
    to_file = output is not None and str(output) != "-"  # `--output -` is stdout
    if to_file:
        assert output is not None
        check_output(output, [options.model, *files, serve.tokenizer, serve.onnx], compress=True)
    predictor = Predictor.serve(options.model, serve)
    fmt = options.fmt or predictor.task.default_format
    check_format(predictor, fmt)
    if not options.pretokenized:
        predictor.load_tokenizer()  # spaCy or the trained tokenizer: part of start-up
    settle_startup()

    def skipped(error: CorpusError) -> None:
        report(f"skipped {error}")

    sources = file_sources(list(files), serve.on_error, skipped)
    with ExitStack() as stack:
        out = stack.enter_context(atomic_file(output, compress=True)) if to_file else sys.stdout
        tag_sources(
            predictor,
            sources,
            out,
            fmt,
            options.pretokenized,
            options.scores,
            options.split_sentences,
            processes,
        )
