"""Charts of training and evaluation: curves from train_log.jsonl, confusion matrices and
per-label precision/recall/F1 bars. matplotlib's object API on Agg, PNG bytes out."""

from __future__ import annotations

import json
from pathlib import Path

from matplotlib.figure import Figure

from tagger.confusion import Confusion
from tagger.explain.plots import png

MAX_ANNOTATED = 24  # write the counts in the cells of matrices up to this size


def read_log(path: Path) -> list[dict]:
    """The epochs of a train_log.jsonl, in order (a torn last line is ignored)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            break  # a line being written when the run was stopped
    return rows


def training_curves(rows: list[dict], title: str = "") -> bytes:
    """Loss, dev score and learning rate per epoch (left) and per minute of training (right)."""
    epochs = [r["epoch"] for r in rows]
    minutes = [r["elapsed"] / 60 for r in rows]
    series = [
        ("training loss", [r["loss"] for r in rows], False),
        ("dev score", [100 * r["dev_score"] for r in rows], False),
        ("learning rate", [r["lr"] for r in rows], True),
    ]
    figure = Figure(layout="constrained", figsize=(10, 8))
    axes = figure.subplots(3, 2, sharex="col", squeeze=False)
    best = max(range(len(rows)), key=lambda i: rows[i]["dev_score"]) if rows else None
    for row, (name, values, log) in enumerate(series):
        for column, x in enumerate((epochs, minutes)):
            ax = axes[row][column]
            ax.plot(x, values, marker="o", markersize=3)
            if best is not None and name == "dev score":
                ax.plot([x[best]], [values[best]], "r*", markersize=12, label="best")
                ax.legend(fontsize=8, loc="lower right")
            if log:
                ax.set_yscale("log")
            ax.set_ylabel(name, fontsize=9)
            ax.grid(alpha=0.3)
    axes[-1][0].set_xlabel("epoch")
    axes[-1][1].set_xlabel("minutes of training (dev scoring excluded)")
    if best is not None:
        score = 100 * rows[best]["dev_score"]
        title = f"{title}  best dev {score:.2f} at epoch {epochs[best]}".strip()
    figure.suptitle(title, fontsize=11)
    return png(figure)


def confusion_matrix(confusion: Confusion, title: str) -> bytes:
    """Rows gold, columns predicted; colours are each row's shares, numbers the counts."""
    counts = confusion.counts
    shares = [[n / max(1, sum(row)) for n in row] for row in counts]
    size = max(len(confusion.rows), len(confusion.columns))
    figure = Figure(layout="constrained", figsize=(2.5 + 0.45 * size, 2 + 0.4 * size))
    ax = figure.subplots()
    image = ax.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(confusion.columns)))
    ax.set_xticklabels(confusion.columns, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(len(confusion.rows)))
    ax.set_yticklabels(confusion.rows, fontsize=8)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    if size <= MAX_ANNOTATED:
        for i, row in enumerate(counts):
            for j, n in enumerate(row):
                if n:
                    dark = shares[i][j] > 0.6
                    ax.text(
                        j,
                        i,
                        str(n),
                        ha="center",
                        va="center",
                        fontsize=6,
                        color="white" if dark else "black",
                    )
    figure.colorbar(image, ax=ax, fraction=0.04, label="share of the gold row")
    ax.set_title(title, fontsize=10)
    return png(figure)


def per_label_bars(table: dict[str, dict], title: str) -> bytes:
    """Precision, recall and F1 (percent) of every label, with its support."""
    labels = list(table)
    figure = Figure(layout="constrained", figsize=(max(6, 0.6 * len(labels) + 2), 4))
    ax = figure.subplots()
    width = 0.27
    for k, (name, colour) in enumerate(
        (("precision", "#2471a3"), ("recall", "#27ae60"), ("f1", "#c0392b"))
    ):
        values = [100 * table[label][name] for label in labels]
        ax.bar(
            [i + (k - 1) * width for i in range(len(labels))],
            values,
            width,
            label=name,
            color=colour,
        )
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels([f"{label}\n{table[label]['support']}" for label in labels], fontsize=7)
    ax.set_ylim(0, 100)
    ax.set_ylabel("percent")
    ax.legend(fontsize=8, ncol=3, loc="lower left")
    ax.grid(axis="y", alpha=0.3)
    ax.set_title(f"{title} (support under each label)", fontsize=10)
    return png(figure)
