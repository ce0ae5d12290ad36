"""model.encoder_finetune: the encoder trains with the tagger at its own learning rate,
its tuned weights travel in the model folder (encoder/), tagging and resume use them."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from tagger.averaging import WeightAverage
from tagger.config import ConfigError, config_from_dict, config_to_dict
from tagger.encoders.features import EncoderRecord
from tagger.evaluate import evaluate_examples
from tagger.io import read_artifact, weights_digest
from tagger.predict import Predictor
from tagger.tasks import get_task
from tagger.train import train
from tagger.trainer import new_trainer
from tagger.training_data import load_examples

SENTENCES = [["The", "dog", "sees", "a", "cat", "."], ["A", "big", "tree", "!"], ["x"]]


def tuned_config(tiny_config: Any, tmp_path: Path, bert: Path, **train: Any) -> Any:
    """A tiny tagger fine-tuning the tiny BERT's last two layers."""
    return tiny_config(
        tmp_path,
        train={"max_epochs": 2, **train},
        encoder=str(bert),
        encoder_layers="-2,-1",
        encoder_finetune=True,
    )


@pytest.fixture(scope="module")
def tuned_model(
    tiny_bert: Path, tiny_config: Any, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Any, dict[str, Any]]:
    """A fine-tuned model trained once for this module: copy it before changing it."""
    folder = tmp_path_factory.mktemp("tuned")
    config = tuned_config(tiny_config, folder, tiny_bert)
    result = train(config, folder / "model", progress=False, plots=False, device="cpu")
    return folder / "model", config, result


def test_config_refuses_a_finetune_without_an_encoder_and_a_bad_encoder_lr() -> None:
    with pytest.raises(ConfigError, match="^model.encoder_finetune: expected model.encoder to"):
        config_from_dict({"model": {"encoder_finetune": True}})
    with pytest.raises(ConfigError, match="^train.encoder_lr: expected a positive learning rate"):
        config_from_dict({"train": {"encoder_lr": 0.0}})
    with pytest.raises(ConfigError, match="^model.encoder_finetune: expected bool"):
        config_from_dict({"model": {"encoder": "minilm", "encoder_finetune": "yes"}})
    config = config_from_dict({}, ["model.encoder=minilm", "model.encoder_finetune=true"])
    assert config.model.encoder_finetune and config.train.encoder_lr == 5e-5


def test_old_records_load_and_frozen_records_are_unchanged() -> None:
    old = {
        "name": "minilm",
        "revision": "",
        "weights_sha256": "a" * 64,
        "tokenizer_sha256": "b" * 64,
        "layers": [5, 6],
        "pooling": "mean",
        "dim": 384,
    }
    record = EncoderRecord.from_json(old, "meta.json")
    assert not record.finetuned and record.to_json() == old  # no new key in frozen models
    tuned = replace(record, finetuned=True).to_json()
    assert tuned["finetuned"] is True
    with pytest.raises(ValueError, match="expected an encoder record"):
        EncoderRecord.from_json({**old, "finetuned": "yes"}, "meta.json")


def one_step(config: Any) -> tuple[Any, dict[str, torch.Tensor]]:
    """A new trainer after one training step, and the encoder's weights before it."""
    config, train_examples, _, labels = load_examples(config, None)
    trainer = new_trainer(config, train_examples[0], labels)
    encoder = trainer.model.embedder.tuned
    loaded = encoder.model if encoder is not None else None
    before = {}
    if loaded is not None:
        before = {k: v.detach().clone() for k, v in loaded.state_dict().items()}
    trainer.model.train()
    batch = trainer.encoder.encode(train_examples[0][:4], tags=train_examples[1][:4])
    trainer.step(batch)
    return trainer, before


def test_the_encoder_gets_gradients_and_changes_in_a_step(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path
) -> None:
    trainer, before = one_step(tuned_config(tiny_config, tmp_path, tiny_bert))
    tuned = trainer.model.embedder.tuned
    assert tuned is not None and trainer.features is None  # no feature cache
    assert tuned.model.training  # dropout follows the tagger's mode
    trained = {n: p for n, p in tuned.model.named_parameters() if p.requires_grad}
    assert any(n.startswith("encoder.layer.1.") for n in trained)
    assert not any(n.startswith("pooler.") for n in trained)  # no gradient reaches it
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in trained.values())
    after = tuned.model.state_dict()
    assert not torch.equal(
        after["encoder.layer.1.output.dense.weight"], before["encoder.layer.1.output.dense.weight"]
    )
    assert torch.equal(after["pooler.dense.weight"], before["pooler.dense.weight"])
    trainer.model.eval()
    assert not tuned.model.training


def test_a_frozen_encoder_gets_no_gradient(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TAGGER_FEATURE_CACHE", str(tmp_path / "cache"))
    config = tiny_config(tmp_path, encoder=str(tiny_bert), encoder_layers="-2,-1")
    trainer, _ = one_step(config)
    assert trainer.model.embedder.tuned is None and trainer.features is not None
    assert len(trainer.optimizer.param_groups) == 1
    assert not any(n.startswith("embedder.tuned") for n, _ in trainer.model.named_parameters())


def test_two_param_groups_at_their_learning_rates(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path
) -> None:
    config = tuned_config(tiny_config, tmp_path, tiny_bert, lr=1e-3, encoder_lr=3e-5)
    trainer, _ = one_step(config)
    tuned = trainer.model.embedder.tuned
    own, encoder = trainer.optimizer.param_groups
    assert (own["lr"], encoder["lr"]) == (1e-3, 3e-5)
    assert {id(p) for p in encoder["params"]} == {
        id(p) for p in tuned.parameters() if p.requires_grad
    }
    assert not {id(p) for p in own["params"]} & {id(p) for p in tuned.parameters()}
    trainer.scheduler.step(0.5)  # the schedule halves both, each to its own floor
    for _ in range(8):
        trainer.scheduler.step(0.1)
    assert own["lr"] < 1e-3 and encoder["lr"] / own["lr"] == pytest.approx(3e-5 / 1e-3)


def test_trained_saved_loaded_tags_as_scored_and_batch_equals_single(
    tuned_model: tuple[Path, Any, dict[str, Any]],
) -> None:
    model, config, result = tuned_model
    artifact = read_artifact(model)
    assert weights_digest(artifact.model) == result["weights_sha256"]  # encoder included
    predictor = Predictor.load(model)
    _, _, dev, _ = load_examples(config, None)
    meta = json.loads((model / "meta.json").read_text())
    score = get_task(config.task).main_score(evaluate_examples(predictor, *dev))
    assert score == meta["dev_score"]  # tags from float32 features, as training scored
    together = predictor.predict_scored(SENTENCES)
    alone = [predictor.predict_scored([s])[0] for s in SENTENCES]
    assert [tags for tags, _ in together] == [tags for tags, _ in alone]
    for (_, a), (_, b) in zip(together, alone, strict=True):
        assert a == pytest.approx(b, abs=1e-5)
    assert [len(tags) for tags, _ in together] == [6, 4, 1]


def test_the_folder_holds_the_tuned_encoder_once(
    tuned_model: tuple[Path, Any, dict[str, Any]], tiny_bert: Path
) -> None:
    model, _, _ = tuned_model
    weights = model / "encoder" / "model.safetensors"
    record = json.loads((model / "meta.json").read_text())["encoder"]
    assert record["finetuned"] is True and record["name"] == str(tiny_bert)
    assert record["weights_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    original = hashlib.sha256((tiny_bert / "model.safetensors").read_bytes()).hexdigest()
    assert record["weights_sha256"] != original
    assert not any(k.startswith("embedder.tuned") for k in load_file(model / "model.safetensors"))
    assert (model / "encoder" / "tokenizer.json").is_file()
    assert (model / "checkpoint" / "encoder" / "model.safetensors").is_file()
    assert config_to_dict(read_artifact(model).config)["model"]["encoder_finetune"] is True


def test_a_tampered_or_missing_tuned_encoder_is_refused(
    tuned_model: tuple[Path, Any, dict[str, Any]], tmp_path: Path
) -> None:
    model, _, _ = tuned_model
    tampered = Path(shutil.copytree(model, tmp_path / "tampered"))
    tensors = load_file(tampered / "encoder" / "model.safetensors")
    name = next(n for n in tensors if n.endswith("word_embeddings.weight"))
    tensors[name][5, 0] += 1.0
    save_file(tensors, tampered / "encoder" / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"tampered: encoder .* differs from the one the model"):
        read_artifact(tampered)
    shutil.rmtree(tampered / "encoder")
    with pytest.raises(ValueError, match=r"encoder: missing; a model that fine-tuned its encoder"):
        read_artifact(tampered)


def test_resume_equals_an_uninterrupted_run(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path
) -> None:
    config = tuned_config(tiny_config, tmp_path, tiny_bert, average=0.9)  # 2 epochs
    whole = train(config, tmp_path / "whole", progress=False, plots=False, device="cpu")
    one = replace(config, train=replace(config.train, max_epochs=1))
    train(one, tmp_path / "resumed", progress=False, plots=False, device="cpu")
    resumed = train(
        config, tmp_path / "resumed", resume=True, progress=False, plots=False, device="cpu"
    )
    assert resumed["weights_sha256"] == whole["weights_sha256"]  # encoder and optimizer too
    a = read_artifact(tmp_path / "whole").model.state_dict()
    b = read_artifact(tmp_path / "resumed").model.state_dict()
    assert any(k.startswith("embedder.tuned.model.") for k in a)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_weight_average_copies_the_encoder_it_runs(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path
) -> None:
    trainer, _ = one_step(tuned_config(tiny_config, tmp_path, tiny_bert))
    averaged = WeightAverage(trainer.model, 0.5).averaged(trainer.model)
    tuned = averaged.embedder.tuned
    assert tuned.words.loaded.model is tuned.model  # what forward runs is what is saved
    assert tuned.model is not trainer.model.embedder.tuned.model


@pytest.mark.parametrize("bundle", [[], ["--bundle-encoder"]])
def test_spacy_pipeline_tags_as_the_model(
    tuned_model: tuple[Path, Any, dict[str, Any]], tmp_path: Path, bundle: list[str]
) -> None:
    import spacy
    from typer.testing import CliRunner

    from tagger.cli import app

    model = Path(shutil.copytree(tuned_model[0], tmp_path / "model"))
    pipeline = tmp_path / "pipeline"
    made = CliRunner().invoke(app, ["to-spacy", str(model), "-o", str(pipeline), *bundle])
    assert made.exit_code == 0, made.output
    shutil.move(model, tmp_path / "moved")  # the pipeline holds the tuned encoder itself
    doc = spacy.load(pipeline)("The dog sees a cat.")
    expected = Predictor.load(tmp_path / "moved").predict([[t.text for t in doc]])[0]
    assert [t.pos_ for t in doc] == expected


def test_int8_explain_and_processes_tag_a_tuned_model(
    tuned_model: tuple[Path, Any, dict[str, Any]], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from tagger.cli import app
    from tagger.explain.explanation import explain

    model, _, _ = tuned_model
    assert [len(tags) for tags in Predictor.load(model, int8=True).predict(SENTENCES)] == [6, 4, 1]
    found = explain(Predictor.load(model), SENTENCES[0])
    assert found.saliency is not None and found.saliency.shape[1] == 6
    text = tmp_path / "in.txt"
    text.write_text("The dog sees a cat.\nA big tree!\n" * 3, encoding="utf-8")
    runner = CliRunner()
    command = ["tag", str(model), str(text), "--format", "text"]
    one, two = (runner.invoke(app, command + more) for more in ([], ["--processes", "2"]))
    assert (one.exit_code, two.exit_code) == (0, 0), one.output + two.output
    assert one.stdout == two.stdout and one.stdout.count("\n") == 6


@pytest.mark.integration
def test_two_ranks_fine_tune_one_model(tiny_bert: Path, tiny_config: Any, tmp_path: Path) -> None:
    """DDP over the tagger with its encoder inside: no unused parameter (the pooler is
    frozen), the ranks end with the same weights (train() checks), and it tags as scored."""
    from test_distributed import torchrun, write_config

    config = tuned_config(tiny_config, tmp_path, tiny_bert, patience=0)
    summary = torchrun(write_config(config, tmp_path / "tuned.toml"), tmp_path / "ddp")
    assert summary["world_size"] == 2 and summary["epochs"] == 2
    _, _, dev, _ = load_examples(config, None)
    score = evaluate_examples(Predictor.load(tmp_path / "ddp"), *dev).accuracy
    assert score == pytest.approx(summary["dev_score"], abs=1e-9)
