"""`tagger tag`: stream lines through a Predictor into one output format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import chain, islice
from typing import TextIO

from tagger.backends import TorchNetwork
from tagger.config import SENTENCE_TASKS
from tagger.formats import (
    CONLLU_TAG_FIELDS,
    FORMATS,
    SENTENCE_FORMATS,
    ClassifiedText,
    TaggedSentence,
    write_classified,
    write_sentences,
)
from tagger.parallel import ordered_map
from tagger.predict import Predictor


def check_format(predictor: Predictor, fmt: str) -> None:
    """ValueError unless this kind of model can write `fmt`."""
    allowed = SENTENCE_FORMATS if predictor.config.task in SENTENCE_TASKS else FORMATS
    if fmt not in allowed:
        kind = f"a {predictor.config.task} model"
        raise ValueError(f"--format: {kind} writes one of {', '.join(allowed)}, got {fmt!r}")


BLOCK_LINES = 1024  # lines tagged together (and handed to one worker process)


def tag_lines(
    predictor: Predictor,
    lines: Iterable[str],
    out: TextIO,
    fmt: str = "conllu",
    pretokenized: bool = False,
    scores: bool = False,
    split_sentences: bool = False,
    processes: int = 1,
) -> None:
    """Tag (or classify) every line and write the results to `out` as they come.

    With `processes` above 1, blocks of lines are tagged in forked worker processes
    (one torch thread each) and written in input order.
    """
    check_format(predictor, fmt)
    if pretokenized and predictor.config.task == "tokenize":
        raise ValueError("--pretokenized: a tokenize model reads raw text, it makes the tokens")
    if processes > 1 and not isinstance(predictor.network, TorchNetwork):
        raise ValueError("--processes works with the torch backend")
    if processes > 1 and predictor.device.type != "cpu":
        raise ValueError(
            f"--processes forks workers, and {predictor.device} cannot be used in a forked "
            "process: one process tags on a GPU (or use --device cpu)"
        )
    work = partial(_tag_block, predictor, pretokenized, scores, split_sentences)
    items = chain.from_iterable(ordered_map(work, _blocks(lines), processes))
    config = predictor.config
    if config.task in SENTENCE_TASKS:
        write_classified(items, fmt, out)
        return
    ner = config.task == "ner"
    tag_field = "misc" if ner else config.data.tag_field
    if tag_field not in CONLLU_TAG_FIELDS:
        tag_field = "misc"  # tags from a parquet/JSON column: keep them in MISC
    write_sentences(items, fmt, out, tag_field, entities=predictor.scheme if ner else "")


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    it = iter(lines)
    while block := list(islice(it, BLOCK_LINES)):
        yield block


def _tag_block(
    predictor: Predictor, pretokenized: bool, scores: bool, split_sentences: bool, block: list[str]
) -> list[TaggedSentence] | list[ClassifiedText]:
    """The results of one block of lines: sentences, or labelled texts for a sentence model."""
    n = len(block)
    if predictor.config.task in SENTENCE_TASKS:
        return list(predictor.classify_texts(block, split_sentences, pretokenized, chunk=n))
    if pretokenized:
        tokens = [line.split() for line in block if line.strip()]
        return list(predictor.tag_tokens(tokens, chunk=n, scores=scores))
    return list(predictor.tag_texts(block, chunk=n, scores=scores))
