"""The signature tests for NER: overfit an IOB1 toy corpus, save, load, same entities.

The toy corpus (tests/conftest.py) is a CoNLL-2003-like IOB1 column file whose IOB2 tags
follow from the words; the models learn BIOES and predict IOB2 unless asked otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from fixtures_models import TrainedModel

from tagger.callbacks import TrainState
from tagger.config import Config
from tagger.data.columns import read_columns
from tagger.data.dataset import as_lists, token_dataset
from tagger.data.schemes import Repairs, convert, convert_all, spans
from tagger.evaluate import evaluate, evaluate_corpus
from tagger.formats import entity_records
from tagger.io import read_artifact, write_artifact
from tagger.model.build import build_model
from tagger.model.heads import CRFHead, SoftmaxHead
from tagger.predict import Predictor
from tagger.tasks import get_task
from tagger.train import train
from tagger.trainer import Trainer
from tagger.training_data import build_vocabs

TinyConfig = Callable[..., Config]
Gold = Callable[[str], tuple[list[list[str]], list[list[str]]]]

ODD = [
    ["Mary"],
    ["Zorro", "visited", "Atlantis", "."],  # unknown words
    ["New", "York", "Paris", "Acme", "Corp", "John", "Smith", "Anna"],  # entities only
    ["York", "Inc", "Smith", "the", "New"],  # continuations without a start
    ["Paris", "Rome", "Oslo", "Berlin"] * 4,
]


def well_formed(tags: list[str], scheme: str) -> bool:
    counter = Repairs()
    spans(tags, scheme, counter)
    return counter.count == 0 and convert(tags, scheme, scheme) == tags


@pytest.fixture(scope="module", params=["crf", "softmax"])
def trained(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    tiny_ner_config: TinyConfig,
) -> tuple[Config, Path, dict]:
    """(config, model folder, train() result) of a tiny NER model fitted to the toy corpus
    (no training.png, which costs more to draw than the training)."""
    if request.param == "crf":  # the shared model's head
        shared: TrainedModel = request.getfixturevalue("shared_ner")
        return shared.config, shared.path, shared.summary
    folder = tmp_path_factory.mktemp(f"ner-{request.param}")
    config = tiny_ner_config(folder, head=request.param)
    result = train(config, folder / "model", progress=False, plots=False)
    return config, folder / "model", result


# --- overfit, save, load, same answer ---


def test_overfits_the_toy_corpus(trained: tuple, toy_ner_gold: Gold) -> None:
    config, model, result = trained
    assert result["dev_score"] == 1.0
    predictor = Predictor.load(model)
    for split in ("dev", "train"):
        tokens, gold = toy_ner_gold(split)
        assert predictor.predict(tokens) == gold, split  # IOB2 by default


def test_artifact_records_the_schemes_and_head(trained: tuple) -> None:
    config, model, _ = trained
    artifact = read_artifact(model)
    assert artifact.config.task == "ner" and artifact.meta["task"] == "ner"
    assert artifact.config.data.scheme == "iob1"  # detected from the IOB1 training file
    assert config.data.scheme == ""  # the input config left it to detection
    assert artifact.config.model.scheme == "bioes"
    labels = artifact.vocabs.labels.items
    assert {"S-LOC", "B-PER", "E-PER", "B-ORG", "E-ORG", "O"} <= set(labels)
    head = artifact.model.head
    if artifact.config.model.head == "crf":
        assert isinstance(head, CRFHead)
        # the constraints are saved with the weights, as a function of the labels
        allowed = head.crf.allowed
        i = {label: k for k, label in enumerate(labels)}
        assert not allowed[i["B-PER"], i["O"]] and allowed[i["B-PER"], i["E-PER"]]
    else:
        assert isinstance(head, SoftmaxHead)


def test_read_write_read_same_answer(trained: tuple, tmp_path: Path, toy_ner_gold: Gold) -> None:
    _, model, _ = trained
    tokens = toy_ner_gold("dev")[0] + ODD
    artifact = read_artifact(model)
    first = Predictor(artifact).predict_scored(tokens)
    write_artifact(tmp_path / "copy", artifact)
    assert Predictor.load(tmp_path / "copy").predict_scored(tokens) == first
    assert Predictor.load(model).predict_scored(tokens) == first


def test_in_memory_equals_saved_and_loaded(tmp_path: Path, tiny_ner_config: TinyConfig) -> None:
    config = tiny_ner_config(tmp_path, train={"max_epochs": 4})
    train_set = as_lists(read_columns(config.data.train))
    dev = as_lists(read_columns(config.data.dev))
    config, (_, train_tags), dev, _ = get_task("ner").prepare(config, train_set, dev, ([], []))
    assert config.data.scheme == "iob1"
    assert all(well_formed(t, "bioes") for t in train_tags)  # the model's scheme
    assert all(well_formed(t, "iob2") for t in dev[1])  # for scoring
    labels = sorted({t for s in train_tags + dev[1] for t in s})
    vocabs, vectors = build_vocabs(config, train_set[0], labels)
    torch.manual_seed(0)
    trainer = Trainer(config, vocabs, build_model(config.model, vocabs, vectors))
    state = trainer.fit((train_set[0], train_tags), dev, TrainState(), callbacks=[])
    in_memory = Predictor(trainer.artifact(state))
    write_artifact(tmp_path / "saved", trainer.artifact(state))
    loaded = Predictor.load(tmp_path / "saved")

    sentences = dev[0] + ODD
    assert loaded.predict(sentences) == in_memory.predict(sentences)
    assert loaded.predict_scored(sentences) == in_memory.predict_scored(sentences)
    assert loaded.artifact.config == config


# --- output schemes ---


@pytest.mark.parametrize("scheme", ["iob2", "bioes", "iob1"])
def test_predictions_are_well_formed_in_the_asked_scheme(
    trained: tuple, toy_ner_gold: Gold, scheme: str
) -> None:
    _, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    predictor = Predictor.load(model)
    predicted = predictor.predict(tokens + ODD, scheme=scheme)
    for tags in predicted:
        assert well_formed(tags, scheme), tags
    assert predicted[: len(gold)] == [convert(g, "iob2", scheme) for g in gold]
    iob2 = predictor.predict(tokens + ODD)
    assert [spans(t, scheme) for t in predicted] == [spans(t, "iob2") for t in iob2]


def test_predictor_scheme_is_the_default_output(trained: tuple, toy_ner_gold: Gold) -> None:
    _, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    predictor = Predictor.load(model, scheme="bioes")
    assert predictor.predict(tokens) == [convert(g, "iob2", "bioes") for g in gold]
    assert predictor.predict(tokens, scheme="iob2") == gold


def test_unknown_output_scheme_raises(trained: tuple) -> None:
    _, model, _ = trained
    with pytest.raises(ValueError, match="'bio'"):
        Predictor.load(model).predict([["Mary", "visited", "Paris"]], scheme="bio")


# --- batch equals single; scores ---


def test_batch_equals_single_in_input_order(trained: tuple, toy_ner_gold: Gold) -> None:
    _, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    sentences = tokens[:3] + [ODD[0], [], ODD[1]] + tokens[3:] + [ODD[4], []]
    predictor = Predictor.load(model, batch_size=3)  # several batches, sorted by length

    together = predictor.predict_scored(sentences)
    one_by_one = [predictor.predict_scored([s])[0] for s in sentences]

    assert [t for t, _ in together] == [t for t, _ in one_by_one]
    for (_, a), (_, b) in zip(together, one_by_one, strict=True):
        assert a == pytest.approx(b, abs=1e-5)  # padding may change float sums a little
    assert together[4] == ([], [])
    assert [t for t, _ in together[:3] + together[6:-2]] == gold


def test_predict_scored_gives_probabilities(trained: tuple, toy_ner_gold: Gold) -> None:
    _, model, _ = trained
    tokens, _ = toy_ner_gold("dev")
    predictor = Predictor.load(model)
    scored = predictor.predict_scored(tokens + ODD)
    assert [tags for tags, _ in scored] == predictor.predict(tokens + ODD)
    for sentence, (tags, probs) in zip(tokens + ODD, scored, strict=True):
        assert len(probs) == len(tags) == len(sentence)
        assert all(0.0 <= p <= 1.0 + 1e-6 for p in probs)
    # The fitted model leans towards the dev tags it gets right.
    dev_probs = [p for _, probs in scored[: len(tokens)] for p in probs]
    assert sum(dev_probs) / len(dev_probs) > 0.6


def test_head_probabilities_sum_to_one(trained: tuple, toy_ner_gold: Gold) -> None:
    _, model, _ = trained
    predictor = Predictor.load(model)
    tokens = toy_ner_gold("dev")[0][:4] + ODD
    batch = predictor.encoder.encode(tokens)
    with torch.no_grad():
        scores = predictor.artifact.model.eval()(batch)
        probs = predictor.artifact.model.head.probabilities(scores, batch.mask)
    assert probs.shape == (len(tokens), batch.mask.shape[1], len(predictor.labels))
    real = probs[batch.mask]  # (tokens, n_labels)
    torch.testing.assert_close(real.sum(-1), torch.ones(len(real)), atol=1e-4, rtol=0)


def test_tag_tokens_with_entity_records(trained: tuple) -> None:
    _, model, _ = trained
    sentence = ["John", "Smith", "works", "for", "Acme", "Corp", "in", "New", "York", "."]
    (tagged,) = Predictor.load(model).tag_tokens([sentence], scores=True)
    assert tagged.tags == "B-PER I-PER O O B-ORG I-ORG O B-LOC I-LOC O".split()
    records = entity_records(tagged, "iob2")
    assert [(r["start"], r["end"], r["label"], r["text"]) for r in records] == [
        (0, 2, "PER", "John Smith"),
        (4, 6, "ORG", "Acme Corp"),
        (7, 9, "LOC", "New York"),
    ]
    for r in records:
        assert r["score"] == pytest.approx(sum(tagged.scores[r["start"] : r["end"]]) / 2, abs=1e-4)


# --- evaluate ---

SCORE_KEYS = {"f1", "precision", "recall", "per_type", "accuracy", "n_tokens", "n_entities"}


def test_evaluate_corpus_on_the_iob1_dev_file(trained: tuple, toy_ner_gold: Gold) -> None:
    config, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    scores = evaluate_corpus(Predictor.load(model), config.data.dev)
    assert SCORE_KEYS <= set(scores)
    assert scores["f1"] == scores["precision"] == scores["recall"] == 1.0
    assert scores["accuracy"] == 1.0
    assert scores["n_tokens"] == sum(len(s) for s in tokens)
    assert scores["n_entities"] == sum(t.startswith("B-") for s in gold for t in s)
    assert set(scores["per_type"]) == {"PER", "LOC", "ORG"}
    assert set(scores["per_type"]["LOC"]) == {"precision", "recall", "f1", "support"}
    assert scores["per_type"]["LOC"]["support"] == sum(t == "B-LOC" for s in gold for t in s)
    assert set(scores["per_label"]) == {t for s in gold for t in s}  # the IOB2 tag table


@pytest.mark.parametrize("scheme", ["iob2", "bioes"])
def test_evaluate_reads_gold_in_any_scheme(trained: tuple, toy_ner_gold: Gold, scheme: str) -> None:
    _, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    predictor = Predictor.load(model)
    written, repaired = convert_all(gold, "iob2", scheme)
    assert repaired == 0
    dataset = token_dataset(tokens, written)
    for given in (scheme, ""):  # told, or detected
        scores = evaluate(predictor, dataset, given)
        assert scores["f1"] == 1.0
        assert scores["n_entities"] == sum(t.startswith("B-") for s in gold for t in s)


def test_evaluate_counts_errors(trained: tuple, toy_ner_gold: Gold) -> None:
    """One gold entity retyped: one missed and one spurious entity."""
    _, model, _ = trained
    tokens, gold = toy_ner_gold("dev")
    wrong = [list(s) for s in gold]
    i = next(k for k, s in enumerate(wrong) if s[0] == "B-ORG" and s[1] == "O")
    wrong[i][0] = "B-PER"
    scores = evaluate(Predictor.load(model), token_dataset(tokens, wrong), "iob2")
    n = sum(t.startswith("B-") for s in gold for t in s)
    assert scores["precision"] == pytest.approx((n - 1) / n)
    assert scores["recall"] == pytest.approx((n - 1) / n)
    assert scores["per_type"]["ORG"]["recall"] == 1.0 and scores["per_type"]["ORG"]["precision"] < 1
