"""ONNX export of the whole network: token ids in, scores out (CRF decoding stays outside).

The graph takes the tensors of a Batch, by name (INPUT_NAMES, without `pretrained` when
the model has no vectors), and gives the scores the torch model gives: (batch, time,
n_labels) for token models, (batch, n_labels) for sentence models. Its metadata names
the weights it was made from (`weights_digest`), so a stale file is refused.
"""

from __future__ import annotations

import io
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from tagger.data.batching import Batch, BatchEncoder
from tagger.io import Artifact, weights_digest
from tagger.model.build import SequenceTagger
from tagger.outputs import write_bytes
from tagger.tasks import get_task

INPUT_NAMES = ("words", "pretrained", "casing", "chars", "char_lengths", "char_index", "lengths")
OPSET = 17
_DYNAMIC = {
    "words": {0: "batch", 1: "time"},
    "pretrained": {0: "batch", 1: "time"},
    "casing": {0: "batch", 1: "time"},
    "chars": {0: "types", 1: "max_chars"},
    "char_lengths": {0: "types"},
    "char_index": {0: "batch", 1: "time"},
    "lengths": {0: "batch"},
}


def input_names(artifact: Artifact) -> list[str]:
    """The graph's inputs for this model: `pretrained` only when it uses vectors."""
    has_vectors = artifact.vocabs.pretrained is not None
    return [n for n in INPUT_NAMES if n != "pretrained" or has_vectors]


class _Network(nn.Module):
    """The model with plain tensor inputs, as ONNX wants them."""

    def __init__(self, model: SequenceTagger, names: list[str]) -> None:
        super().__init__()
        self.model = model
        self.names = names

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        given = dict(zip(self.names, tensors, strict=True))
        batch = Batch(
            words=given["words"],
            pretrained=given.get("pretrained"),
            casing=given["casing"],
            chars=given["chars"],
            char_lengths=given["char_lengths"],
            char_index=given["char_index"],
            lengths=given["lengths"],
        )
        return self.model(batch)


@contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (torch's C++ shape-inference warnings); errors still raise."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def export_onnx(artifact: Artifact, target: str | Path | None = None) -> bytes:
    """The ONNX graph of `artifact`'s network as bytes; also written to `target` if given."""
    try:
        import onnx
    except ImportError:
        raise ValueError("ONNX export needs the onnx package: pip install 'tagger[onnx]'") from None

    if artifact.config.model.encoder:
        raise ValueError(
            f"ONNX export: this model reads a pretrained encoder ({artifact.config.model.encoder})"
            ", whose subword pieces and windows are computed outside the network; export "
            "covers models without model.encoder (tag it with the torch backend, or --int8)"
        )

    model = artifact.model
    training = model.training
    model.eval()
    names = input_names(artifact)
    example = BatchEncoder(artifact.vocabs).encode([["An", "example", "."], ["Two", "."]])
    args = tuple(getattr(example, name) for name in names)
    sentence_level = get_task(artifact.config.task).sentence_level
    scores_axes = {0: "batch"} if sentence_level else {0: "batch", 1: "time"}
    buffer = io.BytesIO()
    with warnings.catch_warnings(), _quiet_stderr():  # the exporter warns about packed sequences
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Network(model, names).eval(),
            args,
            buffer,
            input_names=names,
            output_names=["scores"],
            dynamic_axes={**{n: _DYNAMIC[n] for n in names}, "scores": scores_axes},
            opset_version=OPSET,
            dynamo=False,
        )
    model.train(training)  # the mode the caller left it in
    graph = onnx.load_from_string(buffer.getvalue())
    onnx.helper.set_model_props(
        graph, {"weights_digest": weights_digest(model), "task": artifact.config.task}
    )
    data = graph.SerializeToString()
    if target is not None:
        write_bytes(target, data)
    return data
