"""What runs the network for the Predictor: torch (fp32 or int8) or onnxruntime.

Each backend maps a Batch to the network's scores as a torch tensor; decoding (argmax
or the CRF) stays with the model's head, so every backend decodes the same way.
"""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import nn

from tagger.data.batching import Batch
from tagger.io import Artifact
from tagger.model.char_cache import CharCache
from tagger.model.gate_cache import GateCache

BACKENDS = ("torch", "onnx")


class Network(Protocol):
    batch_workers: int  # batches run at once on worker threads, each on 1/N of the threads

    def prepare(self, batch: Batch) -> None:
        """Work that must happen in batch order, on the calling thread."""

    def run(self, batch: Batch) -> torch.Tensor:
        """The scores of a prepared batch; safe to call from several threads at once."""
        ...


class TorchNetwork:
    """The torch model, with character features cached per word type.

    `batch_workers` is 2 for int8 models: torch's quantized LSTM gains little from a
    second thread within a batch, so two batches run at once, one thread each (1.25x
    the int8 words/s of one batch at a time, end to end on 2 threads, BENCHMARKS.md).
    The fp32 LSTM splits its two directions between the threads itself, and stays at 1.
    """

    def __init__(
        self, model: nn.Module, batch_workers: int = 1, device: torch.device | None = None
    ) -> None:
        """`device`: where the model runs (CPU where None)."""
        self.model = model.eval()
        chars = model.embedder.chars
        self.cache = CharCache(chars) if chars is not None else None
        self.gates = None  # the first layer's input products per type, where they apply
        if GateCache.applies(model, device or torch.device("cpu")):
            self.gates = GateCache(model, self.cache)
        self.batch_workers = batch_workers

    @torch.inference_mode()
    def prepare(self, batch: Batch) -> None:
        """First-layer products, or character features, from the caches, which only this
        thread may grow."""
        if self.gates is not None:
            batch.input_gates = self.gates.inputs(batch)
        if batch.input_gates is None and self.cache is not None:
            batch.char_features = self.cache.features(batch)

    @torch.inference_mode()
    def run(self, batch: Batch) -> torch.Tensor:
        return self.model(batch)

    def __call__(self, batch: Batch) -> torch.Tensor:
        self.prepare(batch)
        return self.run(batch)


class OnnxNetwork:
    """An onnxruntime session on the exported graph (tagger.export)."""

    def __init__(self, artifact: Artifact, onnx_path: str | Path | None = None) -> None:
        try:
            import onnxruntime as ort
        except ImportError:
            raise ValueError(
                "--backend onnx needs onnxruntime: pip install 'tagger[onnx]'"
            ) from None
        from tagger.export import export_onnx
        from tagger.io import weights_digest

        if onnx_path is None:
            data = export_onnx(artifact)
        else:
            data = Path(onnx_path).read_bytes()
        options = ort.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()
        options.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime's errors derive from Exception alone
            raise ValueError(f"{onnx_path}: not a readable ONNX model ({err})") from None
        made_from = self.session.get_modelmeta().custom_metadata_map.get("weights_digest")
        if made_from != weights_digest(artifact.model):
            raise ValueError(
                f"{onnx_path}: this ONNX file was not exported from this model's weights; "
                "export it again with `tagger export MODEL --onnx OUT`"
            )
        self.names = [node.name for node in self.session.get_inputs()]  # unused ones are gone
        self.batch_workers = 1  # the session splits each batch between its own threads

    def prepare(self, batch: Batch) -> None:
        pass

    def __call__(self, batch: Batch) -> torch.Tensor:
        return self.run(batch)

    def run(self, batch: Batch) -> torch.Tensor:
        feeds = {name: np.ascontiguousarray(getattr(batch, name).numpy()) for name in self.names}
        return torch.from_numpy(self.session.run(["scores"], feeds)[0])


def quantized(model: nn.Module) -> nn.Module:
    """A copy with int8 dynamic quantization of the encoder and every Linear layer.

    The character model stays fp32: its features are cached per word type, so it costs
    little, and a dynamic activation scale would make a word's features depend on
    which other new words shared its batch, i.e. on what was tagged before. Weights are
    packed for oneDNN where the CPU has VNNI (and then AMX, where it has that too);
    packed weights keep their library whatever the engine is later.
    """
    model = copy.deepcopy(model).eval()
    chars, model.embedder.chars = model.embedder.chars, None  # out of quantize_dynamic's reach
    before = torch.backends.quantized.engine
    with warnings.catch_warnings():  # torch.ao points to torchao; the eager API still works
        warnings.simplefilter("ignore")
        try:
            torch.backends.quantized.engine = int8_engine()
            torch.ao.quantization.quantize_dynamic(
                model, {nn.LSTM, nn.GRU, nn.Linear}, dtype=torch.qint8, inplace=True
            )
        finally:
            torch.backends.quantized.engine = before
            model.embedder.chars = chars
    return model


def int8_engine() -> str:
    """oneDNN on CPUs with VNNI (1.26x fbgemm's words/s here, BENCHMARKS.md); else default."""
    vnni = getattr(torch.cpu, "_is_vnni_supported", lambda: False)()
    if vnni and "onednn" in torch.backends.quantized.supported_engines:
        return "onednn"
    return torch.backends.quantized.engine


def network(
    artifact: Artifact,
    backend: str = "torch",
    int8: bool = False,
    onnx_path: str | Path | None = None,
    device: torch.device | None = None,
) -> Network:
    """The network runner a Predictor uses; the torch model is moved to `device`."""
    device = device or torch.device("cpu")
    if backend not in BACKENDS:
        raise ValueError(f"--backend: expected one of {', '.join(BACKENDS)}, got {backend!r}")
    if device.type != "cpu" and (backend == "onnx" or int8):
        what = "--backend onnx" if backend == "onnx" else "--int8"
        raise ValueError(f"{what} runs on the CPU; use --device cpu (got {device})")
    if backend == "onnx":
        if int8:
            raise ValueError("--int8 works with the torch backend, not onnx")
        return OnnxNetwork(artifact, onnx_path)
    if onnx_path is not None:
        raise ValueError("--onnx FILE goes with --backend onnx")
    if int8:
        return TorchNetwork(quantized(artifact.model), batch_workers=2)
    return TorchNetwork(artifact.model.to(device), device=device)
