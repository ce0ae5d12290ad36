"""Gate statistics over a corpus: saturation (Karpathy et al. 2015) and the units that
forget and retain most, with the words that drive them.

A gate unit is left-saturated when its value is below 0.1 on more than half of the
tokens, right-saturated when above 0.9 on more than half; Karpathy, Johnson and Fei-Fei
("Visualizing and understanding recurrent networks") plot each unit's two fractions
against each other. The forget gate (the update gate of a GRU) says how much of its
memory a unit keeps at each token: its lowest-mean units are the forgetful ones, its
highest the retentive ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

from tagger.data.batching import length_batches
from tagger.explain.explanation import ordinary
from tagger.explain.gates import recompute
from tagger.predict import Predictor

LOW, HIGH = 0.1, 0.9  # saturation thresholds
MOST = 0.5  # saturated on more than this fraction of the tokens
TOP_UNITS = 3  # forgetful and retentive units listed per layer and direction
TOP_WORDS = 8  # words listed per unit
MIN_COUNT = 3  # a word must occur this often to be listed


@dataclass
class _Counts:
    low: torch.Tensor  # (hidden,) tokens below LOW
    high: torch.Tensor  # (hidden,) tokens above HIGH
    total: torch.Tensor  # (hidden,) sum of the values


@dataclass
class GateStats:
    """What --stats reports, per (layer, direction) and gate."""

    tokens: int
    gates: tuple[str, ...]
    keep_gate: str  # forget (LSTM) or update (GRU)
    # (layer, direction) -> gate -> per-unit fractions and means, each (hidden,)
    left: dict[tuple[int, str], dict[str, torch.Tensor]] = field(default_factory=dict)
    right: dict[tuple[int, str], dict[str, torch.Tensor]] = field(default_factory=dict)
    mean: dict[tuple[int, str], dict[str, torch.Tensor]] = field(default_factory=dict)
    units: dict[tuple[int, str], list[dict]] = field(default_factory=dict)

    def table(self) -> list[dict]:
        """Rows of the saturation table: layer, direction, gate, % units left/right-saturated."""
        rows = []
        for (layer, direction), gates in self.left.items():
            for gate in self.gates:
                left = gates[gate] > MOST
                right = self.right[(layer, direction)][gate] > MOST
                rows.append(
                    {
                        "layer": layer + 1,
                        "direction": direction,
                        "gate": gate,
                        "left_saturated": float(left.float().mean()),
                        "right_saturated": float(right.float().mean()),
                        "mean": float(self.mean[(layer, direction)][gate].mean()),
                    }
                )
        return rows

    def to_json(self) -> dict:
        return {
            "tokens": self.tokens,
            "thresholds": {"low": LOW, "high": HIGH, "most_tokens": MOST},
            "saturation": self.table(),
            "units": [
                {"layer": layer + 1, "direction": direction, **unit}
                for (layer, direction), units in self.units.items()
                for unit in units
            ],
        }


def gate_stats(
    predictor: Predictor, sentences: Sequence[Sequence[str]], batch_size: int = 128
) -> GateStats:
    """Saturation and forgetful/retentive units of the predictor's BiLSTM over sentences."""
    model = predictor.labeller.model.eval()
    rnn = model.encoder.rnn
    lstm = isinstance(rnn, torch.nn.LSTM)
    gates = ("input", "forget", "output") if lstm else ("reset", "update")
    keep = "forget" if lstm else "update"
    sentences = [list(s) for s in sentences if len(s)]
    if not sentences:
        raise ValueError("--stats: the corpus has no sentences")
    vocabulary: dict[str, int] = {}
    counts: dict[tuple[int, str, str], _Counts] = {}
    by_word: dict[tuple[int, str], torch.Tensor] = {}  # (words, hidden) sums of the keep gate
    word_counts = torch.zeros(0)
    tokens = 0
    for group in length_batches([len(s) for s in sentences], batch_size):
        batch_sentences = [sentences[i] for i in group]
        batch = ordinary(predictor.labeller.encode(batch_sentences))
        with torch.no_grad():
            embedded = model.embedder(batch)
            layers = recompute(rnn, model.encoder_input(embedded, batch.mask), batch.lengths)
        layers = [
            {d: {k: v.cpu() for k, v in p.items()} for d, p in layer.items()} for layer in layers
        ]
        mask = batch.mask.cpu()
        ids = torch.tensor(
            [vocabulary.setdefault(w, len(vocabulary)) for s in batch_sentences for w in s]
        )
        if len(vocabulary) > len(word_counts):
            word_counts = torch.cat([word_counts, torch.zeros(len(vocabulary) - len(word_counts))])
        word_counts.index_add_(0, ids, torch.ones(len(ids)))
        tokens += len(ids)
        for number, layer in enumerate(layers):
            for direction, parts in layer.items():
                for gate in gates:
                    values = parts[gate][mask]  # (tokens, hidden), sentence by sentence
                    key = (number, direction, gate)
                    if key not in counts:
                        counts[key] = _Counts(*(torch.zeros(values.shape[1]) for _ in range(3)))
                    found = counts[key]
                    found.low += (values < LOW).sum(0)
                    found.high += (values > HIGH).sum(0)
                    found.total += values.sum(0)
                sums = by_word.get((number, direction), torch.zeros(0, rnn.hidden_size))
                if len(sums) < len(vocabulary):
                    grown = torch.zeros(len(vocabulary) - len(sums), rnn.hidden_size)
                    sums = torch.cat([sums, grown])
                by_word[(number, direction)] = sums.index_add_(0, ids, parts[keep][mask])
    words = list(vocabulary)
    stats = GateStats(tokens=tokens, gates=gates, keep_gate=keep)
    for (number, direction, gate), found in counts.items():
        key = (number, direction)
        stats.left.setdefault(key, {})[gate] = found.low / tokens
        stats.right.setdefault(key, {})[gate] = found.high / tokens
        stats.mean.setdefault(key, {})[gate] = found.total / tokens
    frequent = word_counts >= MIN_COUNT
    for key, sums in by_word.items():
        means = sums / word_counts.clamp(min=1).unsqueeze(1)  # (words, hidden)
        unit_means = stats.mean[key][keep]
        order = unit_means.argsort()
        chosen = [("forgetful", int(u)) for u in order[:TOP_UNITS]]
        chosen += [("retentive", int(u)) for u in order.flip(0)[:TOP_UNITS]]
        stats.units[key] = [
            _unit(kind, unit, float(unit_means[unit]), means[:, unit], frequent, words, keep)
            for kind, unit in chosen
        ]
    return stats


def _unit(
    kind: str,
    unit: int,
    mean: float,
    per_word: torch.Tensor,
    frequent: torch.Tensor,
    words: list[str],
    keep: str,
) -> dict:
    """One listed unit: its mean keep gate, and the frequent words on which it keeps least
    (what makes it forget) and most (what makes it hold on)."""
    candidates = frequent.nonzero().squeeze(1)
    values = per_word[candidates]
    lowest = candidates[values.argsort()[:TOP_WORDS]]
    highest = candidates[values.argsort(descending=True)[:TOP_WORDS]]
    return {
        "kind": kind,
        "unit": unit,
        f"mean_{keep}": mean,
        "forgets_at": [(words[i], round(float(per_word[i]), 3)) for i in lowest],
        "keeps_at": [(words[i], round(float(per_word[i]), 3)) for i in highest],
    }
