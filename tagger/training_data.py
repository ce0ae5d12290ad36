"""The training data of a config: examples of train and dev, the label list, and the
vocabularies (with the pretrained vectors' matrix) built from the training tokens."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from tagger.config import Config
from tagger.data.dataset import as_examples, documents_of, target_names
from tagger.data.vectors import load_vector_table
from tagger.data.vocab import PAD, UNK, Vocab, Vocabs, normalize
from tagger.tasks import get_task
from tagger.tasks.base import Examples


def build_vocabs(
    config: Config,
    tokens: list[list[str]],
    labels: list[str],
    multiword: dict | None = None,
) -> tuple[Vocabs, torch.Tensor | None]:
    """Vocabularies from the training data, plus the pretrained vectors' matrix if any;
    a tokenizer also keeps the `multiword` table of its treebank."""
    words = [normalize(w) for sent in tokens for w in sent]
    chars = [c for sent in tokens for w in sent for c in w]
    pretrained, vectors = None, None
    if config.model.pretrained:
        pretrained, vectors = pretrained_vectors(config, set(words))
    vocabs = Vocabs(
        # Rare training words keep a trainable row when they have a pretrained vector.
        words=Vocab.build(
            words,
            min_count=config.model.min_word_count,
            keep=pretrained.index if pretrained is not None else (),
        ),
        chars=Vocab.build(chars),
        labels=Vocab.labels(labels),
        pretrained=pretrained,
        multiword=multiword,
    )
    return vocabs, vectors


def pretrained_vectors(config: Config, train_words: set[str]) -> tuple[Vocab, torch.Tensor]:
    """The pretrained vocabulary and its (rows, dim) matrix, rows 0 and 1 (<pad>, <unk>)
    zero. An ordered source keeps its top `pretrained_max_words` and every training word
    that has a vector; a spaCy table keeps all its words, which share its rows."""
    model = config.model
    table = load_vector_table(model.pretrained, model.pretrained_max_words)
    names, matrix = list(table.names), table.matrix
    if table.rows is None and len(names) == model.pretrained_max_words:
        full = load_vector_table(model.pretrained, 0)
        top = set(names)
        extra = [i for i, name in enumerate(full.names) if name in train_words and name not in top]
        names += [full.names[i] for i in extra]
        matrix = np.concatenate([matrix, full.matrix[extra]]) if extra else matrix
    body = torch.from_numpy(np.ascontiguousarray(matrix, dtype=np.float32))
    vectors = torch.cat([torch.zeros(2, body.shape[1]), body])
    rows = None if table.rows is None else [0, 1, *(r + 2 for r in table.rows)]
    return Vocab([PAD, UNK, *names], rows=rows), vectors


def load_examples(
    config: Config, data_dir: Path | None
) -> tuple[Config, Examples, Examples, list[str]]:
    """Train and dev examples (targets as the task prepares them) and the label list."""
    task = get_task(config.task)
    train_set = task.load_split(config.data, "train", data_dir)
    train_tokens, train_targets = as_examples(train_set)
    if config.data.max_train_sentences > 0:
        train_tokens = train_tokens[: config.data.max_train_sentences]
        train_targets = train_targets[: config.data.max_train_sentences]
    dev_set = task.load_split(config.data, "dev", data_dir)
    names = (target_names(train_set), target_names(dev_set))
    return task.prepare(config, (train_tokens, train_targets), as_examples(dev_set), names)


def load_documents(config: Config, data_dir: Path | None) -> tuple[list[int] | None, ...]:
    """Each train and dev sentence's document number where the corpus marks documents
    (CoNLL `-DOCSTART-`), else None: what `model.encoder_context` stays within."""
    task = get_task(config.task)
    train = documents_of(task.load_split(config.data, "train", data_dir))
    if train is not None and config.data.max_train_sentences > 0:
        train = train[: config.data.max_train_sentences]
    return train, documents_of(task.load_split(config.data, "dev", data_dir))
