"""Confusion tables, evaluation plots for every kind of model, and the training curves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tagger.cli import app
from tagger.confusion import entity_confusion, label_confusion, tag_confusion
from tagger.explain.charts import read_log, training_curves
from tagger.explain.training_plot import write_training_plot

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


def test_tag_confusion_counts_every_token() -> None:
    found = tag_confusion([["DET", "NOUN", "VERB"], ["NOUN"]], [["DET", "VERB", "VERB"], ["NOUN"]])
    assert found.rows == ["NOUN", "DET", "VERB"]  # by gold frequency
    assert found.counts == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]


def test_label_confusion_keeps_the_model_order() -> None:
    found = label_confusion(["neg", "pos", "pos"], ["pos", "pos", "neg"], ["pos", "neg"])
    assert found.rows == found.columns == ["pos", "neg"]
    assert found.counts == [[1, 1], [1, 0]]


def test_entity_confusion_with_missed_and_spurious() -> None:
    gold = [["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG", "B-MISC", "O"]]
    found = entity_confusion(gold, predicted)
    assert found.rows == ["LOC", "MISC", "ORG", "PER", "spurious"]
    assert found.columns == ["LOC", "MISC", "ORG", "PER", "missed"]
    table = {
        (r, c): found.counts[i][j]
        for i, r in enumerate(found.rows)
        for j, c in enumerate(found.columns)
    }
    assert table[("PER", "PER")] == 1
    assert table[("LOC", "ORG")] == 1  # the right span, the wrong type
    assert table[("ORG", "missed")] == 1
    assert table[("spurious", "MISC")] == 1
    assert sum(map(sum, found.counts)) == 4


@pytest.mark.parametrize("kind", ["pos", "ner", "sentiment"])
def test_evaluate_plots_for_every_kind_of_model(
    kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    model: Path = request.getfixturevalue(f"{kind}_model")
    corpus = model.parent / "corpus"
    dev = next(p for p in corpus.iterdir() if p.stem == "dev")
    out = tmp_path / "plots"
    result = runner.invoke(app, ["evaluate", str(model), str(dev), "--plots", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == [
        "confusion.json",
        "confusion.png",
        "per_label.png",
    ]
    assert (out / "confusion.png").read_bytes().startswith(PNG)
    confusion = json.loads((out / "confusion.json").read_text())
    if kind == "ner":
        assert confusion["columns"][-1] == "missed" and confusion["rows"][-1] == "spurious"
    else:
        assert confusion["rows"] == confusion["columns"]


def test_training_curves_from_a_log_with_a_torn_last_line(tmp_path: Path) -> None:
    rows = [
        {"epoch": e, "loss": 1 / e, "dev_score": 0.5 + e / 100, "lr": 0.001, "elapsed": 30.0 * e}
        for e in range(1, 6)
    ]
    log = tmp_path / "train_log.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"epoch": 6, "lo')
    assert read_log(log) == rows
    assert training_curves(rows).startswith(PNG)
    assert write_training_plot(tmp_path) == tmp_path / "training.png"
    assert (tmp_path / "training.png").read_bytes().startswith(PNG)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert write_training_plot(tmp_path / "missing-log") is None


def test_training_writes_its_curves(pos_model: Path) -> None:
    assert (pos_model / "training.png").read_bytes().startswith(PNG)
