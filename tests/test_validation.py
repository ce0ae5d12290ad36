"""Knobs checked at the door: spaCy language codes, training that diverges (a clear error,
no NaN model or log line), and `--resume` of a checkpoint that trains something else."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner, Result

from tagger.callbacks import CHECKPOINT, LOG, Checkpoint, JsonlLog, KeepBest, TrainState
from tagger.cli import app
from tagger.config import Config
from tagger.distributed import World
from tagger.divergence import FirstBadStep, TrainingDiverged
from tagger.io import read_artifact
from tagger.languages import check_language, is_language
from tagger.resume import check_resumable, resume_trainer
from tagger.train import train
from tagger.trainer import new_trainer
from tagger.training_data import load_examples

RUNNER = CliRunner()
DIVERGED = re.compile(
    r"training diverged: (loss|gradient norm) is (nan|inf|-inf) at epoch (\d+), step (\d+) "
    r"\(lower train\.lr or set train\.clip\)"
)

pytestmark = pytest.mark.usefixtures("no_tagger_env")


def invoke(*args: str | Path) -> Result:
    return RUNNER.invoke(app, [str(a) for a in args])


def strict_json(line: str) -> Any:
    """json.loads that refuses NaN and Infinity, as every other JSON reader does."""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


def toml_of(config: Config, folder: Path) -> Path:
    """A TOML file of the config's task, files and model (what `tagger train` reads)."""
    model = "\n".join(f"{k} = {json.dumps(v)}" for k, v in vars(config.model).items())
    train = "\n".join(f"{k} = {json.dumps(v)}" for k, v in vars(config.train).items())
    path = folder / f"{config.task}.toml"
    path.write_text(
        f'task = "{config.task}"\n[data]\ntrain = "{config.data.train}"\n'
        f'dev = "{config.data.dev}"\n[model]\n{model}\n[train]\n{train}\n',
        encoding="utf-8",
    )
    return path


# --- language codes ---


@pytest.mark.parametrize("code", ["en", "de", "xx", "grc", "eng"])
def test_known_language(code: str) -> None:
    assert is_language(code)  # spaCy's folders, the multi-language xx, and 'eng' -> en


@pytest.mark.parametrize("code", ["xx1", "", "en/..", "../en", "en.x", " en", "lex_attrs"])
def test_unknown_language_is_named(code: str) -> None:
    with pytest.raises(ValueError) as err:
        check_language(code, "--lang")
    expected = f"--lang: expected a spaCy language code (en, de, fr, ...), got {code!r}"
    assert str(err.value) == expected


def test_to_spacy_unknown_lang_is_one_line(tmp_path: Path) -> None:
    """Checked before the models are read or anything is written."""
    result = invoke("to-spacy", tmp_path / "missing-model", "-o", tmp_path / "nlp", "--lang", "xx1")
    assert result.exit_code == 1
    assert "error: --lang: expected a spaCy language code" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "nlp").exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.lr=inf", "train.lr: expected a finite number, got inf"),
        ("train.patience=-1", "train.patience: expected 0 (no early stopping)"),
        ("data.lang=xx1", "data.lang: expected a spaCy language code"),
        ("train.momentum=1.0", "train.momentum: expected a decay in [0, 1)"),
    ],
)
def test_train_cli_refuses_bad_value(
    tmp_path: Path, tiny_config: Callable[..., Config], override: str, message: str
) -> None:
    toml = toml_of(tiny_config(tmp_path), tmp_path)
    result = invoke("train", toml, "-o", tmp_path / "m", "--quiet", "--set", override)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and message in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "m").exists()


# --- non-finite losses ---


def test_first_bad_step_names_the_first_non_finite_loss() -> None:
    bad = FirstBadStep()
    bad.see(1, torch.tensor(2.0), None)
    bad.check(1)  # all finite: nothing to say
    bad.see(2, torch.tensor(math.nan), torch.tensor(3.0))
    bad.see(3, torch.tensor(math.inf), None)
    with pytest.raises(TrainingDiverged, match=r"loss is nan at epoch 4, step 2 \(lower"):
        bad.check(4)


def test_first_bad_step_names_a_non_finite_gradient_norm() -> None:
    bad = FirstBadStep()
    bad.see(7, torch.tensor(1.5), torch.tensor(math.inf))
    assert bad.first() == (7, 1.5, math.inf)
    with pytest.raises(TrainingDiverged, match="gradient norm is inf at epoch 1, step 7"):
        bad.check(1)


def test_non_finite_weight_stops_before_scoring(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    """An update can overflow the weights while its loss and gradient norm were finite."""
    config, (tokens, _), _, labels = load_examples(tiny_config(tmp_path), None)
    trainer = new_trainer(config, tokens, labels)
    trainer.check_weights(1)
    with torch.no_grad():
        next(trainer.model.parameters())[0] = math.inf
    with pytest.raises(TrainingDiverged, match="weights are not finite after epoch 3"):
        trainer.check_weights(3)


def test_training_that_diverges_stops_with_the_epoch_and_step(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    """lr = 1e38 overflows within a few steps: an error, and no model folder or log line."""
    config = tiny_config(tmp_path, train={"lr": 1e38, "max_epochs": 2})
    with pytest.raises(TrainingDiverged) as err:
        train(config, tmp_path / "m", progress=False)
    found = DIVERGED.fullmatch(str(err.value))
    assert found is not None, str(err.value)
    assert found[3] == "1" and int(found[4]) >= 1
    assert not (tmp_path / "m" / "model.safetensors").exists()
    assert not (tmp_path / "m" / LOG).exists()


class BlowUpAfterFirstEpoch:
    """A callback that sets a learning rate no weight survives, after epoch 1."""

    def on_batch(self, *args: Any) -> None:
        pass

    def on_epoch_end(self, state: TrainState, report: Any, trainer: Any) -> None:
        for group in trainer.optimizer.param_groups:
            group["lr"] = 1e38


def test_divergence_keeps_the_last_finite_model_and_log(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    """Epoch 1 writes model, checkpoint and log; epoch 2 diverges and writes none of them."""
    config, train_set, dev, labels = load_examples(
        tiny_config(tmp_path, train={"max_epochs": 3}), None
    )
    out = tmp_path / "m"
    trainer = new_trainer(config, train_set[0], labels)
    callbacks = [KeepBest(out), Checkpoint(out), JsonlLog(out), BlowUpAfterFirstEpoch()]
    with pytest.raises(TrainingDiverged, match="at epoch 2, step"):
        trainer.fit(train_set, dev, TrainState(), callbacks)
    for folder in (out, out / CHECKPOINT):
        saved = read_artifact(folder)
        assert saved.meta["epoch"] == 1
        assert all(torch.isfinite(p).all() for p in saved.model.parameters())
    lines = (out / LOG).read_text(encoding="utf-8").splitlines()
    assert [strict_json(line)["epoch"] for line in lines] == [1]


def test_train_cli_divergence_is_one_line(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    toml = toml_of(tiny_config(tmp_path, train={"max_epochs": 1}), tmp_path)
    result = invoke("train", toml, "-o", tmp_path / "m", "--quiet", "--set", "train.lr=1e38")
    assert result.exit_code == 1
    assert result.stderr.startswith("error: training diverged: ")
    assert DIVERGED.search(result.stderr) is not None
    assert "Traceback" not in result.output
    assert not (tmp_path / "m" / "model.safetensors").exists()


# --- --resume of a checkpoint that trains something else ---


@pytest.fixture(scope="module")
def pos_checkpoint(
    tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable[..., Config]
) -> tuple[Path, Config]:
    """An output folder whose checkpoint holds one epoch of a tiny POS model, and its config."""
    folder = tmp_path_factory.mktemp("resume")
    config = tiny_config(folder, train={"max_epochs": 1})
    train(config, folder / "m", progress=False, plots=False)
    return folder / "m", config


def test_resume_of_another_task_names_checkpoint_and_tasks(
    tmp_path: Path,
    pos_checkpoint: tuple[Path, Config],
    tiny_ner_config: Callable[..., Config],
) -> None:
    output, _ = pos_checkpoint
    toml = toml_of(tiny_ner_config(tmp_path), tmp_path)
    result = invoke("train", toml, "-o", output, "--quiet", "--resume")
    assert result.exit_code == 1
    line = result.stderr.strip()
    assert line.startswith(f"error: {output / CHECKPOINT}: the checkpoint is of task 'pos'")
    assert "the config's task is 'ner'" in line and "\n" not in line
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"model": {"hidden": 32}}, "the checkpoint's model.hidden is 16, the config's is 32"),
        ({"model": {"head": "crf"}}, "model.head is 'softmax', the config's is 'crf'"),
        ({"labels": ["NOUN", "X-NEW"]}, "labels the checkpoint does not know ('X-NEW')"),
    ],
)
def test_resume_of_another_model_or_label_set(
    pos_checkpoint: tuple[Path, Config], change: dict, message: str
) -> None:
    output, config = pos_checkpoint
    if "model" in change:
        config = replace(config, model=replace(config.model, **change["model"]))
    with pytest.raises(ValueError) as err:
        resume_trainer(config, output, torch.device("cpu"), World(), change.get("labels"))
    assert str(err.value).startswith(f"{output / CHECKPOINT}: ")
    assert message in str(err.value)


def test_resume_of_the_same_config_passes(pos_checkpoint: tuple[Path, Config]) -> None:
    output, config = pos_checkpoint
    saved = read_artifact(output / CHECKPOINT)
    longer = replace(config, train=replace(config.train, max_epochs=5, lr=0.01))
    check_resumable(output / CHECKPOINT, saved, longer, list(saved.vocabs.labels.items))
    trainer, state = resume_trainer(longer, output, torch.device("cpu"), World())
    assert state.epoch == 1 and trainer.config.train.max_epochs == 5
