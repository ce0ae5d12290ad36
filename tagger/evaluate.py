"""Evaluation: a Predictor's predictions on a corpus, scored the way its task scores them."""

from __future__ import annotations

from typing import Any

from datasets import Dataset

from tagger.evaluation_data import check_gold_labels, load_evaluation
from tagger.scores import entity_scores, sentence_scores, tag_scores
from tagger.tokenizer.score import format_segmentation

__all__ = ["entity_scores", "evaluate", "evaluate_corpus", "format_report", "sentence_scores"]
__all__ += ["predictions", "score_predictions", "tag_scores"]


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
    return predictor.task.predictions(predictor, dataset, scheme)


def score_predictions(predictor: Any, gold: list, predicted: list, tokens: list) -> dict:
    """The scores of `predictions`' output for the predictor's task (unknown gold labels
    were checked by check_gold_labels)."""
    return predictor.task.score(gold, predicted, tokens, predictor.labels)


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
