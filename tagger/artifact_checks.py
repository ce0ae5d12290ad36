"""Checks of a model folder from an unknown source, before its weights are used: no link
leaves the folder, the vocabularies fit the weights' shapes, and so does the task. Each
failure is one ValueError naming the file and what was expected."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from tagger.config import Config
from tagger.data.vocab import Vocabs
from tagger.tasks import get_task

PRETRAINED_KEY = "embedder.pretrained.weight"
_ATTENTION = ("head.project.", "head.query")  # a sentence head's attention pooling
_CRF = "head.crf."


def check_links(folder: Path) -> None:
    """Refuse any file or folder under `folder` (at any depth) that is a symbolic link
    pointing outside it; links are not followed while walking."""
    root = folder.resolve()
    for parent, folders, files in os.walk(folder):
        for name in (*folders, *files):
            entry = Path(parent) / name
            if not entry.is_symlink():
                continue
            try:
                inside = entry.resolve().is_relative_to(root)
            except (OSError, RuntimeError):  # a loop of links
                inside = False
            if not inside:
                raise ValueError(
                    f"{entry}: expected a file or folder inside the model folder, not a link out"
                )


def check_weights(folder: Path, config: Config, vocabs: Vocabs, state: dict[str, Any]) -> None:
    """The vocabularies' sizes and config.json's task against the weights' shapes."""
    _check_task(folder, config, state)
    vocab = folder / "vocab.json"
    sizes = {
        "embedder.words.weight": (len(vocabs.words), "words"),
        "embedder.chars.embed.weight": (len(vocabs.chars), "characters"),
        "head.linear.weight": (len(vocabs.labels), "labels"),
    }
    for key, (size, what) in sizes.items():
        rows = _rows(state, key)
        if rows is not None and rows != size:
            raise ValueError(
                f"{vocab}: {size:,} {what}, but model.safetensors' {key} has {rows:,} rows"
            )
    _check_pretrained(vocab, vocabs, _rows(state, PRETRAINED_KEY))


def check_labels_fit_task(folder: Path, config: Config, labels: list[str]) -> None:
    """NER labels are entity tags (O, B-TYPE, ...); a tokenizer's are character labels."""
    get_task(config.task).check_labels(f"{folder / 'vocab.json'}", labels)


def check_meta_task(folder: Path, config: Config, meta: dict[str, Any]) -> None:
    """meta.json's task, where it has one, is config.json's."""
    task = meta.get("task", config.task)
    if task != config.task:
        raise ValueError(
            f"{folder / 'meta.json'}: task {task!r}, but config.json says {config.task!r}"
        )


def _rows(state: dict[str, Any], key: str) -> int | None:
    """The first dimension of a 2-D tensor, None when there is no such tensor."""
    tensor = state.get(key)
    if not isinstance(tensor, torch.Tensor) or tensor.dim() != 2:
        return None
    return int(tensor.shape[0])


def _check_pretrained(vocab: Path, vocabs: Vocabs, rows: int | None) -> None:
    """A pretrained vocabulary goes with a vectors tensor it fits, and only then."""
    pretrained = vocabs.pretrained
    if pretrained is None or rows is None:
        if (pretrained is None) != (rows is None):
            has = "has" if pretrained is not None else "has no"
            holds = "no" if rows is None else "a"
            raise ValueError(
                f"{vocab}: {has} pretrained vocabulary, but model.safetensors holds "
                f"{holds} {PRETRAINED_KEY}"
            )
        return
    needed = len(pretrained) if pretrained.rows is None else max(pretrained.rows, default=-1) + 1
    if (pretrained.rows is None and needed != rows) or needed > rows:
        raise ValueError(
            f"{vocab}: the pretrained vocabulary needs {needed:,} rows, but model.safetensors'"
            f" {PRETRAINED_KEY} has {rows:,}"
        )


def _check_task(folder: Path, config: Config, state: dict[str, Any]) -> None:
    """A sentence task's weights have a pooling head (with attention weights when
    config.json asks for attention pooling), a token task's don't; a CRF head's weights
    are there exactly when config.json asks for one (token tasks only)."""
    attention = any(k.startswith(_ATTENTION) for k in state)
    crf = any(k.startswith(_CRF) for k in state)
    if get_task(config.task).sentence_level:
        fits = not crf and attention == (config.model.pooling == "attention")
        wanted = f"a sentence model with {config.model.pooling} pooling"
    else:
        fits = not attention and crf == (config.model.head == "crf")
        wanted = f"a token model with a {config.model.head} head"
    if not fits:
        found = (
            "a sentence model's attention pooling"
            if attention
            else "a CRF head"
            if crf
            else "neither attention pooling nor a CRF head"
        )
        raise ValueError(
            f"{folder / 'config.json'}: task {config.task!r} wants the weights of {wanted}, "
            f"but model.safetensors holds {found}"
        )
