"""The training data of a config: examples of train and dev, the label list, and the
vocabularies (with the pretrained vectors' matrix) built from the training tokens."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from tagger.config import SENTENCE_TASKS, Config
from tagger.data.char_labels import LABELS
from tagger.data.corpus import corpus_scheme, load_paragraphs, load_split
from tagger.data.dataset import as_examples, target_names
from tagger.data.multiword import Multiwords
from tagger.data.schemes import convert_all, entity_types, scheme_labels
from tagger.data.vectors import load_vector_table
from tagger.data.vocab import PAD, UNK, Vocab, Vocabs, normalize


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


def entity_tags(
    config: Config, train_tags: list[list[str]], dev: tuple[list[list[str]], list[list[str]]]
) -> tuple[Config, list[list[str]], tuple[list[list[str]], list[list[str]]]]:
    """NER: training tags in the model's scheme, dev tags in IOB2 (for scoring), and the
    corpus scheme recorded in the config so evaluation reads files the same way."""
    scheme = corpus_scheme(config.data, train_tags)
    train_tags, repaired = convert_all(train_tags, scheme, config.model.scheme)
    dev_tags, dev_repaired = convert_all(dev[1], scheme, "iob2")
    if repaired or dev_repaired:
        print(
            f"repaired {repaired} ill-formed {scheme} tags in train, {dev_repaired} in dev",
            file=sys.stderr,
        )
    config = replace(config, data=replace(config.data, scheme=scheme))
    return config, train_tags, (dev[0], dev_tags)


def _label_list(config: Config, train_names: list[str], dev_names: list[str]) -> list[str]:
    """Labels of a POS or sentence model: a sentence task keeps the corpus's class order,
    POS takes the sorted tags of train and dev."""
    if config.task in SENTENCE_TASKS:
        return train_names + [n for n in dev_names if n not in train_names]
    return sorted(set(train_names) | set(dev_names))


Examples = tuple[list[list[str]], list]  # tokens, and tag lists or sentence labels


def multiword_table(config: Config, data_dir: Path | None) -> dict | None:
    """A tokenizer's table of the training treebank's multi-word tokens; None for others."""
    if config.task != "tokenize":
        return None
    paragraphs = load_paragraphs(config.data, "train", data_dir)
    pairs = ((p.text[t.start : t.end], t.words) for p in paragraphs for t in p.tokens)
    return Multiwords.build(pairs).to_json()


def load_examples(
    config: Config, data_dir: Path | None
) -> tuple[Config, Examples, Examples, list[str]]:
    """Train and dev examples (NER tags converted, see entity_tags) and the label list."""
    train_set = load_split(config.data, "train", data_dir, config.task)
    train_tokens, train_targets = as_examples(train_set)
    if config.data.max_train_sentences > 0:
        train_tokens = train_tokens[: config.data.max_train_sentences]
        train_targets = train_targets[: config.data.max_train_sentences]
    dev_set = load_split(config.data, "dev", data_dir, config.task)
    dev = as_examples(dev_set)
    if config.task == "ner":
        config, train_targets, dev = entity_tags(config, train_targets, dev)
        labels = scheme_labels(entity_types(train_targets + dev[1]), config.model.scheme)
    elif config.task == "tokenize":
        labels = list(LABELS)
    else:
        labels = _label_list(config, target_names(train_set), target_names(dev_set))
    return config, (train_tokens, train_targets), dev, labels
