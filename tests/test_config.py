"""The config schema: TOML loading, unknown keys and wrong types named, `--set` overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from tagger.config import Config, ConfigError, config_from_dict, config_to_dict, load_config

REPO = Path(__file__).resolve().parents[1]


def write_toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_toml(tmp_path: Path) -> None:
    path = write_toml(
        tmp_path,
        'task = "pos"\n'
        '[data]\ncorpus = "ud-english-ewt"\ntag_field = "xpos"\n'
        '[model]\nhidden = 32\nchar = "cnn"\ndropout = 0.5\n'
        "[train]\nlr = 0.01\nmax_epochs = 3\n",
    )
    config = load_config(path)
    assert isinstance(config, Config)
    assert (config.data.corpus, config.data.tag_field) == ("ud-english-ewt", "xpos")
    assert (config.model.hidden, config.model.char, config.model.dropout) == (32, "cnn", 0.5)
    assert (config.train.lr, config.train.max_epochs) == (0.01, 3)
    assert config.model.layers == Config().model.layers  # untouched keys keep their defaults


def test_round_trip_through_dict() -> None:
    config = config_from_dict({"model": {"hidden": 7}, "train": {"lr": 0.5}})
    assert config_from_dict(config_to_dict(config)) == config


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('tsak = "pos"\n', "'tsak'"),
        ("[modle]\nhidden = 3\n", "'modle'"),
        ("[model]\nhiden = 3\n", "'model.hiden'"),
        ("[train]\nepochs = 3\n", "'train.epochs'"),
    ],
)
def test_unknown_key_is_named(tmp_path: Path, text: str, key: str) -> None:
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError, match=f"unknown key {key}") as err:
        load_config(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[model]\nhidden = "x"\n', "model.hidden: expected int, got str 'x'"),
        ("[model]\nhidden = true\n", "model.hidden: expected int, got bool True"),
        ("[model]\nhidden = 1.5\n", "model.hidden: expected int, got float 1.5"),
        ("[train]\nlr = true\n", "train.lr: expected float, got bool True"),
        ("[data]\ncorpus = 3\n", "data.corpus: expected str, got int 3"),
        ("model = 3\n", "model: expected a [model] table"),
    ],
)
def test_wrong_type_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write_toml(tmp_path, text))
    assert message in str(err.value)


def test_int_accepted_for_float(tmp_path: Path) -> None:
    config = load_config(write_toml(tmp_path, "[train]\nlr = 1\nmax_minutes = 2\n"))
    assert config.train.lr == 1.0 and isinstance(config.train.lr, float)
    assert isinstance(config.train.max_minutes, float)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = write_toml(tmp_path, "[model\nhidden = 3\n")
    with pytest.raises(ConfigError, match="config.toml"):
        load_config(path)


def test_overrides(tmp_path: Path) -> None:
    path = write_toml(tmp_path, '[model]\nhidden = 32\n[data]\ncorpus = "x"\n')
    config = load_config(
        path,
        ["model.hidden=128", "data.corpus=ud-english-ewt", "train.lr=0.01", "model.layers = 1"],
    )
    assert config.model.hidden == 128
    assert config.data.corpus == "ud-english-ewt"  # a bare string, not valid TOML on its own
    assert config.train.lr == 0.01
    assert config.model.layers == 1


def test_override_quoted_string_and_int_for_float() -> None:
    config = config_from_dict({}, ['model.char="cnn"', "train.lr=1"])
    assert config.model.char == "cnn"
    assert config.train.lr == 1.0


def test_override_does_not_change_the_input_dict() -> None:
    values = {"model": {"hidden": 3}}
    config_from_dict(values, ["model.hidden=5"])
    assert values == {"model": {"hidden": 3}}


def test_override_without_equals_sign() -> None:
    with pytest.raises(ConfigError, match="'model.hidden': expected KEY=VALUE"):
        config_from_dict({}, ["model.hidden"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.hiden=3", "unknown key 'model.hiden'"),
        ("model.hidden=x", "model.hidden: expected int, got str 'x'"),
        ("model.hidden=true", "model.hidden: expected int, got bool True"),
        ("task.x=1", "task: expected str, got dict"),
    ],
)
def test_bad_override_is_named(override: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({}, [override])
    assert message in str(err.value)


@pytest.mark.parametrize("name", ["pos-ewt.toml", "demo.toml"])
def test_repository_configs_load(name: str) -> None:
    config = load_config(REPO / "configs" / name)
    assert config.task == "pos"
    assert config.data.corpus == "ud-english-ewt"
