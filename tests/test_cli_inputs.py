"""`tag` and `evaluate` read stdin (`-`), named pipes, /dev/fd/N and gzip/bzip2/xz files;
`--output -` is stdout."""

from __future__ import annotations

import bz2
import gzip
import lzma
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from helpers import fifo_with
from typer.testing import CliRunner

from tagger.cli import app

RUNNER = CliRunner()
TEXT = "The dog sees a cat.\nA bird finds the tree!\n"


@pytest.fixture(scope="module")
def model(shared_pos: TrainedModel) -> Path:
    return shared_pos.path


def tag(*args: str | Path, input: str | None = None) -> str:
    result = RUNNER.invoke(app, ["tag", *map(str, args), "--format", "text"], input=input)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_stdin_pipes_and_compressed_files_tag_alike(model: Path, tmp_path: Path) -> None:
    plain = tmp_path / "in.txt"
    plain.write_text(TEXT)
    expected = tag(model, plain)
    assert expected.count("\n") == 2
    assert tag(model, "-", input=TEXT) == expected
    assert tag(model, fifo_with(tmp_path, TEXT.encode())) == expected
    for suffix, compress in (
        (".gz", gzip.compress),
        (".bz2", bz2.compress),
        (".xz", lzma.compress),
    ):
        packed = tmp_path / f"in.txt{suffix}"
        packed.write_bytes(compress(TEXT.encode()))
        assert tag(model, packed) == expected
    # a file, stdin and a file again, in that order
    assert tag(model, plain, "-", plain, input=TEXT) == expected * 3


def test_output_dash_is_stdout(model: Path, tmp_path: Path) -> None:
    plain = tmp_path / "in.txt"
    plain.write_text(TEXT)
    assert tag(model, plain, "--output", "-") == tag(model, plain)
    assert not (Path.cwd() / "-").exists()


def test_process_substitution_through_a_real_shell(model: Path, tmp_path: Path) -> None:
    packed = tmp_path / "in.txt.gz"
    packed.write_bytes(gzip.compress(TEXT.encode()))
    tagger = Path(sys.executable).with_name("tagger")
    command = f"'{tagger}' tag '{model}' <(zcat '{packed}') --format text --threads 1"
    found = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert found.returncode == 0, found.stderr
    plain = tmp_path / "in.txt"
    plain.write_text(TEXT)
    assert found.stdout == tag(model, plain)


def test_evaluate_reads_stdin_pipes_and_gzip(model: Path, tmp_path: Path) -> None:
    dev = model.parent / "corpus" / "dev.conllu"
    data = dev.read_bytes()

    def evaluate(corpus: str | Path, *more: str, input: bytes | None = None) -> str:
        args = ["evaluate", str(model), str(corpus), "--json", *more]
        result = RUNNER.invoke(app, args, input=input)
        assert result.exit_code == 0, result.output
        return result.stdout

    expected = evaluate(dev)
    packed = tmp_path / "dev.conllu.gz"
    packed.write_bytes(gzip.compress(data))
    assert evaluate(packed) == expected
    assert evaluate(fifo_with(tmp_path, data, "dev.conllu")) == expected
    assert evaluate("-", "--format", "conllu", input=data) == expected


def test_bad_stdin_names_stdin_and_missing_inputs_are_clear(model: Path, tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app, ["evaluate", str(model), "-", "--format", "conllu"], input=b"1\tx\n"
    )
    assert result.exit_code == 1 and "<stdin>:1:" in result.stderr, result.output
    result = RUNNER.invoke(app, ["tag", str(model), str(tmp_path)])
    assert result.exit_code == 1 and "expected a file, a named pipe" in result.stderr
    result = RUNNER.invoke(app, ["tag", str(model), "-"], input=b"ok\n\xff\n")
    assert result.exit_code == 1 and "<stdin>:2: expected UTF-8" in result.stderr


def test_a_long_line_and_a_long_token_keep_every_token(model: Path, tmp_path: Path) -> None:
    """A 1.2 MB line (past spaCy's 1,000,000-character max_length) holding a 10,000-
    character token, zero-width joiners, right-to-left text and combining marks."""
    odd = ["x" * 10_000, "a\u200db", "שלום", "e\u0301", "😀", "\u202etxet"]
    words = ["The", "dog", "sees", "a", "cat", "."] * 50_000 + odd
    path = tmp_path / "long.txt"
    path.write_text(" ".join(words) + "\r\n", encoding="utf-8")
    out = tag(model, path, "--threads", "1")
    tokens = [pair.rsplit("/", 1)[0] for line in out.splitlines() for pair in line.split(" ")]
    assert "".join(tokens) == "".join(words)
    assert len(path.read_bytes()) > 1_000_000
