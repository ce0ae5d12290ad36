"""Model folders from an unknown source: a clear error, nothing executed, nothing written."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from fixtures_models import TrainedModel
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from tagger.cli import app
from tagger.io import read_artifact

RUNNER = CliRunner()
MARKER = Path("/tmp/tagger-test-pickle-ran")


class Payload:
    """A pickle that, if ever unpickled, leaves a marker file behind."""

    def __reduce__(self):  # noqa: ANN204
        return (MARKER.write_text, ("unpickled",))


@pytest.fixture(scope="module")
def model(shared_pos: TrainedModel) -> Path:
    return shared_pos.path


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


def edit_json(name: str, change: Callable[[dict], None]) -> Callable[[Path], None]:
    """A tampering that loads one JSON file of the folder, changes it and writes it back."""

    def tamper(folder: Path) -> None:
        data = json.loads((folder / name).read_text())
        change(data)
        (folder / name).write_text(json.dumps(data))

    return tamper


def set_label(label: object) -> Callable[[Path], None]:
    return edit_json("vocab.json", lambda v: v["labels"]["items"].__setitem__(1, label))


def retask(task: str, **model: str) -> Callable[[Path], None]:
    """config.json and meta.json both claim another task (and model options)."""

    def tamper(folder: Path) -> None:
        edit_json("config.json", lambda c: (c.update(task=task), c["model"].update(model)))(folder)
        edit_json("meta.json", lambda m: m.update(task=task))(folder)

    return tamper


def link_out_deep(folder: Path) -> None:
    (folder / "checkpoint").mkdir()
    (folder / "checkpoint" / "notes").symlink_to("/etc/hostname")


def tokenizer_link_out(folder: Path) -> None:
    (folder / "tokenizer").symlink_to(folder.parent)


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
    "a label with a tab": (set_label("DE\tT"), "labels.items[1]: expected a label without"),
    "a label with a newline": (set_label("X\n1\tx"), "labels.items[1]: expected a label without"),
    "a label with U+2028": (set_label("X\u2028Y"), "labels.items[1]: expected a label without"),
    "an empty label": (set_label(""), "labels.items[1]: expected a non-empty label"),
    "a label not a string": (set_label(7), "labels.items[1]: expected a string, got 7"),
    "words as an object": (
        edit_json("vocab.json", lambda v: v.update(words={"a": 1})),
        "words: expected an object with 'items' and 'specials'",
    ),
    "a word not a string": (
        edit_json("vocab.json", lambda v: v["words"]["items"].__setitem__(3, 5)),
        "words.items[3]: expected a string, got 5",
    ),
    "a word twice": (
        edit_json("vocab.json", lambda v: v["words"]["items"].__setitem__(3, "<unk>")),
        "words.items: expected distinct items",
    ),
    "no labels": (
        edit_json("vocab.json", lambda v: v.pop("labels")),
        "labels: expected an object with 'items' and 'specials'",
    ),
    "rows on the words": (
        edit_json("vocab.json", lambda v: v["words"].update(rows=[500] * len(v["words"]["items"]))),
        "expected no rows",
    ),
    "a label fewer than the weights": (
        edit_json("vocab.json", lambda v: v["labels"]["items"].pop()),
        "4 labels, but model.safetensors' head.linear.weight has 5 rows",
    ),
    "a character fewer than the weights": (
        edit_json("vocab.json", lambda v: v["chars"]["items"].pop()),
        "characters, but model.safetensors' embedder.chars.embed.weight has",
    ),
    "config.json's task not meta.json's": (
        edit_json("config.json", lambda c: c.update(task="ner")),
        "meta.json: task 'pos', but config.json says 'ner'",
    ),
    "a token model's weights as a sentiment model": (
        retask("sentiment"),
        "task 'sentiment' wants the weights of a sentence model with attention pooling",
    ),
    "a softmax model's weights as a CRF model": (
        retask("pos", head="crf"),
        "task 'pos' wants the weights of a token model with a crf head",
    ),
    "POS labels as a NER model": (retask("ner"), "tag 'ADJ': expected O or B-"),
    "POS labels as a tokenizer": (retask("tokenize"), "expected the character labels"),
    "a link out deep inside the folder": (link_out_deep, "checkpoint/notes: expected a file or"),
    "a tokenizer folder linking out": (tokenizer_link_out, "tokenizer: expected a file or folder"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_model_folder_is_a_clear_error(model: Path, tmp_path: Path, case: str) -> None:
    change, expected = CASES[case]
    MARKER.unlink(missing_ok=True)
    folder = tampered(model, tmp_path, change)
    before = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    with pytest.raises((ValueError, FileNotFoundError), match=re.escape(expected)):
        read_artifact(folder)
    dev = str(model.parent / "corpus" / "dev.conllu")
    commands = (["info", str(folder)], ["tag", str(folder), "--format", "text"])
    for command in (*commands, ["evaluate", str(folder), dev]):
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
