"""Pure scores of label sequences, as typed results: one P/R/F type (`PRF`) and an
`Evaluation` per kind of task (tags, entities, sentence classes). An evaluation reads as
the JSON `tagger evaluate --json` prints (`scores["accuracy"]`), and gives the lines
around its per-label table in the printed report."""

from __future__ import annotations

from abc import abstractmethod
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PRF:
    """Precision, recall and F1 of a label or a kind of unit (0.0 where undefined)."""

    precision: float
    recall: float
    f1: float
    support: int  # gold items

    @classmethod
    def of(cls, correct: int, n_gold: int, n_pred: int) -> PRF:
        """The scores of `correct` matches among `n_gold` gold and `n_pred` predicted items."""
        precision = correct / n_pred if n_pred else 0.0
        recall = correct / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return cls(precision, recall, f1, n_gold)

    def to_json(self) -> dict[str, float | int]:
        """{"precision", "recall", "f1", "support"}."""
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "support": self.support,
        }


def rows_json(table: Mapping[str, PRF]) -> dict[str, dict[str, float | int]]:
    """A per-label table as JSON: label -> its PRF's JSON."""
    return {label: row.to_json() for label, row in table.items()}


class Evaluation(Mapping[str, Any]):
    """A task's scores: typed fields, their JSON, the per-label table and the report lines
    above and below it. As a mapping it is its JSON, as untyped results were."""

    accuracy: float  # every task's share of right labels (of tokens, texts or characters)
    corner = "label"  # the top-left cell of the printed table

    @abstractmethod
    def to_json(self) -> dict[str, Any]:
        """The scores as `tagger evaluate --json` prints them."""

    @property
    @abstractmethod
    def table(self) -> dict[str, PRF]:
        """The rows of the per-label table."""

    def summary(self) -> list[str]:
        """The report's lines above the table."""
        return []

    def notes(self) -> list[str]:
        """The report's lines below the table."""
        return []

    def __getitem__(self, key: str) -> Any:
        return self.to_json()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_json())

    def __len__(self) -> int:
        return len(self.to_json())


@dataclass(frozen=True)
class TagEvaluation(Evaluation):
    """Token tagging: accuracy over tokens and the P/R/F of every label."""

    accuracy: float
    n_tokens: int
    n_sentences: int
    per_label: dict[str, PRF]

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "n_tokens": self.n_tokens,
            "n_sentences": self.n_sentences,
            "per_label": rows_json(self.per_label),
        }

    @property
    def table(self) -> dict[str, PRF]:
        return self.per_label

    def summary(self) -> list[str]:
        return [
            f"accuracy  {100 * self.accuracy:.2f}  ({self.n_tokens} tokens, "
            f"{self.n_sentences} sentences)"
        ]


@dataclass(frozen=True)
class EntityEvaluation(TagEvaluation):
    """NER: the tag scores, and seqeval's strict entity scores (micro and per type)."""

    entities: PRF  # micro-averaged; support: the gold entities
    per_type: dict[str, PRF]

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "precision": self.entities.precision,
            "recall": self.entities.recall,
            "f1": self.entities.f1,
            "n_entities": self.entities.support,
            "per_type": rows_json(self.per_type),
        }

    @property
    def table(self) -> dict[str, PRF]:
        return self.per_type

    def summary(self) -> list[str]:
        e = self.entities
        return [
            *super().summary(),
            f"entities  precision {100 * e.precision:.2f}  recall {100 * e.recall:.2f}  "
            f"f1 {100 * e.f1:.2f}  ({e.support} gold entities, seqeval strict IOB2)",
        ]


@dataclass(frozen=True)
class SentenceEvaluation(Evaluation):
    """Sentence classification: accuracy, macro-F1, per-class P/R/F and the confusion
    matrix (`confusion[i][j]`: gold labels[i] predicted as labels[j])."""

    accuracy: float
    macro_f1: float
    n_sentences: int
    per_class: dict[str, PRF]
    labels: tuple[str, ...]
    confusion: tuple[tuple[int, ...], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "n_sentences": self.n_sentences,
            "per_class": rows_json(self.per_class),
            "labels": list(self.labels),
            "confusion": [list(row) for row in self.confusion],
        }

    @property
    def table(self) -> dict[str, PRF]:
        return self.per_class

    def summary(self) -> list[str]:
        return [
            f"accuracy  {100 * self.accuracy:.2f}  macro-F1 {100 * self.macro_f1:.2f}  "
            f"({self.n_sentences} sentences)"
        ]

    def notes(self) -> list[str]:
        width = max(6, *(len(label) + 1 for label in self.labels))
        lines = ["", "confusion (rows gold, columns predicted)"]
        lines.append(" " * 12 + "".join(f"{label:>{width}}" for label in self.labels))
        for label, row in zip(self.labels, self.confusion, strict=True):
            lines.append(f"{label:<12}" + "".join(f"{n:>{width}}" for n in row))
        return lines


def tag_scores(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> TagEvaluation:
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
    per_label = {
        label: PRF.of(tp[label], n_gold[label], n_pred[label])
        for label in sorted(set(n_gold) | set(n_pred))
    }
    accuracy = sum(tp.values()) / total if total else 0.0
    return TagEvaluation(accuracy, total, len(gold), per_label)


def entity_scores(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> EntityEvaluation:
    """seqeval strict-mode IOB2 scores (as conlleval counts them), plus the tag table.

    Both sides must be well-formed IOB2 (convert with tagger.data.schemes first).
    """
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    tags = vars(tag_scores(gold, predicted))
    if not any(t != "O" for sent in [*gold, *predicted] for t in sent):
        # No entity on either side: seqeval would warn on empty means; nothing to score.
        return EntityEvaluation(**tags, entities=PRF(0.0, 0.0, 0.0, 0), per_type={})
    gold_lists, predicted_lists = [list(s) for s in gold], [list(s) for s in predicted]
    report = classification_report(
        gold_lists, predicted_lists, mode="strict", scheme=IOB2, output_dict=True, zero_division=0
    )
    micro = report.get(
        "micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    )
    per_type = {
        name: _seqeval_prf(row) for name, row in report.items() if not name.endswith(" avg")
    }
    return EntityEvaluation(**tags, entities=_seqeval_prf(micro), per_type=per_type)


def _seqeval_prf(row: Mapping[str, Any]) -> PRF:
    """A row of seqeval's classification report (numpy numbers) as a PRF."""
    return PRF(
        float(row["precision"]), float(row["recall"]), float(row["f1-score"]), int(row["support"])
    )


def sentence_scores(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str],
    allow_unknown: bool = False,
) -> SentenceEvaluation:
    """Accuracy, macro-F1, per-class precision/recall/F1 and the confusion matrix. A gold
    label not in `labels` is an error, or with `allow_unknown` a wrong answer outside the
    matrix."""
    index = {label: i for i, label in enumerate(labels)}
    unknown = sorted({g for g in gold if g not in index})
    if unknown and not allow_unknown:
        raise ValueError(f"gold labels {unknown} are not among the model's labels {list(labels)}")
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if g in index:
            confusion[index[g]][index[p]] += 1
    per_class = {
        label: PRF.of(confusion[i][i], sum(confusion[i]), sum(row[i] for row in confusion))
        for i, label in enumerate(labels)
    }
    correct = sum(confusion[i][i] for i in range(len(labels)))
    return SentenceEvaluation(
        accuracy=correct / len(gold) if gold else 0.0,
        macro_f1=sum(row.f1 for row in per_class.values()) / len(labels) if labels else 0.0,
        n_sentences=len(gold),
        per_class=per_class,
        labels=tuple(labels),
        confusion=tuple(tuple(row) for row in confusion),
    )
