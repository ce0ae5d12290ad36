"""A tiny trained tokenizer: it fits a toy treebank, tags raw text for a POS model (as
`--tokenizer` or carried inside the model), writes CoNLL-U the UD scorer reads, and is a
spaCy pipeline's tokenizer through to_disk and spacy.load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from treebank import write_treebank
from typer.testing import CliRunner

from tagger.cli import app
from tagger.config import config_from_dict
from tagger.conll18 import evaluate_documents, read_conllu_document, read_conllu_file
from tagger.data.raw_text import read_paragraphs
from tagger.io import read_artifact, read_tokenizer
from tagger.predict import Predictor
from tagger.serving import ServeOptions
from tagger.to_spacy import to_spacy
from tagger.tokenizer.spacy_tokenizer import SpacyTokenizer
from tagger.tokenizer.trained import TrainedTokenizer
from tagger.train import train

pytestmark = pytest.mark.usefixtures("no_tagger_env")
TINY = {"word_dim": 16, "casing_dim": 4, "hidden": 32, "layers": 1, "dropout": 0.0}
TINY_TRAIN = {"lr": 0.02, "batch_size": 8, "max_epochs": 60, "patience": 10, "threads": 1}


def invoke(*args: str | Path) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_treebank(tmp_path_factory.mktemp("treebank"), n_train=80, n_dev=30)


@pytest.fixture(scope="module")
def tokenizer_model(corpus: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    train_path, dev_path = corpus
    config = config_from_dict(
        {
            "task": "tokenize",
            "data": {"train": str(train_path), "dev": str(dev_path), "max_chars": 80},
            "model": {**TINY, "char": "none", "word_dropout": 0.0, "min_word_count": 1},
            "train": TINY_TRAIN,
        }
    )
    output = tmp_path_factory.mktemp("tok") / "model"
    result = train(config, output, progress=False, plots=False)
    assert result["dev_score"] == 1.0, result  # tokens and sentences F1 both 100 on dev
    return output


@pytest.fixture(scope="module")
def pos_model(corpus: tuple[Path, Path], tokenizer_model: Path, tmp_path_factory) -> Path:  # noqa: ANN001
    """A POS model of the treebank's words that carries the tokenizer (data.tokenizer)."""
    train_path, dev_path = corpus
    config = config_from_dict(
        {
            "task": "pos",
            "data": {"train": str(train_path), "dev": str(dev_path)},
            "model": {**TINY, "char_dim": 8, "char_hidden": 8},
            "train": {**TINY_TRAIN, "max_epochs": 15},
        },
        [f"data.tokenizer={tokenizer_model}"],
    )
    output = tmp_path_factory.mktemp("pos") / "model"
    train(config, output, progress=False, plots=False)
    return output


def texts_of(path: Path) -> list[str]:
    return [p.text for p in read_paragraphs(path)]


def test_tokenizer_reproduces_tokens_sentences_and_multiword_tokens(
    corpus: tuple[Path, Path], tokenizer_model: Path
) -> None:
    tokenizer = TrainedTokenizer.load(tokenizer_model)
    for path in corpus:
        paragraphs = read_paragraphs(path)
        found = tokenizer.sentences([p.text for p in paragraphs])
        for paragraph, sentences in zip(paragraphs, found, strict=True):
            gold = [(paragraph.text[t.start : t.end], t.words) for t in paragraph.tokens]
            assert [(t.text, t.words) for s in sentences for t in s.tokens] == gold
            assert len(sentences) == len(paragraph.sentence_ends)


def test_evaluate_scores_a_tokenizer(corpus: tuple[Path, Path], tokenizer_model: Path) -> None:
    result = invoke("evaluate", tokenizer_model, corpus[1], "--json")
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["tokens"]["f1"] == 1.0 and scores["sentences"]["f1"] == 1.0
    report = invoke("evaluate", tokenizer_model, corpus[1])
    assert "multiword" in report.stdout and "100.00" in report.stdout


def test_tag_with_tokenizer_writes_conllu_the_ud_scorer_reads(
    corpus: tuple[Path, Path], tokenizer_model: Path, pos_model: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts_of(corpus[1])) + "\n", encoding="utf-8")
    out = tmp_path / "out.conllu"
    result = invoke("tag", pos_model, raw, "--tokenizer", tokenizer_model, "-o", out)
    assert result.exit_code == 0, result.output
    written = out.read_text(encoding="utf-8")
    assert "# text = " in written and "SpaceAfter=No" in written
    assert any(line.split("\t")[0].count("-") == 1 for line in written.splitlines())
    scores = evaluate_documents(read_conllu_file(corpus[1]), read_conllu_document(written))
    assert scores["Tokens"].f1 == scores["Sentences"].f1 == scores["Words"].f1 == 1.0
    assert scores["UPOS"].f1 > 0.9


def test_a_model_carries_its_tokenizer(
    corpus: tuple[Path, Path], pos_model: Path, tmp_path: Path
) -> None:
    assert (pos_model / "tokenizer" / "model.safetensors").is_file()
    info = json.loads(invoke("info", pos_model).stdout)
    assert info["tokenizer"]["task"] == "tokenize"
    assert read_artifact(pos_model).tokenizer is not None
    text = texts_of(corpus[1])[0]
    (sentence, *_) = Predictor.load(pos_model).tag_texts([text])
    assert sentence.layout is not None and sentence.layout.text in text
    raw = tmp_path / "one.txt"
    raw.write_text(text + "\n", encoding="utf-8")
    carried = invoke("tag", pos_model, raw)
    assert carried.exit_code == 0 and "# text = " in carried.stdout  # no --tokenizer needed


def test_a_tokenizer_model_tags_raw_text_into_tokens(tokenizer_model: Path, tmp_path: Path) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text("I don't like spam. Bob's boss sells news!\n", encoding="utf-8")
    result = invoke("tag", tokenizer_model, raw)
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    assert [c[1] for c in lines][:5] == ["I", "don't", "do", "n't", "like"]
    assert result.stdout.count("# text = ") == 2
    refused = invoke("tag", tokenizer_model, raw, "--pretokenized")
    assert refused.exit_code == 1 and "reads raw text" in refused.output


def test_tokenizer_must_be_a_tokenize_model(pos_model: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a tokenizer"):
        read_tokenizer(pos_model)
    raw = tmp_path / "raw.txt"
    raw.write_text("I don't.\n", encoding="utf-8")
    result = invoke("tag", pos_model, raw, "--tokenizer", pos_model)
    assert result.exit_code == 1 and "not a tokenizer" in result.output


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=300))
def test_no_character_lost_on_random_unicode(tokenizer_model: Path, text: str) -> None:
    (sentences,) = TrainedTokenizer.load(tokenizer_model).sentences([text])
    tokens = [t.text for s in sentences for t in s.tokens]
    assert "".join(tokens) == "".join(text.split())
    assert all(s.text in text for s in sentences)


def test_spacy_pipeline_with_the_tokenizer_round_trips(
    corpus: tuple[Path, Path], tokenizer_model: Path, pos_model: Path, tmp_path: Path
) -> None:
    text = "I don't  like spam.  Bob's boss sells news! "
    to_spacy([pos_model], tmp_path / "nlp", serve=ServeOptions(tokenizer=str(tokenizer_model)))
    nlp = spacy.load(tmp_path / "nlp")
    doc = nlp(text)
    assert doc.text == text  # every character, whitespace included
    words = [t.text for t in doc if not t.is_space]
    assert words == ["I", "do", "n't", "like", "spam", ".", "Bob", "'s", "boss", "sells"] + [
        "news",
        "!",
    ]
    assert [s.text.strip() for s in doc.sents] == ["I don't  like spam.", "Bob's boss sells news!"]
    assert all(t.pos_ for t in doc)
    # The pipeline folder holds the tokenizer; it loads with the original model gone.
    assert (tmp_path / "nlp" / "tokenizer" / "model.safetensors").is_file()
    fresh = SpacyTokenizer(nlp.vocab).from_bytes(nlp.tokenizer.to_bytes())
    assert [t.text for t in fresh(text)] == [t.text for t in doc]


def test_carried_tokenizer_becomes_the_spacy_tokenizer(pos_model: Path, tmp_path: Path) -> None:
    to_spacy([pos_model], tmp_path / "nlp")
    nlp = spacy.load(tmp_path / "nlp")
    assert "sentencizer" not in nlp.pipe_names
    assert [t.text for t in nlp("We can't like cats.")] == ["We", "ca", "n't", "like", "cats", "."]
    again = spacy.blank("en", config=nlp.config).from_bytes(nlp.to_bytes())
    assert [t.pos_ for t in again("We can't like cats.")] == [
        t.pos_ for t in nlp("We can't like cats.")
    ]


def test_forked_workers_tokenize_alike(
    corpus: tuple[Path, Path], pos_model: Path, tmp_path: Path
) -> None:
    raw = tmp_path / "raw.txt"
    raw.write_text("\n".join(texts_of(corpus[0])) + "\n", encoding="utf-8")
    one = invoke("tag", pos_model, raw, "--threads", "1")
    two = invoke("tag", pos_model, raw, "--processes", "2", "--threads", "1")
    assert one.exit_code == two.exit_code == 0, two.output
    assert two.stdout == one.stdout and "SpaceAfter=No" in one.stdout
