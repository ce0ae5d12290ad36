"""`tagger evaluate --plots DIR`: the confusion matrix and per-label bars of an evaluation."""

from __future__ import annotations

import json
from pathlib import Path

from tagger.config import SENTENCE_TASKS
from tagger.explain.charts import confusion_matrix, per_label_bars
from tagger.explain.confusion import Confusion, entity_confusion, label_confusion, tag_confusion
from tagger.outputs import PLOTS, replace_folder


def evaluation_confusion(task: str, gold: list, predicted: list, labels: list[str]) -> Confusion:
    """Classes for sentence models, entity types with missed/spurious for NER, else tags."""
    if task in SENTENCE_TASKS:
        return label_confusion(gold, predicted, labels)
    if task == "ner":
        return entity_confusion(gold, predicted)
    return tag_confusion(gold, predicted)


def per_label_table(task: str, scores: dict) -> dict[str, dict]:
    """The per-label precision/recall/F1 rows of a scores dict."""
    if task in SENTENCE_TASKS:
        return scores["per_class"]
    return scores["per_type"] if task == "ner" else scores["per_label"]


def write_evaluation_plots(
    task: str, gold: list, predicted: list, scores: dict, labels: list[str], folder: Path
) -> list[Path]:
    """folder/confusion.png, confusion.json and per_label.png; returns their paths."""
    if task == "tokenize":
        raise ValueError("--plots: a tokenize model has no labels to plot")
    confusion = evaluation_confusion(task, gold, predicted, labels)
    what = {"ner": "entities"}.get(task, "classes" if task in SENTENCE_TASKS else "tags")
    written = {
        "confusion.png": confusion_matrix(confusion, f"confusion of {what}"),
        "per_label.png": per_label_bars(
            per_label_table(task, scores), f"per-label scores of {what}"
        ),
        "confusion.json": json.dumps(confusion.to_json()).encode(),
    }

    def build(temp: Path) -> None:
        for name, data in written.items():
            (temp / name).write_bytes(data)

    replace_folder(folder, PLOTS, build)
    return [folder / name for name in written]
