"""Evaluation: a Predictor's predictions on a corpus, scored the way its task scores them
into a typed `Evaluation`, and the one printer of evaluations."""

from __future__ import annotations

from typing import Any

from datasets import Dataset

from tagger.evaluation_data import check_gold_labels, load_evaluation
from tagger.scores import PRF, Evaluation, entity_scores, sentence_scores, tag_scores

__all__ = ["PRF", "Evaluation", "entity_scores", "evaluate", "evaluate_corpus", "evaluate_examples"]
__all__ += ["format_evaluation", "format_report", "scored", "sentence_scores", "tag_scores"]

Scored = tuple[Evaluation, list, list, list]  # the evaluation, gold, predicted, tokens


def evaluate(predictor: Any, dataset: Dataset, scheme: str = "") -> Evaluation:
    """Tag the dataset's tokens with `predictor` (a Predictor) and score against its tags.

    For NER, `scheme` is the dataset's tag scheme; gold tags are read in it and compared
    in IOB2 with the predictor's IOB2 output. Gold labels the model does not know are
    checked first (check_gold_labels).
    """
    check_gold_labels(predictor, dataset, "the evaluation data")
    return scored(predictor, dataset, scheme)[0]


def scored(predictor: Any, dataset: Dataset, scheme: str = "") -> Scored:
    """The evaluation of a dataset with what it scored (gold and predicted labels per
    sentence, or per text for sentence models; the tokens), for plots and reports. Gold
    labels are not checked: load_evaluation checked them."""
    task = predictor.task
    gold, predicted, tokens = task.predictions(predictor, dataset, scheme)
    return task.score(gold, predicted, tokens, predictor.labels), gold, predicted, tokens


def evaluate_examples(
    predictor: Any, tokens: list[list[str]], gold: list, documents: list[int] | None = None
) -> Evaluation:
    """The evaluation of examples already in the form the task scores (NER gold in IOB2),
    as training scores dev: nothing to read or check. `documents`: each sentence's
    document id, for a model whose encoder reads document context."""
    task = predictor.task
    predicted = task.dev_predictions(predictor, tokens, documents)
    return task.score(gold, predicted, tokens, predictor.labels)


def evaluate_corpus(predictor: Any, corpus: str, split: str = "test", **options: Any) -> Evaluation:
    """The evaluation of `predictor` on a catalog corpus, an hf: id or a file (what
    `tagger evaluate` runs); `options` are load_evaluation's fmt, columns, data_dir, note."""
    return scored(predictor, *load_evaluation(predictor, corpus, split, **options))[0]


def format_evaluation(evaluation: Evaluation) -> str:
    """The printed report of any task's evaluation: its summary lines, the per-label
    precision/recall/F1 table in percent, and its notes."""
    summary = evaluation.summary()
    lines = [*summary, ""] if summary else []
    lines.append(f"{evaluation.corner:<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}")
    for label, row in evaluation.table.items():
        lines.append(
            f"{label:<12} {100 * row.precision:>9.2f} {100 * row.recall:>9.2f} "
            f"{100 * row.f1:>9.2f} {row.support:>9}"
        )
    return "\n".join([*lines, *evaluation.notes()])


format_report = format_evaluation  # the name callers used before evaluations were typed
