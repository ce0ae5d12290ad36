"""`tagger tag`: stream lines through a Predictor into one output format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import TextIO

from tagger.backends import TorchNetwork
from tagger.formats import ClassifiedText, TaggedSentence
from tagger.parallel import ordered_map
from tagger.predict import Predictor


def check_format(predictor: Predictor, fmt: str) -> None:
    """ValueError unless this kind of model can write `fmt`."""
    allowed = predictor.task.formats
    if fmt not in allowed:
        kind = f"a {predictor.config.task} model"
        raise ValueError(f"--format: {kind} writes one of {', '.join(allowed)}, got {fmt!r}")


BLOCK_LINES = 1024  # lines tagged together (and handed to one worker process)


def tag_sources(
    predictor: Predictor,
    sources: Iterable[Iterable[str]],
    out: TextIO,
    fmt: str = "conllu",
    pretokenized: bool = False,
    scores: bool = False,
    split_sentences: bool = False,
    processes: int = 1,
) -> None:
    """Tag the lines of every source (an input file), in order, into one output.

    Lines are tagged in blocks of BLOCK_LINES that never span two sources, so each
    file's results do not depend on the files around it (tagger.cluster cuts the same
    blocks). With `processes` above 1, blocks are tagged in forked worker processes
    (one torch thread each) and written in input order.
    """
    check_format(predictor, fmt)
    if pretokenized and predictor.task.makes_tokens:
        raise ValueError("--pretokenized: a tokenize model reads raw text, it makes the tokens")
    if processes > 1 and not isinstance(predictor.network, TorchNetwork):
        raise ValueError("--processes works with the torch backend")
    if processes > 1 and predictor.device.type != "cpu":
        raise ValueError(
            f"--processes forks workers, and {predictor.device} cannot be used in a forked "
            "process: one process tags on a GPU (or use --device cpu)"
        )
    work = partial(tag_block, predictor, pretokenized, scores, split_sentences)
    blocks = (block for source in sources for block in _blocks(source))
    write = predictor.task.writer(predictor, fmt, out)
    for results in ordered_map(work, blocks, processes):
        write(results)


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    it = iter(lines)
    while block := list(islice(it, BLOCK_LINES)):
        yield block


def tag_block(
    predictor: Predictor, pretokenized: bool, scores: bool, split_sentences: bool, block: list[str]
) -> list[TaggedSentence] | list[ClassifiedText]:
    """The results of one block of lines: sentences, or labelled texts for a sentence model."""
    return predictor.task.tag_block(predictor, block, pretokenized, scores, split_sentences)
