"""`--bundle-encoder`: the encoder's files copied into the model folder (`encoder/`), for
machines without a hub; loading prefers them, checked against meta.json's hashes."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from tagger.outputs import MODEL, replace_folder

BUNDLED = "encoder"  # the model folder's entry holding its encoder's files
# Files an encoder needs: config, safetensors weights, tokenizer (never pickled weights).
SUFFIXES = (".json", ".safetensors", ".txt", ".model")
ADDING = dataclasses.replace(MODEL, replaced=frozenset())  # a rewrite that keeps the model


def bundle_encoder(model: Path, source: Path) -> Path:
    """Copy the encoder files of folder `source` into `model`/encoder, atomically (the
    model folder is swapped whole, its other entries kept); returns that folder."""
    encoder_files(source)  # refused before anything is written
    replace_folder(model, ADDING, lambda temp: copy_encoder(source, temp))
    return Path(model) / BUNDLED


def encoder_files(source: Path) -> list[Path]:
    """The files of encoder folder `source` a bundle holds (ValueError without weights)."""
    files = sorted(p for p in Path(source).iterdir() if p.is_file() and p.suffix in SUFFIXES)
    if not any(p.suffix == ".safetensors" for p in files):
        raise ValueError(f"--bundle-encoder: {source} holds no safetensors weights")
    return files


def copy_encoder(source: Path, model: Path) -> None:
    """Copy the encoder files of `source` into `model`/encoder (a folder being built)."""
    (model / BUNDLED).mkdir()
    for path in encoder_files(source):
        shutil.copyfile(path, model / BUNDLED / path.name)


def bundled_folder(model: Path) -> Path | None:
    """The model folder's bundled encoder, or None."""
    folder = Path(model) / BUNDLED
    return folder if (folder / "config.json").is_file() else None
