"""Scores of a tokenizer on character labels: tokens, sentences and multi-word tokens F1.

Gold and predicted labels of the same text are decoded into character spans and matched
exactly, as the CoNLL 2018 shared task matches tokens and sentences (tagger.conll18
scores whole CoNLL-U files, words and tags included).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tagger.data.char_labels import decode, sentences_of

METRICS = ("tokens", "sentences", "multiword")


def segmentation_scores(
    chars: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
) -> dict[str, Any]:
    """Precision, recall and F1 of each of METRICS, and the character labels' accuracy."""
    counts = {name: [0, 0, 0] for name in METRICS}  # correct, gold, predicted
    right = total = 0
    for text_chars, gold_labels, predicted_labels in zip(chars, gold, predicted, strict=True):
        text = "".join(text_chars)
        for name, g, p in zip(
            METRICS, _units(text, gold_labels), _units(text, predicted_labels), strict=True
        ):
            counts[name][0] += len(g & p)
            counts[name][1] += len(g)
            counts[name][2] += len(p)
        right += sum(a == b for a, b in zip(gold_labels, predicted_labels, strict=True))
        total += len(gold_labels)
    scores: dict[str, Any] = {name: _prf(*counts[name]) for name in METRICS}
    scores.update(accuracy=right / total if total else 0.0, n_chars=total, n_texts=len(chars))
    return scores


def segmentation_score(scores: dict[str, Any]) -> float:
    """The number model selection uses: the mean F1 of tokens, sentences and multi-word
    tokens (those that split into words), or of the first two when there are none."""
    names = METRICS if scores["multiword"]["support"] else METRICS[:2]
    return sum(scores[name]["f1"] for name in names) / len(names)


def _units(text: str, labels: Sequence[str]) -> tuple[set, set, set]:
    spans = decode(text, labels)
    tokens = {(s.start, s.end) for s in spans}
    sentences = {(s[0].start, s[-1].end) for s in sentences_of(spans)}
    multiword = {(s.start, s.end) for s in spans if s.multiword}
    return tokens, sentences, multiword


def _prf(correct: int, gold: int, predicted: int) -> dict[str, float | int]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": gold}


def format_segmentation(scores: dict[str, Any]) -> str:
    """A table of the scores, in percent."""
    lines = [f"{'':<12} {'precision':>9} {'recall':>9} {'f1':>9} {'support':>9}"]
    for name in METRICS:
        row = scores[name]
        lines.append(
            f"{name:<12} {100 * row['precision']:>9.2f} {100 * row['recall']:>9.2f} "
            f"{100 * row['f1']:>9.2f} {row['support']:>9}"
        )
    lines.append(
        f"characters labelled right {100 * scores['accuracy']:.2f}  ({scores['n_chars']} "
        f"characters, {scores['n_texts']} paragraphs)"
    )
    return "\n".join(lines)
