"""The CLI on the toy NER corpus: train, info, evaluate, tag with entities, scores and schemes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tagger.cli import app
from tagger.config import Config, config_to_dict
from tagger.data.schemes import Repairs, spans

RUNNER = CliRunner()
TOKENS = "John Smith works for Acme Corp in New York .\nMary visited Paris .\n"
BIOES = [
    "B-PER E-PER O O B-ORG E-ORG O B-LOC E-LOC O".split(),
    "S-PER O S-LOC O".split(),
]
IOB2 = [
    "B-PER I-PER O O B-ORG I-ORG O B-LOC I-LOC O".split(),
    "B-PER O B-LOC O".split(),
]


def invoke(*args: str | Path, input: str | None = None) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args], input=input)


def toml_of(config: Config) -> str:
    """The config as TOML (JSON literals of str/int/float/bool are TOML literals too)."""
    lines = [f"task = {json.dumps(config.task)}"]
    for section, values in config_to_dict(config).items():
        if isinstance(values, dict):
            lines.append(f"[{section}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


pytestmark = pytest.mark.usefixtures("no_tagger_env")


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, tiny_ner_config: Callable[..., Config]) -> Path:
    """A tiny CRF NER model trained by `tagger train` on the toy IOB1 corpus (corpus/dev.txt)."""
    folder = tmp_path_factory.mktemp("cli-ner")
    config = tiny_ner_config(folder, head="softmax")  # --set switches it back to a CRF
    (folder / "config.toml").write_text(toml_of(config), encoding="utf-8")
    output = folder / "model"
    args = ["-o", output, "-q", "--no-plot", "--set", "model.head=crf"]
    result = invoke("train", folder / "config.toml", *args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["dev_score"] == 1.0
    return output


@pytest.fixture
def tokens_file(tmp_path: Path) -> Path:
    path = tmp_path / "tokens.txt"
    path.write_text(TOKENS, encoding="utf-8")
    return path


def test_info(model: Path) -> None:
    result = invoke("info", model)
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["task"] == "ner"
    assert info["config"]["model"]["head"] == "crf"
    assert info["config"]["model"]["scheme"] == "bioes"
    assert info["config"]["data"]["scheme"] == "iob1"
    assert {"S-PER", "B-LOC", "E-LOC", "O"} <= set(info["labels"])


def test_tag_jsonl_with_scores_gives_entities(model: Path, tokens_file: Path) -> None:
    result = invoke("tag", model, tokens_file, "--pretokenized", "--format", "jsonl", "--scores")
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["tags"] for r in records] == IOB2
    entities = [
        [(e["start"], e["end"], e["label"], e["text"]) for e in r["entities"]] for r in records
    ]
    assert entities == [
        [(0, 2, "PER", "John Smith"), (4, 6, "ORG", "Acme Corp"), (7, 9, "LOC", "New York")],
        [(0, 1, "PER", "Mary"), (2, 3, "LOC", "Paris")],
    ]
    for record in records:
        assert len(record["scores"]) == len(record["tokens"])
        assert all(0.0 <= p <= 1.0 for p in record["scores"])
        for entity in record["entities"]:
            assert entity["text"] == " ".join(record["tokens"][entity["start"] : entity["end"]])
            assert 0.0 <= entity["score"] <= 1.0
            mean = sum(record["scores"][entity["start"] : entity["end"]]) / (
                entity["end"] - entity["start"]
            )
            assert entity["score"] == pytest.approx(mean, abs=1e-3)


def test_tag_jsonl_without_scores(model: Path, tokens_file: Path) -> None:
    result = invoke("tag", model, tokens_file, "--pretokenized", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout.splitlines()[0])
    assert "scores" not in record
    assert [e["score"] for e in record["entities"]] == [None, None, None]


def test_tag_raw_text(model: Path, tmp_path: Path) -> None:
    path = tmp_path / "text.txt"
    path.write_text("Mary visited New York.\n", encoding="utf-8")
    result = invoke("tag", model, path, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    (record,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert record["tokens"] == ["Mary", "visited", "New", "York", "."]
    assert [(e["label"], e["text"]) for e in record["entities"]] == [
        ("PER", "Mary"),
        ("LOC", "New York"),
    ]


def test_tag_scheme_bioes(model: Path, tokens_file: Path) -> None:
    result = invoke(
        "tag", model, tokens_file, "--pretokenized", "--format", "jsonl", "--scheme", "bioes"
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["tags"] for r in records] == BIOES
    for record in records:
        counter = Repairs()
        spans(record["tags"], "bioes", counter)
        assert counter.count == 0
    assert [e["text"] for e in records[0]["entities"]] == ["John Smith", "Acme Corp", "New York"]


def test_tag_conll_scheme_iob1(model: Path, tokens_file: Path) -> None:
    result = invoke(
        "tag", model, tokens_file, "--pretokenized", "--format", "conll", "--scheme", "iob1"
    )
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines() if line]
    assert [tag for _, tag in lines[:3]] == ["I-PER", "I-PER", "O"]


def test_tag_conllu_puts_the_tag_in_misc(model: Path, tokens_file: Path) -> None:
    result = invoke("tag", model, tokens_file, "--pretokenized")  # conllu is the default
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines() if line[:1].isdigit()]
    assert all(len(row) == 10 for row in rows)
    assert [row[9] for row in rows[:3]] == ["Tag=B-PER", "Tag=I-PER", "Tag=O"]
    assert {row[3] for row in rows} == {"_"}  # UPOS stays empty
    assert [row[9] for row in rows[-4:]] == ["Tag=B-PER", "Tag=O", "Tag=B-LOC", "Tag=O"]


@pytest.mark.parametrize("where", [[], ["--ray", "local"]], ids=["local", "ray"])
def test_tag_unknown_scheme_fails_clearly(model: Path, tokens_file: Path, where: list[str]) -> None:
    result = invoke("tag", model, tokens_file, "--scheme", "xyz", *where)  # before Ray starts
    assert result.exit_code == 1
    assert "--scheme" in result.stderr and "'xyz'" in result.stderr
    assert "iob2" in result.stderr and "bioes" in result.stderr
    assert "Traceback" not in result.output


def test_evaluate_json(model: Path) -> None:
    dev = model.parent / "corpus" / "dev.txt"
    result = invoke("evaluate", model, dev, "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert {"f1", "precision", "recall", "per_type", "accuracy", "n_tokens"} <= set(scores)
    assert scores["f1"] == scores["precision"] == scores["recall"] == 1.0
    assert set(scores["per_type"]) == {"PER", "LOC", "ORG"}
    assert set(scores["per_type"]["PER"]) == {"precision", "recall", "f1", "support"}
    n_tokens = sum(1 for line in dev.read_text().splitlines() if line and "DOCSTART" not in line)
    assert scores["n_tokens"] == n_tokens


def test_evaluate_report(model: Path) -> None:
    result = invoke("evaluate", model, model.parent / "corpus" / "dev.txt")
    assert result.exit_code == 0, result.output
    assert "entities  precision 100.00" in result.stdout
    assert "seqeval strict IOB2" in result.stdout
    assert "LOC" in result.stdout
