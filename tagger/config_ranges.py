"""The values each config key accepts beyond its type: sizes, probabilities, known names,
and the settings that are wrong together."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tagger.languages import LANGUAGE_EXPECTED, is_language
from tagger.tasks.registry import TASK_NAMES

if TYPE_CHECKING:
    from tagger.config import Config, DataConfig

POOLINGS = ("last", "max", "mean", "attention")
DATA_FORMATS = ("conllu", "conll", "parquet", "json", "labels", "tsv", "csv", "sst-trees")
CONLLU_TAG_FIELDS = ("upos", "xpos")  # data.tag_field of a CoNLL-U corpus


def _layers_ok(text: str) -> bool:
    parts = [p.strip() for p in text.split(",")]
    if not all(re.fullmatch(r"-?[0-9]+", p) for p in parts):
        return False
    return len({int(p) for p in parts}) == len(parts)


def _widths_ok(text: str) -> bool:
    parts = [p.strip() for p in text.split(",")]
    return all(p.isdigit() and int(p) > 0 for p in parts)


# (key, predicate, what is expected): values that type-check but cannot work. Every
# field of DataConfig, ModelConfig and TrainConfig is listed or noted as free; floats are
# finite already (_check_type).
RANGES: list[tuple[str, Any, str]] = [
    # data.corpus, train, dev, test, tokenizer: paths or names, checked when read
    ("data.format", lambda v: v in ("", *DATA_FORMATS), f"'' or one of {', '.join(DATA_FORMATS)}"),
    ("data.tag_field", bool, "a column name or 'upos'/'xpos'"),
    ("data.token_field", bool, "a column name"),
    ("data.text_field", bool, "a column name"),
    ("data.label_field", bool, "a column name"),
    ("data.scheme", lambda v: v in ("", "iob1", "iob2", "bioes"), "'', 'iob1', 'iob2' or 'bioes'"),
    ("data.labels", lambda v: v in ("fine", "binary"), "'fine' or 'binary'"),
    ("data.lang", is_language, LANGUAGE_EXPECTED),
    ("data.max_train_sentences", lambda v: v >= 0, "0 (all) or a positive count"),
    ("data.max_chars", lambda v: v >= 1, "a positive number of characters"),
    ("model.word_dim", lambda v: v > 0, "a positive size"),
    # model.pretrained: a name or path, checked when read
    ("model.pretrained_max_words", lambda v: v >= 0, "0 (all) or a positive count"),
    ("model.min_word_count", lambda v: v >= 1, "at least 1"),
    ("model.casing_dim", lambda v: v >= 0, "0 (off) or a positive size"),
    ("model.char", lambda v: v in ("lstm", "cnn", "none"), "'lstm', 'cnn' or 'none'"),
    ("model.char_dim", lambda v: v > 0, "a positive size"),
    ("model.char_hidden", lambda v: v > 0, "a positive size"),
    ("model.char_kernel", lambda v: v > 0, "a positive width"),
    ("model.word_cnn", lambda v: v >= 0, "0 (off) or a number of filters"),
    ("model.word_cnn_widths", _widths_ok, "widths such as '3' or '3,5'"),
    ("model.rnn", lambda v: v in ("lstm", "gru"), "'lstm' or 'gru'"),
    ("model.head", lambda v: v in ("softmax", "crf"), "'softmax' or 'crf'"),
    ("model.pooling", lambda v: v in POOLINGS, "'last', 'max', 'mean' or 'attention'"),
    ("model.scheme", lambda v: v in ("iob1", "iob2", "bioes"), "'iob1', 'iob2' or 'bioes'"),
    ("model.hidden", lambda v: v > 0, "a positive size"),
    ("model.layers", lambda v: v > 0, "at least 1"),
    ("model.dropout", lambda v: 0 <= v < 1, "a probability in [0, 1)"),
    ("model.word_dropout", lambda v: 0 <= v < 1, "a probability in [0, 1)"),
    # model.encoder: a name or path, checked when loaded
    ("model.encoder_layers", _layers_ok, "distinct layer indices such as '-1' or '-4,-3,-2,-1'"),
    ("model.encoder_pooling", lambda v: v in ("mean", "first"), "'mean' or 'first'"),
    # model.encoder_finetune: a bool (it needs model.encoder: _encoder_problem)
    ("model.encoder_context", lambda v: 0 <= v <= 512, "0 (none) to 512 words"),
    ("train.optimizer", lambda v: v in ("adam", "sgd"), "'adam' or 'sgd'"),
    ("train.lr", lambda v: v > 0, "a positive learning rate"),
    ("train.encoder_lr", lambda v: v > 0, "a positive learning rate"),
    ("train.momentum", lambda v: 0 <= v < 1, "a decay in [0, 1)"),
    ("train.beta2", lambda v: 0 <= v < 1, "a decay in [0, 1)"),
    ("train.weight_decay", lambda v: v >= 0, "0 (off) or a positive penalty"),
    ("train.batch_size", lambda v: v > 0, "a positive number of sentences"),
    ("train.clip", lambda v: v >= 0, "0 (off) or a positive gradient norm"),
    ("train.max_epochs", lambda v: v >= 1, "at least 1"),
    ("train.max_minutes", lambda v: v >= 0, "0 (no budget) or positive minutes"),
    ("train.patience", lambda v: v >= 0, "0 (no early stopping) or a number of epochs"),
    ("train.lr_patience", lambda v: v >= 0, "0 or a number of epochs"),
    ("train.lr_factor", lambda v: 0 < v < 1, "a factor in (0, 1)"),
    ("train.min_lr", lambda v: v >= 0, "0 or a positive learning rate"),
    ("train.seed", lambda v: 0 <= v < 2**32, "a seed in [0, 2**32)"),
    ("train.threads", lambda v: v >= 0, "0 (default) or a thread count"),
    ("train.eval_batch_size", lambda v: v > 0, "a positive number of sentences"),
    ("train.average", lambda v: 0 <= v < 1, "0 (off) or a decay in (0, 1)"),
    ("train.precision", lambda v: v in ("fp32", "bf16", "fp16", "auto"), "fp32, bf16, fp16, auto"),
]


def range_problem(config: Config) -> str | None:
    """What is wrong with a config whose keys type-check (`KEY: expected ..., got ...`),
    or None."""
    if config.task not in TASK_NAMES:
        return f"task: expected one of {', '.join(TASK_NAMES)}, got {config.task!r}"
    for key, ok, expected in RANGES:
        section, name = key.split(".")
        value = getattr(getattr(config, section), name)
        if not ok(value):
            return f"{key}: expected {expected}, got {value!r}"
    return _columns_problem(config.data) or _encoder_problem(config)


def _encoder_problem(config: Config) -> str | None:
    """An encoder to fine-tune that the config does not name."""
    if config.model.encoder_finetune and not config.model.encoder:
        return "model.encoder_finetune: expected model.encoder to name the encoder to fine-tune"
    if config.model.encoder_context and not config.model.encoder:
        return "model.encoder_context: expected model.encoder to name the encoder that reads it"
    return None


def _columns_problem(data: DataConfig) -> str | None:
    """Settings that are wrong together: a CoNLL-U tag column that is neither UPOS nor XPOS,
    the word and tag read from the same column."""
    if data.format == "conllu" and data.tag_field not in CONLLU_TAG_FIELDS:
        expected = " or ".join(repr(f) for f in CONLLU_TAG_FIELDS)
        return f"data.tag_field: expected {expected} for CoNLL-U, got {data.tag_field!r}"
    if data.word_column == data.tag_column:
        return (
            f"data.tag_column: expected a column other than data.word_column, got {data.tag_column}"
        )
    return None
