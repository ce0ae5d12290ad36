"""Every reader on random bytes and on random well-formed-but-odd files: a dataset or a
CorpusError, never another exception."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tagger.data.columns import read_columns
from tagger.data.conllu import read_conllu
from tagger.data.errors import CorpusError
from tagger.data.hf import load_hf_or_file
from tagger.data.lines import input_lines
from tagger.data.sentences import read_label_lines, read_table
from tagger.data.trees import read_sst_trees

READERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "conllu": (".conllu", read_conllu),
    "columns": (".txt", read_columns),
    "labels": (".txt", read_label_lines),
    "tsv": (".tsv", lambda p: read_table(p, "text", "label")),
    "csv": (".csv", lambda p: read_table(p, "text", "label")),
    "trees": (".txt", read_sst_trees),
    "jsonl": (".jsonl", lambda p: load_hf_or_file(str(p), "train", "tokens", "tags")),
    "text": (".txt", lambda p: list(input_lines(p))),
    "gzip": (".txt.gz", lambda p: list(input_lines(p))),
}
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))

# Pieces that readers split on or look for, so random files get past the first check.
PIECES = [
    "\t",
    " ",
    "\n",
    "\r\n",
    "(",
    ")",
    "_",
    "-",
    ".",
    "#",
    "1",
    "2",
    "0",
    "4",
    "9",
    "x",
    "é",
    "\u200d",
    "😀",
    "\x00",
    '"',
    ",",
    "{",
    "}",
    ":",
    '"tokens"',
    '"tags"',
    "[",
    "]",
]


def outcome(name: str, data: bytes) -> None:
    suffix, reader = READERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"input{suffix}"
        path.write_bytes(data)
        try:
            reader(path)
        except CorpusError as err:
            assert str(err).startswith(str(path)), str(err)


@pytest.mark.parametrize("name", list(READERS))
@SETTINGS
@given(data=st.binary(max_size=300))
def test_random_bytes(name: str, data: bytes) -> None:
    outcome(name, data)


@pytest.mark.parametrize("name", list(READERS))
@SETTINGS
@given(text=st.lists(st.sampled_from(PIECES), max_size=80).map("".join))
def test_random_odd_text(name: str, text: str) -> None:
    outcome(name, text.encode("utf-8"))
