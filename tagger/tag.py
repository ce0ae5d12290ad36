"""`tagger tag`: stream lines through a Predictor into one output format."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import partial
from itertools import islice
from typing import TextIO

from tagger.backends import TorchNetwork
from tagger.config import SENTENCE_TASKS
from tagger.data.lines import split_tokens
from tagger.formats import (
    CONLLU_TAG_FIELDS,
    FORMATS,
    SENTENCE_FORMATS,
    ClassifiedText,
    SentenceWriter,
    TaggedSentence,
    write_classified,
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
    if pretokenized and predictor.config.task == "tokenize":
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
    writer = ResultWriter(predictor, fmt, out)
    for results in ordered_map(work, blocks, processes):
        writer.write(results)


class ResultWriter:
    """Writes the results of blocks of lines to one output, in `fmt`."""

    def __init__(self, predictor: Predictor, fmt: str, out: TextIO) -> None:
        config = predictor.config
        self.sentence_model = config.task in SENTENCE_TASKS
        self.fmt, self.out = fmt, out
        if not self.sentence_model:
            ner = config.task == "ner"
            tag_field = "misc" if ner else config.data.tag_field
            if tag_field not in CONLLU_TAG_FIELDS:
                tag_field = "misc"  # tags from a parquet/JSON column: keep them in MISC
            entities = predictor.scheme if ner else ""
            self.sentences = SentenceWriter(out, fmt, tag_field, entities)

    def write(self, results: list[TaggedSentence] | list[ClassifiedText]) -> None:
        if self.sentence_model:
            write_classified(results, self.fmt, self.out)  # type: ignore[arg-type]
            return
        for sentence in results:
            self.sentences.write(sentence)  # type: ignore[arg-type]


def _blocks(lines: Iterable[str]) -> Iterator[list[str]]:
    it = iter(lines)
    while block := list(islice(it, BLOCK_LINES)):
        yield block


def tag_block(
    predictor: Predictor, pretokenized: bool, scores: bool, split_sentences: bool, block: list[str]
) -> list[TaggedSentence] | list[ClassifiedText]:
    """The results of one block of lines: sentences, or labelled texts for a sentence model."""
    n = len(block)
    if predictor.config.task in SENTENCE_TASKS:
        return list(predictor.classify_texts(block, split_sentences, pretokenized, chunk=n))
    if pretokenized:  # a line without tokens (only spaces and tabs) is blank: left out
        tokens = [found for line in block if (found := split_tokens(line))]
        return list(predictor.tag_tokens(tokens, chunk=n, scores=scores))
    return list(predictor.tag_texts(block, chunk=n, scores=scores))
