"""The explain page and the report open in headless Chromium: no errors, not blank."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from tagger.cli import app
from tagger.explain.browser import find_chromium, screenshot

pytestmark = pytest.mark.integration

runner = CliRunner()

if importlib.util.find_spec("playwright") is None:
    pytest.skip("playwright is not installed (make setup-dev installs it)", allow_module_level=True)
if find_chromium() is None:
    pytest.skip(
        "no Chromium could be found or installed (.ci/run installs Debian's chromium; "
        "set TAGGER_CHROMIUM to another)",
        allow_module_level=True,
    )


def not_blank(picture: Path) -> bool:
    """More than one colour in a good share of the screenshot."""
    pixels = np.asarray(Image.open(picture).convert("L"))
    return pixels.std() > 10 and (pixels < 200).mean() > 0.01


@pytest.mark.parametrize("kind", ["pos", "ner", "sentiment"])
def test_report_opens_cleanly(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    model: Path = request.getfixturevalue(f"{kind}_model")
    dev = next(p for p in (model.parent / "corpus").iterdir() if p.stem == "dev")
    page = tmp_path / "report.html"
    result = runner.invoke(
        app, ["report", str(model), "--corpus", str(dev), "-o", str(page), "--examples", "1"]
    )
    assert result.exit_code == 0, result.output
    errors = screenshot(page, tmp_path / "report.png", full_page=True)
    assert errors == []
    assert not_blank(tmp_path / "report.png")


def test_explain_page_opens_cleanly(pos_model: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["explain", str(pos_model), "The old dog sees a cat .", "-o", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert screenshot(tmp_path / "explain.html", tmp_path / "explain.png") == []
    assert not_blank(tmp_path / "explain.png")
