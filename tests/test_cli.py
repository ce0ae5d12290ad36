"""The CLI end to end on a toy corpus: train, info, evaluate, tag, corpora list, and its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import write
from typer.testing import CliRunner, Result

from tagger.cli import app
from tagger.config import Config

RUNNER = CliRunner()
SHRINK = [
    "model.word_dim=16",
    "model.casing_dim=4",
    "model.char=cnn",
    "model.char_dim=8",
    "model.char_hidden=8",
    "model.hidden=16",
    "model.layers=1",
    "model.dropout=0.0",
    "model.word_dropout=0.0",
    "train.lr=0.03",
    "train.batch_size=4",
    "train.max_epochs=25",
    "train.patience=3",
    "train.threads=1",
]
TEXT = "The dog sees a cat. A bird finds the tree!\nEvery child likes this old tree.\n"
TOY_LABELS = ["ADJ", "DET", "NOUN", "PUNCT", "VERB"]


def invoke(*args: str | Path, input: str | bytes | None = None) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args], input=input)


def write_config(folder: Path, train: Path, dev: Path, extra: str = "") -> Path:
    """A TOML config naming the toy files; the model is shrunk with --set by the callers."""
    path = folder / "config.toml"
    path.write_text(
        f'task = "pos"\n[data]\ntrain = "{train}"\ndev = "{dev}"\n{extra}', encoding="utf-8"
    )
    return path


pytestmark = pytest.mark.usefixtures("no_tagger_env")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]) -> Path:
    """A tiny model trained by `tagger train` on the toy corpus; its dev file is dev.conllu.
    --no-plot: drawing training.png costs more than this training (test_outputs draws it)."""
    folder = tmp_path_factory.mktemp("cli")
    config = tiny_config(folder)  # writes the toy corpus into folder/corpus
    toml = write_config(folder, Path(config.data.train), Path(config.data.dev))
    sets = [arg for item in SHRINK for arg in ("--set", item)]
    result = invoke("train", toml, "--output", folder / "model", "--quiet", "--no-plot", *sets)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dev_score"] >= 0.95
    return folder / "model"


@pytest.fixture
def dev_file(model: Path) -> Path:
    return model.parent / "corpus" / "dev.conllu"


def write_input(tmp_path: Path, text: str | bytes = TEXT, name: str = "input.txt") -> Path:
    return write(tmp_path, text, name)


def tokens_of(output: str, fmt: str) -> list[str]:
    """Every token of `tagger tag` output in one format, checking each token has a tag."""
    tokens = []
    if fmt == "jsonl":
        for line in output.splitlines():
            record = json.loads(line)
            assert len(record["tokens"]) == len(record["tags"])
            tokens += record["tokens"]
    elif fmt == "text":
        for line in output.splitlines():
            pairs = [pair.rsplit("/", 1) for pair in line.split(" ")]
            assert all(len(p) == 2 and p[1] in TOY_LABELS for p in pairs)
            tokens += [p[0] for p in pairs]
    else:
        for line in output.splitlines():
            if not line or line.startswith("#"):
                continue
            columns = line.split("\t")
            if fmt == "conllu":
                assert len(columns) == 10 and columns[3] in TOY_LABELS
                tokens.append(columns[1])
            else:
                assert len(columns) == 2 and columns[1] in TOY_LABELS
                tokens.append(columns[0])
    return tokens


# --- info and evaluate ---


def test_info(model: Path) -> None:
    result = invoke("info", model)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["task"] == "pos"
    assert info["labels"] == TOY_LABELS
    assert info["meta"]["format_version"] == 1
    assert info["config"]["model"]["hidden"] == 16  # the --set overrides travel in the model
    assert info["trainable_parameters"] > 0


def test_train_no_plot_leaves_the_curves_out(model: Path) -> None:
    assert (model / "train_log.jsonl").is_file()
    assert not (model / "training.png").exists()  # test_outputs: without it, they are drawn


def test_evaluate_json(model: Path, dev_file: Path) -> None:
    result = invoke("evaluate", model, dev_file, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    n_tokens = sum(1 for line in dev_file.read_text().splitlines() if line[:1].isdigit())
    assert scores["n_tokens"] == n_tokens
    assert scores["accuracy"] >= 0.95
    assert set(scores["per_label"]) == set(TOY_LABELS)
    assert set(scores["per_label"]["NOUN"]) == {"precision", "recall", "f1", "support"}


def test_evaluate_report(model: Path, dev_file: Path) -> None:
    result = invoke("evaluate", model, dev_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("accuracy")
    assert "NOUN" in result.stdout


def test_evaluate_missing_corpus(model: Path, tmp_path: Path) -> None:
    result = invoke("evaluate", model, tmp_path / "nothing.conllu")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "nothing.conllu" in result.stderr


# --- tag ---


@pytest.mark.parametrize("fmt", ["conllu", "conll", "jsonl", "text"])
def test_tag_formats_keep_every_token(model: Path, tmp_path: Path, fmt: str) -> None:
    result = invoke("tag", model, write_input(tmp_path), "--format", fmt)
    assert result.exit_code == 0, result.output
    tokens = tokens_of(result.stdout, fmt)
    assert "".join(tokens) == "".join(TEXT.split())
    assert tokens[:6] == ["The", "dog", "sees", "a", "cat", "."]


def test_tag_tags_the_toy_words_right(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path), "--format", "text")
    assert result.stdout.splitlines()[0] == "The/DET dog/NOUN sees/VERB a/DET cat/NOUN ./PUNCT"


def test_tag_stdin(model: Path) -> None:
    result = invoke("tag", model, "--format", "conll", input=TEXT)
    assert result.exit_code == 0, result.output
    assert "".join(tokens_of(result.stdout, "conll")) == "".join(TEXT.split())


def test_tag_several_files_in_order(model: Path, tmp_path: Path) -> None:
    first = write_input(tmp_path, "The dog sees a cat.\n", "a.txt")
    second = write_input(tmp_path, "A bird finds the tree!\n", "b.txt")
    result = invoke("tag", model, first, second, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["tokens"][1] for line in result.stdout.splitlines()] == [
        "dog",
        "bird",
    ]


def test_tag_pretokenized(model: Path, tmp_path: Path) -> None:
    text = "The dog sees a cat.\n\n  \nU.K. startup ,\tfor $1\n"
    result = invoke(
        "tag", model, write_input(tmp_path, text), "--pretokenized", "--format", "jsonl"
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["tokens"] for r in records] == [
        ["The", "dog", "sees", "a", "cat."],  # not re-tokenized
        ["U.K.", "startup", ",", "for", "$1"],
    ]


def test_tag_output_file(model: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.conllu"
    result = invoke("tag", model, write_input(tmp_path), "--output", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "".join(tokens_of(out.read_text(encoding="utf-8"), "conllu")) == "".join(TEXT.split())


@pytest.mark.parametrize("fmt", ["conllu", "jsonl"])
def test_tag_empty_input(model: Path, tmp_path: Path, fmt: str) -> None:
    result = invoke("tag", model, write_input(tmp_path, ""), "--format", fmt)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_tag_missing_input_file(model: Path, tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    result = invoke("tag", model, missing)
    assert result.exit_code != 0
    assert f"{missing}: no such file" in result.stderr


def test_tag_non_utf8_input(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path, b"The caf\xe9 is open.\n"))
    assert result.exit_code != 0
    assert "expected UTF-8 text" in result.stderr
    assert "Traceback" not in result.output


def test_tag_non_utf8_input_names_file_and_line(model: Path, tmp_path: Path) -> None:
    path = write_input(tmp_path, b"The dog sees a cat.\nThe caf\xe9 is open.\n")
    result = invoke("tag", model, path)
    assert result.exit_code == 1
    assert f"{path}:2:" in result.stderr


def test_tag_unknown_format(model: Path, tmp_path: Path) -> None:
    result = invoke("tag", model, write_input(tmp_path), "--format", "xml")
    assert result.exit_code == 1
    assert "--format" in result.stderr and "'xml'" in result.stderr


def test_tag_with_a_folder_that_is_not_a_model(tmp_path: Path) -> None:
    result = invoke("tag", tmp_path, write_input(tmp_path))
    assert result.exit_code == 1
    assert "not a tagger model folder" in result.stderr


# --- train errors ---


def test_train_unknown_key(tmp_path: Path, tiny_config: Callable[..., Config]) -> None:
    config = tiny_config(tmp_path)
    toml = write_config(tmp_path, Path(config.data.train), Path(config.data.dev), "[model]\n")
    result = invoke("train", toml, "--output", tmp_path / "m", "--set", "model.hiden=3")
    assert result.exit_code == 1
    assert "unknown key 'model.hiden'" in result.stderr
    assert not (tmp_path / "m").exists()


def test_train_unknown_key_in_file(tmp_path: Path, tiny_config: Callable[..., Config]) -> None:
    config = tiny_config(tmp_path)
    toml = write_config(
        tmp_path, Path(config.data.train), Path(config.data.dev), "[train]\nepochs = 3\n"
    )
    result = invoke("train", toml, "--output", tmp_path / "m")
    assert result.exit_code == 1
    assert "unknown key 'train.epochs'" in result.stderr and str(toml) in result.stderr


def test_train_malformed_corpus(tmp_path: Path, tiny_config: Callable[..., Config]) -> None:
    config = tiny_config(tmp_path)
    bad = tmp_path / "bad.conllu"
    good_line = "1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_"
    bad.write_text(f"# sent_id = 1\n{good_line}\n2\tdog\tNOUN\n", encoding="utf-8")
    toml = write_config(tmp_path, bad, Path(config.data.dev))
    result = invoke("train", toml, "--output", tmp_path / "m", "--quiet", *["--set", SHRINK[0]])
    assert result.exit_code == 1
    assert f"{bad}:3: expected 10 tab-separated columns" in result.stderr
    assert "Traceback" not in result.output


def test_train_resume_without_checkpoint(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path)
    toml = write_config(tmp_path, Path(config.data.train), Path(config.data.dev))
    (tmp_path / "m").mkdir()
    result = invoke("train", toml, "--output", tmp_path / "m", "--resume", "--quiet")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "checkpoint" in result.stderr


@pytest.mark.parametrize(
    "override", ["train.batch_size=0", "train.eval_batch_size=0", "model.hidden=0"]
)
def test_train_zero_size_names_the_key(
    tmp_path: Path, tiny_config: Callable[..., Config], override: str
) -> None:
    config = tiny_config(tmp_path)
    toml = write_config(tmp_path, Path(config.data.train), Path(config.data.dev))
    sets = [arg for item in [*SHRINK, "train.max_epochs=1", override] for arg in ("--set", item)]
    result = invoke("train", toml, "--output", tmp_path / "m", "--quiet", *sets)
    assert result.exit_code == 1
    assert override.split("=")[0] in result.stderr


# --- corpora and the module entry point ---


def test_corpora_list(tmp_path: Path) -> None:
    result = invoke("corpora", "list", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    ewt = next(row for row in rows if row["name"] == "ud-english-ewt")
    assert ewt["format"] == "conllu"
    assert ewt["splits"] == ["train", "dev", "test"]


def test_python_m_tagger_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tagger", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for command in ("train", "evaluate", "tag", "info", "corpora"):
        assert command in result.stdout


def test_tag_with_one_thread_gives_the_same_tags(model: Path, tmp_path: Path) -> None:
    path = write_input(tmp_path)
    default = invoke("tag", model, path, "--format", "conll")
    one = invoke("tag", model, path, "--format", "conll", "--threads", "1")
    assert one.exit_code == 0, one.output
    assert one.stdout == default.stdout and one.stdout.strip()
