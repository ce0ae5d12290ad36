"""Scores: token accuracy and per-label precision/recall/F1 for tagging."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from datasets import Dataset

from tagger.data.dataset import as_lists


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


def evaluate(predictor: Any, dataset: Dataset) -> dict[str, Any]:
    """Tag the dataset's tokens with `predictor` (a Predictor) and score against its tags."""
    tokens, gold = as_lists(dataset)
    return tag_scores(gold, predictor.predict(tokens))


def format_report(scores: dict[str, Any]) -> str:
    """A human-readable table of the scores."""
    lines = [
        f"accuracy  {100 * scores['accuracy']:.2f}  ({scores['n_tokens']} tokens, "
        f"{scores['n_sentences']} sentences)",
        "",
        f"{'label':<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}",
    ]
    for label, row in scores["per_label"].items():
        lines.append(
            f"{label:<12} {100 * row['precision']:>9.2f} {100 * row['recall']:>9.2f} "
            f"{100 * row['f1']:>9.2f} {row['support']:>9}"
        )
    return "\n".join(lines)
