"""Bulk tagging on Ray Data: blocks of lines through a pool of Predictor actors.

The driver cuts every input into the blocks `tagger tag` tags (BLOCK_LINES lines, never
spanning two files), as (file, byte offset, line count) for a regular file that every
node can read, or with the lines themselves for stdin, pipes and compressed files.
`Dataset.map_batches` sends one block at a time to `BlockTagger` actors, each loading the
model once with the ServeOptions of `tagger tag` and running torch on `--threads` threads
(one by default, one CPU reserved per thread); the driver receives the results in input
order and writes them with the writer of `tagger tag`, so the output is byte for byte
what a local run writes. Actors that die are restarted and their blocks retried (Ray
Data's defaults for actor pools); a restarted actor says so in the log.
"""

from __future__ import annotations

import os
import pickle
import stat
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tagger.data.errors import CorpusError
from tagger.data.inputs import STDIN, compression
from tagger.data.lines import checked_line, input_lines
from tagger.serving import ServeOptions
from tagger.tag import BLOCK_LINES

RAY_VERSIONS = ">=2.40,<3"  # the range tested; pyproject's `ray` extra pins it


@dataclass
class TagOptions:
    """What each actor needs to tag a block as `tagger tag` would: what to write, and
    how the model serves (one ServeOptions, passed whole)."""

    model: str
    fmt: str = ""  # "" = conllu, or jsonl for a sentence model
    pretokenized: bool = False
    scores: bool = False
    split_sentences: bool = False
    serve: ServeOptions = field(default_factory=ServeOptions)


def actor_threads(serve: ServeOptions) -> int:
    """Torch threads and CPUs reserved per actor: --threads, or 1 for 0 (all cores)."""
    return max(1, serve.threads)


@dataclass
class Block:
    """One block of one input: where to read it, or its lines."""

    file: int  # index of the input
    name: str  # the input as the user named it, for error messages
    first_line: int  # 1-based number of the block's first line
    path: str = ""  # a regular file to read from `offset`, `count` lines
    offset: int = 0
    count: int = 0
    lines: list[tuple[int, str]] = field(default_factory=list)  # (number, text), or empty


@dataclass
class BlockResult:
    """What an actor made of one block."""

    file: int  # index of the input
    results: list  # TaggedSentence or ClassifiedText, as `tag_block` gives them
    skipped: list[str]  # messages of the bad lines left out (--on-error skip)
    pid: int  # the actor process that tagged it
    node: str = ""  # the Ray node it ran on


def plan_blocks(
    files: Sequence[str | Path], on_error: str, report: Callable[[CorpusError], None]
) -> Iterator[Block]:
    """The blocks of every input, in order. Regular uncompressed files are scanned for
    block offsets only; other inputs are read here (bad lines raise or are reported)."""
    for index, path in enumerate(files):
        name = "<stdin>" if str(path) == STDIN else str(path)
        if _regular(path) and not compression(path):
            yield from _offsets(index, str(path))
            continue
        block: list[tuple[int, str]] = []
        for number, text in input_lines(path, on_error, report):
            block.append((number, text))
            if len(block) == BLOCK_LINES:
                yield Block(index, name, block[0][0], lines=block)
                block = []
        if block:
            yield Block(index, name, block[0][0], lines=block)


def _regular(path: str | Path) -> bool:
    return str(path) != STDIN and stat.S_ISREG(os.stat(path).st_mode)


def _offsets(index: int, path: str) -> Iterator[Block]:
    """Blocks of BLOCK_LINES lines of a regular file, by byte offset."""
    absolute = os.path.abspath(path)
    with open(path, "rb") as f:
        offset, first, count = 0, 1, 0
        position = 0
        for number, raw in enumerate(f, start=1):
            count += 1
            position += len(raw)
            if count == BLOCK_LINES:
                yield Block(index, path, first, absolute, offset, count)
                offset, first, count = position, number + 1, 0
        if count:
            yield Block(index, path, first, absolute, offset, count)


def block_lines(block: Block, on_error: str) -> tuple[list[tuple[int, str]], list[str]]:
    """The block's (number, text) lines, read from its file when it holds none, and the
    messages of the bad lines skipped (on_error "skip"; "stop" raises CorpusError)."""
    if block.lines or not block.path:
        return block.lines, []
    skipped: list[str] = []
    try:
        with open(block.path, "rb") as f:
            f.seek(block.offset)
            raw = [f.readline() for _ in range(block.count)]
    except OSError as err:  # another machine that does not see the driver's files
        raise CorpusError(
            block.name,
            None,
            f"cannot be read where a tagging actor runs ({err.strerror or err}): with several "
            "machines every node must see the input files at the same path (a shared "
            "folder), or give them on stdin or through a pipe, which travel with the job",
        ) from None
    lines = []
    for number, data in enumerate(raw, start=block.first_line):
        text, problem = checked_line(data, number)
        if problem is None:
            lines.append((number, text))
            continue
        error = CorpusError(block.name, number, problem)
        if on_error == "stop":
            raise error
        skipped.append(str(error))
    return lines, skipped


class BlockTagger:
    """A Ray Data actor: loads the model once, tags one block per call."""

    def __init__(self, options: TagOptions) -> None:
        from tagger.predict import Predictor

        self.options = options
        # Actors reserve CPUs only (--device cuda is refused before Ray starts).
        serve = replace(options.serve, device="cpu", threads=actor_threads(options.serve))
        self.predictor = Predictor.serve(options.model, serve)
        import ray

        # Ray started this actor again after its process died: the driver says so.
        context = ray.get_runtime_context()
        with warnings.catch_warnings():  # Ray's property reads a deprecated one inside
            warnings.simplefilter("ignore", DeprecationWarning)
            self.restarted = bool(context.was_current_actor_reconstructed)
        self.node = context.get_node_id()
        if self.restarted:
            print(f"tagger: a tagging actor was restarted (pid {os.getpid()})", file=sys.stderr)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        from tagger.tag import tag_block

        out: dict[str, list] = {
            "file": [],
            "first_line": [],
            "results": [],
            "skipped": [],
            "error": [],
            "restarted": [],
            "pid": [],
            "node": [],
        }
        o = self.options
        for data in batch["block"]:
            block: Block = pickle.loads(data)
            results: Any = []
            error, skipped = "", []
            try:
                lines, skipped = block_lines(block, o.serve.on_error)
                texts = [text for _, text in lines]
                results = tag_block(
                    self.predictor, o.pretokenized, o.scores, o.split_sentences, texts
                )
            except CorpusError as err:
                error = str(err)
            out["file"].append(block.file)
            out["first_line"].append(block.first_line)
            out["results"].append(pickle.dumps(results))
            out["skipped"].append(pickle.dumps(skipped))
            out["error"].append(error)
            out["restarted"].append(self.restarted)
            out["pid"].append(os.getpid())
            out["node"].append(self.node)
        return out


def connect(address: str, num_cpus: int | None = None) -> None:
    """ray.init for `--ray ADDRESS`: "local" starts Ray in this process's machine (all
    cores, or num_cpus), "auto" or HOST:PORT joins a running cluster."""
    import logging

    import ray

    logging.getLogger("ray.data").setLevel(logging.WARNING)  # tagger reports what matters
    if ray.is_initialized():
        return
    quiet = {"log_to_driver": True, "include_dashboard": False, "configure_logging": False}
    if address in ("", "local"):
        ray.init(num_cpus=num_cpus, **quiet)
    else:
        ray.init(address=address, **quiet)


def tag_blocks(
    blocks: Sequence[Block],
    options: TagOptions,
    workers: int,
    report: Callable[[str], None] = lambda message: print(message, file=sys.stderr),
) -> Iterator[BlockResult]:
    """The results of every block, in input order, tagged by `workers` actors of
    actor_threads CPUs each; a bad line under "stop" raises its CorpusError.
    A block tagged by an actor that Ray restarted is reported (it was retried)."""
    import ray.data

    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    items = [{"block": pickle.dumps(block)} for block in blocks]
    dataset = ray.data.from_items(items, override_num_blocks=max(1, len(items)))
    tagged = dataset.map_batches(
        BlockTagger,
        fn_constructor_args=(options,),
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=actor_threads(options.serve),
        # Ray Data's actor pools start a killed actor again and retry the block it held
        # (max_restarts and max_task_retries default to -1 there; passing them is
        # deprecated since Ray 2.60). tests/test_cluster.py kills one to hold Ray to it.
    )
    restarted = False
    for row in tagged.iter_rows():
        if row["error"]:
            raise CorpusError(*_parts(row["error"]))
        if row["restarted"] and not restarted:
            restarted = True
            report(
                f"tagger: a tagging actor died and Ray restarted it; the blocks it held were "
                f"retried (first retried block: line {row['first_line']} of {_name(blocks, row)})"
            )
        yield BlockResult(
            int(row["file"]),
            pickle.loads(row["results"]),
            pickle.loads(row["skipped"]),
            int(row["pid"]),
            str(row["node"]),
        )


def _name(blocks: Sequence[Block], row: dict) -> str:
    return next(b.name for b in blocks if b.file == int(row["file"]))


def _parts(message: str) -> tuple[str, int | None, str]:
    """CorpusError's (path, line, detail) back from its message `path:line: detail`."""
    where, _, detail = message.partition(": ")
    path, _, line = where.rpartition(":")
    if line.isdigit():
        return path, int(line), detail
    return where, None, detail
