"""Scores of a tokenizer on character labels: tokens, sentences and multi-word tokens F1.

Gold and predicted labels of the same text are decoded into character spans and matched
exactly, as the CoNLL 2018 shared task matches tokens and sentences (tagger.conll18
scores whole CoNLL-U files, words and tags included).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tagger.data.char_labels import decode, sentences_of
from tagger.scores import PRF, Evaluation

METRICS = ("tokens", "sentences", "multiword")


@dataclass(frozen=True)
class SegmentationEvaluation(Evaluation):
    """A tokenizer's scores: P/R/F of tokens, sentences and multi-word tokens, and how many
    characters got their gold label."""

    tokens: PRF
    sentences: PRF
    multiword: PRF
    accuracy: float
    n_chars: int
    n_texts: int

    corner = ""

    def to_json(self) -> dict[str, Any]:
        return {
            **{name: row.to_json() for name, row in self.table.items()},
            "accuracy": self.accuracy,
            "n_chars": self.n_chars,
            "n_texts": self.n_texts,
        }

    @property
    def table(self) -> dict[str, PRF]:
        return {"tokens": self.tokens, "sentences": self.sentences, "multiword": self.multiword}

    def notes(self) -> list[str]:
        return [
            f"characters labelled right {100 * self.accuracy:.2f}  ({self.n_chars} "
            f"characters, {self.n_texts} paragraphs)"
        ]


def segmentation_scores(
    chars: Sequence[Sequence[str]],
    gold: Sequence[Sequence[str]],
    predicted: Sequence[Sequence[str]],
) -> SegmentationEvaluation:
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
    tokens, sentences, multiword = (PRF.of(*counts[name]) for name in METRICS)
    accuracy = right / total if total else 0.0
    return SegmentationEvaluation(tokens, sentences, multiword, accuracy, total, len(chars))


def segmentation_score(scores: Mapping[str, Any]) -> float:
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
