"""Build token-classification datasets in the Hugging Face layout (`tokens`, `tags`)."""

from __future__ import annotations

from collections.abc import Sequence

from datasets import ClassLabel, Dataset, Features, Value
from datasets import Sequence as HFSequence


def token_dataset(
    tokens: Sequence[Sequence[str]],
    tags: Sequence[Sequence[str]],
    label_names: Sequence[str] | None = None,
    documents: Sequence[int] | None = None,
) -> Dataset:
    """A Dataset with `tokens` (list of str) and `tags` (list of ClassLabel), and where
    `documents` are given, `document` (each sentence's document number).

    Label names default to the sorted set of tags seen.
    """
    names = sorted({t for sent in tags for t in sent}) if label_names is None else list(label_names)
    index = {name: i for i, name in enumerate(names)}
    features = Features(
        {
            "tokens": HFSequence(Value("string")),
            "tags": HFSequence(ClassLabel(names=names)),
        }
    )
    columns = {"tokens": [list(s) for s in tokens], "tags": [[index[t] for t in s] for s in tags]}
    if documents is not None:
        features["document"] = Value("int32")
        columns["document"] = list(documents)
    return Dataset.from_dict(columns, features=features)


def documents_of(dataset: Dataset) -> list[int] | None:
    """Each sentence's document number, where the corpus marks documents; else None."""
    return list(dataset["document"]) if "document" in dataset.column_names else None


def tag_names(dataset: Dataset) -> list[str]:
    """The label names of a token-classification dataset's `tags` column."""
    return list(dataset.features["tags"].feature.names)


def as_lists(dataset: Dataset) -> tuple[list[list[str]], list[list[str]]]:
    """Tokens and tag strings of every sentence, as plain Python lists."""
    names = tag_names(dataset)
    tokens = dataset["tokens"]
    tags = [[names[i] for i in sent] for sent in dataset["tags"]]
    return list(tokens), tags


def label_names(dataset: Dataset) -> list[str]:
    """The class names of a sentence dataset's `label` column."""
    return list(dataset.features["label"].names)


def as_examples(dataset: Dataset) -> tuple[list[list[str]], list]:
    """Tokens and targets: tag lists (token datasets) or label strings (sentence datasets)."""
    if "label" in dataset.column_names:
        names = label_names(dataset)
        return list(dataset["tokens"]), [names[i] for i in dataset["label"]]
    return as_lists(dataset)


def target_names(dataset: Dataset) -> list[str]:
    """Tag or class names, in the dataset's own order."""
    return label_names(dataset) if "label" in dataset.column_names else tag_names(dataset)
