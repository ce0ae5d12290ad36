"""Sentence classification (sentiment): one label per sentence from a pooled BiLSTM."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

from tagger.data.corpus_formats import SENTENCE_FORMATS
from tagger.formats import SENTENCE_FORMATS as OUTPUT_FORMATS
from tagger.formats import write_classified
from tagger.scores import SentenceEvaluation, sentence_scores
from tagger.tasks.base import Examples, Task

if TYPE_CHECKING:
    from collections.abc import Callable

    from datasets import Dataset

    from tagger.config import Config
    from tagger.formats import ClassifiedText


class SentenceTask(Task):
    """A label for each sentence (or text), with the probability of every class."""

    name = "sentiment"
    sentence_level = True
    corpus = "sentences"
    corpus_formats = SENTENCE_FORMATS
    formats = OUTPUT_FORMATS
    what = "classes"
    pipe_name = "bilstm_textcat"

    def prepare(
        self, config: Config, train: Examples, dev: Examples, names: tuple[list, list]
    ) -> tuple[Config, Examples, Examples, list[str]]:
        """Labels in the corpus's class order (train's, then any only dev has)."""
        train_names, dev_names = names
        return config, train, dev, train_names + [n for n in dev_names if n not in train_names]

    def predictions(self, predictor: Any, dataset: Dataset, scheme: str = "") -> tuple:
        from tagger.data.dataset import as_examples

        tokens, gold = as_examples(dataset)
        return list(gold), self.dev_predictions(predictor, tokens), tokens

    def dev_predictions(
        self, predictor: Any, tokens: list[list[str]], documents: list[int] | None = None
    ) -> list:
        return [label for label, _ in predictor.classify(tokens)]

    def score(
        self, gold: Sequence, predicted: Sequence, tokens: Sequence, labels: Sequence
    ) -> SentenceEvaluation:
        """Unknown gold labels count as wrong (evaluation checks them first)."""
        return sentence_scores(gold, predicted, labels, allow_unknown=True)

    def headline(self, scores: SentenceEvaluation) -> str:
        return f"accuracy {100 * scores.accuracy:.2f}, macro-F1 {100 * scores.macro_f1:.2f}"

    def confusion(self, gold: list, predicted: list, labels: list[str]) -> Any:
        from tagger.confusion import label_confusion

        return label_confusion(gold, predicted, labels)

    def gold_labels(self, dataset: Dataset) -> list[str] | None:
        from tagger.data.dataset import as_examples

        return list(as_examples(dataset)[1])

    def tag_block(
        self,
        predictor: Any,
        block: list[str],
        pretokenized: bool,
        scores: bool,
        split_sentences: bool,
    ) -> list[ClassifiedText]:
        n = len(block)
        return list(predictor.classify_texts(block, split_sentences, pretokenized, chunk=n))

    def writer(self, predictor: Any, fmt: str, out: TextIO) -> Callable[[list], None]:
        return lambda results: write_classified(results, fmt, out)

    def spacy_guesses(self, predictor: Any, words: list[list[str]]) -> list[Any]:
        return predictor.classify(words)

    def annotate(self, component: Any, docs: list, guesses: list[Any]) -> None:
        """Class probabilities into doc.cats."""
        for doc, (_, probs) in zip(docs, guesses, strict=True):
            doc.cats.update(probs)

    def spacy_score(self, component: Any, examples: Any, **kwargs: Any) -> dict[str, Any]:
        from spacy.scorer import Scorer

        labels = component.predictor.labels
        return Scorer.score_cats(examples, "cats", labels=labels, multi_label=False, **kwargs)


TASK = SentenceTask()
