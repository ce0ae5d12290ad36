"""Confusion tables of an evaluation: tags, classes, or entity types with missed/spurious.

Pure counting, below the tasks (which build them) and the explain room (which draws them)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

MISSED, SPURIOUS = "missed", "spurious"


@dataclass
class Confusion:
    """counts[i][j]: gold rows[i] predicted as columns[j]."""

    rows: list[str]
    columns: list[str]
    counts: list[list[int]]

    def to_json(self) -> dict:
        return {"rows": self.rows, "columns": self.columns, "counts": self.counts}


def label_confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = ()
) -> Confusion:
    """Per item (token or sentence) gold label against predicted label; `labels` fixes the
    order (others that occur are added, sorted)."""
    pairs = Counter(zip(gold, predicted, strict=True))
    names = list(labels) + sorted({x for pair in pairs for x in pair} - set(labels))
    index = {name: i for i, name in enumerate(names)}
    counts = [[0] * len(names) for _ in names]
    for (g, p), n in pairs.items():
        counts[index[g]][index[p]] += n
    return Confusion(names, names, counts)


def tag_confusion(gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]) -> Confusion:
    """Token tags, gold against predicted, over sentences; labels by frequency in gold."""
    flat_gold = [t for sentence in gold for t in sentence]
    flat_predicted = [t for sentence in predicted for t in sentence]
    order = [label for label, _ in Counter(flat_gold).most_common()]
    return label_confusion(flat_gold, flat_predicted, order)


def entity_confusion(
    gold: Sequence[Sequence[str]], predicted: Sequence[Sequence[str]]
) -> Confusion:
    """IOB2 entities: a gold entity whose exact span is predicted counts under (gold type,
    predicted type); one with no predicted entity of that span under (type, missed); a
    predicted entity with no gold entity of that span under (spurious, type)."""
    from seqeval.metrics.sequence_labeling import get_entities

    pairs: Counter[tuple[str, str]] = Counter()
    for g_sentence, p_sentence in zip(gold, predicted, strict=True):
        g_spans = {(start, end): kind for kind, start, end in get_entities(list(g_sentence))}
        p_spans = {(start, end): kind for kind, start, end in get_entities(list(p_sentence))}
        for span, kind in g_spans.items():
            pairs[(kind, p_spans.get(span, MISSED))] += 1
        for span, kind in p_spans.items():
            if span not in g_spans:
                pairs[(SPURIOUS, kind)] += 1
    types = sorted({k for pair in pairs for k in pair} - {MISSED, SPURIOUS})
    rows, columns = [*types, SPURIOUS], [*types, MISSED]
    counts = [[pairs[(r, c)] for c in columns] for r in rows]
    return Confusion(rows, columns, counts)
