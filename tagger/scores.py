"""Pure scores of label sequences: token accuracy and per-label precision/recall/F1,
seqeval's strict entity scores, and sentence-classification scores with a confusion matrix."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any


def tag_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> dict[str, Any]:
    """Accuracy over tokens and precision/recall/F1/support of every label."""
    tp: Counter[str] = Counter()
    n_pred: Counter[str] = Counter()
    n_gold: Counter[str] = Counter()
    for g_sent, p_sent in zip(gold, predicted, strict=True):
        if len(g_sent) != len(p_sent):
            raise ValueError(f"sentence of {len(g_sent)} gold tags got {len(p_sent)} predictions")
        for g, p in zip(g_sent, p_sent, strict=True):
            n_gold[g] += 1
            n_pred[p] += 1
            tp[g] += g == p
    total = sum(n_gold.values())
    per_label = {}
    for label in sorted(set(n_gold) | set(n_pred)):
        precision = tp[label] / n_pred[label] if n_pred[label] else 0.0
        recall = tp[label] / n_gold[label] if n_gold[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = {
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "support": n_gold[label],
        }
    return {
        "accuracy": sum(tp.values()) / total if total else 0.0,
        "n_tokens": total,
        "n_sentences": len(gold),
        "per_label": per_label,
    }


def entity_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> dict[str, Any]:
    """seqeval strict-mode IOB2 scores (as conlleval counts them), plus the tag table.

    Both sides must be well-formed IOB2 (convert with tagger.data.schemes first).
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    scores = tag_scores(gold, predicted)
    if not any(t != "O" for sent in [*gold, *predicted] for t in sent):
        # No entity on either side: seqeval would warn on empty means; nothing to score.
        scores.update(precision=0.0, recall=0.0, f1=0.0, n_entities=0, per_type={})
        return scores
    gold_lists, predicted_lists = [list(s) for s in gold], [list(s) for s in predicted]
    report = classification_report(
        gold_lists, predicted_lists, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    micro = report.get(
        "micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    )
    per_type = {
        name: {
            "precision": float(row["precision"]),
            "recall": float(row["recall"]),
            "f1": float(row["f1-score"]),
            "support": int(row["support"]),
        }
        for name, row in report.items()
        if not name.endswith(" avg")
    }
    scores.update(
        precision=float(micro["precision"]),
        recall=float(micro["recall"]),
        f1=float(micro["f1-score"]),
        n_entities=int(micro["support"]),
        per_type=per_type,
    )
    return scores


def sentence_scores(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    allow_unknown: bool = False,
) -> dict[str, Any]:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix
    (`confusion[i][j]`: gold labels[i] predicted as labels[j]). A gold label not in
    `labels` is an error, or with `allow_unknown` a wrong answer outside the matrix."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({g for g in gold if g not in index})
    if unknown and not allow_unknown:
        raise ValueError(f"gold labels {unknown} are not among the model's labels {list(labels)}")
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if g in index:
            confusion[index[g]][index[p]] += 1
    per_class = {}
    for i, label in enumerate(labels):
        tp = confusion[i][i]
        n_pred = sum(row[i] for row in confusion)
        n_gold = sum(confusion[i])
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": n_gold}
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return {
        "accuracy": correct / len(gold) if gold else 0.0,
        "macro_f1": sum(row["f1"] for row in per_class.values()) / len(labels) if labels else 0.0,
        "n_sentences": len(gold),
        "per_class": per_class,
        "labels": list(labels),
        "confusion": confusion,
    }
