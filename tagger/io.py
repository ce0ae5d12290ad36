"""The model artifact: one writer, one reader. JSON metadata and safetensors weights, no pickle."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from tagger.config import SENTENCE_TASKS, Config, config_from_dict, config_to_dict
from tagger.data.vocab import Vocabs
from tagger.model.build import SequenceTagger, build_model

FORMAT_VERSION = 1
ARTIFACT_FILES = ("config.json", "vocab.json", "model.safetensors", "meta.json")
PRETRAINED_KEY = "embedder.pretrained.weight"


@dataclass
class Artifact:
    """A trained model with everything needed to use it."""

    config: Config
    vocabs: Vocabs
    model: SequenceTagger
    meta: dict[str, Any] = field(default_factory=dict)


def write_artifact(
    path: str | Path, artifact: Artifact, extra: dict[str, bytes] | None = None
) -> None:
    """Write the artifact folder atomically: build it beside `path`, then swap it in.

    Files of an existing folder that are not part of an artifact (a training log, a
    checkpoint folder) are carried over; `extra` adds files written in the same swap.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        meta = {"format_version": FORMAT_VERSION, **artifact.meta}
        _write_json(tmp / "config.json", config_to_dict(artifact.config))
        _write_json(tmp / "vocab.json", artifact.vocabs.to_json())
        state = {k: v.detach().cpu().contiguous() for k, v in artifact.model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"))
        _write_json(tmp / "meta.json", meta)
        for name, data in (extra or {}).items():
            (tmp / name).write_bytes(data)
        if path.exists():
            for entry in path.iterdir():
                if entry.name not in ARTIFACT_FILES and not (tmp / entry.name).exists():
                    entry.rename(tmp / entry.name)
            old = path.with_name(f".{path.name}.old")
            shutil.rmtree(old, ignore_errors=True)
            path.rename(old)
            tmp.rename(path)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_artifact(path: str | Path) -> Artifact:
    """Read an artifact folder written by write_artifact (never unpickles anything)."""
    path = Path(path)
    missing = [name for name in ARTIFACT_FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{path}: not a tagger model folder (missing {', '.join(missing)})")
    meta = json.loads((path / "meta.json").read_text(encoding="utf-8"))
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path}: model format version {version}, this tagger reads {FORMAT_VERSION}"
        )
    config = config_from_dict(json.loads((path / "config.json").read_text(encoding="utf-8")))
    vocabs = Vocabs.from_json(json.loads((path / "vocab.json").read_text(encoding="utf-8")))
    state = load_file(str(path / "model.safetensors"))
    sentence_level = config.task in SENTENCE_TASKS
    model = build_model(config.model, vocabs, state.get(PRETRAINED_KEY), sentence_level)
    model.load_state_dict(state)
    model.eval()
    return Artifact(config=config, vocabs=vocabs, model=model, meta=meta)


def weights_digest(model: torch.nn.Module) -> str:
    """SHA-256 over the model's tensors (names, shapes, bytes): which weights it holds."""
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(f"{name}:{tuple(tensor.shape)}:{tensor.dtype}".encode())
        digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    with path.open("w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())


def library_versions() -> dict[str, str]:
    """Library versions recorded in meta.json."""
    import datasets
    import spacy

    from tagger import __version__

    return {
        "tagger": __version__,
        "torch": torch.__version__,
        "spacy": spacy.__version__,
        "datasets": datasets.__version__,
    }
