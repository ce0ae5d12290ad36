"""`tagger export --onnx` and `tagger tag --backend onnx / --int8` on a tiny toy POS model."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
import torch
from fixtures_models import TrainedModel
from typer.testing import CliRunner, Result

from tagger.cli import app
from tagger.io import read_artifact, weights_digest, write_artifact

RUNNER = CliRunner()
TOKENS = "The dog sees a cat .\nA big bird finds every old tree !\nZürich qux\ndog\n"
LABELS = {"ADJ", "DET", "NOUN", "PUNCT", "VERB"}


def invoke(*args: str | Path) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args])


pytestmark = pytest.mark.usefixtures("no_tagger_env")


@pytest.fixture(scope="module")
def model(shared_pos: TrainedModel) -> Path:
    """A tiny POS model fitted to the toy corpus, saved in a model folder."""
    assert shared_pos.summary["dev_score"] == 1.0
    return shared_pos.path


@pytest.fixture(scope="module")
def other_model(model: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same model with one weight changed."""
    artifact = read_artifact(model)
    with torch.no_grad():
        artifact.model.head.linear.bias[0] += 0.5
    other = tmp_path_factory.mktemp("cli-export") / "other"
    write_artifact(other, artifact)
    return other


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.txt"
    path.write_text(TOKENS, encoding="utf-8")
    return path


def tag(model: Path, tokens_file: Path, *options: str | Path) -> Result:
    return invoke("tag", model, tokens_file, "--pretokenized", "--threads", "1", *options)


def conllu_rows(output: str) -> list[tuple[str, str]]:
    """(word, UPOS) of every token line."""
    rows = []
    for line in output.splitlines():
        if line and not line.startswith("#"):
            columns = line.split("\t")
            assert len(columns) == 10
            rows.append((columns[1], columns[3]))
    return rows


def test_export_writes_an_onnx_file_of_the_model(model: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "model.onnx"
    result = invoke("export", model, "--onnx", target)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"output": str(target), "bytes": target.stat().st_size}
    graph = onnx.load(str(target))
    meta = {prop.key: prop.value for prop in graph.metadata_props}
    assert meta["weights_digest"] == weights_digest(read_artifact(model).model)
    assert meta["task"] == "pos"


def test_export_of_a_missing_model_fails_clearly(tmp_path: Path) -> None:
    result = invoke("export", tmp_path / "nothing", "--onnx", tmp_path / "model.onnx")
    assert result.exit_code == 1
    assert "error:" in result.stderr and "not a tagger model folder" in result.stderr
    assert not (tmp_path / "model.onnx").exists()


def test_tag_with_onnx_equals_torch(model: Path, tokens_file: Path, tmp_path: Path) -> None:
    expected = tag(model, tokens_file)
    assert expected.exit_code == 0, expected.output
    assert len(conllu_rows(expected.stdout)) == len(TOKENS.split())
    target = tmp_path / "model.onnx"
    assert invoke("export", model, "--onnx", target).exit_code == 0
    for options in (["--backend", "onnx", "--onnx", target], ["--backend", "onnx"]):
        result = tag(model, tokens_file, *options, "--batch-size", "2")
        assert result.exit_code == 0, result.output
        assert result.stdout == expected.stdout


def test_tag_with_onnx_scores_equal_torch(model: Path, tokens_file: Path) -> None:
    outputs = []
    for options in ([], ["--backend", "onnx"]):
        result = tag(model, tokens_file, "--format", "jsonl", "--scores", *options)
        assert result.exit_code == 0, result.output
        outputs.append([json.loads(line) for line in result.stdout.splitlines()])
    torch_records, onnx_records = outputs
    assert len(onnx_records) == 4
    for a, b in zip(onnx_records, torch_records, strict=True):
        assert (a["tokens"], a["tags"]) == (b["tokens"], b["tags"])
        assert a["scores"] == pytest.approx(b["scores"], abs=1e-4)


def test_tag_with_the_onnx_file_of_another_model_fails(
    model: Path, other_model: Path, tokens_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "other.onnx"
    assert invoke("export", other_model, "--onnx", target).exit_code == 0
    assert tag(other_model, tokens_file, "--backend", "onnx", "--onnx", target).exit_code == 0
    result = tag(model, tokens_file, "--backend", "onnx", "--onnx", target)
    assert result.exit_code == 1
    assert "error:" in result.stderr
    assert "not exported from this model's weights" in result.stderr
    assert "tagger export" in result.stderr
    assert result.stdout == ""


def test_tag_int8_keeps_the_tokens(model: Path, tokens_file: Path) -> None:
    fp32 = tag(model, tokens_file)
    int8 = tag(model, tokens_file, "--int8")
    assert int8.exit_code == 0, int8.output
    fp32_rows, int8_rows = conllu_rows(fp32.stdout), conllu_rows(int8.stdout)
    assert [word for word, _ in int8_rows] == [word for word, _ in fp32_rows]
    assert all(tag in LABELS for _, tag in int8_rows)
    same = sum(a == b for a, b in zip(int8_rows, fp32_rows, strict=True))
    assert same >= 0.8 * len(fp32_rows)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--backend", "onnx", "--int8"], "--int8 works with the torch backend"),
        (["--backend", "tf"], "--backend: expected one of torch, onnx, got 'tf'"),
        (["--onnx", "model.onnx"], "--onnx FILE goes with --backend onnx"),
        (["--backend", "onnx", "--onnx", "missing.onnx"], "missing.onnx"),
    ],
)
def test_tag_backend_option_errors(
    model: Path, tokens_file: Path, options: list[str], message: str
) -> None:
    result = tag(model, tokens_file, *options)
    assert result.exit_code == 1
    assert "error:" in result.stderr and message in result.stderr


def test_tag_with_a_file_that_is_not_onnx_fails_clearly(
    model: Path, tokens_file: Path, tmp_path: Path
) -> None:
    target = tmp_path / "not.onnx"
    target.write_bytes(b"not an onnx graph")
    result = tag(model, tokens_file, "--backend", "onnx", "--onnx", target)
    assert result.exit_code == 1
    assert "error:" in result.stderr and "not.onnx" in result.stderr


def test_processes_write_what_one_process_writes(model: Path, tmp_path: Path) -> None:
    lines = [f"The dog sees a cat number {i} . A bird finds the tree !" for i in range(2500)]
    text = tmp_path / "many.txt"
    text.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one = invoke("tag", model, text, "--format", "conllu")
    two = invoke("tag", model, text, "--format", "conllu", "--processes", "2")
    assert one.exit_code == 0 and two.exit_code == 0, two.output
    assert two.stdout == one.stdout  # blocks of 1,024 lines come back in order
    assert one.stdout.count("# sent_id") == 5000


def test_processes_with_onnx_is_an_error(model: Path, tokens_file: Path) -> None:
    result = invoke("tag", model, tokens_file, "--backend", "onnx", "--processes", "2")
    assert result.exit_code == 1
    assert "error: --processes works with the torch backend" in result.output


@pytest.mark.parametrize("options", [["--int8"], ["--backend", "onnx"]])
def test_evaluate_with_int8_or_onnx(model: Path, options: list[str]) -> None:
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    dev = config["data"]["dev"]
    base = invoke("evaluate", model, dev, "--json")
    other = invoke("evaluate", model, dev, "--json", *options)
    assert base.exit_code == 0 and other.exit_code == 0, other.output
    assert json.loads(other.stdout)["accuracy"] == json.loads(base.stdout)["accuracy"] == 1.0
