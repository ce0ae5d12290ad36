"""Tokenization: a label per character (token, sentence and multi-word token boundaries)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagger.data.char_labels import LABELS
from tagger.tasks.base import Examples, Task
from tagger.tokenizer.score import (
    SegmentationEvaluation,
    segmentation_score,
    segmentation_scores,
)

if TYPE_CHECKING:
    from tagger.config import Config


class TokenizeTask(Task):
    """Splits raw text into sentences and tokens; its output is the tokenization itself."""

    name = "tokenize"
    makes_tokens = True
    corpus = "characters"
    corpus_formats = None  # the raw text of any CoNLL-U source
    what = "characters"
    plots = False
    pipe_name = "bilstm"

    def prepare(
        self, config: Config, train: Examples, dev: Examples, names: tuple[list, list]
    ) -> tuple[Config, Examples, Examples, list[str]]:
        """The fixed character labels."""
        return config, train, dev, list(LABELS)

    def multiword_table(self, config: Config, data_dir: Path | None) -> dict | None:
        """The training treebank's multi-word tokens (surface text -> words)."""
        from tagger.data.corpus import load_paragraphs
        from tagger.data.multiword import Multiwords

        paragraphs = load_paragraphs(config.data, "train", data_dir)
        pairs = ((p.text[t.start : t.end], t.words) for p in paragraphs for t in p.tokens)
        return Multiwords.build(pairs).to_json()

    def check_labels(self, where: str, labels: list[str]) -> None:
        """Character labels only."""
        if not set(labels) <= set(LABELS):
            raise ValueError(
                f"{where}: expected the character labels {', '.join(LABELS)} of task tokenize,"
                f" got {', '.join(sorted(set(labels) - set(LABELS)))}"
            )

    def score(
        self, gold: Sequence, predicted: Sequence, tokens: Sequence, labels: Sequence
    ) -> SegmentationEvaluation:
        """Token, sentence and multi-word token F1 (`tokens`: the characters)."""
        return segmentation_scores(tokens, gold, predicted)

    def main_score(self, scores: Mapping[str, Any]) -> float:
        """The mean of tokens, sentences and multi-word tokens F1."""
        return segmentation_score(scores)

    def gold_labels(self, dataset: Any) -> list[str] | None:
        return None  # character labels are made from the text: nothing to check

    def label_words(
        self,
        predictor: Any,
        words: list[list[str]],
        scores: bool,
        documents: list[int] | None = None,
    ) -> list[tuple]:
        """The tokenization is the output: every token's tag is `_`."""
        return [(["_"] * len(w), [1.0] * len(w) if scores else None) for w in words]


TASK = TokenizeTask()
