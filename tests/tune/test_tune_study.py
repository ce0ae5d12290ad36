"""A tiny study (3 trials of a tiny model, seconds each) writes a best.toml that
`tagger train` accepts, its trials.csv, best model and plots; a rerun continues it."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from tune_helpers import write_tiny
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import load_config
from tagger.outputs import OutputError
from tagger.tune.run import make_setup, tune


@pytest.fixture(scope="module")
def studied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """A study of 3 trials, then the same command with --trials 4: (folder, summaries)."""
    folder = tmp_path_factory.mktemp("tune")
    config, space = write_tiny(folder)
    out = folder / "out"
    first = tune(make_setup(config, space, out, 3, 0.5, seed=3, progress=False))
    again = tune(make_setup(config, space, out, 4, 0.5, seed=3, progress=False))
    return folder, first, again


def rows(out: Path) -> list[dict[str, str]]:
    with open(out / "trials.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_the_study_runs_its_trials_and_a_rerun_continues_the_count(studied) -> None:
    folder, first, again = studied
    assert first["trials"] == 3 and first["study"] == "tiny"
    assert again["trials"] == 4  # one more, not four more
    numbers = [int(row["number"]) for row in rows(folder / "out")]
    assert numbers == [0, 1, 2, 3]
    assert {row["state"] for row in rows(folder / "out")} <= {"COMPLETE", "PRUNED"}


def test_trials_csv_holds_params_scores_per_epoch_and_seconds(studied) -> None:
    folder, _, _ = studied
    row = rows(folder / "out")[0]
    assert {"model.hidden", "train.lr", "model.char", "dev", "seconds", "params"} <= set(row)
    assert len(row["dev_by_epoch"].split()) == 2  # max_epochs = 2
    assert 0 <= float(row["dev"]) <= 1 and float(row["seconds"]) > 0
    assert row["folder"] == "trials/0000"


def test_best_toml_is_the_best_trial_and_trains(studied, tmp_path: Path) -> None:
    folder, _, _ = studied
    out = folder / "out"
    best = max(rows(out), key=lambda row: float(row["dev"] or -1))
    config = load_config(out / "best.toml")
    assert config.model.hidden == int(best["model.hidden"])
    assert config.model.char == best["model.char"]
    assert config.train.max_minutes == 0.5
    meta = json.loads((out / "best" / "meta.json").read_text(encoding="utf-8"))
    assert meta  # the copied model folder
    result = CliRunner().invoke(app, ["train", str(out / "best.toml"), "-o", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m" / "model.safetensors").is_file()


def test_plots_are_drawn(studied) -> None:
    folder, _, _ = studied
    plots = folder / "out" / "plots"
    assert (plots / "history.png").read_bytes()[:4] == b"\x89PNG"
    assert (plots / "importances.png").is_file()


def test_a_folder_with_other_files_or_an_input_inside_is_refused(studied) -> None:
    folder, _, _ = studied
    config, space = folder / "tiny.toml", folder / "space.toml"
    (folder / "mine").mkdir(exist_ok=True)
    (folder / "mine" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="holds files tagger tune did not write"):
        make_setup(config, space, folder / "mine", 3, 0.5)
    with pytest.raises(OutputError, match="an input of this command"):
        make_setup(config, space, folder, 3, 0.5)
    make_setup(config, space, folder / "out", 5, 0.5)  # an earlier tune's folder is fine


def test_a_set_key_the_space_samples_is_refused(studied) -> None:
    folder, _, _ = studied
    config, space = folder / "tiny.toml", folder / "space.toml"
    with pytest.raises(ValueError, match="the space samples model.hidden"):
        make_setup(config, space, folder / "new", 3, 0.5, overrides=["model.hidden=8"])


def test_a_worker_joining_a_study_does_not_replay_the_random_start(tmp_path: Path) -> None:
    """A restarted worker (or another machine) with the same --seed and worker number
    samples afresh: its seed counts the trials already in the study."""
    from tagger.tune.study import open_study

    config, space = write_tiny(tmp_path)
    setup = make_setup(config, space, tmp_path / "out", 3, 0.5, seed=3, progress=False)
    setup.output.mkdir()

    def first_sample() -> dict:
        study = open_study(setup, worker=0)
        trial = study.ask()
        values = {param.key: param.sample(trial) for param in setup.params}
        study.tell(trial, 0.5)
        return values

    first, again = first_sample(), first_sample()
    assert first != again  # the same seed would replay `first` (TPE starts at random)
