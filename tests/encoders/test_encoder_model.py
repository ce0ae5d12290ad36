"""A tagger with a pretrained encoder under its BiLSTM: it trains with cached features,
records the encoder, tags the same after loading, resumes, and refuses another encoder."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from tiny_bert import build_tiny_bert

from tagger.encoders.features import EncoderRecord
from tagger.io import read_artifact
from tagger.predict import Predictor
from tagger.train import train

SENTENCES = [["The", "dog", "sees", "a", "cat", "."], ["A", "big", "tree", "!"]]


@pytest.fixture(scope="module")
def encoder_model(
    tiny_bert: Path, tiny_config: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, Any]]:
    """(model folder, config) of a tiny tagger over tiny_bert, trained once for the module
    (copy it before changing it); its feature cache, ../cache, is the module's while it runs."""
    folder = tmp_path_factory.mktemp("encoder-model")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TAGGER_FEATURE_CACHE", str(folder / "cache"))
        config = tiny_config(
            folder, train={"max_epochs": 3}, encoder=str(tiny_bert), encoder_layers="-2,-1"
        )
        train(config, folder / "model", progress=False, device="cpu", plots=False)
        yield folder / "model", config


def test_trains_records_the_encoder_and_caches_its_features(
    encoder_model: tuple[Path, Any], tiny_bert: Path
) -> None:
    model, _ = encoder_model
    meta = json.loads((model / "meta.json").read_text())
    record = EncoderRecord.from_json(meta["encoder"], "meta.json")
    assert record.name == str(tiny_bert) and record.layers == [1, 2] and record.dim == 16
    assert len(record.weights_sha256) == 64 and record.pooling == "mean"
    artifact = read_artifact(model)
    mix = artifact.model.embedder.encoder_mix
    assert mix is not None and mix.weights.shape == (2,)
    assert any((model.parent / "cache").rglob("*"))  # the features are on disk


def test_loaded_model_tags_as_scored_and_batch_equals_single(
    encoder_model: tuple[Path, Any],
) -> None:
    model, _ = encoder_model
    predictor = Predictor.load(model)
    together = predictor.predict_scored(SENTENCES)
    alone = [predictor.predict_scored([s])[0] for s in SENTENCES]
    assert [tags for tags, _ in together] == [tags for tags, _ in alone]
    for (_, a), (_, b) in zip(together, alone, strict=True):
        assert a == pytest.approx(b, abs=1e-5)
    assert [len(tags) for tags, _ in together] == [6, 4]  # no word dropped
    texts = list(predictor.tag_texts(["The dog sees a cat."]))
    assert texts[0].tokens == ["The", "dog", "sees", "a", "cat", "."]


def test_another_encoder_is_refused_when_the_model_loads(
    encoder_model: tuple[Path, Any], tiny_bert: Path, tmp_path: Path
) -> None:
    model, _ = encoder_model
    other = shutil.copytree(model, tmp_path / "other-model")
    config = json.loads((other / "config.json").read_text())
    changed = build_tiny_bert(tmp_path / "other-bert", seed=1)
    config["model"]["encoder"] = str(changed)
    meta = json.loads((other / "meta.json").read_text())
    meta["encoder"]["name"] = str(changed)
    (other / "config.json").write_text(json.dumps(config))
    (other / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="differs from the one the model was trained with"):
        Predictor.load(other).predict(SENTENCES)


def test_resume_equals_an_uninterrupted_run(
    encoder_model: tuple[Path, Any], tmp_path: Path
) -> None:
    model, config = encoder_model  # 3 epochs at once
    from dataclasses import replace

    two = replace(config, train=replace(config.train, max_epochs=2))
    train(two, tmp_path / "resumed", progress=False, device="cpu", plots=False)
    train(config, tmp_path / "resumed", resume=True, progress=False, device="cpu", plots=False)
    whole = read_artifact(model).model.state_dict()
    resumed = read_artifact(tmp_path / "resumed").model.state_dict()
    assert all(torch.equal(whole[k], resumed[k]) for k in whole)


def test_onnx_export_is_refused_naming_the_encoder(encoder_model: tuple[Path, Any]) -> None:
    from tagger.export import export_onnx

    model, _ = encoder_model
    with pytest.raises(ValueError, match="ONNX export: this model reads a pretrained encoder"):
        export_onnx(read_artifact(model))
    with pytest.raises(ValueError, match="ONNX export: this model reads a pretrained encoder"):
        Predictor.load(model, backend="onnx")


def test_int8_and_explain_work_with_the_encoder(encoder_model: tuple[Path, Any]) -> None:
    from tagger.explain.explanation import explain

    model, _ = encoder_model
    assert len(Predictor.load(model, int8=True).predict(SENTENCES)[0]) == 6
    found = explain(Predictor.load(model), SENTENCES[0])
    assert found.saliency is not None and found.saliency.shape[1] == 6


def test_cli_processes_and_spacy_tag_alike(encoder_model: tuple[Path, Any], tmp_path: Path) -> None:
    import spacy
    from typer.testing import CliRunner

    from tagger.cli import app

    model, _ = encoder_model
    text = tmp_path / "in.txt"
    text.write_text("The dog sees a cat.\nA big tree!\n" * 3, encoding="utf-8")
    runner = CliRunner()
    one = runner.invoke(app, ["tag", str(model), str(text), "--format", "text"])
    two = runner.invoke(app, ["tag", str(model), str(text), "--format", "text", "--processes", "2"])
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    assert one.stdout == two.stdout and one.stdout.count("\n") == 6
    pipeline = tmp_path / "pipeline"
    assert runner.invoke(app, ["to-spacy", str(model), "-o", str(pipeline)]).exit_code == 0
    doc = spacy.load(pipeline)("The dog sees a cat.")
    expected = Predictor.load(model).predict([[t.text for t in doc]])[0]
    assert [t.pos_ for t in doc] == expected


def test_a_bundled_encoder_serves_when_the_original_is_gone(
    tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from tagger.cli import app

    monkeypatch.setenv("TAGGER_FEATURE_CACHE", str(tmp_path / "cache"))
    bert = build_tiny_bert(tmp_path / "bert")
    config = tiny_config(tmp_path, train={"max_epochs": 1}, encoder=str(bert), encoder_layers="-1")
    model = tmp_path / "model"
    train(config, model, progress=False, device="cpu", bundle=True, plots=False)
    assert (model / "encoder" / "model.safetensors").is_file()
    expected = Predictor.load(model).predict(SENTENCES)
    pipeline = tmp_path / "pipeline"
    made = CliRunner().invoke(
        app, ["to-spacy", str(model), "-o", str(pipeline), "--bundle-encoder"]
    )
    assert made.exit_code == 0, made.output
    shutil.rmtree(bert)  # the original encoder is gone: the bundled copy serves
    assert Predictor.load(model).predict(SENTENCES) == expected
    import spacy

    moved = shutil.move(model, tmp_path / "moved")  # the pipeline holds its own copy
    doc = spacy.load(pipeline)(" ".join(SENTENCES[0]))
    assert [t.pos_ for t in doc] == expected[0]
    model = Path(moved)
    (model / "encoder" / "model.safetensors").write_bytes(b"not weights")
    with pytest.raises(ValueError):
        Predictor.load(model).predict(SENTENCES)

    demo = ["train", "configs/demo.toml", "-o", str(tmp_path / "demo"), "--bundle-encoder"]
    result = CliRunner().invoke(app, demo)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --bundle-encoder: the config names no model.encoder to bundle"
    )


def test_a_tokenizer_with_an_encoder_is_refused_before_training(tmp_path: Path) -> None:
    from tagger.config import load_config

    config = load_config("configs/tokenize-ewt.toml", ["model.encoder=minilm"])
    with pytest.raises(ValueError, match="model.encoder: a tokenize model labels characters"):
        train(config, tmp_path / "tok", progress=False, device="cpu")
    assert not (tmp_path / "tok").exists()
