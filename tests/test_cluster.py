"""`tagger tag --ray`: a local Ray (2 CPUs) gives the bytes of a local run, survives a
killed actor, and stops or skips on bad lines; tag_dataset adds tags to a Ray Dataset."""

from __future__ import annotations

import gzip
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from typer.testing import CliRunner

from tagger.cli import app

ray = pytest.importorskip("ray", reason="ray is not installed (make setup-dev installs it)")

from tagger.cluster import TagOptions, connect, plan_blocks, tag_blocks, tag_dataset  # noqa: E402
from tagger.tag import BLOCK_LINES  # noqa: E402

RUNNER = CliRunner()
LINES = ["The dog sees a cat. A bird finds the tree!", "Every child likes this old tree.", ""]


@pytest.fixture(scope="module")
def model(shared_pos: TrainedModel) -> Path:
    return shared_pos.path


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    """One local Ray of 2 CPUs for the module, started and stopped here."""
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    connect("local", num_cpus=2)
    yield
    ray.shutdown()


def write_inputs(folder: Path) -> list[Path]:
    """Two inputs: one of 2.5 blocks of lines, one compressed (read by the driver)."""
    folder.mkdir(parents=True, exist_ok=True)
    big = folder / "big.txt"
    big.write_text("\n".join(LINES * (BLOCK_LINES * 5 // 6)) + "\n", encoding="utf-8")
    small = folder / "small.txt.gz"
    small.write_bytes(gzip.compress("\n".join(LINES[::-1] * 50).encode()))
    return [big, small]


def run(*args: str | Path) -> str:
    result = RUNNER.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_ray_output_is_byte_identical_to_a_local_run(model: Path, tmp_path: Path) -> None:
    big, small = write_inputs(tmp_path / "in")
    local = run("tag", model, big, small, "--threads", "1")
    assert run("tag", model, big, small, "--ray", "local", "--workers", "2") == local
    out = tmp_path / "out"
    out.mkdir()
    run("tag", model, big, small, "--ray", "local", "--workers", "2", "-o", out)
    assert sorted(p.name for p in out.iterdir()) == ["big.conllu", "small.conllu"]
    for path, name in ((big, "big.conllu"), (small, "small.conllu")):
        assert (out / name).read_text(encoding="utf-8") == run("tag", model, path, "--threads", "1")


def test_a_killed_actor_is_restarted_and_nothing_is_lost(
    model: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The driver cuts the blocks. Many small ones: when the first result comes back, the
    # actor that tagged it still holds queued blocks however loaded the machine is (with 6,
    # a busy machine let both actors finish everything first, and nothing was retried).
    block = 50
    monkeypatch.setattr("tagger.cluster.blocks.BLOCK_LINES", block)
    big = tmp_path / "big.txt"
    big.write_text("\n".join(LINES * (block * 8)) + "\n", encoding="utf-8")  # 24 blocks
    options = TagOptions(model=str(model), fmt="text")
    blocks = list(plan_blocks([big], "stop", print))
    assert len(blocks) == 24
    reports: list[str] = []
    found = []
    for number, done in enumerate(tag_blocks(blocks, options, 2, reports.append)):
        found.append(done.results)
        if number == 0:  # the actor that tagged the first block has more queued: kill it
            os.kill(done.pid, signal.SIGKILL)
    from tagger.predict import Predictor
    from tagger.tag import tag_block

    predictor = Predictor.load(model)
    lines = big.read_text(encoding="utf-8").splitlines()
    expected = [
        tag_block(predictor, False, False, False, lines[i : i + block])
        for i in range(0, len(lines), block)
    ]
    assert found == expected
    # Ray logs the retry (from the raylet, forwarded to this process's stderr a moment later).
    logged = ""
    for _ in range(40):
        logged += capfd.readouterr().err
        if "will be retried" in logged or any("retried" in r for r in reports):
            break  # (either one is enough: no need to wait for the other)
        time.sleep(0.5)
    assert "will be retried" in logged or any("retried" in r for r in reports), logged[-2000:]


def test_a_bad_line_stops_cleanly_or_is_skipped(model: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"The dog sees a cat.\n\xff\xfe binary\nA bird finds the tree!\n")
    out = tmp_path / "out"
    out.mkdir()
    ray = ["--ray", "local", "--workers", "1"]  # 3 lines are one block: one actor tags it
    result = RUNNER.invoke(app, ["tag", str(model), str(bad), *ray, "-o", str(out)])
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]  # (Ray may log to a stream CliRunner closed)
    assert last.startswith(f"error: {bad}:2: expected UTF-8 text"), result.stderr
    assert list(out.iterdir()) == []  # nothing half-written
    skip = ["--on-error", "skip", "--format", "text"]
    result = RUNNER.invoke(app, ["tag", str(model), str(bad), *ray, *skip])
    assert result.exit_code == 0, result.output
    assert f"skipped {bad}:2:" in result.stderr
    local = RUNNER.invoke(app, ["tag", str(model), str(bad), *skip])
    assert result.stdout == local.stdout and len(local.stdout.splitlines()) == 2


def test_tag_dataset_adds_tags_beside_every_row(model: Path) -> None:
    rows = [{"id": i, "text": text} for i, text in enumerate(LINES * 4)]
    tagged = tag_dataset(ray.data.from_items(rows), model, workers=1, batch_size=4)
    found = sorted(tagged.take_all(), key=lambda r: r["id"])
    assert [r["id"] for r in found] == list(range(12))
    first = found[0]
    assert list(first["tokens"][:3]) == ["The", "dog", "sees"]
    assert len(first["tags"]) == len(first["tokens"]) == 12
    assert list(found[2]["tokens"]) == []  # the empty line
