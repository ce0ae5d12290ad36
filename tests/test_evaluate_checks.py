"""`tagger evaluate` says when a score would be meaningless: gold labels the model does not
know (a warning, or an error past a small share), a corpus of another task or format, and
the format it guessed for stdin."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from typer.testing import CliRunner

from tagger.cli import app

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def pos_model(shared_pos: TrainedModel) -> Path:
    return shared_pos.path


@pytest.fixture(scope="module")
def sentiment_model(shared_sentiment: TrainedModel) -> Path:
    return shared_sentiment.path


def evaluate(*args: str | Path, input: bytes | None = None) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["evaluate", *map(str, args)], input=input)
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.stdout, result.stderr


def test_a_pos_model_on_an_ner_file_is_an_error(
    pos_model: Path, tmp_path: Path, toy_ner_files: Callable[[Path], tuple[Path, Path]]
) -> None:
    ner_file = toy_ner_files(tmp_path)[1]
    code, out, err = evaluate(pos_model, ner_file)
    assert code == 1 and out == ""
    assert err.startswith(f"error: {ner_file}:1: gold labels ['O'"), err
    assert "(81 of 81 gold tags, 100.0%)" in err and len(err.splitlines()) == 1


def test_conllu_on_stdin_is_guessed_and_said(pos_model: Path) -> None:
    dev = pos_model.parent / "corpus" / "dev.conllu"
    expected = evaluate(pos_model, dev, "--json")
    code, out, err = evaluate(pos_model, "-", "--json", input=dev.read_bytes())
    assert (code, out) == expected[:2] and json.loads(out)["accuracy"] == 1.0
    assert err == "reading <stdin> as conllu (guessed from its content; --format sets it)\n"


def test_stdin_of_no_known_format_is_an_error(pos_model: Path) -> None:
    code, _, err = evaluate(pos_model, "-", input=b"justoneword\n")
    assert code == 1
    assert err == "error: <stdin>: cannot tell the corpus format from its content; give --format\n"


def test_a_few_unknown_gold_tags_are_a_warning(pos_model: Path, tmp_path: Path) -> None:
    dev = (pos_model.parent / "corpus" / "dev.conllu").read_text()
    path = tmp_path / "dev.conllu"
    path.write_text(dev + "1\tthe\t_\tFOO\t_\t_\t_\t_\t_\t_\n\n")
    line = len(dev.splitlines()) + 1
    code, out, err = evaluate(pos_model, path, "--json")
    assert code == 0 and json.loads(out)["n_tokens"] == 46
    assert err == (
        "warning: 1 of 46 gold tags (2.2%) are not labels of this model: FOO"
        f" (first at {path}:{line})\n"
    )


def test_many_unknown_gold_tags_are_an_error_naming_the_line(
    pos_model: Path, tmp_path: Path
) -> None:
    dev = (pos_model.parent / "corpus" / "dev.conllu").read_text()
    path = tmp_path / "dev.conllu"
    path.write_text(dev.replace("\tNOUN\t", "\tNOUN2\t"))
    line = next(n for n, text in enumerate(dev.splitlines(), 1) if "\tNOUN\t" in text)
    code, _, err = evaluate(pos_model, path)
    assert code == 1
    assert err.startswith(f"error: {path}:{line}: gold labels ['NOUN2'] are not among"), err


def test_a_sentence_model_names_the_line_of_an_unknown_label(
    sentiment_model: Path, tmp_path: Path
) -> None:
    path = tmp_path / "dev.txt"
    path.write_text("pos a good film\nneg a bad film\nmeh a film\n")
    code, _, err = evaluate(sentiment_model, path)
    assert code == 1
    assert err.startswith(f"error: {path}:3: gold labels ['meh'] are not among"), err


def test_a_sentence_model_on_a_token_corpus_is_an_error(
    sentiment_model: Path, pos_model: Path
) -> None:
    dev = pos_model.parent / "corpus" / "dev.conllu"
    code, _, err = evaluate(sentiment_model, dev)
    assert code == 1
    assert err.startswith(f"error: {dev}: read as conllu, which is not a corpus of a sentiment")
