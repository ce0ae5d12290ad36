"""The signature tests for sentence models: overfit, save, load, same answer; batch equals single.

The toy corpus (tests/conftest.py) is `LABEL text` lines whose label follows from one word
(good/great/fine -> pos, bad/awful/dull -> neg) at a varying position.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from fixtures_models import TrainedModel

from tagger.callbacks import TrainState
from tagger.config import Config
from tagger.data.dataset import as_examples
from tagger.data.sentences import read_label_lines, sentence_dataset
from tagger.evaluate import evaluate, evaluate_corpus, format_report, sentence_scores
from tagger.io import read_artifact, write_artifact
from tagger.model.build import build_model
from tagger.model.pooling import SentenceHead
from tagger.predict import Predictor
from tagger.train import train
from tagger.trainer import Trainer
from tagger.training_data import build_vocabs

TinyConfig = Callable[..., Config]
Toy = Callable[[str], list[tuple[str, str]]]

ODD = [
    ["good"],
    ["the", "zebra", "was", "splendid", "."],  # unknown words
    ["the", "movie", "was", "great", "and", "the", "plot", "was", "fine", "too"] * 3,
    ["GOOD", "Film"],  # casing the corpus never had
]


def examples(config: Config, split: str) -> tuple[list[list[str]], list[str]]:
    """Token lists and label strings of a toy split."""
    return as_examples(read_label_lines(getattr(config.data, split)))


@pytest.fixture(scope="module", params=["last", "max", "mean", "attention"])
def trained(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_sentiment_config: TinyConfig,
) -> tuple[Config, Path, dict]:
    """(config, model folder, train() result) of a tiny model of each pooling, fitted (no
    training.png, which costs more to draw than the training)."""
    if request.param == "attention":  # the shared model's pooling
        shared: TrainedModel = request.getfixturevalue("shared_sentiment")
        return shared.config, shared.path, shared.summary
    folder = tmp_path_factory.mktemp(f"sentiment-{request.param}")
    config = tiny_sentiment_config(folder, pooling=request.param)
    result = train(config, folder / "model", progress=False, plots=False)
    return config, folder / "model", result


# --- overfit, save, load, same answer ---


def test_overfits_the_toy_corpus(trained: tuple) -> None:
    config, model, result = trained
    assert result["dev_score"] == 1.0
    predictor = Predictor.load(model)
    for split in ("train", "dev"):
        tokens, labels = examples(config, split)
        assert [label for label, _ in predictor.classify(tokens)] == labels, split


def test_artifact_is_a_sentence_model(trained: tuple) -> None:
    config, model, _ = trained
    assert json.loads((model / "config.json").read_text(encoding="utf-8"))["task"] == "sentiment"
    assert json.loads((model / "meta.json").read_text(encoding="utf-8"))["task"] == "sentiment"
    artifact = read_artifact(model)
    assert artifact.config == config
    assert artifact.vocabs.labels.items == ["neg", "pos"]  # the corpus's order (sorted names)
    assert isinstance(artifact.model.head, SentenceHead)
    assert artifact.model.head.pooling == config.model.pooling
    assert artifact.model.head.linear.out_features == 2


def test_probabilities_sum_to_one_and_match_the_label(trained: tuple) -> None:
    config, model, _ = trained
    tokens, _ = examples(config, "dev")
    for label, probs in Predictor.load(model).classify(tokens + ODD):
        assert list(probs) == ["neg", "pos"]
        assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
        assert all(0.0 <= p <= 1.0 for p in probs.values())
        assert label == max(probs, key=probs.__getitem__)


def test_in_memory_save_load_same_answer(tmp_path: Path, tiny_sentiment_config: TinyConfig) -> None:
    config = tiny_sentiment_config(tmp_path, train={"max_epochs": 4}, pooling="attention")
    tokens, labels = examples(config, "train")
    dev = examples(config, "dev")
    vocabs, vectors = build_vocabs(config, tokens, ["neg", "pos"])
    torch.manual_seed(0)
    trainer = Trainer(config, vocabs, build_model(config.model, vocabs, vectors, True))
    state = trainer.fit((tokens, labels), dev, TrainState(), callbacks=[])
    in_memory = Predictor(trainer.artifact(state))
    write_artifact(tmp_path / "saved", trainer.artifact(state))
    loaded = Predictor.load(tmp_path / "saved")

    sentences = dev[0] + ODD
    assert loaded.classify(sentences) == in_memory.classify(sentences)  # labels and probs
    batch = loaded.encoder.encode(sentences)
    with torch.no_grad():
        assert torch.equal(loaded.artifact.model(batch), in_memory.artifact.model.eval()(batch))
    assert loaded.artifact.config == config
    assert loaded.artifact.vocabs.to_json() == vocabs.to_json()


def test_read_write_read_same_answer(trained: tuple, tmp_path: Path) -> None:
    config, model, _ = trained
    tokens, _ = examples(config, "dev")
    first = Predictor.load(model).classify(tokens + ODD)
    write_artifact(tmp_path / "copy", read_artifact(model))
    assert Predictor.load(tmp_path / "copy").classify(tokens + ODD) == first


# --- batch equals single ---


def test_batch_equals_single_in_input_order(trained: tuple) -> None:
    config, model, _ = trained
    tokens, labels = examples(config, "dev")
    sentences = tokens[:3] + [ODD[0], [], ODD[1]] + tokens[3:] + [ODD[2], [], ODD[3]]
    predictor = Predictor.load(model, batch_size=3)  # several batches, sorted by length

    together = predictor.classify(sentences)
    one_by_one = [predictor.classify([s])[0] for s in sentences]

    assert len(together) == len(sentences)
    assert [label for label, _ in together] == [label for label, _ in one_by_one]
    for (_, a), (_, b) in zip(together, one_by_one, strict=True):
        assert a == pytest.approx(b, abs=1e-6)
    dev_results = together[:3] + together[6 : 6 + len(tokens) - 3]
    assert [label for label, _ in dev_results] == labels  # right labels, right places
    assert predictor.classify([]) == []


def test_empty_sentence_is_an_unknown_word(trained: tuple) -> None:
    _, model, _ = trained
    predictor = Predictor.load(model)
    [(label, probs)] = predictor.classify([[]])
    assert label in ("neg", "pos")
    assert sum(probs.values()) == pytest.approx(1.0, abs=1e-6)
    (empty, empty_probs), _ = predictor.classify([[], ["<unk>"]])
    [(unknown, unknown_probs)] = predictor.classify([["<unk>"]])
    assert empty == unknown
    assert empty_probs == pytest.approx(unknown_probs, abs=1e-6)  # other batch, other rounding


def test_classify_needs_a_sentence_model(shared_pos: TrainedModel) -> None:
    with pytest.raises(ValueError, match="classify needs a sentence model; this one is 'pos'"):
        Predictor.load(shared_pos.path).classify([["the", "dog"]])


def test_predict_on_a_sentence_model_says_use_classify(trained: tuple) -> None:
    _, model, _ = trained
    with pytest.raises(ValueError, match="classify"):
        Predictor.load(model).predict([["a", "good", "film"]])


# --- evaluation ---


def test_sentence_scores_hand_case() -> None:
    labels = ["neg", "neu", "pos"]
    gold = ["neg", "neg", "neg", "neu", "pos", "pos"]
    predicted = ["neg", "neg", "pos", "neg", "pos", "neg"]
    scores = sentence_scores(gold, predicted, labels)
    # rows gold, columns predicted
    assert scores["confusion"] == [[2, 0, 1], [1, 0, 0], [1, 0, 1]]
    assert scores["accuracy"] == pytest.approx(3 / 6)
    assert scores["n_sentences"] == 6
    assert scores["labels"] == labels
    neg, neu, pos = (scores["per_class"][label] for label in labels)
    assert (neg["precision"], neg["recall"], neg["support"]) == (pytest.approx(2 / 4), 2 / 3, 3)
    assert neg["f1"] == pytest.approx(2 * (1 / 2) * (2 / 3) / (1 / 2 + 2 / 3))
    assert (neu["precision"], neu["recall"], neu["f1"], neu["support"]) == (0.0, 0.0, 0.0, 1)
    assert (pos["precision"], pos["recall"], pos["f1"], pos["support"]) == (0.5, 0.5, 0.5, 2)
    assert scores["macro_f1"] == pytest.approx((neg["f1"] + 0.0 + 0.5) / 3)


def test_sentence_scores_unknown_gold_label() -> None:
    with pytest.raises(ValueError, match=r"gold labels \['meh'\] are not among"):
        sentence_scores(["pos", "meh"], ["pos", "pos"], ["neg", "pos"])


def test_sentence_report() -> None:
    scores = sentence_scores(["neg", "pos", "pos"], ["neg", "neg", "pos"], ["neg", "pos"])
    report = format_report(scores)
    assert report.startswith("accuracy  66.67  macro-F1 66.67  (3 sentences)")
    lines = report.splitlines()
    at = lines.index("confusion (rows gold, columns predicted)")
    assert lines[at + 1].split() == ["neg", "pos"]
    assert lines[at + 2].split() == ["neg", "1", "0"]
    assert lines[at + 3].split() == ["pos", "1", "1"]


def test_evaluate_and_evaluate_corpus(trained: tuple) -> None:
    config, model, _ = trained
    predictor = Predictor.load(model)
    scores = evaluate(predictor, read_label_lines(config.data.dev))
    n_dev = len(examples(config, "dev")[1])
    assert scores["accuracy"] == 1.0 and scores["macro_f1"] == 1.0
    assert scores["n_sentences"] == n_dev
    assert set(scores["per_class"]) == {"neg", "pos"}
    assert sum(map(sum, scores["confusion"])) == n_dev
    assert evaluate_corpus(predictor, config.data.dev) == scores


def test_evaluate_unknown_gold_label_names_it(trained: tuple, tmp_path: Path) -> None:
    _, model, _ = trained
    predictor = Predictor.load(model)
    path = tmp_path / "dev.txt"
    path.write_text("pos the movie was good .\nneutral the movie was a movie .\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\['neutral'\]"):
        evaluate_corpus(predictor, str(path))
    dataset = sentence_dataset(["a good film", "so so"], ["pos", "mixed"])
    with pytest.raises(ValueError, match=r"\['mixed'\] are not among the model's labels"):
        evaluate(predictor, dataset)
