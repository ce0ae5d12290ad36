"""The corpus an evaluation reads: a catalog corpus, an hf: id, a file, or stdin and pipes
(their format guessed from the content and said), with the gold labels the model does not
know counted: a warning, or an error when they make the score meaningless."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datasets import Dataset

from tagger.data.corpus import SUFFIX_FORMATS
from tagger.data.inputs import base_suffix

MAX_UNKNOWN = 0.05  # a larger share of gold labels the model does not know is an error


def _stderr(text: str) -> None:
    """Where warnings and notes go by default: a line on stderr."""
    print(text, file=sys.stderr)


def load_evaluation(
    predictor: Any,
    corpus: str,
    split: str = "test",
    fmt: str = "",
    columns: str = "",
    data_dir: Path | None = None,
    note: Callable[[str], None] = _stderr,
) -> tuple[Dataset, str]:
    """The dataset `evaluate` reads (a catalog corpus, an hf: id or a file; `-`, a named
    pipe or /dev/fd/N are first copied to a temporary file, their format guessed from the
    content unless `fmt` or the name gives it, and said through `note`) and its NER tag
    scheme ("" for other tasks). Errors name the input as it was given; gold labels the
    model does not know are checked (check_gold_labels)."""
    from tagger.data.errors import CorpusError
    from tagger.data.inputs import is_readable, spooled

    if not (corpus == "-" or (is_readable(corpus) and not Path(corpus).is_file())):
        return _load_evaluation(predictor, corpus, corpus, split, fmt, columns, data_dir, note)
    name = "<stdin>" if corpus == "-" else corpus
    with spooled(corpus) as copy:
        if not fmt and base_suffix(corpus) not in SUFFIX_FORMATS:
            fmt = _guessed_format(predictor, copy, name, note)
        try:
            return _load_evaluation(predictor, str(copy), name, split, fmt, columns, data_dir, note)
        except CorpusError as err:
            raise CorpusError(name, err.line, err.detail) from None


def _guessed_format(predictor: Any, copy: Path, name: str, note: Callable[[str], None]) -> str:
    """The format of a corpus from stdin or a pipe, from its content."""
    from tagger.data.corpus import sniff_format

    found = sniff_format(copy, predictor.config.data, predictor.task.sentence_level)
    if found is None:
        raise ValueError(f"{name}: cannot tell the corpus format from its content; give --format")
    note(f"reading {name} as {found} (guessed from its content; --format sets it)")
    return found


def _load_evaluation(
    predictor: Any,
    corpus: str,
    name: str,
    split: str,
    fmt: str,
    columns: str,
    data_dir: Path | None,
    note: Callable[[str], None],
) -> tuple[Dataset, str]:
    """load_evaluation of a catalog name, hf: id or regular file (`name` in messages)."""
    from tagger.data.corpus import evaluation_source, label_line

    task = predictor.task
    source = evaluation_source(corpus, predictor.config.data, fmt, columns, task.sentence_level)
    allowed = task.corpus_formats
    if allowed is not None and source.format and source.format not in allowed:
        raise ValueError(
            f"{name}: read as {source.format}, which is not a corpus of a {task.name} model "
            f"({', '.join(allowed)}); --format sets it"
        )
    dataset = task.load_split(source, split, data_dir)
    if Path(corpus).is_file():
        check_gold_labels(
            predictor,
            dataset,
            name,
            lambda label: label_line(corpus, source, source.format, label),
            note,
        )
    else:
        check_gold_labels(predictor, dataset, f"{name} ({split})", note=note)
    return dataset, task.gold_scheme(source, dataset)


def check_gold_labels(
    predictor: Any,
    dataset: Dataset,
    where: str,
    line_of: Callable[[str], int | None] = lambda label: None,
    note: Callable[[str], None] = _stderr,
) -> None:
    """Count the gold labels that are not labels of the model (for NER: whose entity type
    it does not know): a warning through `note`, or a ValueError naming `where` (and the
    line `line_of` finds) when they are more than MAX_UNKNOWN of all."""
    task, labels = predictor.task, list(predictor.labels)
    flat = task.gold_labels(dataset)
    if flat is None:
        return
    unknown = Counter(t for t in flat if not task.knows(labels, t))
    if not unknown:
        return
    n, total = sum(unknown.values()), len(flat)
    unit = "labels" if task.sentence_level else "tags"
    names = [name for name, _ in unknown.most_common(10)]
    line = line_of(names[0])
    at = f"{where}:{line}" if line is not None else where
    if n / total > MAX_UNKNOWN:
        shown = labels if len(labels) <= 30 else [*labels[:30], "..."]
        raise ValueError(
            f"{at}: gold labels {names} are not among the model's labels {shown} "
            f"({n:,} of {total:,} gold {unit}, {n / total:.1%}): is the corpus for another "
            "task, or read in the wrong format or columns? (--format, --columns)"
        )
    note(
        f"warning: {n:,} of {total:,} gold {unit} "
        f"({n / total:.1%}) are not labels of this model: {', '.join(names)} (first at {at})"
    )
