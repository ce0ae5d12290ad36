"""The CLI with a sentence model: train from TOML, tag (jsonl, text, sentences), evaluate, info."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tagger.cli import app

RUNNER = CliRunner()
LABELS = ["neg", "pos"]
TEXT = "the movie was good .\n\n   \na bad film !\nthis plot is really dull and long\n"


def invoke(*args: str | Path, input: str | None = None) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args], input=input)


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no TAGGER_* variables of the machine they run on."""
    for name in ("TAGGER_CATALOG", "TAGGER_DATA_DIR", "TAGGER_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, tiny_sentiment_config: Callable) -> Path:
    """A tiny sentiment model trained by `tagger train` from a TOML file; dev is corpus/dev.txt."""
    folder = tmp_path_factory.mktemp("cli-sentiment")
    config = tiny_sentiment_config(folder)  # writes the toy corpus into folder/corpus
    toml = folder / "config.toml"
    toml.write_text(
        f"""task = "sentiment"
[data]
train = "{config.data.train}"
dev = "{config.data.dev}"
[model]
word_dim = 16
casing_dim = 4
char = "cnn"
char_dim = 8
char_hidden = 8
hidden = 16
layers = 1
dropout = 0.0
word_dropout = 0.0
pooling = "max"
[train]
lr = 0.03
batch_size = 4
max_epochs = 25
patience = 3
threads = 1
""",
        encoding="utf-8",
    )
    result = invoke("train", toml, "--output", folder / "model", "--quiet", "--no-plot")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dev_score"] == 1.0
    return folder / "model"


@pytest.fixture
def dev_file(model: Path) -> Path:
    return model.parent / "corpus" / "dev.txt"


def write_input(tmp_path: Path, text: str = TEXT) -> Path:
    path = tmp_path / "input.txt"
    path.write_text(text, encoding="utf-8")
    return path


def records(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


# --- tag ---


def test_tag_default_is_jsonl_one_record_per_line(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path))
    assert result.exit_code == 0, result.output
    rows = records(result.stdout)
    assert [r["text"] for r in rows] == [
        "the movie was good .",
        "a bad film !",
        "this plot is really dull and long",
    ]  # blank lines skipped, order kept
    for row in rows:
        assert set(row) == {"text", "tokens", "label", "probs"}
        assert list(row["probs"]) == LABELS
        assert sum(row["probs"].values()) == pytest.approx(1.0, abs=1e-3)
        assert row["label"] == max(row["probs"], key=row["probs"].__getitem__)
    assert rows[1]["tokens"] == ["a", "bad", "film", "!"]
    assert [r["label"] for r in rows] == ["pos", "neg", "neg"]


def test_tag_stdin(model: Path) -> None:
    result = invoke("tag", model, input="the film was great .\n")
    assert result.exit_code == 0, result.output
    [row] = records(result.stdout)
    assert (row["tokens"], row["label"]) == (["the", "film", "was", "great", "."], "pos")


def test_tag_text_format(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path), "--format", "text")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "pos\tthe movie was good .",
        "neg\ta bad film !",
        "neg\tthis plot is really dull and long",
    ]


def test_tag_split_sentences(model: Path, tmp_path: Path) -> None:
    path = write_input(tmp_path, "the cast was great. the plot was awful.\n")
    whole = records(invoke("tag", model, path).stdout)
    assert len(whole) == 1
    assert whole[0]["tokens"] == ["the", "cast", "was", "great", ".", "the", "plot", "was"] + [
        "awful",
        ".",
    ]
    result = invoke("tag", model, path, "--split-sentences")
    assert result.exit_code == 0, result.output
    rows = records(result.stdout)
    assert [r["tokens"] for r in rows] == [
        ["the", "cast", "was", "great", "."],
        ["the", "plot", "was", "awful", "."],
    ]
    assert [r["label"] for r in rows] == ["pos", "neg"]
    # A sentence's text is its tokens joined by spaces, not a slice of the line.
    assert [r["text"] for r in rows] == ["the cast was great .", "the plot was awful ."]


def test_tag_pretokenized_keeps_the_tokens(model: Path, tmp_path: Path) -> None:
    path = write_input(tmp_path, "the movie was good.\n\nit's dull , (really)\n")
    result = invoke("tag", model, path, "--pretokenized")
    assert result.exit_code == 0, result.output
    rows = records(result.stdout)
    assert [r["tokens"] for r in rows] == [
        ["the", "movie", "was", "good."],  # not re-tokenized
        ["it's", "dull", ",", "(really)"],
    ]
    assert [r["text"] for r in rows] == ["the movie was good.", "it's dull , (really)"]


def test_tag_empty_input(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path, "\n  \n"))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["conllu", "conll"])
def test_tag_token_formats_are_refused(model: Path, tmp_path: Path, fmt: str) -> None:
    result = invoke("tag", model, write_input(tmp_path), "--format", fmt)
    assert result.exit_code == 1
    assert f"--format: a sentiment model writes one of jsonl, text, got '{fmt}'" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


# --- evaluate and info ---


def test_evaluate_json(model: Path, dev_file: Path) -> None:
    result = invoke("evaluate", model, dev_file, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    n_dev = sum(1 for line in dev_file.read_text(encoding="utf-8").splitlines() if line.strip())
    assert scores["accuracy"] == 1.0 and scores["macro_f1"] == 1.0
    assert scores["n_sentences"] == n_dev
    assert set(scores["per_class"]) == set(LABELS)
    assert set(scores["per_class"]["pos"]) == {"precision", "recall", "f1", "support"}
    assert scores["labels"] == LABELS
    gold = [line.split("\t")[0] for line in dev_file.read_text(encoding="utf-8").splitlines()]
    assert scores["confusion"] == [[gold.count("neg"), 0], [0, gold.count("pos")]]


def test_evaluate_report(model: Path, dev_file: Path) -> None:
    result = invoke("evaluate", model, dev_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("accuracy  100.00  macro-F1 100.00")
    assert "confusion (rows gold, columns predicted)" in result.stdout


def test_evaluate_unknown_gold_label(model: Path, tmp_path: Path) -> None:
    path = tmp_path / "dev.txt"
    path.write_text("pos good\nmixed good and bad\n", encoding="utf-8")
    result = invoke("evaluate", model, path)
    assert result.exit_code == 1
    assert "error:" in result.stderr and "'mixed'" in result.stderr


def test_info(model: Path) -> None:
    result = invoke("info", model)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["task"] == "sentiment"
    assert info["labels"] == LABELS
    assert info["meta"]["task"] == "sentiment"
    assert info["config"]["model"]["pooling"] == "max"
    assert info["config"]["model"]["hidden"] == 16
