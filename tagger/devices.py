"""Where the network runs: device names, moving batches there, and mixed precision.

Device names are torch's (`cpu`, `cuda`, `cuda:1`, `mps`) plus `auto`: CUDA when torch
sees a GPU, else the CPU. Nothing here is global: the device is a value passed to the
trainer and the Predictor.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import Iterator

import torch

from tagger.data.batching import Batch

PRECISIONS = ("fp32", "bf16", "fp16", "auto")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class DeviceError(ValueError):
    """A device that is not known to torch or not present on this machine."""


def resolve_device(name: str = "auto") -> torch.device:
    """torch.device for a name; raises DeviceError naming what this machine offers."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise DeviceError(f"device {name!r}: expected auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r}: this torch sees no CUDA GPU ({available()})")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(
                f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) here"
            )
    elif device.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise DeviceError(f"device {name!r}: MPS is not available here ({available()})")
    elif device.type != "cpu":
        raise DeviceError(f"device {name!r}: expected auto, cpu, cuda, cuda:N or mps")
    return device


def serving_device(
    name: str, backend: str = "torch", int8: bool = False, processes: int = 1
) -> str:
    """The device to tag on: `auto` means the CPU where only the CPU can serve (the onnx
    backend, int8, forked workers); any other name is kept (and refused later if it
    cannot serve)."""
    if (name or "auto") == "auto" and (backend != "torch" or int8 or processes > 1):
        return "cpu"
    return name


def available() -> str:
    """The devices this machine offers, for error messages."""
    names = ["cpu"]
    if torch.cuda.is_available():
        names += [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        names.append("mps")
    return "available: " + ", ".join(names)


def to_device(batch: Batch, device: torch.device) -> Batch:
    """The batch with every tensor on `device` (a no-op on the CPU)."""
    if device.type == "cpu":
        return batch
    moved = {
        f.name: value.to(device, non_blocking=True)
        for f in dataclasses.fields(batch)
        if isinstance(value := getattr(batch, f.name), torch.Tensor)
    }
    return dataclasses.replace(batch, **moved)


def training_precision(precision: str, device: torch.device) -> str:
    """The precision a training run uses: `auto` is bf16 where the hardware computes it
    natively (a CPU with AVX512-BF16 or AMX, a GPU that supports it), else fp32.
    fp16 needs a GPU (a CPU has no fast fp16 kernels)."""
    if precision not in PRECISIONS:
        expected = ", ".join(PRECISIONS)
        raise ValueError(f"train.precision: expected one of {expected}, got {precision!r}")
    if precision == "fp16" and device.type != "cuda":
        raise ValueError("train.precision = 'fp16' needs a CUDA device; use 'bf16' on the CPU")
    if precision == "bf16" and device.type == "cpu" and not cpu_bf16_lstm():
        raise ValueError(
            "train.precision = 'bf16': torch has no bf16 LSTM for this CPU (oneDNN's needs "
            "AVX-512 or AMX); use 'auto' (fp32 here) or 'fp32'"
        )
    if precision != "auto":
        return precision
    native = native_bf16(device) and (device.type != "cpu" or cpu_bf16_lstm())
    return "bf16" if native else "fp32"


@functools.cache
def cpu_bf16_lstm() -> bool:
    """Whether torch runs an LSTM under bf16 autocast on this CPU, as training does
    (oneDNN refuses where the CPU lacks AVX-512)."""
    # Zeros, not an nn.LSTM: building one would draw from the seeded random stream.
    x = torch.zeros(1, 2, 4)
    h0 = torch.zeros(1, 1, 4)
    shapes = [(16, 4), (16, 4), (16,), (16,)]
    weights = [torch.zeros(shape, requires_grad=True) for shape in shapes]
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.lstm(x, (h0, h0), weights, True, 1, 0.0, True, False, True)
    except RuntimeError:
        return False
    return True


def native_bf16(device: torch.device) -> bool:
    """Whether bf16 products run in hardware here (emulated bf16 is slower than fp32)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        cpu = torch.cpu
        checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        return any(getattr(cpu, name, lambda: False)() for name in checks)
    return False


@contextlib.contextmanager
def autocast(device: torch.device, precision: str) -> Iterator[None]:
    """Mixed precision for the forward pass: matrix products and RNNs in bf16/fp16,
    reductions and the loss in fp32 (torch.autocast's lists); fp32 does nothing."""
    if precision == "fp32":
        yield
        return
    with torch.autocast(device.type, dtype=_DTYPES[precision]):
        yield


def grad_scaler(device: torch.device, precision: str) -> torch.amp.GradScaler | None:
    """A loss scaler for fp16 (its gradients underflow without one); None otherwise."""
    if precision != "fp16":
        return None
    return torch.amp.GradScaler(device.type)
