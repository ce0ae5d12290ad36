"""`tagger tag`: stream lines through a Predictor into one output format."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TextIO

from tagger.config import SENTENCE_TASKS
from tagger.formats import (
    CONLLU_TAG_FIELDS,
    FORMATS,
    SENTENCE_FORMATS,
    write_classified,
    write_sentences,
)
from tagger.predict import Predictor


def check_format(predictor: Predictor, fmt: str) -> None:
    """ValueError unless this kind of model can write `fmt`."""
    allowed = SENTENCE_FORMATS if predictor.config.task in SENTENCE_TASKS else FORMATS
    if fmt not in allowed:
        kind = f"a {predictor.config.task} model"
        raise ValueError(f"--format: {kind} writes one of {', '.join(allowed)}, got {fmt!r}")


def tag_lines(
    predictor: Predictor,
    lines: Iterable[str],
    out: TextIO,
    fmt: str = "conllu",
    pretokenized: bool = False,
    scores: bool = False,
    split_sentences: bool = False,
) -> None:
    """Tag (or classify) every line and write the results to `out` as they come."""
    check_format(predictor, fmt)
    config = predictor.config
    if config.task in SENTENCE_TASKS:
        items = predictor.classify_texts(lines, split_sentences, pretokenized)
        write_classified(items, fmt, out)
        return
    if pretokenized:
        tokens = (line.split() for line in lines if line.strip())
        sentences = predictor.tag_tokens(tokens, scores=scores)
    else:
        sentences = predictor.tag_texts(lines, scores=scores)
    ner = config.task == "ner"
    tag_field = "misc" if ner else config.data.tag_field
    if tag_field not in CONLLU_TAG_FIELDS:
        tag_field = "misc"  # tags from a parquet/JSON column: keep them in MISC
    write_sentences(sentences, fmt, out, tag_field, entities=predictor.scheme if ner else "")
