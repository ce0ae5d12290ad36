"""Read whitespace-separated CoNLL column files (CoNLL-2000/2002/2003) into token datasets."""

from __future__ import annotations

import re
from pathlib import Path

from datasets import Dataset

from tagger.data.dataset import token_dataset
from tagger.data.errors import CorpusError, check_text
from tagger.data.lines import decoded_lines

# ASCII spaces and tabs only: str.split() would also split inside tokens on e.g. U+00A0.
_SEPARATOR = re.compile(r"[ \t]+")
DOCSTART = "-DOCSTART-"


def read_columns(path: str | Path, word_column: int = 0, tag_column: int = -1) -> Dataset:
    """One sentence per blank-line block; `-DOCSTART-` lines end a sentence and are not tokens.

    Column indices may be negative (counted from the end), as in Python. A file with
    `-DOCSTART-` lines gets a `document` column: each sentence's document number.
    """
    sentences: list[list[str]] = []
    tag_lists: list[list[str]] = []
    documents: list[int] = []
    document, docstarts = 0, 0
    words: list[str] = []
    tags: list[str] = []
    width = 0  # columns of the first token line, which every later token line must match
    width_line = 0
    for number, line in decoded_lines(path):
        line = line.strip(" \t")
        if not line or line.startswith(DOCSTART):
            if words:
                sentences.append(words)
                tag_lists.append(tags)
                documents.append(document)
                words, tags = [], []
            if line:
                docstarts += 1
                document = docstarts
            continue
        columns = _SEPARATOR.split(line)
        if not width:
            _check_layout(path, number, len(columns), word_column, tag_column)
            width, width_line = len(columns), number
        elif len(columns) != width:
            raise CorpusError(
                path, number, f"expected {width} columns like line {width_line}, got {len(columns)}"
            )
        check_text(path, number, columns[word_column], "a word")
        check_text(path, number, columns[tag_column], "a tag")
        words.append(columns[word_column])
        tags.append(columns[tag_column])
    if words:
        sentences.append(words)
        tag_lists.append(tags)
        documents.append(document)
    if not sentences:
        raise CorpusError(path, None, "no sentences found")
    return token_dataset(sentences, tag_lists, documents=documents if docstarts else None)


def _check_layout(
    path: str | Path, line: int, width: int, word_column: int, tag_column: int
) -> None:
    """Reject a first token line with under two columns or without the requested columns."""
    if width < 2:
        raise CorpusError(path, line, f"expected at least 2 columns (word and tag), got {width}")
    for name, index in (("word_column", word_column), ("tag_column", tag_column)):
        if not -width <= index < width:
            raise CorpusError(
                path, line, f"expected {name} between {-width} and {width - 1}, got {index}"
            )
