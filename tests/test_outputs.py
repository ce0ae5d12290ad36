"""Never destroy a user's file: tagger.outputs writes every output through a temporary
sibling and a rename, and every command refuses unsafe outputs before any work starts.

The CLI tests build a real project folder full of user files around every output
option and check that each byte (and mode) survives every slip."""

from __future__ import annotations

import gzip
import json
import os
import random
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from typer.testing import CliRunner

from tagger import outputs
from tagger.cli import app
from tagger.io import read_artifact
from tagger.outputs import (
    EXPLAIN,
    MODEL,
    PLOTS,
    TEMP_TAG,
    OutputError,
    atomic_file,
    check_output,
    replace_folder,
    write,
    write_text,
)

RUNNER = CliRunner()
TEXT = "The dog sees a cat .\nEvery child likes this old tree .\n"

pytestmark = pytest.mark.usefixtures("no_tagger_env")


def snapshot(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[bytes | None, int]]:
    """Every entry under root (bytes of files, modes of all), except paths under `skip`."""
    found: dict[str, tuple[bytes | None, int]] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if any(name == s or name.startswith(f"{s}/") for s in skip):
            continue
        mode = path.lstat().st_mode
        found[name] = (path.read_bytes() if path.is_file() else None, mode)
    return found


def temporaries(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.endswith(TEMP_TAG) or "tagger-old" in p.name]


def user_files(folder: Path) -> Path:
    """A folder as users keep them: files, a sub-folder, a config.json, hidden names that
    look like our temporaries' (`.out.old`, `.model.bak`), an odd mode."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(7)
    for i in range(12):
        (folder / f"notes-{i}.txt").write_bytes(bytes(rng.randrange(256) for _ in range(64)))
    (folder / "config.json").write_text('{"mine": true}\n', encoding="utf-8")
    (folder / "data").mkdir()
    (folder / "data" / "keep.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (folder / ".out.old").write_text("old", encoding="utf-8")
    (folder / ".model.bak").mkdir()
    (folder / ".model.bak" / "x").write_text("x", encoding="utf-8")
    os.chmod(folder / "notes-3.txt", 0o640)
    return folder


# ---- the writer --------------------------------------------------------------------


def test_a_failed_file_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old\n", encoding="utf-8")
    os.chmod(target, 0o604)
    with pytest.raises(RuntimeError), atomic_file(target) as out:
        out.write("half a line")
        raise RuntimeError("stopped")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert temporaries(tmp_path) == []
    write_text(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604  # the file's mode is kept


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz"])
def test_compressed_names_are_written_compressed(tmp_path: Path, suffix: str) -> None:
    from tagger.data.inputs import reading

    target = tmp_path / f"out.conllu{suffix}"
    with atomic_file(target, compress=True) as out:
        out.write("a\tb\n")
    with reading(target) as stream:
        assert stream.read() == b"a\tb\n"
    if suffix == ".gz":
        assert gzip.decompress(target.read_bytes()) == b"a\tb\n"


def test_a_descriptor_is_written_through_not_replaced(tmp_path: Path) -> None:
    log = tmp_path / "log.txt"
    with open(log, "w", encoding="utf-8") as shell_stdout:
        shell_stdout.write("before\n")
        shell_stdout.flush()
        with atomic_file(f"/dev/fd/{shell_stdout.fileno()}") as out:
            out.write("tagged\n")
    assert log.read_text(encoding="utf-8") == "before\ntagged\n"  # appended, not replaced


def test_a_failed_folder_build_leaves_the_old_folder_byte_for_byte(tmp_path: Path) -> None:
    target = tmp_path / "model"
    target.mkdir()
    (target / "meta.json").write_text('{"format_version": 1}', encoding="utf-8")
    (target / "train_log.jsonl").write_text("{}\n", encoding="utf-8")
    before = snapshot(tmp_path)

    def build(folder: Path) -> None:
        (folder / "meta.json").write_text("{", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        replace_folder(target, MODEL, build)
    assert snapshot(tmp_path) == before
    assert temporaries(tmp_path) == []


@pytest.mark.parametrize("exchange", ["renameat2", "two renames"])
def test_a_rewrite_keeps_other_entries_and_the_folders_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, exchange: str
) -> None:
    if exchange == "two renames":  # as on a system without renameat2
        monkeypatch.setattr(write.ctypes, "CDLL", lambda *a, **k: object())
    target = tmp_path / "model"
    user_files(target)
    (target / "config.json").unlink()  # (check_output refuses a folder holding one)
    (target / "tokenizer").mkdir()  # an artifact entry: dropped unless written anew
    (target / "tokenizer" / "meta.json").write_text("{}", encoding="utf-8")
    os.chmod(target, 0o750)
    (tmp_path / ".model.2024").mkdir()  # a user's sibling named like a temporary
    kept = snapshot(target, skip=("tokenizer",))
    sibling = snapshot(tmp_path / ".model.2024")

    replace_folder(target, MODEL, lambda f: (f / "meta.json").write_text("{}", encoding="utf-8"))
    assert (target / "meta.json").read_text(encoding="utf-8") == "{}"
    assert not (target / "tokenizer").exists()
    assert snapshot(target, skip=("meta.json",)) == kept
    assert stat.S_IMODE(target.stat().st_mode) == 0o750  # not mkdtemp's 700
    assert snapshot(tmp_path / ".model.2024") == sibling
    assert temporaries(tmp_path) == []


def test_a_new_folder_gets_the_umask_mode(tmp_path: Path) -> None:
    replace_folder(tmp_path / "p", PLOTS, lambda f: (f / "confusion.json").write_text("{}"))
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE((tmp_path / "p").stat().st_mode) == 0o777 & ~umask


KILLED_WRITER = """
import sys, time
from pathlib import Path
from tagger.outputs import MODEL, atomic_file, replace_folder
target = Path(sys.argv[1])
def build(folder):
    (folder / "meta.json").write_text("new", encoding="utf-8")
    print("building", flush=True)
    time.sleep(60)
if sys.argv[2] == "folder":
    replace_folder(target, MODEL, build)
else:
    with atomic_file(target) as out:
        out.write("new, half")
        out.flush()
        print("building", flush=True)
        time.sleep(60)
"""


@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_kill_9_leaves_the_target_and_the_next_write_clears_the_temporary(
    tmp_path: Path, what: str
) -> None:
    target = tmp_path / ("model" if what == "folder" else "out.txt")
    if what == "folder":
        target.mkdir()
        (target / "meta.json").write_text("old", encoding="utf-8")
    else:
        target.write_text("old", encoding="utf-8")
    before = snapshot(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(target), what], stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout is not None and writer.stdout.readline() == "building\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    left = temporaries(tmp_path)
    assert len(left) == 1 and left[0].name.startswith(f".{target.name}.")
    assert snapshot(tmp_path, skip=(left[0].name,)) == before
    if what == "folder":
        replace_folder(target, MODEL, lambda f: (f / "meta.json").write_text("next"))
    else:
        write_text(target, "next")
    assert temporaries(tmp_path) == []  # the dead process's temporary is gone


def test_a_live_processes_temporary_is_left_alone(tmp_path: Path) -> None:
    live = tmp_path / f".out.txt.1-0.{TEMP_TAG}"  # pid 1 is alive
    live.write_text("busy", encoding="utf-8")
    write_text(tmp_path / "out.txt", "x")
    assert live.read_text(encoding="utf-8") == "busy"


# ---- the checks ----------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user's project folder, the current folder of the test."""
    folder = user_files(tmp_path / "project")
    (folder / "in.txt").write_text(TEXT, encoding="utf-8")
    (folder / "sub").mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize(
    ("target", "kind", "expected"),
    [
        ("in.txt", None, "is also an input"),
        ("./sub/../in.txt", None, "is also an input"),
        ("link.txt", None, "is also an input"),  # a symbolic link to the input
        ("hard.txt", None, "is also an input"),  # a hard link to the input
        (".", MODEL, "holds in.txt, an input"),
        ("sub/..", MODEL, "holds in.txt, an input"),
        ("..", EXPLAIN, "holds in.txt, an input"),
        ("data", PLOTS, "holds files tagger evaluate --plots did not write"),
        ("data", None, "is a folder; expected a file name"),
        ("notes-1.txt", MODEL, "is a file; tagger train writes a folder here"),
        ("notes-1.txt/x", None, "is a file, not a folder"),
        ("report.html.gz", None, "writes no compressed files"),
        ("new/", None, "names a folder; this command writes one file"),
        ("locked.txt", None, "is read-only"),
    ],
)
def test_unsafe_outputs_are_refused(
    project: Path, target: str, kind: outputs.FolderKind | None, expected: str
) -> None:
    (project / "locked.txt").write_text("mine", encoding="utf-8")
    os.chmod(project / "locked.txt", 0o444)
    (project / "link.txt").symlink_to(project / "in.txt")
    os.link(project / "in.txt", project / "hard.txt")
    with pytest.raises(OutputError, match=expected):
        check_output(target, ["in.txt"], kind)


def test_the_current_folder_is_refused_even_without_inputs(project: Path) -> None:
    with pytest.raises(OutputError, match="holds the current folder"):
        check_output(project.parent, [], MODEL, force=True)


def test_a_folder_of_another_kind_is_refused_even_with_force(tmp_path: Path) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "meta.json").write_text('{"format_version": 1}', encoding="utf-8")
    for kind in (EXPLAIN, PLOTS, outputs.PIPELINE):
        with pytest.raises(OutputError, match="is a tagger model folder"):
            check_output(model, [], kind, force=True)
    with pytest.raises(OutputError, match="is part of a tagger model folder"):
        check_output(model / "meta.json", [])  # tag -o MODEL/meta.json
    check_output(model / "tags.conllu", [])  # a new file beside it is fine


def test_foreign_files_are_refused_unless_forced(project: Path) -> None:
    with pytest.raises(OutputError, match=r"did not write \(keep.csv\)"):
        check_output(project / "data", [], EXPLAIN)
    with pytest.raises(OutputError, match="holds config.json, which tagger train would replace"):
        check_output(user_files(project.parent / "other"), [], MODEL, force=True)  # even so
    model = project / "sub"
    (model / "meta.json").write_text('{"format_version": 1}', encoding="utf-8")
    check_output(model, [], MODEL)  # only what training writes
    (model / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match=r"did not write \(mine.txt\)"):
        check_output(model, [], MODEL)
    check_output(model, [], MODEL, force=True)


# ---- every command, in a folder full of user files -------------------------------------


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, shared_pos: TrainedModel) -> dict[str, Path]:
    """A tiny POS model (the session's), a config file to train and its dev corpus."""
    folder = tmp_path_factory.mktemp("outputs")
    config = shared_pos.config
    toml = folder / "tiny.toml"
    toml.write_text(
        "\n".join(
            [
                'task = "pos"',
                f'[data]\ntrain = "{config.data.train}"\ndev = "{config.data.dev}"',
                '[model]\nword_dim = 8\nchar = "none"\nhidden = 8\nlayers = 1',
                "[train]\nmax_epochs = 1\nthreads = 1",
            ]
        ),
        encoding="utf-8",
    )
    return {"model": shared_pos.path, "config": toml, "dev": Path(config.data.dev)}


def commands(m: dict[str, Path], output: str) -> dict[str, list[str]]:
    """Every command with an output option, writing to `output`."""
    model, dev = str(m["model"]), str(m["dev"])
    return {
        "train": ["train", str(m["config"]), "-o", output, "--quiet"],
        "tag": ["tag", model, "in.txt", "-o", output],
        "evaluate --plots": ["evaluate", model, dev, "--plots", output],
        "explain": ["explain", model, "A dog sees a cat .", "-o", output],
        "explain --stats": ["explain", model, "--stats", "--corpus", dev, "-o", output],
        "report": ["report", model, "--corpus", dev, "-o", output],
        "to-spacy": ["to-spacy", model, "-o", output],
        "export": ["export", model, "--onnx", output],
    }


SLIPS = [".", "sub/..", "in.txt", "data", "notes-1.txt/inside", "MODEL", "MODEL/meta.json"]
# Replacing a file that is no input (`report -o in.txt`) is what `>` does; training again
# into a model folder replaces that model.
ASKED_FOR = {("report", "in.txt"), ("export", "in.txt"), ("train", "MODEL")}


COMMANDS = list(commands(dict.fromkeys(["model", "dev", "config"], Path()), ""))


@pytest.mark.parametrize(
    ("command", "slip"),
    [(c, s) for c in COMMANDS for s in SLIPS if (c, s) not in ASKED_FOR],
)
def test_no_command_harms_a_users_folder(
    project: Path, models: dict[str, Path], command: str, slip: str
) -> None:
    output = slip.replace("MODEL", str(models["model"]))
    before = snapshot(project.parent)
    model_before = snapshot(models["model"])
    result = RUNNER.invoke(app, commands(models, output)[command])
    assert result.exit_code == 1, (command, slip, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    assert snapshot(project.parent) == before
    assert snapshot(models["model"]) == model_before


@pytest.mark.parametrize("command", ["tag", "evaluate --plots", "explain", "report", "export"])
def test_a_good_output_is_written_and_nothing_else_changes(
    project: Path, models: dict[str, Path], command: str
) -> None:
    before = snapshot(project.parent)
    result = RUNNER.invoke(app, commands(models, "new/deeper/out")[command])  # folders made
    assert result.exit_code == 0, result.output
    assert (project / "new" / "deeper" / "out").exists()
    assert snapshot(project.parent, skip=("project/new",)) == before
    assert temporaries(project.parent) == []


def test_train_into_a_folder_of_user_files_with_force_keeps_every_byte(
    project: Path, models: dict[str, Path]
) -> None:
    before = snapshot(project)
    args = ["train", str(models["config"]), "-o", "data", "--quiet"]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 1 and "--force" in result.stderr
    result = RUNNER.invoke(app, [*args, "--force"])
    assert result.exit_code == 0, result.output
    read_artifact(project / "data")
    assert (project / "data" / "keep.csv").read_text(encoding="utf-8") == "a,b\n1,2\n"
    assert (project / "data" / "training.png").read_bytes().startswith(b"\x89PNG")  # the default
    written = {"meta.json", "config.json", "vocab.json", "model.safetensors"}
    written |= {"checkpoint", "train_log.jsonl", "training.png"}
    assert snapshot(project, skip=tuple(f"data/{n}" for n in written)) == before
    json.loads((project / "data" / "train_log.jsonl").read_text().splitlines()[0])


@pytest.mark.parametrize("command", ["tag", "train", "evaluate --plots", "to-spacy"])
def test_a_full_disk_is_one_line_and_the_old_output_stays(
    project: Path, models: dict[str, Path], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    first = RUNNER.invoke(app, commands(models, "out")[command])
    assert first.exit_code == 0, first.output
    before = snapshot(project)

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    result = RUNNER.invoke(app, commands(models, "out")[command])
    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == ["error: No space left on device"]
    assert snapshot(project) == before
    assert temporaries(project) == []


def test_tag_on_ray_checks_its_outputs_before_ray_starts(
    project: Path, models: dict[str, Path]
) -> None:
    from tagger.cluster import TagOptions, tag_files

    options = TagOptions(model=str(models["model"]))
    with pytest.raises(OutputError, match="is also an input"):
        tag_files(["in.txt"], Path("in.txt"), options, workers=1, address="no-ray-here:1")
    with pytest.raises(OutputError, match="is part of"):
        tag_files(["in.txt"], models["model"] / "meta.json", options, 1, "no-ray-here:1")
    assert (project / "in.txt").read_text(encoding="utf-8") == TEXT


def test_to_spacy_onto_its_own_model_is_refused_and_the_model_still_loads(
    models: dict[str, Path],
) -> None:
    result = RUNNER.invoke(app, ["to-spacy", str(models["model"]), "-o", str(models["model"])])
    assert result.exit_code == 1 and "is also an input" in result.stderr
    read_artifact(models["model"])


# ---- signals: Ctrl-C, SIGTERM, kill -9 at random points -------------------------------


def tagger_process(args: list[str], cwd: Path) -> subprocess.Popen:
    """`python -m tagger ARGS` in its own process group (as a shell job), stderr piped."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "tagger", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.integration
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_tag_with_two_processes_stops_in_one_line_and_keeps_the_old_output(
    project: Path, models: dict[str, Path], signum: int
) -> None:
    (project / "big.txt").write_text(TEXT * 20_000, encoding="utf-8")
    (project / "out.conllu").write_text("old output\n", encoding="utf-8")
    args = ["tag", str(models["model"]), "big.txt", "-o", "out.conllu", "--processes", "2"]
    process = tagger_process(args, project)
    wait_for(lambda: any(p.name.startswith(".out.conllu.") for p in project.iterdir()))
    time.sleep(0.3)  # writing has begun
    os.killpg(process.pid, signum)  # a terminal's Ctrl-C reaches the workers too
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 128 + signum
    assert stderr.strip().splitlines() == [
        f"error: interrupted ({signal.Signals(signum).name}); no output was left half-written"
    ]
    assert (project / "out.conllu").read_text(encoding="utf-8") == "old output\n"
    assert temporaries(project) == []


KILLED: list[tuple[str, int]] = [
    ("train", signal.SIGKILL),
    ("train", signal.SIGTERM),
    ("evaluate --plots", signal.SIGTERM),
    ("explain", signal.SIGINT),
    ("report", signal.SIGKILL),
    ("to-spacy", signal.SIGTERM),
]


@pytest.mark.integration
@pytest.mark.parametrize(("command", "signum"), KILLED)
def test_a_command_killed_at_a_random_point_leaves_no_partial_output(
    project: Path, models: dict[str, Path], command: str, signum: int
) -> None:
    delay = random.Random(f"{command}{signum}{time.time()}").uniform(1.0, 6.0)
    before = snapshot(project)
    process = tagger_process(commands(models, "out")[command], project)
    try:  # a command that ends before the delay is not waited for any longer
        process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=60)
    assert "Traceback" not in stderr, (delay, stderr)
    out = project / "out"
    if out.exists():  # written before the signal came: whole
        complete(command, out)
    for temporary in temporaries(project):  # only a kill -9 leaves one, hidden
        assert signum == signal.SIGKILL and temporary.name.startswith(".")
    assert snapshot(project, skip=("out", *(t.name for t in temporaries(project)))) == before


def complete(command: str, out: Path) -> None:
    """Fail unless `out` is a whole output of `command`."""
    if command == "train":
        read_artifact(out)
        if (out / "checkpoint").exists():
            read_artifact(out / "checkpoint")
            assert (out / "checkpoint" / "trainer.pt").is_file()
        for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines():
            json.loads(line)
    elif command == "evaluate --plots":
        assert {p.name for p in out.iterdir()} == set(PLOTS.names)
    elif command == "explain":
        assert (out / "explain.html").read_text(encoding="utf-8").rstrip().endswith("</html>")
    elif command == "report":
        assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    else:
        import spacy

        spacy.load(out)
