"""A study shared through a real PostgreSQL server that the test starts itself (Debian's
package): `tagger tune --jobs 2` runs trials into it, then a second `tagger tune`
process, with its own folder as on another machine, continues the same study."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import optuna
import pytest
from postgres_server import find_bin, postgres_server, runner
from tune_helpers import write_tiny
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import load_config

BIN, AS_USER = find_bin(), runner()
pytestmark = [
    pytest.mark.integration,  # starts a database server and three Python processes
    pytest.mark.skipif(BIN is None, reason="no PostgreSQL server programs (initdb, pg_ctl)"),
    pytest.mark.skipif(AS_USER is None, reason="running as root and no `postgres` user"),
]
psycopg = pytest.importorskip("psycopg", reason="no psycopg: the tune extra's PostgreSQL driver")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    assert BIN is not None and AS_USER is not None
    with postgres_server(BIN, AS_USER) as url:
        yield url


def tune_args(folder: Path, out: str, trials: int, url: str) -> list[str]:
    """`tune` options for the tiny study `toy` on `url`, writing folder/out."""
    config, space = folder / "tiny.toml", folder / "space.toml"
    return [
        "tune", str(config), "--space", str(space), "--output", str(folder / out),
        "--trials", str(trials), "--trial-minutes", "0.5", "--storage", url,
        "--study", "toy", "--quiet",
    ]  # fmt: skip


def csv_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "trials.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_two_tune_processes_share_a_postgresql_study(tmp_path: Path, postgres_url: str) -> None:
    write_tiny(tmp_path)
    result = CliRunner().invoke(app, [*tune_args(tmp_path, "here", 2, postgres_url), "--jobs", "2"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout.strip().splitlines()[-1])
    assert first["storage"] == postgres_url and first["complete"] + first["pruned"] == 2

    command = [sys.executable, "-m", "tagger", *tune_args(tmp_path, "there", 3, postgres_url)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    again = json.loads(done.stdout.strip().splitlines()[-1])
    assert again["complete"] + again["pruned"] == 3  # one more, not three more

    rows = csv_rows(tmp_path / "there")  # the whole study, trials of both processes
    numbers = [int(row["number"]) for row in rows]
    assert len(numbers) == len(set(numbers)) == again["trials"]
    counted = [row for row in rows if row["state"] in ("COMPLETE", "PRUNED")]
    assert len(counted) == 3
    assert all(row["note"] for row in rows if row["state"] == "FAIL")  # only surplus ones
    assert len(csv_rows(tmp_path / "here")) == first["trials"]
    for out in ("here", "there"):
        assert load_config(tmp_path / out / "best.toml").train.max_minutes == 0.5
        assert not (tmp_path / out / "study.db").exists()  # the study is in the server
    trials = optuna.load_study(study_name="toy", storage=postgres_url).get_trials()
    assert sorted(t.number for t in trials) == sorted(numbers)
    pids = {t.user_attrs["pid"] for t in trials if t.state.name in ("COMPLETE", "PRUNED")}
    assert len(pids) >= 2 and os.getpid() not in pids  # run by the worker processes


def running(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not; Linux's /proc)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_the_server_is_stopped_and_its_folder_removed_after_an_error() -> None:
    assert BIN is not None and AS_USER is not None
    with pytest.raises(KeyError), postgres_server(BIN, AS_USER) as url:
        folder = Path(url.split("host=", 1)[1])
        psycopg.connect(host=str(folder), user="postgres", dbname="tune").close()
        pid = int((folder / "data" / "postmaster.pid").read_text().split()[0])
        assert running(pid)
        raise KeyError("a failing test")
    assert not folder.exists() and not running(pid)
