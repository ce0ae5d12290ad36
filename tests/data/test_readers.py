"""CoNLL-U, CoNLL column and Parquet/JSON readers on tiny corpora written here."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import ClassLabel
from helpers import error_of, write

from tagger.data.columns import read_columns
from tagger.data.conllu import read_conllu, read_conllu_text
from tagger.data.dataset import as_lists, documents_of, tag_names, token_dataset
from tagger.data.hf import load_hf_or_file


def conllu_line(*cols: str) -> str:
    """One CoNLL-U word line from ID, FORM, UPOS, XPOS; the other columns are `_`."""
    word_id, form, upos, xpos = cols
    return "\t".join([word_id, form, "_", upos, xpos, "_", "_", "_", "_", "_"])


GOOD_CONLLU = "\n".join(
    [
        "# newdoc id = d1",
        "# sent_id = 1",
        "# text = I don't know.",
        conllu_line("1", "I", "PRON", "PRP"),
        conllu_line("2-3", "don't", "_", "_"),
        conllu_line("2", "do", "AUX", "VBP"),
        conllu_line("3", "n't", "PART", "RB"),
        conllu_line("4", "know", "VERB", "VB"),
        conllu_line("4.1", "knew", "_", "_"),
        conllu_line("5", ".", "PUNCT", "."),
        "",
        "# sent_id = 2",
        "# text = Go!",
        conllu_line("1", "Go", "VERB", "VB"),
        conllu_line("2", "!", "PUNCT", "."),
    ]
)  # no blank line at the end: must still be read


def test_conllu_skips_comments_ranges_and_empty_nodes(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_CONLLU, "a.conllu")
    tokens, tags = as_lists(read_conllu(path))
    assert tokens == [["I", "do", "n't", "know", "."], ["Go", "!"]]
    assert tags == [["PRON", "AUX", "PART", "VERB", "PUNCT"], ["VERB", "PUNCT"]]


def test_conllu_xpos_and_labels(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_CONLLU + "\n\n\n", "a.conllu")
    dataset = read_conllu(path, tag_field="xpos")
    assert as_lists(dataset)[1] == [["PRP", "VBP", "RB", "VB", "."], ["VB", "."]]
    assert tag_names(dataset) == [".", "PRP", "RB", "VB", "VBP"]
    assert isinstance(dataset.features["tags"].feature, ClassLabel)


def test_conllu_rejects_unknown_tag_field(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_CONLLU, "a.conllu")
    with pytest.raises(ValueError, match="upos, xpos"):
        read_conllu(path, tag_field="deprel")


def test_conllu_text_comments(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD_CONLLU, "a.conllu")
    assert read_conllu_text(path) == ["I don't know.", "Go!"]


def test_conllu_crlf_and_bom(tmp_path: Path) -> None:
    data = ("\ufeff" + GOOD_CONLLU).replace("\n", "\r\n").encode("utf-8")
    tokens, tags = as_lists(read_conllu(write(tmp_path, data, "a.conllu")))
    assert tokens[1] == ["Go", "!"] and tags[1] == ["VERB", "PUNCT"]


@pytest.mark.parametrize(
    ("line", "tag_field", "expected"),
    [
        ("1\tGo\t_\tVERB\tVB", "upos", ":4: expected 10 tab-separated columns, got 5"),
        (conllu_line("1", "", "VERB", "VB"), "upos", ":4: expected a non-empty FORM"),
        (conllu_line("1", "Go", "_", "VB"), "upos", ":4: expected a UPOS tag (column 4)"),
        (conllu_line("1", "Go", "VERB", ""), "xpos", ":4: expected a XPOS tag (column 5)"),
        (conllu_line("x", "Go", "VERB", "VB"), "upos", ":4: expected an integer word ID"),
    ],
)
def test_conllu_errors_name_file_and_line(
    tmp_path: Path, line: str, tag_field: str, expected: str
) -> None:
    text = "# text = Hi. Go\n" + conllu_line("1", "Hi", "INTJ", "UH") + "\n\n" + line + "\n"
    path = write(tmp_path, text, "bad.conllu")
    assert error_of(read_conllu, path, tag_field).startswith(f"{path}{expected}")


def test_conllu_bad_utf8_names_its_line(tmp_path: Path) -> None:
    data = GOOD_CONLLU.encode("utf-8").replace(b"\tknow\t", b"\tkn\xffw\t")
    path = write(tmp_path, data, "bad.conllu")
    assert error_of(read_conllu, path).startswith(f"{path}:8: expected UTF-8 text, got byte 0xff")


def test_conllu_without_sentences(tmp_path: Path) -> None:
    path = write(tmp_path, "# only a comment\n\n", "empty.conllu")
    assert error_of(read_conllu, path) == f"{path}: no sentences found"


def test_columns_two_columns_repeated_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "\n\nThe B-NP\ncat I-NP\n\n\n\nsat B-VP\n\n")
    tokens, tags = as_lists(read_columns(path))
    assert tokens == [["The", "cat"], ["sat"]]
    assert tags == [["B-NP", "I-NP"], ["B-VP"]]


CONLL03 = """-DOCSTART- -X- O O

EU NNP I-NP I-ORG
rejects VBZ I-VP O
German JJ I-NP I-MISC
-DOCSTART- -X- O O
Peter NNP I-NP I-PER
Blackburn NNP I-NP I-PER
"""


def test_columns_four_columns_and_docstart(tmp_path: Path) -> None:
    tokens, tags = as_lists(read_columns(write(tmp_path, CONLL03)))
    # -DOCSTART- ends a sentence even without a blank line before it, and is never a token.
    assert tokens == [["EU", "rejects", "German"], ["Peter", "Blackburn"]]
    assert tags == [["I-ORG", "O", "I-MISC"], ["I-PER", "I-PER"]]


def test_columns_custom_columns(tmp_path: Path) -> None:
    tokens, tags = as_lists(read_columns(write(tmp_path, CONLL03), word_column=0, tag_column=2))
    assert tags == [["I-NP", "I-VP", "I-NP"], ["I-NP", "I-NP"]]
    _, pos = as_lists(read_columns(write(tmp_path, CONLL03), tag_column=-3))
    assert pos[0] == ["NNP", "VBZ", "JJ"]


def test_columns_tabs_and_non_breaking_space_in_word(tmp_path: Path) -> None:
    tokens, _ = as_lists(read_columns(write(tmp_path, "a\u00a0b\tX\n  c   Y  \n")))
    assert tokens == [["a\u00a0b", "c"]]


def test_columns_width_mismatch(tmp_path: Path) -> None:
    path = write(tmp_path, "-DOCSTART- -X- O\n\nEU NNP I-ORG\nrejects O\n")
    assert error_of(read_columns, path) == f"{path}:4: expected 3 columns like line 3, got 2"


@pytest.mark.parametrize(
    ("word_column", "tag_column", "expected"),
    [
        (0, 3, "expected tag_column between -3 and 2, got 3"),
        (-4, -1, "expected word_column between -3 and 2, got -4"),
    ],
)
def test_columns_index_out_of_range(
    tmp_path: Path, word_column: int, tag_column: int, expected: str
) -> None:
    path = write(tmp_path, "\nEU NNP I-ORG\n")
    assert error_of(read_columns, path, word_column, tag_column) == f"{path}:2: {expected}"


def test_columns_one_column(tmp_path: Path) -> None:
    path = write(tmp_path, "EU\n")
    assert error_of(read_columns, path).startswith(f"{path}:1: expected at least 2 columns")


def test_columns_bad_utf8_and_no_sentences(tmp_path: Path) -> None:
    bad = write(tmp_path, b"EU O\nGerm\xe4n O\n", "bad.txt")
    assert error_of(read_columns, bad).startswith(f"{bad}:2: expected UTF-8 text, got byte 0xe4")
    empty = write(tmp_path, "-DOCSTART- -X- O O\n\n", "empty.txt")
    assert error_of(read_columns, empty) == f"{empty}: no sentences found"


def test_docstart_lines_number_the_documents(tmp_path: Path) -> None:
    text = "-DOCSTART- O\n\nEU B-ORG\n\nbans O\n-DOCSTART- O\n\nPeter B-PER\n"
    dataset = read_columns(write(tmp_path, text, "docs.txt"))
    assert documents_of(dataset) == [1, 1, 2]
    plain = read_columns(write(tmp_path, "EU B-ORG\n\nPeter B-PER\n", "plain.txt"))
    assert documents_of(plain) is None
    assert plain.column_names == ["tokens", "tags"]


def test_parquet_with_string_tags_and_renamed_columns(tmp_path: Path) -> None:
    path = tmp_path / "ner.parquet"
    table = pa.table({"words": [["EU", "rejects"], ["Peter"]], "ner": [["B-ORG", "O"], ["B-PER"]]})
    pq.write_table(table, path)
    dataset = load_hf_or_file(str(path), "train", token_field="words", tag_field="ner")
    assert dataset.column_names == ["tokens", "tags"]
    assert as_lists(dataset) == ([["EU", "rejects"], ["Peter"]], [["B-ORG", "O"], ["B-PER"]])


def test_jsonl_with_integer_tags_named_by_id(tmp_path: Path) -> None:
    path = tmp_path / "pos.jsonl"
    rows = [{"tokens": ["a", "b"], "tags": [0, 2]}, {"tokens": ["c"], "tags": [2]}]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    dataset = load_hf_or_file(str(path), "train")
    assert tag_names(dataset) == ["0", "1", "2"]
    assert dataset["tags"] == [[0, 2], [2]]


def test_parquet_with_classlabel_names_kept(tmp_path: Path) -> None:
    # A Parquet file written by datasets keeps ClassLabel names in its schema metadata.
    path = tmp_path / "labels.parquet"
    token_dataset([["x", "y"]], [["Z", "A"]], label_names=["Z", "A"]).to_parquet(path)
    dataset = load_hf_or_file(str(path), "train")
    assert tag_names(dataset) == ["Z", "A"]
    assert dataset["tags"] == [[0, 1]]


def test_hf_missing_column_and_length_mismatch(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    rows = [{"tokens": ["a"], "tags": ["X"]}, {"tokens": ["b", "c"], "tags": ["X"]}]
    path.write_text(json.dumps(rows), encoding="utf-8")
    missing = error_of(load_hf_or_file, str(path), "train", "words")
    assert missing == f"{path}: expected a column 'words'; columns: tokens, tags"
    mismatch = error_of(load_hf_or_file, str(path), "train")
    assert mismatch == f"{path}:2: expected as many tags as tokens, got 1 tags for 2 tokens"


def test_hf_unknown_source(tmp_path: Path) -> None:
    assert error_of(load_hf_or_file, str(tmp_path / "x.csv"), "train").endswith(
        "expected hf:<dataset>[:<config>] or a .parquet, .json or .jsonl file"
    )
    assert error_of(load_hf_or_file, str(tmp_path / "x.json"), "train").endswith("file not found")
