"""Shared helpers: toy POS and NER corpora and tiny model configs, cheap on 2 CPU cores.

The toy POS grammar is `DET [ADJ] NOUN VERB [DET [ADJ] NOUN] PUNCT` with a fixed word list per
tag, so every tag is predictable from its word and a tiny BiLSTM fits it in a few epochs.
The toy NER corpus is a CoNLL-2003-like IOB1 column file whose IOB2 tags follow from the words.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch
from fixtures_models import shared_ner, shared_pos, shared_sentiment  # noqa: F401 (fixtures)
from toy_corpus import (  # noqa: F401 (re-exported for the tests that import them from here)
    LEXICON,
    TAG_OF,
    TINY_MODEL,
    TINY_TRAIN,
    conllu_text,
    make_tiny_config,
    toy_sentences,
    write_toy_corpus,
)

from tagger.config import Config, config_from_dict

# --- a toy NER corpus, written like CoNLL-2003 (4 columns, IOB1, -DOCSTART-) ---

# Every IOB2 tag follows from the word: first names, cities, "New" and companies begin an
# entity (B-), surnames, "York" and company suffixes continue one (I-).
NER_WORDS = {
    "first": ("John", "Mary", "Anna", "Peter"),
    "surname": ("Smith", "Jones", "Brown"),
    "city": ("Paris", "Berlin", "Rome", "Oslo"),
    "company": ("Acme", "Globex", "Initech"),
    "suffix": ("Corp", "Inc"),
}


def ner_sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """n sentences of (word, IOB2 tag) over PER, LOC and ORG, some with two touching LOCs."""
    rng = random.Random(seed)

    def person() -> list[tuple[str, str]]:
        words = [(rng.choice(NER_WORDS["first"]), "B-PER")]
        return words + ([(rng.choice(NER_WORDS["surname"]), "I-PER")] if rng.random() < 0.5 else [])

    def place() -> list[tuple[str, str]]:
        if rng.random() < 0.25:
            return [("New", "B-LOC"), ("York", "I-LOC")]
        return [(rng.choice(NER_WORDS["city"]), "B-LOC")]

    def company() -> list[tuple[str, str]]:
        words = [(rng.choice(NER_WORDS["company"]), "B-ORG")]
        return words + ([(rng.choice(NER_WORDS["suffix"]), "I-ORG")] if rng.random() < 0.5 else [])

    def plain(text: str) -> list[tuple[str, str]]:
        return [(word, "O") for word in text.split()]

    templates = [
        lambda: person() + plain("visited") + place() + plain("."),
        lambda: person() + plain("works for") + company() + plain("in") + place() + plain("."),
        lambda: company() + plain("said") + person() + plain("met") + person() + plain("."),
        lambda: place() + place() + plain("talks ended ."),  # touching LOCs: B-LOC in IOB1
        lambda: plain("the deal was good ."),
    ]
    return [rng.choice(templates)() for _ in range(n)]


def iob1(tags: list[str]) -> list[str]:
    """IOB2 -> IOB1 by the CoNLL-2003 rule: B- only where an entity touches one of its type."""
    out = []
    for i, tag in enumerate(tags):
        touching = i > 0 and tag.startswith("B-") and tags[i - 1][2:] == tag[2:]
        out.append(tag if touching or tag == "O" else "I-" + tag[2:])
    return out


def conll03_text(sentences: list[list[tuple[str, str]]]) -> str:
    """word POS chunk NER lines in IOB1, after a -DOCSTART- line, sentences split by blanks."""
    blocks = ["-DOCSTART- -X- -X- O\n"]
    for sentence in sentences:
        words = [w for w, _ in sentence]
        tags = iob1([t for _, t in sentence])
        lines = [
            f"{w} {'NNP' if t != 'O' else 'XX'} {'I-NP' if t != 'O' else 'O'} {t}\n"
            for w, t in zip(words, tags, strict=True)
        ]
        blocks.append("".join(lines))
    return "\n".join(blocks) + "\n"


NER_SPLITS = {"train": (40, 1), "dev": (12, 3)}  # split: (sentences, seed)


def ner_gold(split: str) -> tuple[list[list[str]], list[list[str]]]:
    """Tokens and IOB2 tags of a toy NER split, straight from the generator."""
    sentences = ner_sentences(*NER_SPLITS[split])
    return [[w for w, _ in s] for s in sentences], [[t for _, t in s] for s in sentences]


def write_ner_corpus(folder: Path) -> tuple[Path, Path]:
    """Write toy IOB1 train.txt and dev.txt into folder (made if needed); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "train.txt", folder / "dev.txt"
    for path, split in zip(paths, ("train", "dev"), strict=True):
        path.write_text(conll03_text(ner_sentences(*NER_SPLITS[split])), encoding="utf-8")
    return paths


def make_tiny_ner_config(
    folder: Path, train: dict[str, Any] | None = None, **model_overrides: Any
) -> Config:
    """A tiny-model NER Config (CRF head, BIOES) training on the toy corpus in folder/corpus."""
    train_path, dev_path = write_ner_corpus(folder / "corpus")
    return config_from_dict(
        {
            "task": "ner",
            "data": {"train": str(train_path), "dev": str(dev_path)},
            "model": {**TINY_MODEL, "head": "crf", "scheme": "bioes", **model_overrides},
            "train": {**TINY_TRAIN, **(train or {})},
        }
    )


@pytest.fixture(scope="session")
def toy_ner_files() -> Callable[[Path], tuple[Path, Path]]:
    """`toy_ner_files(folder)` writes the toy IOB1 train.txt and dev.txt there."""
    return write_ner_corpus


@pytest.fixture(scope="session")
def toy_ner_gold() -> Callable[[str], tuple[list[list[str]], list[list[str]]]]:
    """`toy_ner_gold("dev")` -> (tokens, IOB2 tags) of the files tiny_ner_config writes."""
    return ner_gold


@pytest.fixture(scope="session")
def tiny_ner_config() -> Callable[..., Config]:
    """`tiny_ner_config(tmp_path, train={...}, **model_overrides)` -> NER Config."""
    return make_tiny_ner_config


@pytest.fixture(scope="session")
def tiny_config() -> Callable[..., Config]:
    """`tiny_config(tmp_path, train={...}, **model_overrides)` -> Config (see make_tiny_config)."""
    return make_tiny_config


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and a real training run shares these cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- a toy sentiment corpus, `LABEL text` lines as in SST ---

# The label follows from one word: a "pos" word makes the sentence pos, a "neg" word neg.
# That word moves around the sentence, so every pooling has to find it.
SENTIMENT_WORDS = {"pos": ("good", "great", "fine"), "neg": ("bad", "awful", "dull")}
SENTIMENT_NOUNS = ("movie", "film", "plot", "cast", "story")
SENTIMENT_TEMPLATES = (
    "the {noun} was {word} .",
    "a {word} {noun} !",
    "{word} , said the {noun}",
    "this {noun} is really {word} and long",
)
SENTIMENT_SPLITS = {"train": (24, 1), "dev": (10, 2)}  # split: (sentences, seed)


def sentiment_examples(n: int, seed: int) -> list[tuple[str, str]]:
    """n (label, text) pairs, alternating pos and neg."""
    rng = random.Random(seed)
    examples = []
    for i in range(n):
        label = ("pos", "neg")[i % 2]
        template = rng.choice(SENTIMENT_TEMPLATES)
        word = rng.choice(SENTIMENT_WORDS[label])
        examples.append((label, template.format(word=word, noun=rng.choice(SENTIMENT_NOUNS))))
    return examples


def write_sentiment_corpus(folder: Path) -> tuple[Path, Path]:
    """Write toy `LABEL text` train.txt and dev.txt into folder; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "train.txt", folder / "dev.txt"
    for path, split in zip(paths, ("train", "dev"), strict=True):
        pairs = sentiment_examples(*SENTIMENT_SPLITS[split])
        lines = [f"{label}\t{text}\n" for label, text in pairs]
        path.write_text("".join(lines), encoding="utf-8")
    return paths


TINY_SENTIMENT_MODEL: dict[str, Any] = {**TINY_MODEL, "char": "cnn"}


def make_tiny_sentiment_config(
    folder: Path, train: dict[str, Any] | None = None, **model_overrides: Any
) -> Config:
    """A tiny-model sentiment Config training on the toy corpus written into folder/corpus."""
    train_path, dev_path = write_sentiment_corpus(folder / "corpus")
    return config_from_dict(
        {
            "task": "sentiment",
            "data": {"train": str(train_path), "dev": str(dev_path)},
            "model": {**TINY_SENTIMENT_MODEL, **model_overrides},
            "train": {**TINY_TRAIN, **(train or {})},
        }
    )


@pytest.fixture(scope="session")
def tiny_sentiment_config() -> Callable[..., Config]:
    """`tiny_sentiment_config(tmp_path, train={...}, **model_overrides)` -> sentiment Config."""
    return make_tiny_sentiment_config


@pytest.fixture(scope="session")
def toy_sentiment() -> Callable[[str], list[tuple[str, str]]]:
    """`toy_sentiment("dev")` -> the (label, text) pairs tiny_sentiment_config writes."""
    return lambda split: sentiment_examples(*SENTIMENT_SPLITS[split])


@pytest.fixture
def no_tagger_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test sees no TAGGER_* variables of the machine it runs on (CLI modules use it)."""
    for name in ("TAGGER_CATALOG", "TAGGER_DATA_DIR", "TAGGER_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
