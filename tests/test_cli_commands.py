"""The thin CLI: each command parses its options and calls one importable function, and
`--ray` takes an optional value without sys.argv being rewritten."""

from __future__ import annotations

import importlib
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from tagger.cli import app, main

RUNNER = CliRunner()
COMMANDS = {  # command -> (module of tagger.cli, its Typer function)
    "train": ("train", "train_cli"),
    "evaluate": ("evaluate", "evaluate_cli"),
    "tag": ("tag", "tag_cli"),
    "export": ("export", "export_cli"),
    "to-spacy": ("to_spacy", "to_spacy_cli"),
    "info": ("info", "info_cli"),
    "explain": ("explain", "explain_cli"),
    "report": ("report", "report_cli"),
}


def test_each_command_is_the_function_of_its_own_module() -> None:
    group = typer.main.get_command(app)
    for name, (module, function) in COMMANDS.items():
        command = group.commands[name]  # type: ignore[attr-defined]
        expected = getattr(importlib.import_module(f"tagger.cli.{module}"), function)
        assert command.callback.__wrapped__ is expected or command.callback is expected, name
    corpora = group.commands["corpora"].commands["list"]  # type: ignore[attr-defined]
    assert corpora.callback.__name__ == "corpora_list_cli"


def test_the_work_functions_are_importable() -> None:
    from tagger.evaluation_run import evaluate_model
    from tagger.tag_run import tag, tag_here

    assert all(callable(f) for f in (tag, tag_here, evaluate_model))


@pytest.fixture
def tagged(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call of tagger.tag_run.tag the `tag` command makes, with what it received."""
    calls: list[dict[str, Any]] = []

    def record(files, output, options, processes, ray, workers, report=None) -> None:  # noqa: ANN001
        calls.append(dict(files=files, output=output, options=options, ray=ray, workers=workers))

    monkeypatch.setattr("tagger.tag_run.tag", record)
    return calls


@pytest.fixture
def text(tmp_path: Path) -> Path:
    path = tmp_path / "a.txt"
    path.write_text("The dog sees a cat .\n")
    return path


RAY_FORMS = {  # arguments after MODEL -> (the files, --ray's value)
    "bare, last": (["{a}", "--ray"], ["{a}"], "local"),
    "bare, before an option": (["{a}", "--ray", "--output", "out/"], ["{a}"], "local"),
    "bare, before a file": (["--ray", "{a}"], ["{a}"], "local"),
    "auto": (["{a}", "--ray", "auto", "--workers", "2"], ["{a}"], "auto"),
    "HOST:PORT": (["--ray", "10.0.0.1:6379", "{a}"], ["{a}"], "10.0.0.1:6379"),
    "ray://": (["{a}", "--ray=ray://head:10001"], ["{a}"], "ray://head:10001"),
    "none": (["{a}"], ["{a}"], None),
}


@pytest.mark.parametrize("form", RAY_FORMS, ids=list(RAY_FORMS))
def test_ray_takes_an_optional_address(
    form: str, tagged: list[dict[str, Any]], text: Path, tmp_path: Path
) -> None:
    args, files, ray = RAY_FORMS[form]
    result = RUNNER.invoke(app, ["tag", str(tmp_path), *[a.format(a=text) for a in args]])
    assert result.exit_code == 0, result.output
    [call] = tagged
    assert [str(f) for f in call["files"]] == [f.format(a=text) for f in files]
    assert call["ray"] == ray
    assert call["options"].model == str(tmp_path)


@pytest.fixture
def restore_signals() -> Iterator[None]:
    """main() turns SIGINT and SIGTERM into one line: put pytest's handlers back."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


@pytest.mark.usefixtures("restore_signals")
def test_main_parses_a_bare_ray_without_rewriting_sys_argv(
    tagged: list[dict[str, Any]], text: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["tagger", "tag", str(tmp_path), "--ray", str(text), "--workers", "3"]
    monkeypatch.setattr(sys, "argv", list(argv))
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert sys.argv == argv
    [call] = tagged
    assert (call["ray"], call["workers"], call["files"]) == ("local", 3, [text])


@pytest.mark.usefixtures("restore_signals")
@pytest.mark.parametrize(
    ("given", "message"),
    [
        (["--format", "conll", "--format", "text"], "--format given twice"),
        (["-o", "x", "--output", "y"], "-o and --output given twice"),
        (["--ray", "--ray", "auto"], "--ray given twice"),
    ],
)
def test_an_option_given_twice_is_refused(
    given: list[str],
    message: str,
    tagged: list[dict[str, Any]],
    text: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["tag", "model", str(text), *given])
    assert done.value.code == 2
    assert capsys.readouterr().err == f"error: {message} (the option takes one value)\n"
    assert tagged == []


def test_evaluate_builds_one_serve_options_and_prints_the_scores(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = []

    def scored(model, corpus, serve, *rest) -> dict:  # noqa: ANN001
        calls.append((model, corpus, serve, rest))
        return {"accuracy": 0.5}

    monkeypatch.setattr("tagger.evaluation_run.evaluate_model", scored)
    args = ["evaluate", str(tmp_path), "x.conllu", "--json", "--int8", "--split", "dev"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == '{"accuracy": 0.5}'
    [(model, corpus, serve, rest)] = calls
    assert (model, corpus, serve.int8, serve.backend, rest[0]) == (
        tmp_path,
        "x.conllu",
        True,
        "torch",
        "dev",
    )
    bad = RUNNER.invoke(app, [*args, "--backend", "onnx"])
    assert bad.exit_code == 1
    assert bad.stderr == "error: --int8 works with the torch backend, not onnx\n"


@pytest.mark.usefixtures("restore_signals")
def test_a_finished_command_ignores_a_late_signal() -> None:
    # A SIGINT while the finished process shuts down would interrupt a library's cleanup
    # (a weakref callback) and print a traceback: once the command is done, none is taken.
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
