"""The config schema: TOML loading, unknown keys and wrong types named, `--set` overrides."""

from __future__ import annotations

import subprocess
import sys
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


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[train]\nlr = inf\n", "train.lr: expected a finite number, got inf"),
        ("[train]\nlr = nan\n", "train.lr: expected a finite number, got nan"),
        ("[train]\nclip = -inf\n", "train.clip: expected a finite number, got -inf"),
        ("[train]\nmax_minutes = inf\n", "train.max_minutes: expected a finite number, got inf"),
        ("[model]\ndropout = nan\n", "model.dropout: expected a finite number, got nan"),
    ],
)
def test_non_finite_float_is_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write_toml(tmp_path, text))
    assert message in str(err.value)


def test_non_finite_override_and_json_values() -> None:
    with pytest.raises(ConfigError, match="train.lr: expected a finite number, got inf"):
        config_from_dict({}, ["train.lr=inf"])
    with pytest.raises(ConfigError, match="train.lr: expected a finite number, got nan"):
        config_from_dict({"train": {"lr": float("nan")}})  # json.loads reads NaN
    with pytest.raises(ConfigError, match="train.clip: expected a finite number, got 1000"):
        config_from_dict({"train": {"clip": 10**400}})  # no float holds it


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("train.patience", -1, "0 (no early stopping) or a number of epochs"),
        ("train.lr_patience", -2, "0 or a number of epochs"),
        ("train.clip", -1.0, "0 (off) or a positive gradient norm"),
        ("train.weight_decay", -0.1, "0 (off) or a positive penalty"),
        ("train.min_lr", -1e-5, "0 or a positive learning rate"),
        ("train.momentum", 1.0, "a decay in [0, 1)"),
        ("train.momentum", -0.1, "a decay in [0, 1)"),
        ("train.beta2", 1.5, "a decay in [0, 1)"),
        ("train.seed", -1, "a seed in [0, 2**32)"),
        ("train.seed", 2**40, "a seed in [0, 2**32)"),
        ("model.pretrained_max_words", -1, "0 (all) or a positive count"),
        ("data.max_train_sentences", -5, "0 (all) or a positive count"),
        ("data.format", "xml", "'' or one of conllu, conll, parquet, json, labels, tsv, csv"),
        ("data.tag_field", "", "a column name or 'upos'/'xpos'"),
        ("data.token_field", "", "a column name"),
        ("data.text_field", "", "a column name"),
        ("data.label_field", "", "a column name"),
    ],
)
def test_out_of_range_value_is_named(key: str, value: object, expected: str) -> None:
    section, name = key.split(".")
    with pytest.raises(ConfigError) as err:
        config_from_dict({section: {name: value}})
    assert str(err.value).startswith(f"{key}: expected {expected}")
    assert str(err.value).endswith(f"got {value!r}")


@pytest.mark.parametrize("lang", ["xx1", "", "EN", "../en", "en.core", "en us", "__pycache__"])
def test_unknown_language_is_named(tmp_path: Path, lang: str) -> None:
    path = write_toml(tmp_path, f"[data]\nlang = {lang!r}\n".replace("'", '"'))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    expected = f"data.lang: expected a spaCy language code (en, de, fr, ...), got {lang!r}"
    assert str(err.value) == f"{path}: {expected}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"format": "conllu", "tag_field": "feats"},
            "data.tag_field: expected 'upos' or 'xpos' for CoNLL-U, got 'feats'",
        ),
        (
            {"word_column": 1, "tag_column": 1},
            "data.tag_column: expected a column other than data.word_column, got 1",
        ),
    ],
)
def test_conflicting_data_settings_are_named(data: dict, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        config_from_dict({"data": data})
    assert str(err.value) == message


def test_boundary_values_are_accepted() -> None:
    config = config_from_dict(
        {
            "data": {
                "lang": "xx",
                "format": "conllu",
                "tag_field": "xpos",
                "max_train_sentences": 0,
            },
            "model": {"pretrained_max_words": 0, "casing_dim": 0, "word_cnn": 0},
            "train": {"patience": 0, "lr_patience": 0, "clip": 0, "momentum": 0, "min_lr": 0},
        }
    )
    assert (config.data.lang, config.train.clip, config.train.patience) == ("xx", 0.0, 0)
    for lang in ("de", "grc", "zh"):  # spaCy's own folders
        assert config_from_dict({"data": {"lang": lang}}).data.lang == lang
    # A column name of a parquet/JSON/HF corpus is free when the format is not CoNLL-U.
    assert config_from_dict({"data": {"format": "json", "tag_field": "ner_tags"}})


def test_config_loading_does_not_import_spacy() -> None:
    """Checking data.lang reads spaCy's folders; importing spaCy would cost seconds."""
    code = (
        "import sys; from tagger.config import config_from_dict; "
        "config_from_dict({'data': {'lang': 'de'}}); print('spacy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
