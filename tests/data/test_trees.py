"""The sentiment treebank reader: sentences, phrases, the binary view and malformed trees."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import error_of, write

from tagger.config import DataConfig
from tagger.data.corpus import guess_format
from tagger.data.trees import read_sst_trees
from tagger.tasks import get_task

SENTIMENT = get_task("sentiment")

TREES = (
    "(3 (2 (2 The) (2 Rock)) (4 (3 (2 is) (4 great)) (2 .)))\n"
    "(1 (2 -LRB-) (1 (1 dull) (2 -RRB-)))\n"
    "(2 Fine)\n"  # a one-word sentence
    "(0 (2 (2 8 1\\/2) (2 the)) (0 (2 rock) (0 sucks)))\n"
)


def labelled(dataset) -> list[tuple[str, str]]:  # noqa: ANN001
    names = dataset.features["label"].names
    pairs = zip(dataset["label"], dataset["text"], strict=True)
    return [(names[label], text) for label, text in pairs]


def test_sentences_with_their_root_label(tmp_path: Path) -> None:
    dataset = read_sst_trees(write(tmp_path, TREES, "t.txt"))
    assert labelled(dataset) == [
        ("3", "The Rock is great ."),
        ("1", "( dull )"),
        ("2", "Fine"),
        ("0", "8 1/2 the rock sucks"),
    ]
    assert dataset[0]["tokens"] == ["The", "Rock", "is", "great", "."]
    assert dataset.features["label"].names == ["0", "1", "2", "3", "4"]


def test_phrases_children_first_each_text_once(tmp_path: Path) -> None:
    dataset = read_sst_trees(write(tmp_path, TREES, "t.txt"), phrases=True, lowercase=True)
    pairs = labelled(dataset)
    # Nodes: 9 + 5 + 1 + 7; tree 4's `the` and `rock` repeat tree 1's (lower-cased).
    assert pairs[:4] == [("2", "the"), ("2", "rock"), ("2", "the rock"), ("2", "is")]
    assert pairs[8] == ("3", "the rock is great .")
    texts = [t for _, t in pairs]
    assert len(texts) == len(set(texts)) == 9 + 5 + 1 + 5
    assert pairs[-1] == ("0", "8 1/2 the rock sucks")


def test_binary_view_drops_neutral(tmp_path: Path) -> None:
    path = write(tmp_path, TREES, "t.txt")
    assert labelled(read_sst_trees(path, labels="binary")) == [
        ("1", "The Rock is great ."),
        ("0", "( dull )"),
        ("0", "8 1/2 the rock sucks"),
    ]
    phrases = labelled(read_sst_trees(path, phrases=True, labels="binary"))
    assert ("1", "great") in phrases and all(label in "01" for label, _ in phrases)
    assert not any(text == "Rock" for _, text in phrases)  # neutral


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("(3 (2 The) (2 Rock)", "expected 1 more ')'"),
        ("(3 (2 The) (2 Rock)))", "expected the end of the line after the tree, got ')'"),
        ("(x (2 The))", "expected a label 0-4 after '(', got 'x'"),
        ("(7 (2 The))", "expected a label 0-4 after '(', got '7'"),
        ("(3 (2 ) (2 Rock))", "empty leaf"),
        ("(3 (2 The) Rock)", "expected '(' or ')', got the word 'Rock'"),
        ("(2 a) (2 b)", "expected the end of the line"),
    ],
)
def test_malformed_trees_name_file_and_line(tmp_path: Path, line: str, expected: str) -> None:
    path = write(tmp_path, f"(2 fine)\n{line}\n", "bad.txt")
    message = error_of(read_sst_trees, path)
    assert "bad.txt:2:" in message and expected in message


def test_config_reads_phrases_for_train_only(tmp_path: Path) -> None:
    path = str(write(tmp_path, TREES, "trees.txt"))
    assert guess_format(path, sentences=True) == "sst-trees"
    data = DataConfig(train=path, dev=path, phrases=True, labels="binary")
    train = SENTIMENT.load_split(data, "train")
    dev = SENTIMENT.load_split(data, "dev")
    assert len(dev) == 3 and len(train) > len(dev)
