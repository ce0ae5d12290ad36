"""Device plumbing on a CPU machine: names, clear errors, batches on the model's device."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, replace
from pathlib import Path

import pytest
import spacy
import torch
from fixtures_models import TrainedModel
from helpers import NEEDS_CPU_BF16
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import Config
from tagger.data.batching import Batch, BatchEncoder
from tagger.devices import (
    DeviceError,
    resolve_device,
    serving_device,
    to_device,
    training_precision,
)
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.train import train
from tagger.training_data import build_vocabs

META = torch.device("meta")  # a device with no data: any tensor made on the CPU by mistake
# meets one on meta and fails, as it would meet one on a GPU


@pytest.fixture(scope="module")
def model(shared_pos: TrainedModel) -> Path:
    return shared_pos.path  # trained on the CPU


def test_names_resolve_on_a_cpu_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device("") == torch.device("cpu")
    with pytest.raises(DeviceError, match="sees no CUDA GPU.*available: cpu"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="sees no CUDA"):
        resolve_device("cuda:1")
    with pytest.raises(DeviceError, match="expected auto, cpu, cuda, cuda:N or mps"):
        resolve_device("gpu")
    with pytest.raises(DeviceError, match="expected auto"):
        resolve_device("xla")


def test_auto_means_cuda_when_torch_sees_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device("auto") == torch.device("cuda")


def test_every_tensor_of_a_batch_follows_the_device(tiny_config: Callable[..., Config]) -> None:
    config = tiny_config(Path("/tmp/unused-devices"))
    vocabs, _ = build_vocabs(config, [["the", "dog"]], ["DET", "NOUN"])
    batch = BatchEncoder(vocabs).encode([["the", "dog"], ["dog"]], tags=[["DET", "NOUN"], ["NOUN"]])
    moved = to_device(batch, META)
    for f in fields(Batch):
        value = getattr(moved, f.name)
        if isinstance(value, torch.Tensor):
            assert value.device == META, f.name
    assert moved.mask.device == META
    assert to_device(batch, torch.device("cpu")) is batch


def test_training_tensors_are_made_on_the_model_device(
    tiny_config: Callable[..., Config],
) -> None:
    """Embeddings (word dropout), dropout, masks and the heads' losses, run on meta:
    a tensor made on the CPU inside them would fail here."""
    config = tiny_config(Path("/tmp/unused-devices"))
    for head in ("softmax", "crf"):
        cfg = replace(config.model, char="cnn", dropout=0.3, word_dropout=0.2, head=head)
        vocabs, _ = build_vocabs(config, [["the", "dog"]], ["DET", "NOUN"])
        model = build_model(cfg, vocabs).to(META).train()
        encoder = BatchEncoder(vocabs)
        batch = to_device(encoder.encode([["the", "dog"]], tags=[["DET", "NOUN"]]), META)
        x = model.dropout(model.embedder(batch))  # (batch, time, embed_dim)
        states = torch.zeros(1, 2, model.encoder.out_dim, device=META)
        scores = model.head(states, batch.mask)  # (batch, time, n_labels)
        # The CRF's loss runs on meta; softmax's picks real tokens by boolean indexing,
        # which meta tensors cannot do (their values are unknown).
        out = model.loss_of(scores, batch) if head == "crf" else scores
        assert x.device == out.device == META


def test_precision_auto_and_fp16_on_cpu() -> None:
    cpu = torch.device("cpu")
    expected = "bf16" if torch.cpu._is_avx512_bf16_supported() else "fp32"
    assert training_precision("auto", cpu) in (expected, "bf16")
    assert training_precision("fp32", cpu) == "fp32"
    with pytest.raises(ValueError, match="needs a CUDA device"):
        training_precision("fp16", cpu)
    with pytest.raises(ValueError, match="expected one of"):
        training_precision("fp8", cpu)


def test_bf16_on_a_cpu_without_a_bf16_lstm_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("tagger.devices.cpu_bf16_lstm", lambda: False)
    with pytest.raises(ValueError, match="no bf16 LSTM for this CPU.*use 'auto'"):
        training_precision("bf16", torch.device("cpu"))
    assert training_precision("auto", torch.device("cpu")) in ("fp32", "bf16")


def test_the_bf16_probe_leaves_the_seeded_random_stream_alone() -> None:
    from tagger.devices import cpu_bf16_lstm

    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    cpu_bf16_lstm.cache_clear()
    cpu_bf16_lstm()  # its first call runs the probe
    assert torch.equal(torch.rand(4), expected)


@NEEDS_CPU_BF16
def test_bf16_training_on_cpu_is_recorded_and_loads(
    tmp_path: Path, tiny_config: Callable[..., Config]
) -> None:
    config = tiny_config(tmp_path, train={"precision": "bf16", "max_epochs": 2})
    result = train(config, tmp_path / "bf16", progress=False, plots=False, device="cpu")
    meta = json.loads((tmp_path / "bf16" / "meta.json").read_text())
    assert meta["precision"] == "bf16" and meta["device"] == "cpu" and meta["world_size"] == 1
    assert result["device"] == "cpu"
    assert len(Predictor.load(tmp_path / "bf16").predict([["the", "dog"]])[0]) == 2


def test_cli_refuses_an_unavailable_device(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    runner = CliRunner()
    result = runner.invoke(app, ["tag", str(model), "--device", "cuda"], input="the dog\n")
    assert result.exit_code == 1
    assert "sees no CUDA GPU" in result.output
    result = runner.invoke(app, ["evaluate", str(model), "x.conllu", "--device", "tpu"])
    assert result.exit_code == 1 and "expected auto, cpu" in result.output
    result = runner.invoke(app, ["tag", str(model), "--device", "cpu"], input="the dog runs\n")
    assert result.exit_code == 0 and "dog" in result.output


def test_auto_is_the_cpu_where_only_the_cpu_serves() -> None:
    assert serving_device("auto", processes=2) == "cpu"
    assert serving_device("auto", int8=True) == "cpu"
    assert serving_device("auto", backend="onnx") == "cpu"
    assert serving_device("auto") == "auto"
    assert serving_device("cuda", processes=2) == "cuda"  # then refused with a clear message


def test_int8_and_onnx_refuse_a_gpu(model: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tagger.backends import network
    from tagger.io import read_artifact

    with pytest.raises(ValueError, match="--int8 runs on the CPU"):
        network(read_artifact(model), int8=True, device=torch.device("cuda"))


def test_spacy_component_takes_aserving_device(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_tagger", config={"model": str(model), "device": "auto"})
    assert [t.pos_ for t in nlp("the dog")] != ["", ""]
    assert nlp.get_pipe("bilstm_tagger").predictor.device == torch.device("cpu")
    gpu = spacy.blank("en")
    gpu.add_pipe("bilstm_tagger", config={"model": str(model), "device": "cuda"})
    with pytest.raises(DeviceError, match="sees no CUDA"):
        gpu("the dog")


def test_a_cuda_predictor_refuses_a_forked_process(
    model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import parallel

    monkeypatch.setattr(parallel, "_FORKED", True)
    predictor = Predictor.load(model)
    predictor.device = torch.device("cuda")  # as if loaded on a GPU before the fork
    with pytest.raises(ValueError, match="CUDA cannot be used in a forked process"):
        predictor.predict([["the", "dog"]])
