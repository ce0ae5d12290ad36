"""A model's pretrained encoder: built from its config, recorded in the artifact, checked
when a saved model loads, and cached on disk while training."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    import torch
    from torch import Tensor

    from tagger.config import ModelConfig
    from tagger.data.batching import Context, WordFeatures

    Contexts = Sequence[Context] | None
    from tagger.encoders.words import WordEncoder

CACHE_DIR_ENV = "TAGGER_FEATURE_CACHE"  # where training keeps a frozen encoder's features


@dataclass(frozen=True)
class EncoderRecord:
    """What a model folder records of its encoder (meta.json's "encoder")."""

    name: str  # as the config gives it: a short name, a Hugging Face name or a folder
    revision: str  # the hub commit, "" for a folder
    weights_sha256: str
    tokenizer_sha256: str
    layers: list[int]  # hidden-state indices, resolved (0 = embeddings)
    pooling: str
    dim: int
    finetuned: bool = False  # trained with the tagger: the model folder's encoder/ holds
    # it, and weights_sha256 is of those tuned weights (absent from older meta.json)

    @classmethod
    def of(cls, encoder: WordEncoder, finetuned: bool = False) -> EncoderRecord:
        loaded = encoder.loaded
        return cls(
            name=loaded.name,
            revision=loaded.revision,
            weights_sha256=loaded.weights_sha256,
            tokenizer_sha256=loaded.tokenizer_sha256,
            layers=list(encoder.layers),
            pooling=encoder.pooling,
            dim=loaded.dim,
            finetuned=finetuned,
        )

    @classmethod
    def from_json(cls, found: Any, where: str) -> EncoderRecord:
        """The record of meta.json, or a ValueError naming `where`."""
        try:
            record = cls(**found)
            ok = all(isinstance(getattr(record, k), str) for k in ("name", "revision", "pooling"))
            ok = ok and isinstance(record.dim, int) and record.dim > 0
            ok = ok and isinstance(record.layers, list) and len(record.layers) > 0
            ok = ok and all(isinstance(x, int) for x in record.layers)
            ok = ok and isinstance(record.finetuned, bool)
        except TypeError:
            ok = False
        if not ok:
            raise ValueError(f"{where}: expected an encoder record ({', '.join(FIELDS)})")
        return record

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        if not self.finetuned:  # a frozen encoder's record is as it always was
            del found["finetuned"]
        return found

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, dim) of the features the model reads."""
        return len(self.layers), self.dim


FIELDS = tuple(EncoderRecord.__dataclass_fields__)


def word_encoder(config: ModelConfig, device: torch.device | str = "cpu") -> WordEncoder:
    """The frozen WordEncoder a model config names (model.encoder, layers, pooling)."""
    from tagger.encoders.load import load_encoder
    from tagger.encoders.words import WordEncoder

    layers = tuple(int(x) for x in config.encoder_layers.split(","))
    return WordEncoder(load_encoder(config.encoder, device), layers, config.encoder_pooling)


def saved_encoder(
    record: EncoderRecord, device: torch.device | str, where: str, bundled: Path | None = None
) -> WordEncoder:
    """The encoder a saved model was trained with, loaded again (from the model folder's
    `bundled` copy when there is one): a ValueError naming `where` when it is missing, or
    its weights or tokenizer differ from the record's."""
    from tagger.encoders.load import load_encoder
    from tagger.encoders.words import WordEncoder

    try:
        loaded = load_encoder(str(bundled) if bundled else record.name, device)
    except ValueError as err:
        raise ValueError(f"{where}: the model's encoder cannot be loaded: {err}") from None
    for what in ("weights_sha256", "tokenizer_sha256"):
        if getattr(loaded, what) != getattr(record, what):
            raise ValueError(
                f"{where}: encoder {record.name!r} differs from the one the model was trained "
                f"with ({what.split('_')[0]} sha256 {getattr(loaded, what)[:12]}..., expected "
                f"{getattr(record, what)[:12]}...)"
            )
    loaded = replace(loaded, name=record.name)  # a bundled copy is still the named encoder
    return WordEncoder(loaded, tuple(record.layers), record.pooling)  # type: ignore[arg-type]


def as_trained(encoder: WordEncoder) -> WordFeatures:
    """The encoder's features rounded to float16, as training read them from its cache:
    a model tags from exactly the inputs it was trained and scored on."""

    def features(sentences: Sequence[Sequence[str]], contexts: Contexts = None) -> list[Tensor]:
        return [found.half() for found in encoder.encode(sentences, contexts)]

    return features


def feature_cache_dir() -> Path:
    """Where training caches a frozen encoder's features (`$TAGGER_FEATURE_CACHE`)."""
    default = Path("~/.cache/tagger/features").expanduser()
    return Path(os.environ.get(CACHE_DIR_ENV) or default).expanduser()


def cached_features(encoder: WordEncoder) -> WordFeatures:
    """The encoder's features through the on-disk cache (tagger.encoders.cache)."""
    from tagger.encoders.cache import FeatureCache

    cache = FeatureCache(feature_cache_dir(), encoder)

    def features(sentences: Sequence[Sequence[str]], contexts: Contexts = None) -> list[Tensor]:
        return cache.features(sentences, contexts)

    return features
