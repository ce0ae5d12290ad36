"""A study of two objectives (dev score, words/s tagging the dev text) keeps its Pareto
front: one config per front point in OUTPUT/front, and a plot of the front."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from tune_helpers import write_tiny

from tagger.config import load_config
from tagger.tune.run import make_setup, tune


def test_two_objectives_write_their_front(tmp_path: Path) -> None:
    config, space = write_tiny(tmp_path)
    out = tmp_path / "out"
    setup = make_setup(config, space, out, 3, 0.5, objectives="dev,words_per_s", progress=False)
    assert setup.pruner == "none"
    tune(setup)
    with open(out / "trials.csv", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    header = list(reader.fieldnames or [])
    assert len(header) == len(set(header)), f"a column twice: {header}"
    assert len(rows) == 3 and all(float(row["words_per_s"]) > 0 for row in rows)
    front = sorted((out / "front").glob("*.toml"))
    assert front, "no front point written"
    numbers = {int(path.stem) for path in front}
    dominated = [
        row
        for row in rows
        if any(
            float(o["dev"]) >= float(row["dev"])
            and float(o["words_per_s"]) >= float(row["words_per_s"])
            and (o["dev"], o["words_per_s"]) != (row["dev"], row["words_per_s"])
            for o in rows
        )
    ]
    assert numbers == {int(row["number"]) for row in rows} - {int(r["number"]) for r in dominated}
    for path in front:
        assert load_config(path).model.hidden > 0  # each one a config `tagger train` reads
    assert (out / "plots" / "pareto_front.png").is_file()
    assert not (out / "best.toml").exists()


def test_pruning_several_objectives_is_refused(tmp_path: Path) -> None:
    config, space = write_tiny(tmp_path)
    with pytest.raises(ValueError, match="cannot prune"):
        make_setup(config, space, tmp_path / "o", 3, 0.5, objectives="dev,params", pruner="median")
    with pytest.raises(ValueError, match="unknown 'speed'"):
        make_setup(config, space, tmp_path / "o", 3, 0.5, objectives="dev,speed")
