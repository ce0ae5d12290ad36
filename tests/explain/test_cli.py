"""`tagger explain`: JSON lines on stdout, a page with pictures, --stats, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tagger.cli import app

runner = CliRunner()


def test_json_lines_one_per_sentence(pos_model: Path) -> None:
    result = runner.invoke(
        app,
        [
            "explain",
            str(pos_model),
            "The dog sees a cat. A bird finds the tree!",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [x["tokens"] for x in lines] == [
        ["The", "dog", "sees", "a", "cat", "."],
        ["A", "bird", "finds", "the", "tree", "!"],
    ]
    assert {"tokens", "labels", "probs", "layers", "saliency"} <= set(lines[0])


def test_page_pictures_and_json_in_a_folder(sentiment_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "explain"
    result = runner.invoke(app, ["explain", str(sentiment_model), "not bad at all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = (out / "explain.html").read_text(encoding="utf-8")
    assert page.count("data:image/png;base64,") >= 4  # memory, saliency, attention, gates
    assert "<script" not in page and "http" not in page
    names = sorted(p.name for p in (out / "png").iterdir())
    assert "s1-attention.png" in names and "s1-gates-layer1-forward.png" in names
    assert all((out / "png" / n).read_bytes().startswith(b"\x89PNG") for n in names)
    assert json.loads((out / "explain.jsonl").read_text())["tokens"] == ["not", "bad", "at", "all"]


def test_stats_page_and_json(pos_model: Path, tmp_path: Path) -> None:
    corpus = pos_model.parent / "corpus" / "dev.conllu"
    result = runner.invoke(app, ["explain", str(pos_model), "--stats", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["saturation"][0]["gate"] == "input"
    out = tmp_path / "gates"
    result = runner.invoke(
        app, ["explain", str(pos_model), "--stats", "--corpus", str(corpus), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["saturation.png", "stats.html", "stats.json"]


def test_clear_errors(pos_model: Path, tmp_path: Path) -> None:
    cases = [
        (["explain", str(pos_model), "a dog"], "give a folder with -o DIR"),
        (["explain", str(pos_model), "a dog", "--format", "svg"], "expected one of html, json"),
        (["explain", str(pos_model), "--stats"], "--stats needs --corpus"),
        (["explain", str(pos_model)], "explain needs a TEXT"),
        (["explain", str(pos_model), "   ", "--format", "json"], "the text has no tokens"),
        (["explain", str(tmp_path / "none"), "a dog", "--format", "json"], "error:"),
    ]
    for args, expected in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert expected in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.output
