"""Named entities: BIO-style tags per token, decoded in a scheme, scored as entity spans."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tagger.data.schemes import convert, convert_all, entity_types, scheme_labels
from tagger.scores import EntityEvaluation, entity_scores
from tagger.tasks.base import Examples, Task

if TYPE_CHECKING:
    from datasets import Dataset

    from tagger.config import Config, DataConfig


class EntityTask(Task):
    """Entity spans as tags (IOB1/IOB2/IOBES/BILOU in, any scheme out), scored with seqeval."""

    name = "ner"
    what = "entities"
    pipe_name = "bilstm_ner"

    def load_split(self, data: DataConfig, split: str, data_dir: Path | None = None) -> Dataset:
        """A token corpus whose tags must be entity tags (a malformed one names file:line)."""
        dataset = super().load_split(data, split, data_dir)
        from tagger.data.corpus import check_entity_tags  # `datasets`: not imported to tag

        check_entity_tags(dataset, data, split)
        return dataset

    def prepare(
        self, config: Config, train: Examples, dev: Examples, names: tuple[list, list]
    ) -> tuple[Config, Examples, Examples, list[str]]:
        """Training tags in the model's scheme, dev tags in IOB2 (for scoring), and the
        corpus scheme recorded in the config so evaluation reads files the same way."""
        from tagger.data.corpus import corpus_scheme

        scheme = corpus_scheme(config.data, train[1])
        train_tags, repaired = convert_all(train[1], scheme, config.model.scheme)
        dev_tags, dev_repaired = convert_all(dev[1], scheme, "iob2")
        if repaired or dev_repaired:
            print(
                f"repaired {repaired} ill-formed {scheme} tags in train, {dev_repaired} in dev",
                file=sys.stderr,
            )
        config = replace(config, data=replace(config.data, scheme=scheme))
        labels = scheme_labels(entity_types(train_tags + dev_tags), config.model.scheme)
        return config, (train[0], train_tags), (dev[0], dev_tags), labels

    def check_labels(self, where: str, labels: list[str]) -> None:
        """Entity tags (O, B-TYPE, ...)."""
        try:
            entity_types([labels])
        except ValueError as err:
            raise ValueError(f"{where}: {err} (config.json says task ner)") from None

    def label_names(self, names: list[str], model_scheme: str, scheme: str) -> list[str]:
        return convert(names, model_scheme, scheme)

    def predictions(self, predictor: Any, dataset: Dataset, scheme: str = "") -> tuple:
        """Gold read in the corpus `scheme` (detected when empty), both sides in IOB2."""
        from tagger.data.dataset import as_lists, documents_of
        from tagger.data.schemes import detect_scheme

        tokens, gold = as_lists(dataset)
        gold, _ = convert_all(gold, scheme or detect_scheme(gold), "iob2")
        predicted = predictor.predict(tokens, scheme="iob2", documents=documents_of(dataset))
        return gold, predicted, tokens

    def score(
        self, gold: Sequence, predicted: Sequence, tokens: Sequence, labels: Sequence
    ) -> EntityEvaluation:
        return entity_scores(gold, predicted)

    def main_score(self, scores: Mapping[str, Any]) -> float:
        return scores["f1"]

    def headline(self, scores: EntityEvaluation) -> str:
        return f"entity F1 {100 * scores.entities.f1:.2f}"

    def confusion(self, gold: list, predicted: list, labels: list[str]) -> Any:
        from tagger.confusion import entity_confusion

        return entity_confusion(gold, predicted)

    def knows(self, labels: Sequence[str], gold: str) -> bool:
        """A tag of an entity type the model knows (gold may be in another scheme)."""
        prefix, _, kind = gold.partition("-")
        return gold == "O" or (prefix in ("B", "I", "E", "S") and f"B-{kind}" in labels)

    def gold_scheme(self, source: DataConfig, dataset: Dataset) -> str:
        from tagger.data.corpus import corpus_scheme
        from tagger.data.dataset import as_lists

        return corpus_scheme(source, as_lists(dataset)[1])

    def conllu_fields(self, predictor: Any) -> tuple[str, str]:
        """Entities go in MISC, in the predictor's output scheme."""
        return "misc", predictor.scheme

    def spacy_guesses(self, predictor: Any, words: list[list[str]]) -> list[Any]:
        """Tags and their marginals, which give each entity its confidence."""
        return predictor.predict_scored(words, documents=range(len(words)))

    def annotate(self, component: Any, docs: list, guesses: list[Any]) -> None:
        """Entities into doc.ents, each with its mean tag probability."""
        from tagger.tasks.spacy_docs import set_entities

        set_entities(component, docs, guesses)

    def spacy_score(self, component: Any, examples: Any, **kwargs: Any) -> dict[str, Any]:
        from spacy.scorer import Scorer

        return Scorer.score_spans(examples, "ents", **kwargs)


TASK = EntityTask()
