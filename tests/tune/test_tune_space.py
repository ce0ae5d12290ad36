"""Search space files: every mistake is one line naming the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import optuna
import pytest

from tagger.config import ConfigError
from tagger.tune.space import read_space

ROOT = Path(__file__).resolve().parents[2]
BASE = {"task": "pos", "data": {"train": "t.conllu", "dev": "d.conllu"}}


def space(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "space.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_ranges_and_choices_are_read(tmp_path: Path) -> None:
    text = (
        "[model]\nhidden = {low = 64, high = 512, log = true}\nchar = ['lstm', 'cnn']\n"
        "[train]\nbatch_size = {low = 16, high = 64, step = 16}\nlr = {low = 1e-4, high = 1e-2}\n"
    )
    params = {p.key: p for p in read_space(space(tmp_path, text), BASE)}
    assert params["model.hidden"].kind == "int" and params["model.hidden"].log
    assert params["model.char"].choices == ("lstm", "cnn")
    assert params["train.batch_size"].step == 16
    assert params["train.lr"].kind == "float"
    trial = optuna.trial.FixedTrial(
        {"model.hidden": 128, "model.char": "cnn", "train.batch_size": 32, "train.lr": 0.001}
    )
    assert params["model.hidden"].sample(trial) == 128
    assert params["model.char"].sample(trial) == "cnn"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("model.hiden = {low = 1, high = 4}", "unknown key 'model.hiden'"),
        ("model = {low = 1, high = 4}", "model: is a section"),
        ("model.hidden = {low = 1.5, high = 4}", "model.hidden: low: expected int, got float"),
        ("model.hidden = {low = 64, high = 32}", "expected low < high"),
        ("model.hidden = {low = 64, high = 64}", "expected low < high"),
        ("model.hidden = {low = 64}", "the range needs high"),
        ("model.hidden = {low = 0, high = 64}", "model.hidden: expected a positive size, got 0"),
        ("model.dropout = {low = 0.1, high = 1.5}", "model.dropout: expected a probability"),
        ("train.lr = {low = 0.0, high = 0.1, log = true}", "a log range needs low > 0"),
        ("model.hidden = {low = 8, high = 64, step = 8, log = true}", "give step or log"),
        ("model.hidden = {low = 8, high = 64, steps = 8}", "unknown range key 'steps'"),
        ("model.hidden = {low = 8, high = 16, step = 32}", "step 32 is wider than the range"),
        ("model.char = []", "expected at least one choice"),
        ("model.char = ['lstm', 'gru']", "model.char: expected 'lstm', 'cnn' or 'none', got 'gru'"),
        ("model.char = ['lstm', 'lstm']", "listed twice"),
        ("model.hidden = ['64', '128']", "model.hidden: expected int, got str '64'"),
        ("model.char = {low = 1, high = 4}", "a range needs a number key, and this one is str"),
        ("model.hidden = 64", "expected a range {low = ..., high = ...} or a list"),
        ("train.max_minutes = {low = 1.0, high = 4.0}", "set by --trial-minutes"),
        ("", "expected at least one key"),
        ("model.hidden = {low = ", "space.toml: "),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, text: str, expected: str) -> None:
    path = space(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        read_space(path, BASE)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and expected in message
    assert "\n" not in message.strip() or "TOML" in message


@pytest.mark.parametrize(
    ("config", "name"),
    [("pos-ewt", "pos"), ("ner-conll03", "ner"), ("sentiment-sst2", "sentiment")],
)
def test_shipped_spaces_fit_their_configs(config: str, name: str) -> None:
    base = tomllib.loads((ROOT / "configs" / f"{config}.toml").read_text(encoding="utf-8"))
    keys = {p.key for p in read_space(ROOT / "configs" / f"space-{name}.toml", base)}
    assert {"model.hidden", "model.layers", "model.dropout", "train.lr", "train.batch_size"} <= keys
    assert ("model.pooling" in keys) == (name == "sentiment")
