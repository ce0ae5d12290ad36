"""explain(): labels as tagging gives them, gates that follow the LSTM equations, saliency."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from tagger.config import Config
from tagger.data.batching import BatchEncoder
from tagger.explain.explanation import explain
from tagger.explain.gates import LSTM_PARTS
from tagger.explain.saliency import gradient_times_input, integrated_gradients
from tagger.predict import Predictor

SENTENCE = ["the", "old", "dog", "sees", "a", "cat", "."]


def test_pos_explanation_matches_tagging_and_the_equations(pos_model: Path) -> None:
    predictor = Predictor.load(pos_model)
    found = explain(predictor, SENTENCE)
    tags, probs = predictor.predict_scored([SENTENCE])[0]
    assert found.labels == tags
    assert found.probs == pytest.approx(probs, abs=1e-6)
    data = json.loads(json.dumps(found.to_json()))
    assert data["tokens"] == SENTENCE and data["labels"] == tags
    assert len(data["layers"]) == 2
    for layer in data["layers"]:
        for direction in ("forward", "backward"):
            parts = {k: torch.tensor(v) for k, v in layer[direction].items()}
            assert tuple(parts) == LSTM_PARTS
            assert parts["hidden"].shape == (len(SENTENCE), 16)
            # c_t = f_t * c_(t-1) + i_t * g_t, in each direction's own reading order
            cell = parts["cell"] if direction == "forward" else parts["cell"].flip(0)
            f, i, g = (
                parts[k] if direction == "forward" else parts[k].flip(0)
                for k in ("forget", "input", "candidate")
            )
            previous = torch.cat([torch.zeros(1, 16), cell[:-1]])
            assert (f * previous + i * g - cell).abs().max() < 1e-5
            assert (parts["output"] * parts["cell"].tanh() - parts["hidden"]).abs().max() < 1e-5


def test_recomputed_top_layer_equals_the_encoder(pos_model: Path) -> None:
    predictor = Predictor.load(pos_model)
    found = explain(predictor, SENTENCE, saliency="none")
    model = predictor.artifact.model.eval()
    with torch.inference_mode():
        states = model.encode(BatchEncoder(predictor.artifact.vocabs).encode([SENTENCE]))[0]
    top = torch.cat(
        [found.layers[-1]["forward"]["hidden"], found.layers[-1]["backward"]["hidden"]], -1
    )
    assert (top - states).abs().max() <= 1e-5
    assert found.saliency is None


def test_ner_saliency_is_a_row_per_token(ner_model: Path) -> None:
    predictor = Predictor.load(ner_model)
    tokens = ["John", "Smith", "lives", "in", "Paris", "."]
    found = explain(predictor, tokens)
    assert found.labels == predictor.predict([tokens])[0]
    assert found.saliency is not None and found.saliency.shape == (6, 6)
    assert torch.isfinite(found.saliency).all()


def test_sentiment_attention_sums_to_one_and_saliency_finds_the_word(
    sentiment_model: Path,
) -> None:
    predictor = Predictor.load(sentiment_model)
    tokens = ["the", "movie", "was", "awful", "."]
    found = explain(predictor, tokens)
    label, classes = predictor.classify([tokens])[0]
    assert found.labels == [label] == ["neg"]
    assert found.classes == pytest.approx(classes)
    assert found.attention is not None
    assert float(found.attention.sum()) == pytest.approx(1.0, abs=1e-5)
    assert found.saliency is not None and found.saliency.shape == (1, 5)
    # The one word that decides the label carries the most of it.
    assert int(found.saliency[0].abs().argmax()) == 3
    data = found.to_json()
    assert set(data) >= {"tokens", "labels", "probs", "layers", "classes", "attention"}


def test_integrated_gradients_complete_and_ignore_padding() -> None:
    torch.manual_seed(0)
    rnn = torch.nn.LSTM(3, 4, batch_first=True, bidirectional=True).eval()
    lengths = torch.tensor([3])  # positions 3 and 4 are padding the model cannot see

    def score(path: torch.Tensor) -> torch.Tensor:
        from tagger.model.mirrored import bidirectional

        out = bidirectional(rnn, path, lengths.expand(path.shape[0]))  # (n, 5, 8)
        return out[:, :3].sum(dim=(1, 2)).unsqueeze(1)  # (n, 1)

    x = torch.randn(5, 3)
    heat = integrated_gradients(score, x, steps=200)
    assert heat.shape == (1, 5)
    assert heat[0, 3:].abs().max() == 0
    with torch.no_grad():
        expected = score(x[None]) - score(torch.zeros(1, 5, 3))
    assert float(heat.sum()) == pytest.approx(float(expected), abs=1e-3)
    plain = gradient_times_input(score, x)
    assert plain.shape == (1, 5) and plain[0, 3:].abs().max() == 0 and plain[0, :3].abs().sum() > 0


def test_saliency_methods(ner_model: Path, sentiment_model: Path) -> None:
    tokens = ["John", "Smith", "lives", "in", "Paris", "."]
    tagger = Predictor.load(ner_model)
    assert explain(tagger, tokens).saliency_method == "grad"  # auto: a backward per token
    ig = explain(tagger, tokens, saliency="ig", steps=4)
    assert ig.saliency_method == "ig" and ig.saliency is not None and ig.saliency.shape == (6, 6)
    assert explain(Predictor.load(sentiment_model), ["a", "good", "film"]).saliency_method == "ig"
    none = explain(tagger, tokens, saliency="none")
    assert none.saliency is None and "saliency" not in none.to_json()
    with pytest.raises(ValueError, match="expected one of auto, ig, grad, none"):
        explain(tagger, tokens, saliency="captum")


def test_explain_refuses_an_empty_sentence(pos_model: Path) -> None:
    with pytest.raises(ValueError, match="at least one token"):
        explain(Predictor.load(pos_model), [])


@pytest.mark.parametrize("overrides", [{"rnn": "gru"}, {"word_cnn": 6, "word_cnn_widths": "3"}])
def test_gru_and_word_cnn_models_explain_too(
    overrides: dict, tiny_config: Callable[..., Config], tmp_path: Path
) -> None:
    from tagger.data.conllu import read_conllu
    from tagger.data.dataset import as_lists
    from tagger.io import Artifact
    from tagger.model.build import build_model
    from tagger.training_data import build_vocabs

    config = tiny_config(tmp_path, layers=2, **overrides)
    tokens, tags = as_lists(read_conllu(config.data.train))
    vocabs, vectors = build_vocabs(config, tokens, sorted({t for s in tags for t in s}))
    torch.manual_seed(0)
    predictor = Predictor(Artifact(config, vocabs, build_model(config.model, vocabs, vectors)))
    found = explain(predictor, SENTENCE)
    model = predictor.artifact.model.eval()
    with torch.inference_mode():
        states = model.encode(BatchEncoder(vocabs).encode([SENTENCE]))[0]
    top = found.layers[-1]
    assert (
        torch.cat([top["forward"]["hidden"], top["backward"]["hidden"]], -1) - states
    ).abs().max() <= 1e-5
    expected = (
        ("reset", "update", "candidate", "hidden") if overrides.get("rnn") == "gru" else LSTM_PARTS
    )
    assert tuple(top["forward"]) == expected
    assert found.saliency is not None and torch.isfinite(found.saliency).all()
    from tagger.explain.plots import sentence_pictures

    assert all(png.startswith(b"\x89PNG") for png in sentence_pictures(found).values())
