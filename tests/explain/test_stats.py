"""Gate statistics over a corpus: fractions, units and the words listed for them."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tagger.explain.stats import HIGH, LOW, gate_stats
from tagger.predict import Predictor

SENTENCES = [["the", "dog", "sees", "a", "cat", "."]] + [["a", "cat", "."], ["the", "dog", "."]] * 3


def test_saturation_fractions_match_a_direct_count(pos_model: Path) -> None:
    from tagger.explain.explanation import explain

    predictor = Predictor.load(pos_model)
    stats = gate_stats(predictor, SENTENCES, batch_size=2)
    assert stats.tokens == sum(len(s) for s in SENTENCES)
    # Count the forget gate of layer 1 forward directly, sentence by sentence.
    values = torch.cat(
        [explain(predictor, s, saliency="none").layers[0]["forward"]["forget"] for s in SENTENCES]
    )  # (tokens, hidden)
    assert torch.allclose(stats.left[(0, "forward")]["forget"], (values < LOW).float().mean(0))
    assert torch.allclose(stats.right[(0, "forward")]["forget"], (values > HIGH).float().mean(0))
    assert torch.allclose(stats.mean[(0, "forward")]["forget"], values.mean(0), atol=1e-6)
    rows = stats.table()
    assert len(rows) == 2 * 2 * 3  # layers x directions x gates
    assert all(0 <= r["left_saturated"] <= 1 and 0 <= r["right_saturated"] <= 1 for r in rows)


def test_forgetful_and_retentive_units_with_their_words(pos_model: Path) -> None:
    stats = gate_stats(Predictor.load(pos_model), SENTENCES)
    units = stats.units[(1, "backward")]
    assert [u["kind"] for u in units] == ["forgetful"] * 3 + ["retentive"] * 3
    means = [u["mean_forget"] for u in units]
    assert means[:3] == sorted(means[:3]) and max(means[:3]) <= min(means[3:])
    for unit in units:
        words = [w for w, _ in unit["forgets_at"]]
        assert set(words) <= {"the", "dog", "a", "cat", "."}  # words seen at least 3 times
        values = [v for _, v in unit["forgets_at"]]
        assert values == sorted(values)
    assert stats.to_json()["units"][0]["layer"] == 1


def test_an_empty_corpus_is_a_clear_error(pos_model: Path) -> None:
    with pytest.raises(ValueError, match="no sentences"):
        gate_stats(Predictor.load(pos_model), [[]])
