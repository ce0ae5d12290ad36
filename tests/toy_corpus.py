"""The toy POS corpus and the tiny model config the tests train on (conftest's
`tiny_config` fixture returns make_tiny_config); a plain module, so that test helpers
can import it whichever conftest.py Python last imported as `conftest`."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from tagger.config import Config, config_from_dict

LEXICON = {
    "DET": ("the", "a", "every", "this"),
    "ADJ": ("big", "small", "red", "old"),
    "NOUN": ("dog", "cat", "bird", "child", "tree"),
    "VERB": ("sees", "likes", "chases", "finds"),
    "PUNCT": (".", "!"),
}
TAG_OF = {word: tag for tag, words in LEXICON.items() for word in words}


def toy_sentences(n: int, seed: int) -> list[list[tuple[str, str]]]:
    """n sentences of (word, tag) pairs; the first word is capitalised, as in real text."""
    rng = random.Random(seed)

    def pick(tag: str) -> tuple[str, str]:
        return rng.choice(LEXICON[tag]), tag

    def noun_phrase() -> list[tuple[str, str]]:
        adjective = [pick("ADJ")] if rng.random() < 0.5 else []
        return [pick("DET"), *adjective, pick("NOUN")]

    sentences = []
    for _ in range(n):
        words = noun_phrase() + [pick("VERB")]
        if rng.random() < 0.6:
            words += noun_phrase()
        words.append(pick("PUNCT"))
        words[0] = (words[0][0].capitalize(), words[0][1])
        sentences.append(words)
    return sentences


def conllu_text(sentences: list[list[tuple[str, str]]]) -> str:
    """CoNLL-U with ID, FORM and UPOS filled in; the other columns are `_`."""
    blocks = []
    for number, sentence in enumerate(sentences, start=1):
        lines = [f"# sent_id = {number}", f"# text = {' '.join(w for w, _ in sentence)}"]
        for i, (word, tag) in enumerate(sentence, start=1):
            lines.append("\t".join([str(i), word, "_", tag, "_", "_", "_", "_", "_", "_"]))
        blocks.append("\n".join(lines) + "\n")
    return "\n".join(blocks) + "\n"


def write_toy_corpus(folder: Path, n_train: int = 20, n_dev: int = 8) -> tuple[Path, Path]:
    """Write toy train.conllu and dev.conllu into folder (made if needed); return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    train, dev = folder / "train.conllu", folder / "dev.conllu"
    train.write_text(conllu_text(toy_sentences(n_train, seed=1)), encoding="utf-8")
    dev.write_text(conllu_text(toy_sentences(n_dev, seed=2)), encoding="utf-8")
    return train, dev


TINY_MODEL: dict[str, Any] = {
    "word_dim": 16,
    "casing_dim": 4,
    "char": "lstm",
    "char_dim": 8,
    "char_hidden": 8,
    "hidden": 16,
    "layers": 1,
    "dropout": 0.0,
    "word_dropout": 0.0,
}
TINY_TRAIN: dict[str, Any] = {
    "lr": 0.03,
    "batch_size": 4,
    "max_epochs": 25,
    "patience": 3,  # stops soon after dev accuracy reaches 1.0
    "threads": 1,
    "seed": 1,
}


def make_tiny_config(
    folder: Path, train: dict[str, Any] | None = None, **model_overrides: Any
) -> Config:
    """A tiny-model Config training on a toy corpus written into folder/corpus."""
    train_path, dev_path = write_toy_corpus(folder / "corpus")
    return config_from_dict(
        {
            "task": "pos",
            "data": {"train": str(train_path), "dev": str(dev_path)},
            "model": {**TINY_MODEL, **model_overrides},
            "train": {**TINY_TRAIN, **(train or {})},
        }
    )
