"""The one Predictor: the CLI, evaluation and the spaCy component all tag through it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

import torch

from tagger.data.batching import BatchEncoder, length_batches
from tagger.formats import TaggedSentence
from tagger.io import Artifact, read_artifact


class Predictor:
    """Tags token lists or raw text with a trained model, in batches of similar length."""

    def __init__(self, artifact: Artifact, batch_size: int = 256) -> None:
        self.artifact = artifact
        self.batch_size = batch_size
        self.encoder = BatchEncoder(artifact.vocabs)
        self.labels = artifact.vocabs.labels.items
        self._tokenizer = None

    @classmethod
    def load(cls, path: str | Path, batch_size: int = 256) -> Predictor:
        return cls(read_artifact(path), batch_size=batch_size)

    @property
    def config(self):  # noqa: ANN201 - the model's resolved Config
        return self.artifact.config

    def predict(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """One label per token, for every sentence, in the input order. Changes nothing."""
        return [[self.labels[i] for i in ids] for ids in self.predict_ids(sentences)]

    @torch.inference_mode()
    def predict_ids(self, sentences: Sequence[Sequence[str]]) -> list[list[int]]:
        """Label ids of every token; empty sentences give empty lists."""
        model = self.artifact.model
        model.eval()
        results: list[list[int]] = [[] for _ in sentences]
        nonempty = [i for i, s in enumerate(sentences) if len(s) > 0]
        lengths = [len(sentences[i]) for i in nonempty]
        for group in length_batches(lengths, self.batch_size):
            indices = [nonempty[k] for k in group]
            batch = self.encoder.encode([sentences[i] for i in indices])
            scores = model(batch)  # (batch, time, n_labels)
            best = model.head.decode(scores, batch.mask).tolist()  # (batch, time)
            for row, i in enumerate(indices):
                results[i] = best[row][: len(sentences[i])]
        return results

    def tag_tokens(
        self, sentences: Iterable[Sequence[str]], chunk: int = 4096
    ) -> Iterator[TaggedSentence]:
        """Tag pre-tokenized sentences lazily, `chunk` sentences at a time."""
        it = iter(sentences)
        while block := [list(s) for s in islice(it, chunk)]:
            for tokens, tags in zip(block, self.predict(block), strict=True):
                yield TaggedSentence(tokens=tokens, tags=tags)

    def tag_texts(self, texts: Iterable[str], chunk: int = 1024) -> Iterator[TaggedSentence]:
        """Tokenize raw texts (spaCy, the model's language) into sentences and tag them lazily."""
        if self._tokenizer is None:
            from tagger.data.tokenize import TextTokenizer

            self._tokenizer = TextTokenizer(self.config.data.lang)
        it = iter(texts)
        while block := list(islice(it, chunk)):
            sentences = [s for per_text in self._tokenizer.sentences(block) for s in per_text]
            for tokens, tags in zip(sentences, self.predict(sentences), strict=True):
                yield TaggedSentence(tokens=tokens, tags=tags)
