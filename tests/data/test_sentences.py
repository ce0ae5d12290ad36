"""Sentence-label readers: `LABEL text` lines, TSV/CSV, JSONL and parquet, the SST catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from datasets import ClassLabel, Dataset, Features, Value
from helpers import error_of, write

from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, sha256_of
from tagger.data.corpus import guess_format, read_file
from tagger.data.dataset import as_examples, label_names
from tagger.data.errors import CorpusError
from tagger.data.hf import load_raw
from tagger.data.sentences import from_hf, read_label_lines, read_table, sentence_dataset
from tagger.tasks import get_task

SENTIMENT = get_task("sentiment")

# tests/data/test_sentences.py -> parents[3] is the folder holding main/ and shared/.
SHARED_CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no TAGGER_* variables of the machine they run on."""
    for name in ("TAGGER_CATALOG", "TAGGER_DATA_DIR", "TAGGER_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def rows(dataset: Dataset) -> list[tuple[str, list[str], str]]:
    """(text, tokens, label name) of every example."""
    names = label_names(dataset)
    return [
        (text, tokens, names[label])
        for text, tokens, label in zip(
            dataset["text"], dataset["tokens"], dataset["label"], strict=True
        )
    ]


# --- `LABEL text` lines ---


def test_label_lines_space_or_tab_and_blank_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "1 a good film .\n\n0\tbad ,  bad film\n   \n1\t\tfine  \n")
    dataset = read_label_lines(path)
    assert rows(dataset) == [
        ("a good film .", ["a", "good", "film", "."], "1"),
        ("bad ,  bad film", ["bad", ",", "bad", "film"], "0"),
        ("fine", ["fine"], "1"),
    ]
    assert isinstance(dataset.features["label"], ClassLabel)
    tokens, labels = as_examples(dataset)
    assert tokens == [["a", "good", "film", "."], ["bad", ",", "bad", "film"], ["fine"]]
    assert labels == ["1", "0", "1"]


def test_label_lines_integer_labels_in_numeric_order(tmp_path: Path) -> None:
    # "10" after "2": sorted as numbers, not as strings.
    text = "".join(f"{label} text {label}\n" for label in ["3", "0", "10", "4", "2", "1"])
    dataset = read_label_lines(write(tmp_path, text))
    assert label_names(dataset) == ["0", "1", "2", "3", "4", "10"]
    assert [label for _, _, label in rows(dataset)] == ["3", "0", "10", "4", "2", "1"]


def test_label_lines_string_labels_sorted(tmp_path: Path) -> None:
    dataset = read_label_lines(write(tmp_path, "pos yes\nneutral meh\nneg no\npos ok\n"))
    assert label_names(dataset) == ["neg", "neutral", "pos"]
    assert dataset["label"] == [2, 1, 0, 2]


def test_label_lines_a_byte_order_mark_is_not_part_of_the_label(tmp_path: Path) -> None:
    dataset = read_label_lines(write(tmp_path, "\ufeff1 good\n0 bad\n"))
    assert label_names(dataset) == ["0", "1"]


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("1 good\n0\n", 2),  # a label with no text
        ("1 good\n\n0   \n", 3),  # a label followed by spaces only
        ("1\t\n", 1),
    ],
)
def test_label_lines_label_without_text(tmp_path: Path, text: str, line: int) -> None:
    path = write(tmp_path, text)
    message = error_of(read_label_lines, path)
    assert message.startswith(f"{path}:{line}: expected 'LABEL text'")


def test_label_lines_non_utf8_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"1 good\n0 bad\n1 caf\xe9 au lait\n")
    assert error_of(read_label_lines, path).startswith(f"{path}:3: expected UTF-8 text")


@pytest.mark.parametrize("text", ["", "\n  \n\t\n"])
def test_label_lines_empty_file(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert error_of(read_label_lines, path) == f"{path}: no sentences found"


def test_label_lines_digit_like_label_is_not_a_crash(tmp_path: Path) -> None:
    dataset = read_label_lines(write(tmp_path, "1 good\n\u00b2 squared\n"))
    assert label_names(dataset) == ["1", "\u00b2"]


# --- TSV and CSV with a header ---


def test_tsv_with_header(tmp_path: Path) -> None:
    path = write(tmp_path, "label\ttext\n1\ta good film\n0\t bad film \n", "train.tsv")
    assert rows(read_table(path)) == [
        ("a good film", ["a", "good", "film"], "1"),
        ("bad film", ["bad", "film"], "0"),
    ]


def test_csv_with_header_quoted_comma_and_other_columns(tmp_path: Path) -> None:
    text = 'id,sentence,polarity\n7,"good, very good",pos\n8,bad,neg\n'
    path = write(tmp_path, text, "train.csv")
    dataset = read_table(path, text_field="sentence", label_field="polarity")
    assert rows(dataset) == [
        ("good, very good", ["good,", "very", "good"], "pos"),
        ("bad", ["bad"], "neg"),
    ]
    assert label_names(dataset) == ["neg", "pos"]


@pytest.mark.parametrize("name", ["train.tsv", "train.csv"])
def test_table_missing_column_names_it_and_line_1(tmp_path: Path, name: str) -> None:
    sep = "\t" if name.endswith(".tsv") else ","
    path = write(tmp_path, f"sentence{sep}label\ngood{sep}1\n", name)
    message = error_of(read_table, path)
    assert message.startswith(f"{path}:1: expected a column 'text' in the header")
    assert "'sentence'" in message  # the header it found


@pytest.mark.parametrize("cell", ["", "   "])
def test_table_empty_text_cell_names_its_line(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f"text,label\ngood,1\nfine,1\n{cell},0\n", "train.csv")
    message = error_of(read_table, path)
    assert message == f"{path}:4: expected non-empty 'text' and 'label'"


def test_table_empty_label_cell_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "text\tlabel\ngood\t1\nbad\t\n", "train.tsv")
    assert error_of(read_table, path).startswith(f"{path}:3: expected non-empty")


def test_table_header_only(tmp_path: Path) -> None:
    path = write(tmp_path, "text,label\n", "train.csv")
    assert error_of(read_table, path) == f"{path}: no sentences found"


def test_tsv_quotes_are_text(tmp_path: Path) -> None:
    text = 'text\tlabel\n"Great" , he said\t1\n" unclosed quote\t1\nnext row\t0\n'
    dataset = read_table(write(tmp_path, text, "train.tsv"))
    assert dataset["text"] == ['"Great" , he said', '" unclosed quote', "next row"]


def test_csv_quoted_newline_separates_words(tmp_path: Path) -> None:
    dataset = read_table(write(tmp_path, 'text,label\n"multi\nline",1\nok,0\n', "train.csv"))
    assert dataset["tokens"] == [["multi", "line"], ["ok"]]


# --- JSON lines and parquet (through datasets) ---


def test_jsonl_via_read_file(tmp_path: Path) -> None:
    records = [
        {"sentence": "a good film", "stars": 4, "id": 1},
        {"sentence": "bad", "stars": 0, "id": 2},
        {"sentence": "ok I guess", "stars": 2, "id": 3},
    ]
    path = write(tmp_path, "".join(json.dumps(r) + "\n" for r in records), "train.jsonl")
    assert guess_format(str(path), sentences=True) == "json"
    data = DataConfig(text_field="sentence", label_field="stars")
    dataset = read_file(str(path), data, "sentences", what="sentiment")
    assert rows(dataset) == [
        ("a good film", ["a", "good", "film"], "4"),
        ("bad", ["bad"], "0"),
        ("ok I guess", ["ok", "I", "guess"], "2"),
    ]
    assert label_names(dataset) == ["0", "2", "4"]  # integer labels become names, in order


def test_parquet_via_read_file_keeps_class_label_names_in_order(tmp_path: Path) -> None:
    names = ["terrible", "ok", "great"]  # not sorted: the ClassLabel order must be kept
    features = Features({"text": Value("string"), "label": ClassLabel(names=names)})
    raw = {"text": ["so great", "awful stuff", "fine"], "label": [2, 0, 1]}
    path = tmp_path / "train.parquet"
    Dataset.from_dict(raw, features=features).to_parquet(path)
    dataset = read_file(str(path), DataConfig(), "sentences", what="sentiment")
    assert label_names(dataset) == names
    assert rows(dataset) == [
        ("so great", ["so", "great"], "great"),
        ("awful stuff", ["awful", "stuff"], "terrible"),
        ("fine", ["fine"], "ok"),
    ]


def test_parquet_string_labels_via_from_hf(tmp_path: Path) -> None:
    path = tmp_path / "train.parquet"
    Dataset.from_dict({"review": ["good", "bad one"], "y": ["pos", "neg"]}).to_parquet(path)
    dataset = from_hf(load_raw(str(path), "train"), str(path), "review", "y", str.split)
    assert rows(dataset) == [("good", ["good"], "pos"), ("bad one", ["bad", "one"], "neg")]
    assert label_names(dataset) == ["neg", "pos"]


def test_from_hf_tokenize_is_used() -> None:
    raw = Dataset.from_dict({"text": ["Good-ish film"], "label": [1]})
    dataset = from_hf(raw, "mem", "text", "label", lambda t: t.lower().split("-"))
    assert dataset["tokens"] == [["good", "ish film"]]


def test_from_hf_missing_column_names_it() -> None:
    raw = Dataset.from_dict({"sentence": ["good"], "label": [1]})
    with pytest.raises(CorpusError, match=r"^hf:x: expected a column 'text', got \['sentence'"):
        from_hf(raw, "hf:x", "text", "label", str.split)


@pytest.mark.parametrize("text", ["", "  ", None])
def test_from_hf_empty_text_names_its_row(text: str | None) -> None:
    raw = Dataset.from_dict({"text": ["good", text], "label": [1, 0]})
    with pytest.raises(CorpusError, match=r"^data\.parquet:2: expected non-empty 'text'"):
        from_hf(raw, "data.parquet", "text", "label", str.split)


def test_from_hf_rejects_class_label_minus_one() -> None:
    features = Features({"text": Value("string"), "label": ClassLabel(names=["neg", "pos"])})
    raw = Dataset.from_dict({"text": ["good", "no label"], "label": [1, -1]}, features=features)
    with pytest.raises(CorpusError, match=r":2: .*-1"):
        from_hf(raw, "hf:glue:sst2", "text", "label", str.split)


def test_sentence_dataset_given_names_keep_unseen_classes() -> None:
    dataset = sentence_dataset(["a b"], ["pos"], label_names=["neg", "neutral", "pos"])
    assert label_names(dataset) == ["neg", "neutral", "pos"]
    assert dataset["label"] == [2]


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.txt", "labels"), ("a.tsv", "tsv"), ("a.CSV", "csv"), ("a.jsonl", "json")],
)
def test_guess_format_for_sentences(name: str, fmt: str) -> None:
    assert guess_format(name, sentences=True) == fmt


def test_read_file_rejects_token_formats_for_sentiment(tmp_path: Path) -> None:
    path = write(tmp_path, "1 good\n", "train.txt")
    with pytest.raises(ValueError, match="a sentiment corpus is one of"):
        read_file(str(path), DataConfig(format="conllu"), "sentences", what="sentiment")


# --- the SST catalog entries ---


def test_catalog_sst_entries() -> None:
    catalog = load_catalog()
    for name, stem in (("sst2", "stsa.binary"), ("sst5", "stsa.fine")):
        entry = catalog[name]
        assert (entry.format, entry.lang) == ("labels", "en")
        assert list(entry.splits) == ["train", "dev", "test"]
        assert entry.splits["dev"].file == f"{name}/{stem}.dev"


def test_load_split_sst2_from_a_data_dir(tmp_path: Path) -> None:
    # Not the real file: the catalog checks sha256 only for the cache and downloads.
    folder = tmp_path / "sst2"
    folder.mkdir()
    (folder / "stsa.binary.train").write_text("1 a gem .\n0 a mess .\n1 fun\n", encoding="utf-8")
    (folder / "stsa.binary.dev").write_text("0 dull\n", encoding="utf-8")
    data = DataConfig(corpus="sst2")
    train = SENTIMENT.load_split(data, "train", data_dir=tmp_path)
    assert rows(train) == [
        ("a gem .", ["a", "gem", "."], "1"),
        ("a mess .", ["a", "mess", "."], "0"),
        ("fun", ["fun"], "1"),
    ]
    assert label_names(train) == ["0", "1"]
    dev = SENTIMENT.load_split(data, "dev", data_dir=tmp_path)
    assert as_examples(dev) == ([["dull"]], ["0"])


def test_load_split_explicit_file_wins_over_the_catalog(tmp_path: Path) -> None:
    path = write(tmp_path, "text\tlabel\ngood\tpos\n", "dev.tsv")
    data = DataConfig(corpus="sst2", dev=str(path))
    assert as_examples(SENTIMENT.load_split(data, "dev")) == ([["good"]], ["pos"])


@pytest.mark.parametrize(
    ("name", "sizes", "labels"),
    [
        ("sst2", {"train": 6920, "dev": 872, "test": 1821}, ["0", "1"]),
        ("sst5", {"train": 8544, "dev": 1101, "test": 2210}, ["0", "1", "2", "3", "4"]),
    ],
)
def test_real_sst_via_catalog(name: str, sizes: dict[str, int], labels: list[str]) -> None:
    entry = load_catalog()[name]
    if not all((SHARED_CORPORA / spec.file).is_file() for spec in entry.splits.values()):
        pytest.skip(f"{name} is not in {SHARED_CORPORA}")
    data = DataConfig(corpus=name)
    for split, size in sizes.items():
        assert sha256_of(SHARED_CORPORA / entry.splits[split].file) == entry.splits[split].sha256
        dataset = SENTIMENT.load_split(data, split, data_dir=SHARED_CORPORA)
        assert len(dataset) == size, split
        assert label_names(dataset) == labels, split
        assert all(tokens for tokens in dataset["tokens"])
