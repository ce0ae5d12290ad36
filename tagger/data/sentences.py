"""Sentence-label corpora: `LABEL text` lines (SST), TSV/CSV, JSONL and hf: datasets.

All produce a Dataset with `text` (string), `tokens` (list of strings) and `label`
(ClassLabel). Text is split on whitespace: the SST files are already tokenized; raw
text can be tokenized by the caller (`tokenize=` takes a function).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

from datasets import ClassLabel, Dataset, Features, Value
from datasets import Sequence as HFSequence

from tagger.data.errors import CorpusError, check_text
from tagger.data.lines import decoded_lines

Tokenize = Callable[[str], list[str]]


def label_order(labels: Sequence[str]) -> list[str]:
    """Label names sorted numerically when they are all integers ("0".."4"), else by name."""
    names = set(labels)
    if all(n.lstrip("-").isdecimal() for n in names):
        return sorted(names, key=int)
    return sorted(names)


def sentence_dataset(
    texts: Sequence[str],
    labels: Sequence[str],
    tokenize: Tokenize = str.split,
    label_names: Sequence[str] | None = None,
) -> Dataset:
    """A Dataset with `text`, `tokens` and a ClassLabel `label`."""
    names = label_order(labels) if label_names is None else list(label_names)
    index = {name: i for i, name in enumerate(names)}
    features = Features(
        {
            "text": Value("string"),
            "tokens": HFSequence(Value("string")),
            "label": ClassLabel(names=names),
        }
    )
    return Dataset.from_dict(
        {
            "text": list(texts),
            "tokens": [tokenize(t) for t in texts],
            "label": [index[label] for label in labels],
        },
        features=features,
    )


def read_label_lines(path: str | Path, tokenize: Tokenize = str.split) -> Dataset:
    """`LABEL text` per line (label, one space or tab, then the text); blank lines skipped."""
    texts, labels = [], []
    for number, line in decoded_lines(path):
        if not line.strip():
            continue
        if line[0].isspace():  # the text's first word would be read as the label
            raise CorpusError(
                path, number, f"expected a label at the start of the line, got {line[:60]!r}"
            )
        parts = line.split(maxsplit=1)
        if len(parts) < 2 or not parts[1].strip():
            raise CorpusError(path, number, f"expected 'LABEL text', got {line[:60]!r}")
        check_text(path, number, " ".join(line.split()), "a label and text")
        labels.append(parts[0])
        texts.append(parts[1].strip())
    if not texts:
        raise CorpusError(path, None, "no sentences found")
    return sentence_dataset(texts, labels, tokenize)


def read_table(
    path: str | Path,
    text_field: str = "text",
    label_field: str = "label",
    tokenize: Tokenize = str.split,
) -> Dataset:
    """A TSV (`.tsv`) or CSV file with a header row naming the text and label columns."""
    path = Path(path)
    tsv = path.suffix.lower() == ".tsv"
    # csv wants the line endings back (a quoted CSV field may span lines); TSV has no quoting.
    lines = (line + "\n" for _, line in decoded_lines(path))
    if tsv:
        reader = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        reader = csv.DictReader(lines, delimiter=",")
    try:
        return _table_rows(path, reader, text_field, label_field, tokenize)
    except csv.Error as err:  # a CR or NUL inside an unquoted field, an open quote...
        what = str(err).split(" - ")[0]  # csv's advice to reopen the file does not apply
        raise CorpusError(path, reader.line_num + 1, f"expected CSV rows, got {what}") from None


def _table_rows(
    path: Path, reader: csv.DictReader, text_field: str, label_field: str, tokenize: Tokenize
) -> Dataset:
    header = reader.fieldnames or []
    for name in (text_field, label_field):
        if name not in header:
            raise CorpusError(path, 1, f"expected a column {name!r} in the header, got {header}")
    texts, labels = [], []
    for row in reader:
        text, label = row.get(text_field), row.get(label_field)
        if not text or not text.strip() or not label:
            raise CorpusError(
                path, reader.line_num, f"expected non-empty {text_field!r} and {label_field!r}"
            )
        check_text(path, reader.line_num, label, f"a {label_field!r}")
        check_text(path, reader.line_num, " ".join(text.split()), f"a {text_field!r}")
        texts.append(text.strip())
        labels.append(label.strip())
    if not texts:
        raise CorpusError(path, None, "no sentences found")
    return sentence_dataset(texts, labels, tokenize)


def from_hf(
    dataset: Dataset, source: str, text_field: str, label_field: str, tokenize: Tokenize
) -> Dataset:
    """Map a loaded datasets.Dataset (hf:, JSON, parquet) to the sentence layout.

    ClassLabel names are kept; plain integer or string labels become names.
    """
    columns = dataset.column_names
    for name in (text_field, label_field):
        if name not in columns:
            raise CorpusError(source, None, f"expected a column {name!r}, got {columns}")
    feature = dataset.features[label_field]
    raw_labels = dataset[label_field]
    texts = dataset[text_field]
    for row, (text, label) in enumerate(zip(texts, raw_labels, strict=True), start=1):
        if not isinstance(text, str) or not text.strip() or label is None:
            raise CorpusError(source, row, f"expected non-empty {text_field!r} and {label_field!r}")
        check_text(source, row, " ".join(text.split()), f"a {text_field!r}")
        if isinstance(label, str):
            check_text(source, row, label, f"a {label_field!r}")
    if isinstance(feature, ClassLabel):
        for row, i in enumerate(raw_labels, start=1):
            if not 0 <= i < len(feature.names):
                raise CorpusError(
                    source,
                    row,
                    f"expected a class id in 0..{len(feature.names) - 1}"
                    f" (a -1 marks an unlabelled split), got {i}",
                )
        labels = [feature.names[i] for i in raw_labels]
        return sentence_dataset(texts, labels, tokenize, label_names=feature.names)
    return sentence_dataset(texts, [str(v) for v in raw_labels], tokenize)
