"""The one CoNLL-U reader and its three projections (tags, raw text, the UD scorer's words)
on the same odd files: the same words, and the same errors at the same file:line."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from helpers import error_of, write

from tagger.conll18 import read_conllu_document, read_conllu_file
from tagger.data.conllu import read_conllu, read_conllu_text
from tagger.data.conllu_reader import EMPTY, RANGE, WORD, read_blocks, surface_tokens
from tagger.data.dataset import as_lists
from tagger.data.errors import CorpusError
from tagger.data.raw_text import read_paragraphs


def line(word_id: str, form: str, upos: str = "X", misc: str = "_") -> str:
    """One CoNLL-U line: ID, FORM, UPOS and MISC; the other columns are `_`."""
    return "\t".join([word_id, form, "_", upos, "_", "_", "_", "_", "_", misc])


# Line numbers:  1 comment, 2 comment, 3-9 rows (a range 2-3, an empty node 4.1), 10 a blank
# line of spaces, 11 a comment-only block, 12 blank, 13-14 a sentence without a final blank.
ODD = "\n".join(
    [
        "# newpar",
        "# text = I don't go.",
        line("1", "I", "PRON"),
        line("2-3", "don't"),
        line("2", "do", "AUX"),
        line("3", "n't", "PART"),
        line("4", "go", "VERB", "SpaceAfter=No"),
        line("4.1", "went"),
        line("5", ".", "PUNCT"),
        "   ",
        "# a block of comments only",
        "",
        line("1", "Hi", "INTJ", "SpaceAfter=No"),
        line("2", "!", "PUNCT"),
    ]
)


def test_blocks_hold_comments_and_rows_with_kinds_ids_and_lines(tmp_path: Path) -> None:
    first, comments_only, last = read_blocks(write(tmp_path, ODD, "odd.conllu"))
    assert first.line == 1 and first.comments == [(1, " newpar"), (2, " text = I don't go.")]
    rows = [(row.line, row.kind, row.first, row.last, row.form) for row in first.rows]
    assert rows == [
        (3, WORD, 1, 1, "I"),
        (4, RANGE, 2, 3, "don't"),
        (5, WORD, 2, 2, "do"),
        (6, WORD, 3, 3, "n't"),
        (7, WORD, 4, 4, "go"),
        (8, EMPTY, 4, 1, "went"),
        (9, WORD, 5, 5, "."),
    ]
    assert (comments_only.line, comments_only.rows) == (11, [])
    assert [row.line for row in last.rows] == [13, 14]
    surface = [(token.form, [w.form for w in words]) for token, words in surface_tokens(first.rows)]
    assert surface == [("I", ["I"]), ("don't", ["do", "n't"]), ("go", ["go"]), (".", ["."])]


def test_every_projection_sees_the_same_words(tmp_path: Path) -> None:
    path = write(tmp_path, ODD, "odd.conllu")
    tokens, tags = as_lists(read_conllu(path))
    assert tokens == [["I", "do", "n't", "go", "."], ["Hi", "!"]]
    assert tags == [["PRON", "AUX", "PART", "VERB", "PUNCT"], ["INTJ", "PUNCT"]]
    (paragraph,) = read_paragraphs(path)
    assert paragraph.text == "I don't go. Hi!"
    assert [w for token in paragraph.tokens for w in token.words] == [*tokens[0], *tokens[1]]
    document = read_conllu_file(path)
    assert [word.form for word in document.words] == [*tokens[0], *tokens[1]]
    assert [word.multiword for word in document.words] == [False, True, True, *[False] * 4]
    assert len(document.tokens) == len(paragraph.tokens) == 6
    assert document.sentences == [(0, 9), (9, 12)]
    assert read_conllu_text(path) == ["I don't go."]


def test_the_scorer_reads_a_string_a_gzip_file_and_a_bom_alike(tmp_path: Path) -> None:
    packed = tmp_path / "odd.conllu.gz"
    packed.write_bytes(gzip.compress(ODD.encode("utf-8")))
    with_bom = write(tmp_path, "\ufeff" + ODD.replace("\n", "\r\n"), "bom.conllu")
    expected = read_conllu_document(ODD)
    assert read_conllu_file(packed) == read_conllu_file(with_bom) == expected


# What is wrong, the text (line 1 is a good sentence's word, line 2 a blank line), the
# line named and what the tags and raw-text projections say; then the scorer's.
BAD = [
    ("missing columns", "1\tHi\tINTJ", 3, "expected 10 tab-separated columns, got 3", None),
    ("an ID that is not a number", line("x", "Hi"), 3, "expected an integer word ID, got 'x'",
     (3, "expected an integer ID, a range or an empty node")),
    ("a range backwards", line("2-1", "Hi"), 3, "expected a range such as 3-4, got '2-1'",
     (3, "expected an integer ID, a range or an empty node")),
    ("an empty node ID", line("1.x", "Hi"), 3, "expected an empty node such as 3.1, got '1.x'",
     (3, "expected an integer ID, a range or an empty node")),
    ("a leading zero", line("01", "Hi"), 3, "expected an integer word ID, got '01'",
     (3, "expected an integer ID, a range or an empty node")),
    ("an ID out of order", f"{line('1', 'a')}\n{line('3', 'b')}", 4,
     "expected ID 2 or range 2-N, got 3", None),
    ("a sentence from 2", line("2", "Hi"), 3, "expected ID 1 or range 1-N, got 2", None),
    ("an empty node out of place", f"{line('1', 'a')}\n{line('2.1', 'b')}", 4,
     "expected an empty node 1.M after word 1, got 2.1", None),
    ("a word missing in a range", f"{line('1-2', 'ab')}\n{line('2', 'b')}", 4,
     "expected word 1 of the range 1-2, got '2'", (4, "expected word 1 of the multi-word token")),
    ("a range inside a range", f"{line('1-2', 'ab')}\n{line('1-2', 'ab')}", 4,
     "expected word 1 of the range 1-2, got '1-2'", (4, "expected word 1 of the multi-word token")),
    ("a range whose words stop", f"{line('1-2', 'ab')}\n{line('1', 'a')}\n", 3,
     "expected the words 1-2 of 'ab' to follow", (5, "expected word 2 of the multi-word token")),
    ("an empty FORM", line("1", ""), 3, "expected a non-empty FORM (column 2)", None),
]  # fmt: skip


PROJECTIONS = (read_conllu, read_paragraphs, read_conllu_text, lambda p: list(read_blocks(p)))


@pytest.mark.parametrize(
    ("what", "text", "number", "message", "scorer"), BAD, ids=[b[0] for b in BAD]
)
def test_every_projection_refuses_a_bad_file_at_its_line(
    tmp_path: Path, what: str, text: str, number: int, message: str, scorer: tuple | None
) -> None:
    path = write(tmp_path, f"{line('1', 'Hi', 'INTJ')}\n\n{text}\n", "bad.conllu")
    for projection in PROJECTIONS:
        assert error_of(projection, path) == f"{path}:{number}: {message}", what
    scorer_number, scorer_message = scorer or (number, message)
    assert error_of(read_conllu_file, path) == f"{path}:{scorer_number}: {scorer_message}"
    with pytest.raises(ValueError) as from_string:
        read_conllu_document(path.read_text(encoding="utf-8"), name="bad.conllu")
    assert str(from_string.value) == f"bad.conllu:{scorer_number}: {scorer_message}"


def test_a_range_open_at_the_end_of_the_file_names_it(tmp_path: Path) -> None:
    path = write(tmp_path, f"{line('1-2', 'ab')}\n{line('1', 'a')}", "end.conllu")
    assert error_of(read_conllu, path) == f"{path}:1: expected the words 1-2 of 'ab' to follow"
    assert error_of(read_conllu_file, path) == f"{path}:3: expected word 2 of the multi-word token"


def test_blocks_stream_and_a_bad_line_is_found_when_it_is_read(tmp_path: Path) -> None:
    text = f"{line('1', 'Hi')}\n\n" * 1000 + line("x", "bad") + "\n"
    blocks = read_blocks(write(tmp_path, text, "long.conllu"))
    assert [row.form for row in next(blocks).rows] == ["Hi"]  # the bad line is not read yet
    with pytest.raises(CorpusError, match=r"long\.conllu:2001: expected an integer word ID"):
        list(blocks)
