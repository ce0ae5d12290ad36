"""Scores: token accuracy and per-label precision/recall/F1 for tagging."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from datasets import Dataset

from tagger.config import SENTENCE_TASKS
from tagger.data.dataset import as_examples, as_lists
from tagger.evaluation_data import check_gold_labels, load_evaluation
from tagger.tokenizer.score import format_segmentation, segmentation_score, segmentation_scores


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


def main_score(task: str, scores: dict[str, Any]) -> float:
    """The number model selection uses: entity F1 for NER, the mean of tokens, sentences
    and multi-word tokens F1 for a tokenizer, accuracy otherwise."""
    if task == "tokenize":
        return segmentation_score(scores)
    return scores["f1"] if task == "ner" else scores["accuracy"]


def score(
    task: str,
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
    tokens: Sequence[Sequence[str]] = (),
) -> dict:
    """The scores of a task (gold and predictions of NER already in IOB2; a tokenizer's
    are labels of the characters `tokens`)."""
    if task == "tokenize":
        return segmentation_scores(tokens, gold, predicted)
    return entity_scores(gold, predicted) if task == "ner" else tag_scores(gold, predicted)


def evaluate(predictor: Any, dataset: Dataset, scheme: str = "") -> dict[str, Any]:
    """Tag the dataset's tokens with `predictor` (a Predictor) and score against its tags.

    For NER, `scheme` is the dataset's tag scheme; gold tags are read in it and compared
    in IOB2 with the predictor's IOB2 output. Gold labels the model does not know are
    checked first (check_gold_labels).
    """
    check_gold_labels(predictor, dataset, "the evaluation data")
    return _scores(predictor, dataset, scheme)


def _scores(predictor: Any, dataset: Dataset, scheme: str) -> dict[str, Any]:
    gold, predicted, tokens = predictions(predictor, dataset, scheme)
    return score_predictions(predictor, gold, predicted, tokens)


def predictions(predictor: Any, dataset: Dataset, scheme: str = "") -> tuple[list, list, list]:
    """(gold, predicted, tokens) of a dataset: label strings per sentence (sentence models),
    else per token (NER in IOB2)."""
    from tagger.data.schemes import convert_all, detect_scheme

    task = predictor.config.task
    if task in SENTENCE_TASKS:
        tokens, gold_labels = as_examples(dataset)
        return list(gold_labels), [label for label, _ in predictor.classify(tokens)], tokens
    tokens, gold = as_lists(dataset)
    if task == "ner":
        gold, _ = convert_all(gold, scheme or detect_scheme(gold), "iob2")
        return gold, predictor.predict(tokens, scheme="iob2"), tokens
    return gold, predictor.predict(tokens), tokens


def score_predictions(predictor: Any, gold: list, predicted: list, tokens: list) -> dict:
    """The scores of `predictions`' output for the predictor's task."""
    task = predictor.config.task
    if task in SENTENCE_TASKS:  # unknown gold labels were checked by check_gold_labels
        return sentence_scores(gold, predicted, predictor.labels, allow_unknown=True)
    return score(task, gold, predicted, tokens)


def evaluate_corpus(predictor: Any, corpus: str, split: str = "test", **options: Any) -> dict:
    """Scores of `predictor` on a catalog corpus, an hf: id or a file (what `evaluate` runs);
    `options` are load_evaluation's fmt, columns, data_dir and note."""
    return _scores(predictor, *load_evaluation(predictor, corpus, split, **options))


def format_report(scores: dict[str, Any]) -> str:
    """A human-readable table of the scores."""
    if "multiword" in scores:
        return format_segmentation(scores)
    if "confusion" in scores:
        return _sentence_report(scores)
    lines = [
        f"accuracy  {100 * scores['accuracy']:.2f}  ({scores['n_tokens']} tokens, "
        f"{scores['n_sentences']} sentences)",
    ]
    table = scores["per_label"]
    if "f1" in scores:
        lines.append(
            f"entities  precision {100 * scores['precision']:.2f}  recall "
            f"{100 * scores['recall']:.2f}  f1 {100 * scores['f1']:.2f}  "
            f"({scores['n_entities']} gold entities, seqeval strict IOB2)"
        )
        table = scores["per_type"]
    lines += ["", f"{'label':<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}"]
    for label, row in table.items():
        lines.append(
            f"{label:<12} {100 * row['precision']:>9.2f} {100 * row['recall']:>9.2f} "
            f"{100 * row['f1']:>9.2f} {row['support']:>9}"
        )
    return "\n".join(lines)


def _sentence_report(scores: dict[str, Any]) -> str:
    labels = scores["labels"]
    lines = [
        f"accuracy  {100 * scores['accuracy']:.2f}  macro-F1 {100 * scores['macro_f1']:.2f}  "
        f"({scores['n_sentences']} sentences)",
        "",
        f"{'label':<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}",
    ]
    for label, row in scores["per_class"].items():
        lines.append(
            f"{label:<12} {100 * row['precision']:>9.2f} {100 * row['recall']:>9.2f} "
            f"{100 * row['f1']:>9.2f} {row['support']:>9}"
        )
    width = max(6, *(len(label) + 1 for label in labels))
    lines += ["", "confusion (rows gold, columns predicted)"]
    lines.append(" " * 12 + "".join(f"{label:>{width}}" for label in labels))
    for label, row in zip(labels, scores["confusion"], strict=True):
        lines.append(f"{label:<12}" + "".join(f"{n:>{width}}" for n in row))
    return "\n".join(lines)
