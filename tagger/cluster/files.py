"""`tagger tag --ray`: inputs planned into blocks, results written per output in input order."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path

from tagger.cluster.blocks import TagOptions, actor_threads, connect, plan_blocks, tag_blocks
from tagger.data.errors import CorpusError
from tagger.data.inputs import STDIN, compression
from tagger.outputs import atomic_file, check_output
from tagger.serving import ServeOptions

SUFFIXES = {"conllu": ".conllu", "conll": ".conll", "jsonl": ".jsonl", "text": ".txt"}


def output_names(files: Sequence[str | Path], folder: Path, fmt: str) -> list[Path]:
    """One output per input in `folder`: the input's name with the format's suffix
    (`a.txt.gz` -> `a.conllu`, stdin -> `stdin.conllu`); two inputs of one name fail."""
    names = []
    for path in files:
        stem = "stdin" if str(path) == STDIN else Path(path).name
        if compression(stem):
            stem = Path(stem).with_suffix("").name
        names.append(folder / (Path(stem).stem + SUFFIXES[fmt]))
    seen: dict[Path, str] = {}
    for path, name in zip(files, names, strict=True):
        if name in seen:
            raise ValueError(
                f"--output {folder}: {seen[name]} and {path} would both write {name.name}"
            )
        seen[name] = str(path)
    return names


def check_ray_serving(serve: ServeOptions) -> None:
    """ValueError for a serving option that cannot apply on Ray: actors reserve CPUs
    only, so a device other than auto or cpu is refused."""
    if (serve.device or "auto").strip().lower() not in ("auto", "cpu"):
        raise ValueError(
            f"--device {serve.device}: Ray's tagging actors reserve CPUs only; "
            "use --device cpu (or auto) with --ray"
        )


def tag_files(
    files: Sequence[str | Path],
    output: Path | None,
    options: TagOptions,
    workers: int,
    address: str = "local",
    report: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> list[Path]:
    """`tagger tag --ray`: tag the files on Ray and write the results in input order to
    stdout (no output, or `-`), one file, or one file per input in the folder `output`
    (an existing folder, or a name ending in /). Files are written beside their final
    name and renamed into place when complete; a job that stops writes nothing.
    The model is loaded here first with the actors' ServeOptions, so a bad option, ONNX
    file or tokenizer is refused before Ray starts."""
    from tagger.predict import Predictor
    from tagger.tag import check_format

    files = list(files) or [STDIN]
    check_ray_serving(options.serve)
    # The actors' options, on the CPU; threads=0 leaves this process's torch threads.
    predictor = Predictor.serve(options.model, replace(options.serve, device="cpu", threads=0))
    if not options.fmt:  # tagger tag's default
        options = replace(options, fmt=predictor.task.default_format)
    check_format(predictor, options.fmt)
    to_folder = output is not None and (output.is_dir() or str(output).endswith(os.sep))
    targets: list[Path] = []
    if to_folder:
        assert output is not None
        targets = output_names(files, output, options.fmt)
    elif output is not None and str(output) != "-":
        targets = [output]
    inputs = [options.model, options.serve.tokenizer, options.serve.onnx, *files]
    for target in targets:
        check_output(target, inputs, compress=True)
    skipped: list[str] = []

    def note(error: CorpusError) -> None:
        skipped.append(str(error))
        report(f"skipped {error}")

    blocks = list(plan_blocks(files, options.serve.on_error, note))
    connect(address, num_cpus=None)
    if workers <= 0:  # every CPU of the cluster, actor_threads CPUs per actor
        import ray

        cpus = int(ray.cluster_resources().get("CPU", 1))
        workers = max(1, cpus // actor_threads(options.serve))
    with ExitStack() as stack:  # each file is renamed into place only when all are complete
        streams = [stack.enter_context(atomic_file(t, compress=True)) for t in targets]
        writers = [predictor.task.writer(predictor, options.fmt, s) for s in streams] or [
            predictor.task.writer(predictor, options.fmt, sys.stdout)
        ]
        actors: set[tuple[str, int]] = set()  # (node, pid): pids repeat across machines
        nodes: set[str] = set()
        for done in tag_blocks(blocks, options, workers, report):
            actors.add((done.node, done.pid))
            nodes.add(done.node)
            for message in done.skipped:
                report(f"skipped {message}")
            skipped += done.skipped
            writers[done.file if to_folder else 0](done.results)
    if skipped:
        report(f"skipped {len(skipped)} bad line(s) (--on-error skip)")
    report(
        f"tagger: {len(blocks)} block(s) tagged by {len(actors)} actor process(es) "
        f"on {len(nodes)} node(s)"
    )
    return targets
