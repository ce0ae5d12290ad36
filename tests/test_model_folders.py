"""Model folders from an unknown source: a clear error, nothing executed, nothing written."""

from __future__ import annotations

import json
import pickle
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import Config
from tagger.io import read_artifact
from tagger.train import train

RUNNER = CliRunner()
MARKER = Path("/tmp/tagger-test-pickle-ran")


class Payload:
    """A pickle that, if ever unpickled, leaves a marker file behind."""

    def __reduce__(self):  # noqa: ANN204
        return (MARKER.write_text, ("unpickled",))


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]) -> Path:
    folder = tmp_path_factory.mktemp("folders")
    train(tiny_config(folder), folder / "model", progress=False)
    return folder / "model"


def tampered(model: Path, tmp_path: Path, change: Callable[[Path], None]) -> Path:
    copy = tmp_path / "model"
    shutil.copytree(model, copy, ignore=shutil.ignore_patterns("checkpoint"))
    change(copy)
    return copy


def pickled_weights(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(pickle.dumps(Payload()))


def wrong_shape(folder: Path) -> None:
    state = load_file(str(folder / "model.safetensors"))
    name = next(k for k in state if k.endswith("linear.weight"))
    state[name] = state[name][:, :-1].contiguous()
    save_file(state, str(folder / "model.safetensors"))


def huge_header(folder: Path) -> None:
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", 1 << 40) + b"{}")


def lying_header(folder: Path) -> None:
    header = json.dumps(
        {"x": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 4_000_000]}}
    )
    data = header.encode()
    (folder / "model.safetensors").write_bytes(struct.pack("<Q", len(data)) + data + b"\0" * 16)


def config_not_an_object(folder: Path) -> None:
    (folder / "config.json").write_text("[1, 2]")


def config_wrong_type(folder: Path) -> None:
    config = json.loads((folder / "config.json").read_text())
    config["model"]["hidden"] = "big"
    (folder / "config.json").write_text(json.dumps(config))


def vocab_wrong_type(folder: Path) -> None:
    (folder / "vocab.json").write_text(json.dumps({"words": 3}))


def meta_not_json(folder: Path) -> None:
    (folder / "meta.json").write_bytes(b"\xff\xfe not json")


def link_out(folder: Path) -> None:
    outside = folder.parent / "outside.json"
    shutil.copy(folder / "vocab.json", outside)
    (folder / "vocab.json").unlink()
    (folder / "vocab.json").symlink_to(outside)


def missing_weights(folder: Path) -> None:
    (folder / "model.safetensors").unlink()


CASES = {
    "a pickle in place of the weights": (pickled_weights, "expected safetensors weights"),
    "a tensor of the wrong shape": (wrong_shape, "expected the weights of the model"),
    "a huge header": (huge_header, "expected safetensors weights"),
    "a header that lies about the data": (lying_header, "expected safetensors weights"),
    "config.json not an object": (config_not_an_object, "expected a JSON dict"),
    "config.json with a wrong type": (config_wrong_type, "config.json"),
    "vocab.json with wrong types": (vocab_wrong_type, "expected the vocabularies"),
    "meta.json not JSON": (meta_not_json, "expected JSON"),
    "a file linking out of the folder": (link_out, "not a link out"),
    "no weights file": (missing_weights, "missing model.safetensors"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_model_folder_is_a_clear_error(model: Path, tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    MARKER.unlink(missing_ok=True)
    folder = tampered(model, tmp_path, change)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    with pytest.raises((ValueError, FileNotFoundError), match=expected):
        read_artifact(folder)
    for command in (["info", str(folder)], ["tag", str(folder), "--format", "text"]):
        result = RUNNER.invoke(app, command, input="The dog sees a cat.\n")
        assert result.exit_code == 1, (case, result.output)
        assert expected in result.stderr and "Traceback" not in result.output, result.output
    assert not MARKER.exists(), "a pickle was executed"
    after = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    assert after == before  # nothing written


def test_extra_files_are_left_alone(model: Path, tmp_path: Path) -> None:
    folder = tampered(
        model, tmp_path, lambda f: (f / "notes.pkl").write_bytes(pickle.dumps(Payload()))
    )
    MARKER.unlink(missing_ok=True)
    assert read_artifact(folder).config.task == "pos"
    assert not MARKER.exists()
