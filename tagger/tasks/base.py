"""What a task is: the one interface every room asks instead of comparing task names.

A task says which corpora it reads and what its targets are, how label ids decode, how
predictions are scored, which output formats it writes, how it annotates a spaCy Doc and
what the explain room shows for it. `Task` holds the behaviour of token tagging (one label
per token); NER, sentence classification and tokenization override what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tagger.data.corpus_formats import TOKEN_FORMATS
from tagger.formats import CONLLU_TAG_FIELDS, FORMATS, SentenceWriter
from tagger.scores import Evaluation, tag_scores

if TYPE_CHECKING:
    from datasets import Dataset

    from tagger.config import Config, DataConfig
    from tagger.formats import ClassifiedText, TaggedSentence

Examples = tuple[list[list[str]], list]  # tokens, and tag lists or sentence labels


class Task:
    """Token tagging (POS and any other one-label-per-token column)."""

    name = "pos"
    sentence_level = False  # one label per sentence (a pooled head) rather than per token
    makes_tokens = False  # labels characters: its output is the tokenization of raw text
    corpus = "tokens"  # tagger.data.corpus's kind of corpus: tokens, sentences, characters
    corpus_formats: tuple[str, ...] | None = TOKEN_FORMATS  # None: any CoNLL-U source
    formats: tuple[str, ...] = FORMATS  # what `tagger tag` writes
    what = "tags"  # what the labels are, in messages and plot titles
    plots = True  # `evaluate --plots` can draw its labels
    pipe_name = "bilstm_tagger"  # its component's name in a spaCy pipeline (to-spacy)

    def __repr__(self) -> str:
        return f"<task {self.name}>"

    @property
    def default_format(self) -> str:
        """`tagger tag`'s format when none is given."""
        return self.formats[0]

    # -- corpora and targets
    def load_split(self, data: DataConfig, split: str, data_dir: Path | None = None) -> Dataset:
        """The `split` of the corpus described by `data`, read as this task reads it."""
        from tagger.data.corpus import load_split  # `datasets`: not imported to tag

        return load_split(data, split, data_dir, self.corpus, self.name)

    def prepare(
        self, config: Config, train: Examples, dev: Examples, names: tuple[list, list]
    ) -> tuple[Config, Examples, Examples, list[str]]:
        """Training targets and the label list; `names` are the label names of train and dev
        in corpus order. Tagging labels are the sorted tags of train and dev."""
        return config, train, dev, sorted(set(names[0]) | set(names[1]))

    def multiword_table(self, config: Config, data_dir: Path | None) -> dict | None:
        """A tokenizer's table of multi-word tokens; None for other tasks."""
        return None

    def check_labels(self, where: str, labels: list[str]) -> None:
        """ValueError naming `where` unless a saved model's labels fit the task."""

    # -- decoding
    def label_names(self, names: list[str], model_scheme: str, scheme: str) -> list[str]:
        """One sentence's predicted label names, in the output `scheme` where one applies."""
        return names

    # -- evaluation
    def predictions(self, predictor: Any, dataset: Dataset, scheme: str = "") -> tuple:
        """(gold, predicted, tokens) of a dataset, tagged by `predictor`."""
        from tagger.data.dataset import as_lists, documents_of

        tokens, gold = as_lists(dataset)
        return gold, predictor.predict(tokens, documents=documents_of(dataset)), tokens

    def dev_predictions(
        self, predictor: Any, tokens: list[list[str]], documents: list[int] | None = None
    ) -> list:
        """The predictions the trainer scores on dev (NER in IOB2)."""
        return predictor.predict(tokens, scheme="iob2", documents=documents)

    def score(
        self, gold: Sequence, predicted: Sequence, tokens: Sequence, labels: Sequence
    ) -> Evaluation:
        """The evaluation of predictions against gold (`labels`: the model's)."""
        return tag_scores(gold, predicted)

    def main_score(self, scores: Mapping[str, Any]) -> float:
        """The number model selection uses (read by JSON key: a dict of scores works too)."""
        return scores["accuracy"]

    def headline(self, scores: Evaluation) -> str:
        """The scores in a few words, for the report's model card."""
        return f"accuracy {100 * scores.accuracy:.2f}"

    def per_label_table(self, scores: Evaluation) -> dict[str, dict]:
        """The per-label precision/recall/F1 rows of its scores, as JSON."""
        return {label: row.to_json() for label, row in scores.table.items()}

    def confusion(self, gold: list, predicted: list, labels: list[str]) -> Any:
        """The confusion of gold and predicted labels, for plots."""
        from tagger.confusion import tag_confusion

        return tag_confusion(gold, predicted)

    def gold_labels(self, dataset: Dataset) -> list[str] | None:
        """Every gold label of an evaluation corpus, to check against the model's; None
        when gold is not made of labels."""
        from tagger.data.dataset import as_examples

        return [t for sentence in as_examples(dataset)[1] for t in sentence]

    def knows(self, labels: Sequence[str], gold: str) -> bool:
        """Whether the model can predict a gold label."""
        return gold in labels

    def gold_scheme(self, source: DataConfig, dataset: Dataset) -> str:
        """The tag scheme of an evaluation corpus's gold tags ("" where none applies)."""
        return ""

    # -- tagging text
    def tag_block(
        self,
        predictor: Any,
        block: list[str],
        pretokenized: bool,
        scores: bool,
        split_sentences: bool,
    ) -> list[TaggedSentence] | list[ClassifiedText]:
        """The results of one block of input lines."""
        from tagger.data.lines import split_tokens

        n = len(block)
        if pretokenized:  # a line without tokens (only spaces and tabs) is blank: left out
            tokens = [found for line in block if (found := split_tokens(line))]
            return list(predictor.tag_tokens(tokens, chunk=n, scores=scores))
        return list(predictor.tag_texts(block, chunk=n, scores=scores))

    def label_words(
        self,
        predictor: Any,
        words: list[list[str]],
        scores: bool,
        documents: list[int] | None = None,
    ) -> list[tuple]:
        """(labels, probabilities or None) of every tokenized sentence of raw text."""
        return predictor.predict_labels(words, scores, documents)

    def writer(self, predictor: Any, fmt: str, out: TextIO) -> Callable[[list], None]:
        """A function writing blocks of results to `out` in `fmt`."""
        writer = SentenceWriter(out, fmt, *self.conllu_fields(predictor))

        def write(results: list) -> None:
            for sentence in results:
                writer.write(sentence)

        return write

    def conllu_fields(self, predictor: Any) -> tuple[str, str]:
        """(The CoNLL-U field the tags go in, the entity scheme of MISC's entities or "")."""
        field = predictor.config.data.tag_field
        return (field if field in CONLLU_TAG_FIELDS else "misc"), ""  # a parquet/JSON column

    # -- spaCy
    def spacy_guesses(self, predictor: Any, words: list[list[str]]) -> list[Any]:
        """The component's guesses for docs' words (predict changes nothing); each doc is
        a document of its own."""
        return [(tags, None) for tags in predictor.predict(words, documents=range(len(words)))]

    def annotate(self, component: Any, docs: list, guesses: list[Any]) -> None:
        """Write the guesses into the docs: tags into token.pos_ or token.tag_."""
        from tagger.tasks.spacy_docs import set_token_tags

        set_token_tags(component, docs, guesses)

    def spacy_score(self, component: Any, examples: Any, **kwargs: Any) -> dict[str, Any]:
        """spaCy's own Scorer for the task."""
        from spacy.scorer import Scorer

        return Scorer.score_token_attr(examples, component.attribute, **kwargs)
