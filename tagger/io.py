"""The model artifact: one writer, one reader. JSON metadata and safetensors weights, no pickle."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from safetensors.torch import load_file, save_file

from tagger.artifact_checks import (
    check_labels_fit_task,
    check_links,
    check_meta_task,
    check_weights,
)
from tagger.config import Config, config_from_dict, config_to_dict
from tagger.data.batching import WordFeatures
from tagger.data.vocab import Vocabs
from tagger.encoders.bundle import BUNDLED, bundled_folder
from tagger.encoders.features import EncoderRecord, saved_encoder
from tagger.encoders.tuned import PREFIX as TUNED_PREFIX
from tagger.encoders.tuned import save_tuned
from tagger.model.build import SequenceTagger, build_model
from tagger.outputs import MODEL, replace_folder
from tagger.tasks import get_task

if TYPE_CHECKING:
    from tagger.encoders.words import WordEncoder

FORMAT_VERSION = 1
ARTIFACT_FILES = ("config.json", "vocab.json", "model.safetensors", "meta.json")
TOKENIZER_DIR = "tokenizer"  # a carried tokenizer: an artifact folder inside the artifact
PRETRAINED_KEY = "embedder.pretrained.weight"


@dataclass
class Artifact:
    """A trained model with everything needed to use it."""

    config: Config
    vocabs: Vocabs
    model: SequenceTagger
    meta: dict[str, Any] = field(default_factory=dict)
    tokenizer: Artifact | None = None  # a tokenize model that tags raw text for this one
    # While training: the encoder's features through the trainer's cache (never saved;
    # a loaded model gets its encoder from meta.json's record when it first tags).
    features: WordFeatures | None = field(default=None, compare=False, repr=False)
    bundled_encoder: Path | None = None  # the model folder's copy of its encoder, if any

    @property
    def encoder(self) -> EncoderRecord | None:
        """The pretrained encoder the model reads (meta.json's record), or None."""
        if not self.config.model.encoder:
            return None
        return EncoderRecord.from_json(self.meta.get("encoder"), "meta.json")


def write_artifact(
    path: str | Path, artifact: Artifact, extra: dict[str, bytes] | None = None
) -> None:
    """Write the artifact folder atomically: built beside `path`, then swapped in.

    Other entries of an existing folder (a training log, a checkpoint folder) are kept;
    `extra` adds files written in the same swap.
    """

    def build(folder: Path) -> None:
        _write_files(folder, artifact)
        for name, data in (extra or {}).items():
            (folder / name).write_bytes(data)

    replace_folder(path, MODEL, build)


def _write_files(folder: Path, artifact: Artifact) -> None:
    """The artifact's files into an existing folder, its tokenizer in a folder inside."""
    meta = {"format_version": FORMAT_VERSION, **artifact.meta}
    tuned = artifact.model.embedder.tuned
    if tuned is not None:  # its weights once, in encoder/, their hash in meta.json
        digest = save_tuned(tuned, folder / BUNDLED)
        meta["encoder"] = {**meta["encoder"], "weights_sha256": digest, "finetuned": True}
    _write_json(folder / "config.json", config_to_dict(artifact.config))
    _write_json(folder / "vocab.json", artifact.vocabs.to_json())
    state = {
        k: v.detach().cpu().contiguous()
        for k, v in artifact.model.state_dict().items()
        if not k.startswith(TUNED_PREFIX)
    }
    save_file(state, str(folder / "model.safetensors"))
    _write_json(folder / "meta.json", meta)
    if artifact.tokenizer is not None:
        (folder / TOKENIZER_DIR).mkdir()
        _write_files(folder / TOKENIZER_DIR, artifact.tokenizer)


def read_artifact(path: str | Path) -> Artifact:
    """Read an artifact folder written by write_artifact (never unpickles anything).

    A folder from an unknown source fails with a ValueError naming the file and what
    was expected: a file that is a link out of the folder, JSON that does not parse or
    has the wrong types, weights that are not safetensors or do not fit the config.
    """
    path = Path(path)
    missing = [name for name in ARTIFACT_FILES if not (path / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{path}: not a tagger model folder (missing {', '.join(missing)})")
    check_links(path)
    meta = _read_json(path / "meta.json", dict)
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"{path}: model format version {version}, this tagger reads {FORMAT_VERSION}"
        )
    try:
        config = config_from_dict(_read_json(path / "config.json", dict))
    except ValueError as err:
        raise ValueError(f"{path / 'config.json'}: {err}") from None
    check_meta_task(path, config, meta)
    try:
        vocabs = Vocabs.from_json(_read_json(path / "vocab.json", dict))
    except ValueError as err:
        raise ValueError(f"{path / 'vocab.json'}: expected the vocabularies: {err}") from None
    check_labels_fit_task(path, config, vocabs.labels.items)
    try:
        state = load_file(str(path / "model.safetensors"))
    except Exception as err:  # safetensors' own error type: the header or the data is wrong
        raise ValueError(
            f"{path / 'model.safetensors'}: expected safetensors weights ({err})"
        ) from None
    check_weights(path, config, vocabs, state)
    sentence_level = get_task(config.task).sentence_level
    encoder = None
    record = None
    if config.model.encoder:
        record = EncoderRecord.from_json(meta.get("encoder"), str(path / "meta.json"))
        encoder = record.shape
    tuned = tuned_encoder(path, config, record)
    try:
        model = build_model(
            config.model, vocabs, state.get(PRETRAINED_KEY), sentence_level, encoder, tuned
        )
        _load_weights(model, state, tuned is not None)
    except (RuntimeError, ValueError) as err:
        first = _reason(err)
        raise ValueError(
            f"{path / 'model.safetensors'}: expected the weights of the model config.json "
            f"and vocab.json describe ({first})"
        ) from None
    model.eval()
    tokenizer = read_tokenizer(path / TOKENIZER_DIR) if (path / TOKENIZER_DIR).is_dir() else None
    artifact = Artifact(config=config, vocabs=vocabs, model=model, meta=meta, tokenizer=tokenizer)
    artifact.bundled_encoder = bundled_folder(path) if encoder is not None else None
    return artifact


def tuned_encoder(path: Path, config: Config, record: EncoderRecord | None) -> WordEncoder | None:
    """A fine-tuned model's encoder, from its folder's encoder/ (checked against meta.json's
    hashes); None for any other model."""
    if record is None or not (record.finetuned or config.model.encoder_finetune):
        return None
    if record.finetuned != config.model.encoder_finetune:
        raise ValueError(
            f"{path / 'meta.json'}: the encoder record says finetuned = {record.finetuned}, "
            f"config.json's model.encoder_finetune = {config.model.encoder_finetune}"
        )
    folder = bundled_folder(path)
    if folder is None:
        raise ValueError(
            f"{path / BUNDLED}: missing; a model that fine-tuned its encoder carries it there"
        )
    return saved_encoder(record, "cpu", str(path), folder)


def _load_weights(model: SequenceTagger, state: dict[str, torch.Tensor], tuned: bool) -> None:
    """The weights file into the model; a tuned encoder's weights are not in it."""
    if not tuned:
        model.load_state_dict(state)
        return
    found = model.load_state_dict(state, strict=False)
    missing = [k for k in found.missing_keys if not k.startswith(TUNED_PREFIX)]
    unexpected = found.unexpected_keys
    if missing or unexpected:
        first = (missing or unexpected)[0]
        raise RuntimeError(f"{'missing' if missing else 'unexpected'} weight {first!r}")


def _reason(err: Exception) -> str:
    """The first informative line of an error (load_state_dict's first line only says
    that there are errors)."""
    lines = [line.strip() for line in str(err).strip().splitlines() if line.strip()]
    informative = [line for line in lines if not line.startswith("Error(s) in loading")]
    return (informative or lines or [type(err).__name__])[0][:300]


def _read_json(path: Path, kind: type) -> Any:
    """A JSON file of the expected top-level type; anything else is a clear ValueError."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: expected JSON ({err})") from None
    if not isinstance(found, kind):
        raise ValueError(f"{path}: expected a JSON {kind.__name__}, got {type(found).__name__}")
    return found


def read_tokenizer(path: str | Path) -> Artifact:
    """A tokenize model's artifact (read_artifact, refusing models of another task)."""
    return require_tokenizer(read_artifact(path), str(path))


def require_tokenizer(artifact: Artifact, where: str) -> Artifact:
    """The artifact, if it is a tokenize model; else a ValueError naming `where`."""
    if not get_task(artifact.config.task).makes_tokens:
        raise ValueError(
            f"{where}: a {artifact.config.task} model, not a tokenizer (task tokenize)"
        )
    return artifact


def folder_files(folder: Path) -> dict[str, bytes]:
    """Every file under an artifact folder by its relative path (to send it as bytes)."""
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def write_folder_files(folder: Path, files: dict[str, bytes]) -> None:
    """The files of folder_files back under `folder`; a path leaving it is refused."""
    root = folder.resolve()
    for name, content in files.items():
        target = (folder / name).resolve()
        if not target.is_relative_to(root):
            raise ValueError(f"refusing to write {name!r} outside {folder}")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


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


def artifact_info(artifact: Artifact) -> dict:
    """What `tagger info` prints and a report's model card shows: task, labels, sizes,
    training metadata, the config and the carried tokenizer's metadata."""
    n_params = sum(p.numel() for p in artifact.model.parameters() if p.requires_grad)
    return {
        "task": artifact.config.task,
        "labels": artifact.vocabs.labels.items,
        "words": len(artifact.vocabs.words),
        "pretrained_words": len(artifact.vocabs.pretrained) if artifact.vocabs.pretrained else 0,
        "trainable_parameters": n_params,
        "meta": artifact.meta,
        "config": config_to_dict(artifact.config),
        "tokenizer": artifact.tokenizer.meta if artifact.tokenizer is not None else None,
    }
