"""ServeOptions: every option that says how a model serves, checked once, passed whole.

`tagger tag` builds one and hands it to the local Predictor, to forked `--processes`
workers (which inherit that Predictor) and to Ray actors (tagger.cluster), so an option
means the same on every path or is refused where it cannot apply.
"""

from __future__ import annotations

from dataclasses import dataclass

from tagger.backends import BACKENDS
from tagger.data.lines import ON_ERROR
from tagger.data.schemes import SCHEMES


@dataclass(frozen=True)
class ServeOptions:
    """How a model serves; bad values raise ValueError with the CLI's one-line message."""

    batch_size: int = 512  # sentences per batch (at least 1)
    scheme: str = "iob2"  # NER output scheme: iob1, iob2 or bioes
    backend: str = "torch"  # what runs the network: torch or onnx (onnxruntime)
    int8: bool = False  # torch backend: int8 dynamic quantization of the network
    onnx: str = ""  # backend onnx: a file from `tagger export --onnx` ("" = export now)
    device: str = "auto"  # auto, cpu, cuda, cuda:N or mps (onnx and int8: the CPU only)
    threads: int = 0  # torch threads of the serving process (0 = leave torch's default)
    tokenizer: str = ""  # a tokenize model folder to split raw text ("" = the model's own)
    on_error: str = "stop"  # a bad input line: stop, or skip it

    def __post_init__(self) -> None:
        """Refuse what `tagger tag` refuses, in the order it checks its options (the
        device is checked where the model loads: it depends on the machine)."""
        for name, value, floor in (
            ("batch-size", self.batch_size, 1),
            ("threads", self.threads, 0),
        ):
            if value < floor:
                raise ValueError(f"--{name}: expected at least {floor}, got {value}")
        if self.on_error not in ON_ERROR:
            raise ValueError(f"--on-error: expected stop or skip, got {self.on_error!r}")
        if self.scheme not in SCHEMES:
            raise ValueError(f"--scheme: expected one of {', '.join(SCHEMES)}, got {self.scheme!r}")
        if self.backend not in BACKENDS:
            expected = ", ".join(BACKENDS)
            raise ValueError(f"--backend: expected one of {expected}, got {self.backend!r}")
        if self.backend == "onnx" and self.int8:
            raise ValueError("--int8 works with the torch backend, not onnx")
        if self.onnx and self.backend != "onnx":
            raise ValueError("--onnx FILE goes with --backend onnx")
