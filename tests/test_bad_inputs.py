"""The hardening catalogue: malformed input of every reader fails with `file:line: what
was expected` (a CorpusError, exit status 1 from the CLI, no traceback).

    python tests/test_bad_inputs.py      # prints the catalogue as a Markdown table
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tagger.config import DataConfig
from tagger.data.columns import read_columns
from tagger.data.conllu import read_conllu
from tagger.data.errors import CorpusError
from tagger.data.hf import load_hf_or_file
from tagger.data.lines import input_lines
from tagger.data.sentences import read_label_lines, read_table
from tagger.data.trees import read_sst_trees
from tagger.data.vectors import load_vector_table
from tagger.tasks import get_task

ROW = "\t_\t_\t_\t_\t_\t_"  # columns 5-10 of a CoNLL-U word line


def conllu(path: Path) -> object:
    return read_conllu(path)


def table(path: Path) -> object:
    return read_table(path, "text", "label")


def records(path: Path) -> object:
    return load_hf_or_file(str(path), "train", "tokens", "tags")


def vectors(path: Path) -> object:
    return load_vector_table(str(path), 10)


def ner_columns(path: Path) -> object:
    return get_task("ner").load_split(DataConfig(train=str(path)), "train")


def to_tag(path: Path) -> object:
    return list(input_lines(path))


# (reader, file suffix, what is wrong, content, the message's `:line: ...` part)
CASES: list[tuple[str, Callable[[Path], object], str, str, bytes | str, str]] = [
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "4 columns",
        "1\tThe\t_\tDET\n",
        ":1: expected 10 tab-separated columns, got 4",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "11 columns",
        f"1\tThe\t_\tDET{ROW}\t_\n",
        ":1: expected 10 tab-separated columns, got 11",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "word ID not a number",
        f"x\tThe\t_\tDET{ROW}\n",
        ":1: expected an integer word ID, got 'x'",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "UPOS missing",
        f"1\tThe\t_\t_{ROW}\n",
        ":1: expected a UPOS tag (column 4), got '_'",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "empty FORM",
        f"1\t\t_\tDET{ROW}\n",
        ":1: expected a non-empty FORM (column 2)",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "bytes not UTF-8",
        f"1\tTh\udcffe\t_\tDET{ROW}\n".encode("utf-8", "surrogateescape"),
        ":1: expected UTF-8 text, got byte 0xff",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "a NUL byte inside a word",
        f"1\tTh\x00e\t_\tDET{ROW}\n",
        ":1: expected a FORM (column 2) without control characters",
    ),
    (
        "CoNLL-U",
        conllu,
        ".conllu",
        "a control character in a tag",
        f"1\tThe\t_\tDE\x1bT{ROW}\n",
        ":1: expected a UPOS tag without control characters",
    ),
    ("CoNLL-U", conllu, ".conllu", "empty file", "", ": no sentences found"),
    ("CoNLL-U", conllu, ".conllu", "comments only", "# text = nothing\n", ": no sentences found"),
    (
        "CoNLL-U",
        conllu,
        ".conllu.gz",
        "gzip name, plain bytes",
        f"1\tThe\t_\tDET{ROW}\n",
        ":1: expected a complete gzip stream",
    ),
    (
        "CoNLL columns",
        read_columns,
        ".txt",
        "a line with fewer columns",
        "EU B-ORG\nrejects\n",
        ":2: expected 2 columns like line 1, got 1",
    ),
    ("CoNLL columns", read_columns, ".txt", "empty file", "", ": no sentences found"),
    (
        "CoNLL columns",
        read_columns,
        ".txt",
        "a NUL byte inside a word",
        "EU B-ORG\nrej\x00ects O\n",
        ":2: expected a word without control characters",
    ),
    (
        "CoNLL columns",
        ner_columns,
        ".txt",
        "a malformed entity tag",
        "EU B-ORG\nrejects O\nGerman B_MISC\n",
        ":3: expected an entity tag (O, or B-, I-, E-, S- and a type), got 'B_MISC'",
    ),
    (
        "CoNLL columns",
        read_columns,
        ".txt",
        "bytes not UTF-8",
        b"EU B-ORG\nrej\xe9cts O\n",
        ":2: expected UTF-8 text",
    ),
    (
        "label lines",
        read_label_lines,
        ".txt",
        "a label and no text",
        "pos\n",
        ":1: expected 'LABEL text', got 'pos'",
    ),
    ("label lines", read_label_lines, ".txt", "empty file", "", ": no sentences found"),
    (
        "label lines",
        read_label_lines,
        ".txt",
        "a NUL byte in the text",
        "pos good\nneg bad \x00 film\n",
        ":2: expected a label and text without control characters",
    ),
    (
        "label lines",
        read_label_lines,
        ".txt",
        "no label before the tab",
        "pos\tgreat film\n\tgood film\n",
        ":2: expected a label at the start of the line, got '\\tgood film'",
    ),
    (
        "label lines",
        read_label_lines,
        ".txt",
        "bytes not UTF-8",
        b"pos good \xff film\n",
        ":1: expected UTF-8 text",
    ),
    (
        "TSV",
        table,
        ".tsv",
        "no 'text' column",
        "txt\tlab\ngood\tpos\n",
        ":1: expected a column 'text' in the header",
    ),
    (
        "TSV",
        table,
        ".tsv",
        "a row without its label",
        "text\tlabel\ngood film\n",
        ":2: expected non-empty 'text' and 'label'",
    ),
    (
        "CSV",
        table,
        ".csv",
        "an unclosed quote",
        'text,label\n"good film,pos\n',
        ":2: expected non-empty 'text' and 'label'",
    ),
    ("CSV", table, ".csv", "a header only", "text,label\n", ": no sentences found"),
    (
        "CSV",
        table,
        ".csv",
        "a CR inside an unquoted field",
        "text,label\ngood\rfilm,pos\n",
        ":2: expected CSV rows, got new-line character seen in unquoted field",
    ),
    (
        "CSV",
        table,
        ".csv",
        "a control character in a label",
        "text,label\ngood film,p\x07os\n",
        ":2: expected a 'label' without control characters",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "a line that is not JSON",
        '{"tokens": ["a"], "tags": ["X"]}\n{"tokens": ["a"]\n',
        ":2: expected a JSON object per line",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "more tokens than tags",
        '{"tokens": ["a", "b"], "tags": ["X"]}\n',
        ":1: expected as many tags as tokens, got 1 tags for 2 tokens",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "no 'tokens' column",
        '{"words": ["a"], "tags": ["X"]}\n',
        ": expected a column 'tokens'",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "tokens as a string",
        '{"tokens": "a b", "tags": ["X", "Y"]}\n',
        ":1: expected lists of tokens and tags, got a string",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "null tags",
        '{"tokens": ["a"], "tags": null}\n',
        ":1: expected tokens and tags, got null",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "a null token",
        '{"tokens": ["a", null], "tags": ["X", "Y"]}\n',
        ":1: expected token 2 to be a string, got null",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "a null tag",
        '{"tokens": ["a", "b"], "tags": ["X", null]}\n',
        ":1: expected tag 2 to be a label, got null",
    ),
    (
        "JSON lines",
        records,
        ".jsonl",
        "a tab inside a token",
        '{"tokens": ["a\\tb"], "tags": ["X"]}\n',
        ":1: expected token 1 without control characters",
    ),
    (
        "parquet",
        records,
        ".parquet",
        "not a parquet file",
        "not parquet at all",
        ": expected a parquet file",
    ),
    (
        "sentiment trees",
        read_sst_trees,
        ".txt",
        "a bracket left open",
        "(3 (2 The) (2 Rock)\n",
        ":1: expected 1 more ')' to close the tree",
    ),
    (
        "sentiment trees",
        read_sst_trees,
        ".txt",
        "a label that is not a number",
        "(x (2 The) (2 Rock))\n",
        ":1: expected a label 0-4 after '(', got 'x'",
    ),
    (
        "sentiment trees",
        read_sst_trees,
        ".txt",
        "a label out of range",
        "(7 (2 The) (2 Rock))\n",
        ":1: expected a label 0-4 after '(', got '7'",
    ),
    (
        "sentiment trees",
        read_sst_trees,
        ".txt",
        "an empty leaf",
        "(3 (2 ) (2 Rock))\n",
        ":1: expected a word or a child in a node, got an empty leaf",
    ),
    (
        "sentiment trees",
        read_sst_trees,
        ".txt",
        "a bracket too many",
        "(3 (2 The) (2 Rock)))\n",
        ":1: expected the end of the line after the tree, got ')'",
    ),
    (
        "word vectors",
        vectors,
        ".txt",
        "a row too short",
        "the 0.1 0.2\ncat 0.3\n",
        ":2: expected a word and 2 numbers, got 1 numbers",
    ),
    (
        "word vectors",
        vectors,
        ".txt",
        "a value not a number",
        "the 0.1 x\n",
        ":1: expected numbers after the word",
    ),
    (
        "word vectors",
        vectors,
        ".bin",
        "word2vec binary cut short",
        b"3 2\n\x00\x01",
        ": entry 1: the file ends inside a word",
    ),
    (
        "text to tag",
        to_tag,
        ".txt",
        "bytes not UTF-8",
        b"fine\n\xff\xfe\n",
        ":2: expected UTF-8 text, got byte 0xff",
    ),
    (
        "text to tag",
        to_tag,
        ".txt",
        "a token of 100,001 characters",
        "ok\n" + "x" * 100_001 + "\n",
        ":2: expected tokens of at most 100,000 characters",
    ),
    (
        "text to tag",
        to_tag,
        ".txt.xz",
        "xz name, plain bytes",
        "plain\n",
        ":1: expected a complete xz stream",
    ),
]


def message_of(
    reader: Callable[[Path], object], suffix: str, content: bytes | str, folder: Path
) -> str:
    path = folder / f"input{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    with pytest.raises(CorpusError) as info:
        reader(path)
    message = str(info.value)
    assert message.startswith(str(path)), message
    return message[len(str(path)) :]


@pytest.mark.parametrize(
    ("kind", "reader", "suffix", "what", "content", "expected"),
    CASES,
    ids=[f"{c[0]}: {c[3]}" for c in CASES],
)
def test_bad_input_names_file_line_and_what_was_expected(
    tmp_path: Path,
    kind: str,
    reader: Callable,
    suffix: str,
    what: str,
    content: bytes | str,
    expected: str,
) -> None:
    assert message_of(reader, suffix, content, tmp_path).startswith(expected)


def test_the_catalogue_is_at_least_thirty_kinds() -> None:
    assert len(CASES) >= 30
    assert len({c[0] for c in CASES}) >= 8


if __name__ == "__main__":
    print("| reader | bad input | result |\n| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for kind, reader, suffix, what, content, _ in CASES:
            try:
                found = "`FILE" + message_of(reader, suffix, content, Path(tmp)) + "`"
            except BaseException as err:  # noqa: BLE001 - the table reports whatever happened
                found = f"**not a clear error**: {type(err).__name__}"
            print(f"| {kind} | {what} | {found.replace('|', '/')} |")
    sys.exit(0)
