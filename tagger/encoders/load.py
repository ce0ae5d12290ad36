"""A pretrained Hugging Face encoder, loaded safely: a folder, a short name or a hub name.

Weights come only from safetensors (`use_safetensors=True`), `trust_remote_code` is never
set, and the tokenizer must be a fast one (its `word_ids()` align pieces to words).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

ENCODER_DIR_ENV = "TAGGER_ENCODER_DIR"  # where `make encoders` puts the short-named ones
SHORT_NAMES = ("minilm", "mpnet")  # assembled by `make encoders` (tagger/encoders/assemble.py)
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")
HUB_FILES = ["*.json", "*.safetensors", "*.txt", "*.model"]  # never a pickle
# Models whose position ids start after the padding index (RoBERTa's offset of 2).
PADDED_POSITIONS = frozenset({"roberta", "xlm-roberta", "camembert", "mpnet", "longformer"})
_CHUNK = 1 << 20


@dataclass(frozen=True, eq=False)
class LoadedEncoder:
    """A frozen-by-default encoder with what the caches and the artifact record of it."""

    model: Any  # a transformers PreTrainedModel, eval mode, output_hidden_states=True
    tokenizer: Any  # a fast tokenizer (tokenizers backend)
    name: str  # as the user gave it ("minilm", "roberta-base", a folder)
    folder: Path  # the files it was loaded from (for bundling)
    revision: str  # the hub commit hash when from the hub cache, else ""
    weights_sha256: str  # of the safetensors file(s), in name order
    tokenizer_sha256: str  # of the tokenizer's canonical JSON
    n_layers: int  # transformer layers; hidden_states holds n_layers + 1
    dim: int  # hidden size
    max_pieces: int  # pieces one window may hold, special tokens excluded


def encoder_dir() -> Path:
    """The folder holding the short-named encoders (`$TAGGER_ENCODER_DIR`)."""
    default = Path("~/.cache/tagger/encoders").expanduser()
    return Path(os.environ.get(ENCODER_DIR_ENV) or default).expanduser()


def resolve_encoder(name_or_path: str) -> tuple[Path, str]:
    """The local folder of an encoder and its hub revision ("" when not from the hub)."""
    if name_or_path in SHORT_NAMES:
        folder = encoder_dir() / name_or_path
        if not (folder / "config.json").is_file():
            raise ValueError(
                f"encoder {name_or_path!r}: {folder} is missing; run `make encoders` to "
                f"install it (or point {ENCODER_DIR_ENV} at the folder holding it)"
            )
        return folder, ""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path, ""
    if path.exists() or name_or_path.startswith(("/", ".", "~")):
        raise ValueError(f"encoder {name_or_path!r}: not a folder holding an encoder")
    return _from_hub(name_or_path)


def _from_hub(name: str) -> tuple[Path, str]:
    """A hub name: its snapshot (downloaded if the network allows, else the cache)."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.utils import HfHubHTTPError  # in .errors only from 0.24

    try:
        folder = Path(snapshot_download(name, allow_patterns=HUB_FILES))
    except (OSError, ValueError, HfHubHTTPError) as error:
        raise ValueError(
            f"encoder {name!r}: not a folder, and not found on the Hugging Face hub or in "
            f"its cache ({_first_line(error)})"
        ) from None
    return folder, folder.name if folder.parent.name == "snapshots" else ""


def _first_line(error: BaseException) -> str:
    """An error's first line (its type when it has no message)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def weight_files(folder: Path) -> list[Path]:
    """The safetensors files of `folder`; a folder with only pickled weights is refused."""
    found = sorted(folder.glob("*.safetensors"))
    if found:
        return found
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix in PICKLE_SUFFIXES)
    if pickles:
        raise ValueError(
            f"{folder}: holds only pickled PyTorch weights ({', '.join(pickles)}); tagger "
            "loads safetensors only (a model.safetensors file)"
        )
    raise ValueError(f"{folder}: no model.safetensors file (an encoder's weights)")


def sha256_files(paths: list[Path]) -> str:
    """One sha256 over the bytes of `paths` in order, read in chunks."""
    digest = hashlib.sha256()
    for path in paths:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def require_fast(tokenizer: Any, folder: Path) -> None:
    """Refuse a slow (Python) tokenizer: word alignment needs `word_ids()`."""
    if not getattr(tokenizer, "is_fast", False):
        raise ValueError(
            f"{folder}: the tokenizer ({type(tokenizer).__name__}) is a slow Python one; "
            "tagger needs a fast tokenizer (a tokenizer.json) to align pieces to words"
        )


def _load_tokenizer(folder: Path) -> Any:
    """The fast tokenizer of `folder`, with a prefix space where BPE needs one for words."""
    from transformers import AutoTokenizer

    options = {"local_files_only": True, "trust_remote_code": False}
    tokenizer = AutoTokenizer.from_pretrained(folder, **options)
    require_fast(tokenizer, folder)
    if _marks_word_starts(tokenizer):
        return tokenizer
    # Byte-level BPE (RoBERTa, GPT-2): without the prefix space pre-split words are read
    # as one run-on word ("Thedog"). transformers 4 refuses them; 5 silently joins them.
    tokenizer = AutoTokenizer.from_pretrained(folder, add_prefix_space=True, **options)
    if not _marks_word_starts(tokenizer):
        raise ValueError(
            f"{folder}: the tokenizer ({type(tokenizer).__name__}) reads pre-split words "
            "without the space between them, even with add_prefix_space; tagger needs one "
            "that marks where each word starts"
        )
    return tokenizer


def _marks_word_starts(tokenizer: Any) -> bool:
    """Whether pre-split words ["a", "a"] get the pieces of the text "a a"."""
    try:
        words = tokenizer(["a", "a"], is_split_into_words=True, add_special_tokens=False)
    except (AssertionError, ValueError):  # transformers 4's RoBERTa and GPT-2 refuse them
        return False
    return words["input_ids"] == tokenizer("a a", add_special_tokens=False)["input_ids"]


def _max_pieces(config: Any, tokenizer: Any) -> int:
    """Positions the model can take, less its own offset and the special tokens."""
    limit = int(config.max_position_embeddings)
    if config.model_type in PADDED_POSITIONS:
        limit -= int(config.pad_token_id or 0) + 1
    if 0 < tokenizer.model_max_length < limit:
        limit = int(tokenizer.model_max_length)
    return limit - tokenizer.num_special_tokens_to_add(pair=False)


def _load_model(folder: Path) -> Any:
    """The model of `folder` from safetensors only, every weight it uses present."""
    from safetensors import SafetensorError
    from transformers import AutoModel
    from transformers.utils import logging

    shown, verbosity = logging.is_progress_bar_enabled(), logging.get_verbosity()
    logging.disable_progress_bar()
    logging.set_verbosity_error()  # its load report is many lines; ours is one
    try:
        model, info = AutoModel.from_pretrained(
            folder,
            local_files_only=True,
            use_safetensors=True,
            trust_remote_code=False,
            output_hidden_states=True,
            output_loading_info=True,
        )
    except (OSError, ValueError, KeyError, RuntimeError, SafetensorError) as error:
        reason = _first_line(error)
        # transformers 5 says "ignore_mismatched_sizes" (its report is silenced), 4 names
        # one weight's "size mismatch" on a later line
        if "mismatched_sizes" in reason or "size mismatch" in str(error):
            reason = "the weights' sizes differ from its config.json"
        raise ValueError(f"{folder}: not a loadable encoder ({reason})") from None
    finally:
        logging.set_verbosity(verbosity)
        if shown:
            logging.enable_progress_bar()
    # The pooler (a sentence head) is never read; any other weight would run random.
    missing = [key for key in info.get("missing_keys", ()) if not key.startswith("pooler.")]
    if missing:
        raise ValueError(
            f"{folder}: the safetensors file lacks {len(missing)} weights of its "
            f"{type(model).__name__} (e.g. {sorted(missing)[0]}); it would run with random ones"
        )
    return model


def load_encoder(name_or_path: str, device: torch.device | str = "cpu") -> LoadedEncoder:
    """Load an encoder (eval mode, float32, on `device`) and hash its weights once."""
    folder, revision = resolve_encoder(name_or_path)
    files = weight_files(folder)
    tokenizer = _load_tokenizer(folder)
    model = _load_model(folder).float().to(device).eval()
    return LoadedEncoder(
        model=model,
        tokenizer=tokenizer,
        name=name_or_path,
        folder=folder,
        revision=revision,
        weights_sha256=sha256_files(files),
        tokenizer_sha256=hashlib.sha256(tokenizer.backend_tokenizer.to_str().encode()).hexdigest(),
        n_layers=int(model.config.num_hidden_layers),
        dim=int(model.config.hidden_size),
        max_pieces=_max_pieces(model.config, tokenizer),
    )
