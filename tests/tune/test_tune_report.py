"""`tagger report TUNE_FOLDER`: the study's page (every trial, the plots inlined, the best
trial or the front marked), told from a model folder by the folder's contents."""

from __future__ import annotations

import base64
import csv
import html
import re
from pathlib import Path

import pytest
from tune_helpers import write_tiny
from typer.testing import CliRunner

from tagger.tune.run import make_setup, tune

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two studies of 2 one-epoch trials: one objective (best.toml), two (front/)."""
    folder = tmp_path_factory.mktemp("tune-report")
    config, space = write_tiny(folder, max_epochs=1)
    one, two = folder / "one", folder / "two"
    tune(make_setup(config, space, one, 2, 0.5, progress=False))
    tune(make_setup(config, space, two, 2, 0.5, objectives="dev,params", progress=False))
    return {"one": one, "two": two}


def report(*args: str | Path) -> tuple[int, str]:
    from tagger.cli import app

    result = RUNNER.invoke(app, ["report", *map(str, args)])
    return result.exit_code, result.output


def page_of(folder: Path, target: Path) -> str:
    """The page `tagger report FOLDER -o TARGET` writes."""
    code, output = report(folder, "-o", target)
    assert code == 0, output
    return target.read_text(encoding="utf-8")


def trial_rows(page: str) -> dict[int, str]:
    """Trial number -> the HTML of its row in the trials table."""
    table = page.split('<table class="trials">', 1)[1].split("</table>", 1)[0]
    return {int(n): row for n, row in re.findall(r"<tr[^>]*><td>(\d+)</td>(.*?)</tr>", table)}


def csv_rows(folder: Path) -> list[dict[str, str]]:
    with open(folder / "trials.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def inlined(page: str, png: Path) -> bool:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode() in page


def test_the_page_holds_every_trial_the_plots_and_marks_the_best(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    one = folders["one"]
    page = page_of(one, tmp_path / "study.html")
    rows, trials = trial_rows(page), csv_rows(one)
    assert sorted(rows) == [int(t["number"]) for t in trials] == [0, 1]
    for trial in trials:
        row = rows[int(trial["number"])]
        assert f"<td>{trial['state']}</td><td>{float(trial['dev']):.4g}</td>" in row
        assert f"<td>{trial['model.hidden']}</td>" in row and trial["model.char"] in row
        assert ("base config" in row) == (trial["base"] == "True")
    best = max(trials, key=lambda t: float(t["dev"]))["number"]
    assert f"trial {best} of study tiny" in (one / "best.toml").read_text(encoding="utf-8")
    assert [n for n, row in rows.items() if "best" in row] == [int(best)]
    plots = sorted((one / "plots").glob("*.png"))
    assert [p.name for p in plots] == ["history.png", "importances.png"]
    assert all(inlined(page, png) for png in plots)
    assert "<summary>best.toml</summary>" in page and "front/" not in page
    assert 'src="http' not in page and "<script" not in page


def test_several_objectives_show_the_front_and_its_configs(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    two = folders["two"]
    page = page_of(two, tmp_path / "front.html")
    front = sorted((two / "front").glob("*.toml"))
    assert front
    rows = trial_rows(page)
    assert {n for n, row in rows.items() if "front" in row} == {int(p.stem) for p in front}
    assert "<th>dev</th><th>params</th>" in page and "best" not in "".join(rows.values())
    for path in front:
        assert html.escape(path.read_text(encoding="utf-8")) in page
    assert inlined(page, two / "plots" / "pareto_front.png")


def test_a_model_folder_keeps_its_report_and_a_tune_folder_takes_no_corpus(
    folders: dict[str, Path], tmp_path: Path
) -> None:
    one = folders["one"]
    code, output = report(one, "--corpus", "ud-english-ewt", "-o", tmp_path / "x.html")
    assert code == 1 and "is a tune folder" in output
    code, output = report(one / "best", "-o", tmp_path / "x.html")  # the best model's folder
    assert code == 1 and "--corpus" in output and "evaluates it on a corpus" in output
    assert not (tmp_path / "x.html").exists()


def test_the_page_never_lands_on_an_input_or_inside_the_tune_folder(
    folders: dict[str, Path],
) -> None:
    one = folders["one"]
    before = (one / "trials.csv").read_bytes()
    for target in (one / "trials.csv", one / "report.html", one / "plots" / "new.html"):
        code, output = report(one, "-o", target)
        assert code == 1 and output.startswith("error: --output"), output
    assert (one / "trials.csv").read_bytes() == before
    assert not (one / "report.html").exists() and not (one / "plots" / "new.html").exists()


def test_a_tune_folder_without_its_table_or_with_another_table_is_named(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "study.db").write_bytes(b"")
    code, output = report(folder, "-o", tmp_path / "x.html")
    assert code == 1 and "no trials.csv" in output
    (folder / "trials.csv").write_text("id,value\n1,0.5\n", encoding="utf-8")
    code, output = report(folder, "-o", tmp_path / "x.html")
    assert code == 1 and "trials.csv: line 1: expected tagger tune's columns" in output
    assert not (tmp_path / "x.html").exists()


def test_a_pruned_trial_shows_its_last_dev_score(folders: dict[str, Path], tmp_path: Path) -> None:
    from tagger.tune.report import read_results, trials_table

    trials = csv_rows(folders["one"])
    trials[1].update(state="PRUNED", dev="", dev_by_epoch="0.5000 0.6250")
    with open(tmp_path / "trials.csv", "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(trials[0]))
        writer.writeheader()
        writer.writerows(trials)
    rows = trial_rows('<table class="trials">' + trials_table(read_results(tmp_path)))
    assert "<td>PRUNED</td><td>(0.625)</td>" in rows[1]
    assert "best" not in rows[0]  # no best.toml here: nothing is marked best
