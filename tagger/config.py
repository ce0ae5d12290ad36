"""The one config schema: frozen dataclasses read from TOML, validated, with `--set` overrides."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tagger.config_ranges import range_problem

# data.format: "" (the catalog's, or guessed from the file) or one of these


@dataclass(frozen=True)
class DataConfig:
    corpus: str = ""  # catalog name, "hf:<dataset>[:<config>]", or "" when train/dev are files
    train: str = ""  # path of the training file (overrides the catalog's train split)
    dev: str = ""  # path of the dev file (overrides the catalog's dev split)
    test: str = ""  # path of the test file (overrides the catalog's test split)
    format: str = ""  # conllu|conll|labels|tsv|csv|parquet|json|sst-trees; "" = catalog's or
    # from the file (extension; a first line `(3 (2 ...` is a treebank)
    tag_field: str = "upos"  # CoNLL-U: "upos" or "xpos"; HF/parquet/JSON: the tags column
    token_field: str = "tokens"  # HF/parquet/JSON: the tokens column
    text_field: str = "text"  # sentence tasks, TSV/CSV/JSON/HF: the text column
    label_field: str = "label"  # sentence tasks, TSV/CSV/JSON/HF: the label column
    word_column: int = 0  # CoNLL column files: index of the word column
    tag_column: int = -1  # CoNLL column files: index of the tag column (negative from the end)
    scheme: str = ""  # NER corpus tag scheme: iob1 | iob2 | bioes; "" = catalog's or detected
    phrases: bool = False  # sst-trees: train on every phrase of the training trees (dev and
    # test are whole sentences)
    labels: str = "fine"  # sst-trees: "fine" (0-4) or "binary" (neutral dropped, 0-1 -> 0,
    # 3-4 -> 1)
    lowercase: bool = False  # sst-trees: lower-case the words
    lang: str = "en"  # language of spaCy's tokenizer for raw text
    max_train_sentences: int = 0  # use only the first N training sentences (0 = all)
    tokenizer: str = ""  # a trained tokenize model the saved model carries and tags raw text
    # with ("" = spaCy's rules for data.lang)
    max_chars: int = 400  # tokenize: training text is cut into windows of at most this many
    # characters, between sentences (dev and test are read as whole paragraphs)


@dataclass(frozen=True)
class ModelConfig:
    word_dim: int = 100  # trainable word embedding size (pretrained vectors are concatenated)
    pretrained: str = (
        ""  # "" | "glove-6b-50d" (the glove extra) | path of a GloVe/word2vec/.vec file
    )
    pretrained_max_words: int = 100_000  # keep the N most frequent pretrained words (plus train)
    min_word_count: int = 1  # training words seen fewer times map to <unk> (unless pretrained)
    init_words: bool = False  # trainable word rows start as their vectors (word_dim = vector dim)
    casing_dim: int = 8  # size of the casing feature embedding (0 = off)
    char: str = "lstm"  # "lstm" | "cnn" | "none": character model for every word
    char_dim: int = 32  # character embedding size
    char_hidden: int = 64  # char BiLSTM hidden per direction, or CNN filters
    char_kernel: int = 3  # CNN kernel width
    word_cnn: int = 0  # C-LSTM: filters of each width of a convolution over the token
    # features before the BiLSTM (0 = off)
    word_cnn_widths: str = "3"  # its widths, comma-separated ("3,5")
    rnn: str = "lstm"  # "lstm" | "gru"
    head: str = "softmax"  # tokens: "softmax" (independent) | "crf" (linear-chain CRF)
    pooling: str = "attention"  # sentences: "attention" | "last" (fwd end ; bwd start) | max | mean
    scheme: str = "bioes"  # NER: the tag scheme the model learns and predicts in
    hidden: int = 256  # encoder hidden size per direction
    layers: int = 2  # encoder layers
    dropout: float = 0.33  # dropout on embeddings, between layers and before the classifier
    word_dropout: float = 0.05  # probability of replacing a training word by <unk>
    encoder: str = ""  # a pretrained encoder under the BiLSTM: "" (none) | "minilm" | "mpnet"
    # (`make encoders`) | a Hugging Face name | a folder; frozen, its features cached
    encoder_layers: str = "-4,-3,-2,-1"  # its hidden states mixed (softmax weights and a
    # scale, as ELMo's scalar mix): 0 = embeddings, -1 = last layer
    encoder_pooling: str = "mean"  # a word's vector from its pieces: "mean" | "first"
    encoder_finetune: bool = False  # train the encoder with the tagger (at train.encoder_lr;
    # meant for a GPU): no feature cache, and the model folder holds the tuned encoder
    encoder_context: int = 0  # words of the neighbouring sentences of the same document the
    # encoder reads on each side of a sentence (FLERT document context; 0 = none)


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "adam"  # "adam" | "sgd"
    lr: float = 2e-3  # learning rate
    encoder_lr: float = 5e-5  # learning rate of a fine-tuned encoder (model.encoder_finetune);
    # reduce-on-plateau scales it with lr
    momentum: float = 0.9  # SGD momentum; Adam's beta1
    beta2: float = 0.9  # Adam's beta2
    weight_decay: float = 0.0  # L2 penalty
    batch_size: int = 32  # sentences per batch
    clip: float = 5.0  # gradient norm clipping (0 = off)
    max_epochs: int = 40  # upper bound on epochs
    max_minutes: float = 0.0  # wall-clock budget for training (0 = none)
    patience: int = 6  # stop after this many epochs without a better dev score
    lr_patience: int = 2  # halve the learning rate after this many epochs without improvement
    lr_factor: float = 0.5  # factor of reduce-on-plateau
    min_lr: float = 1e-5  # floor of reduce-on-plateau
    seed: int = 1  # seeds python, numpy and torch
    threads: int = 0  # torch intra-op threads (0 = torch's default)
    eval_batch_size: int = 256  # sentences per batch when scoring dev
    average: float = 0.0  # decay of a moving average of the weights, which dev scoring and
    # the saved model use (0.999: about the last 1,000 steps); 0 = off
    precision: str = "fp32"  # fp32 | bf16 (autocast) | fp16 (CUDA, loss scaling) | auto (bf16
    # where the CPU or GPU computes it natively, else fp32)


@dataclass(frozen=True)
class Config:
    task: str = "pos"  # "pos" (tag per token) | "ner" (entity spans) | "sentiment" (per sentence)
    # | "tokenize" (a label per character: tokens, sentences and multi-word tokens of raw text)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


class ConfigError(ValueError):
    """A config key or value that the schema does not accept."""


def _check_type(key: str, value: Any, annotation: Any) -> Any:
    """Return value converted to the annotation's type, or raise ConfigError naming the key."""
    expected = {"str": str, "int": int, "float": float, "bool": bool}.get(annotation, annotation)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = _as_float(key, value)
    if expected is int and isinstance(value, bool):
        raise ConfigError(f"{key}: expected int, got bool {value!r}")
    if not isinstance(value, expected):
        raise ConfigError(
            f"{key}: expected {expected.__name__}, got {type(value).__name__} {value!r}"
        )
    if expected is float and not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    return value


def _as_float(key: str, value: int) -> float:
    """An int given for a float key (`lr = 1`), or ConfigError when no float holds it."""
    try:
        return float(value)
    except OverflowError:
        raise ConfigError(f"{key}: expected a finite number, got {value!r}") from None


def _build(cls: type, values: dict[str, Any], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if key not in fields:
            raise ConfigError(f"unknown key {name!r}; known: {', '.join(sorted(fields))}")
        annotation = fields[key].type
        if dataclasses.is_dataclass(_SECTIONS.get(annotation)):
            if not isinstance(value, dict):
                raise ConfigError(f"{name}: expected a [{name}] table")
            kwargs[key] = _build(_SECTIONS[annotation], value, f"{name}.")
        else:
            kwargs[key] = _check_type(name, value, annotation)
    return cls(**kwargs)


_SECTIONS: dict[Any, type] = {
    "DataConfig": DataConfig,
    "ModelConfig": ModelConfig,
    "TrainConfig": TrainConfig,
}


def _parse_override(item: str) -> tuple[list[str], Any]:
    """`model.hidden=128` -> (["model", "hidden"], 128); the value is read as TOML if it can be."""
    if "=" not in item:
        raise ConfigError(f"override {item!r}: expected KEY=VALUE, e.g. model.hidden=128")
    key, raw = item.split("=", 1)
    path = key.strip().split(".")
    try:
        value = tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw  # a bare string such as data.corpus=ud-english-ewt
    if _annotation(path) == "str" and not isinstance(value, str):
        value = raw  # data.train=2024 names a file, not a number
    return path, value


def _annotation(path: list[str]) -> Any:
    """The declared type of a dotted config key, or None when the key does not exist."""
    cls: Any = Config
    annotation = None
    for part in path:
        fields = {f.name: f for f in dataclasses.fields(cls)} if cls else {}
        if part not in fields:
            return None
        annotation = fields[part].type
        cls = _SECTIONS.get(annotation)
    return annotation


def config_from_dict(values: dict[str, Any], overrides: list[str] | None = None) -> Config:
    """Validate a nested dict (as read from TOML or config.json), applying `a.b=value` overrides."""
    merged = _deep_copy(values)
    for item in overrides or []:
        path, value = _parse_override(item)
        node = merged
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {item!r}: {part!r} is not a section")
        node[path[-1]] = value
    config = _build(Config, merged, "")
    problem = range_problem(config)
    if problem is not None:
        raise ConfigError(problem)
    return config


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Read a TOML config file; errors name the file and the offending key."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: {err}") from err
    try:
        return config_from_dict(values, overrides)
    except ConfigError as err:
        raise ConfigError(f"{path}: {err}") from err


def config_to_dict(config: Config) -> dict[str, Any]:
    """The resolved config as plain JSON-able data."""
    return dataclasses.asdict(config)


def _deep_copy(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in values.items()}
