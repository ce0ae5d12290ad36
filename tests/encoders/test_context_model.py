"""A model whose encoder reads document context (model.encoder_context, FLERT): trained,
cached, scored and tagged with each sentence's neighbours of the same document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch

from tagger.config import ConfigError, config_from_dict
from tagger.data.columns import read_columns
from tagger.data.dataset import as_lists, documents_of
from tagger.data.schemes import convert_all
from tagger.encoders.cache import text_key
from tagger.encoders.context import sentence_contexts
from tagger.encoders.features import word_encoder
from tagger.encoders.tuned import TunedEncoder
from tagger.evaluate import evaluate_examples
from tagger.predict import Predictor, paragraph_documents
from tagger.train import train

PER_DOCUMENT = 4  # sentences


def split_documents(path: Path) -> None:
    """Start a new -DOCSTART- document every PER_DOCUMENT sentences of a CoNLL-03 file."""
    blocks = path.read_text(encoding="utf-8").strip("\n").split("\n\n")[1:]  # after DOCSTART
    out = []
    for n, block in enumerate(blocks):
        if n % PER_DOCUMENT == 0:
            out.append("-DOCSTART- -X- -X- O\n")
        out.append(block + "\n")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


@pytest.fixture
def context_model(
    tiny_bert: Path, tiny_ner_config: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Any]:
    monkeypatch.setenv("TAGGER_FEATURE_CACHE", str(tmp_path / "cache"))
    config = tiny_ner_config(
        tmp_path,
        train={"max_epochs": 2},
        encoder=str(tiny_bert),
        encoder_layers="-1",
        encoder_context=6,
    )
    for path in (config.data.train, config.data.dev):
        split_documents(Path(path))
    train(config, tmp_path / "model", progress=False, plots=False, device="cpu")
    return tmp_path / "model", config


def test_the_config_validates_the_context() -> None:
    with pytest.raises(ConfigError, match="^model.encoder_context: expected model.encoder"):
        config_from_dict({"model": {"encoder_context": 8}})
    with pytest.raises(ConfigError, match="^model.encoder_context: expected 0 .none. to 512"):
        config_from_dict({"model": {"encoder": "minilm", "encoder_context": 600}})


def test_a_sentence_model_refuses_context(
    tiny_bert: Path, tiny_config: Any, tmp_path: Path
) -> None:
    config = tiny_config(tmp_path, encoder=str(tiny_bert), encoder_context=8)
    sentiment = config_from_dict(
        {"task": "sentiment", "model": {"encoder": str(tiny_bert), "encoder_context": 8}}
    )
    with pytest.raises(ValueError, match="classifies each sentence alone; set it to 0"):
        train(sentiment, tmp_path / "s", progress=False, device="cpu")
    assert config.model.encoder_context == 8


def test_training_reads_and_caches_each_sentence_with_its_document_context(
    context_model: tuple[Path, Any], tiny_bert: Path, tmp_path: Path
) -> None:
    _, config = context_model
    keys = set()
    encoder_key = word_encoder(config.model).key()
    for path in (config.data.train, config.data.dev):
        dataset = read_columns(path)
        tokens, _ = as_lists(dataset)
        documents = documents_of(dataset)
        assert documents is not None and len(set(documents)) > 2
        contexts = sentence_contexts(tokens, documents, 6)
        for words, context in zip(tokens, contexts, strict=True):
            keys.add(text_key(encoder_key, words, context if any(context) else None))
    index = next((tmp_path / "cache").rglob("index.jsonl"))
    cached = {json.loads(line)["key"] for line in index.read_text().splitlines()}
    assert cached == keys  # every sentence once, keyed with its context, nothing else


def test_the_dev_score_is_the_score_with_documents_and_context_changes_the_features(
    context_model: tuple[Path, Any],
) -> None:
    model, config = context_model
    predictor = Predictor.load(model)
    dataset = read_columns(config.data.dev)
    tokens, gold = as_lists(dataset)
    gold, _ = convert_all(gold, "iob1", "iob2")
    documents = documents_of(dataset)
    score = predictor.task.main_score(evaluate_examples(predictor, tokens, gold, documents))
    assert score == pytest.approx(json.loads((model / "meta.json").read_text())["dev_score"])
    pair = tokens[:2]
    together = predictor.predict_scored(pair, documents=[0, 0])
    apart = predictor.predict_scored(pair, documents=[0, 1])
    alone = [predictor.predict_scored([s])[0] for s in pair]

    def flat(found: list) -> list[float]:
        return [p for _, probs in found for p in probs]

    assert flat(apart) == pytest.approx(flat(alone), abs=1e-6)  # no context across documents
    assert flat(together) != pytest.approx(flat(apart), abs=1e-6)  # the neighbour is read
    assert [len(t) for t, _ in together] == [len(s) for s in pair]  # no word dropped


def test_raw_text_paragraphs_are_one_document_until_a_blank_line() -> None:
    texts = ["One. Two.", "Three.", "", "Four."]
    assert list(paragraph_documents(texts, [2, 1, 0, 1])) == [0, 0, 0, 1]


def test_a_tuned_encoder_reads_the_context_too(tiny_bert: Path, tiny_config: Any) -> None:
    config = config_from_dict({"model": {"encoder": str(tiny_bert), "encoder_layers": "-1"}})
    tuned = TunedEncoder(word_encoder(config.model)).eval()
    sentences = [["The", "dog", "barks"]]
    with torch.no_grad():
        alone = tuned(sentences, 4)
        read = tuned(sentences, 4, [(("A", "cat"), ("It", "runs"))])
        empty = tuned(sentences, 4, [((), ())])
    assert read.shape == alone.shape == (1, 1, 4, 16)
    assert torch.equal(empty, alone) and not torch.allclose(read, alone)
    assert torch.equal(read[:, :, 3], torch.zeros(1, 1, 16))  # padding stays zero
