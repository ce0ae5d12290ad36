"""`tagger evaluate --plots DIR`: the confusion matrix and per-label bars of an evaluation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from tagger.explain.charts import confusion_matrix, per_label_bars
from tagger.outputs import PLOTS, replace_folder

if TYPE_CHECKING:
    from tagger.scores import Evaluation
    from tagger.tasks.base import Task


def write_evaluation_plots(
    task: Task,
    gold: list,
    predicted: list,
    scores: Evaluation,
    labels: list[str],
    folder: Path,
) -> list[Path]:
    """folder/confusion.png, confusion.json and per_label.png; returns their paths."""
    if not task.plots:
        raise ValueError(f"--plots: a {task.name} model has no labels to plot")
    confusion = task.confusion(gold, predicted, labels)
    what = task.what
    written = {
        "confusion.png": confusion_matrix(confusion, f"confusion of {what}"),
        "per_label.png": per_label_bars(
            task.per_label_table(scores), f"per-label scores of {what}"
        ),
        "confusion.json": json.dumps(confusion.to_json()).encode(),
    }

    def build(temp: Path) -> None:
        for name, data in written.items():
            (temp / name).write_bytes(data)

    replace_folder(folder, PLOTS, build)
    return [folder / name for name in written]
