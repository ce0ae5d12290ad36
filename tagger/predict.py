"""The one Predictor = tokenizer + labeller + task: the CLI, evaluation and the spaCy
component all tag through it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import torch

from tagger.backends import Network
from tagger.config import Config
from tagger.data.batching import BatchEncoder
from tagger.data.lines import split_tokens
from tagger.data.segments import Sentence
from tagger.devices import resolve_device, serving_device
from tagger.formats import ClassifiedText, TaggedSentence
from tagger.io import Artifact, read_artifact, read_tokenizer
from tagger.labeller import Labelled, Labeller
from tagger.serving import ServeOptions
from tagger.tasks import get_task
from tagger.tokenizer.base import (
    TextSentence,
    Tokenizer,
    make_tokenizer,
    sentence_text,
    sentence_words,
)


class _OfLabeller:
    """A Predictor attribute that its Labeller holds: reading or setting it reaches there."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, predictor: Predictor | None, owner: type | None = None) -> Any:
        return self if predictor is None else getattr(predictor.labeller, self.name)

    def __set__(self, predictor: Predictor, value: Any) -> None:
        setattr(predictor.labeller, self.name, value)


class Predictor:
    """Tags token lists or raw text with a trained model, in batches of similar length:
    a tokenizer splits raw text, the Labeller gives label ids, the task names them."""

    def __init__(
        self,
        artifact: Artifact,
        batch_size: int = 512,
        scheme: str = "iob2",
        backend: str = "torch",
        int8: bool = False,
        onnx_path: str | Path | None = None,
        device: str | torch.device = "cpu",
        tokenizer: Artifact | None = None,
    ) -> None:
        """`backend` runs the network: torch (with `int8`, dynamically quantized) or onnx
        (onnxruntime on `onnx_path`, or on a graph exported now); `device` is where torch
        runs it (auto, cpu, cuda, cuda:N, mps; the model is moved there). Raw text is split
        by `tokenizer` (a tokenize model), else by the one the model carries, else by
        spaCy's rules for the model's language; a tokenize model splits it itself."""
        device = device if isinstance(device, torch.device) else resolve_device(device)
        self.labeller = Labeller(artifact, device, backend, int8, onnx_path, batch_size)
        self.artifact = artifact
        self.scheme = scheme  # NER output scheme
        self.labels = artifact.vocabs.labels.items
        self.task = get_task(artifact.config.task)
        self.tokenizer_artifact = tokenizer or artifact.tokenizer
        if self.task.makes_tokens:
            self.tokenizer_artifact = artifact
        self._tokenizer: Tokenizer | None = None

    # What the Labeller holds, read and set through the Predictor as always.
    device: torch.device = _OfLabeller()  # where the network runs
    network: Network = _OfLabeller()  # what runs it (tagger.backends)
    encoder: BatchEncoder = _OfLabeller()  # token lists -> Batches
    batch_size: int = _OfLabeller()  # sentences per batch, at most
    max_tokens: int = _OfLabeller()  # padded tokens per batch, at most

    @classmethod
    def load(
        cls,
        path: str | Path,
        batch_size: int = 512,
        scheme: str = "iob2",
        backend: str = "torch",
        int8: bool = False,
        onnx_path: str | Path | None = None,
        device: str | torch.device = "cpu",
        tokenizer: str | Path | None = None,
    ) -> Predictor:
        """The model of folder `path`; `tokenizer` names a tokenize model folder to use."""
        artifact = read_artifact(path)
        chosen = read_tokenizer(tokenizer) if tokenizer else None
        return cls(artifact, batch_size, scheme, backend, int8, onnx_path, device, chosen)

    @classmethod
    def serve(cls, path: str | Path, options: ServeOptions) -> Predictor:
        """The model of folder `path`, serving as `options` say. Threads above 0 are set
        for this whole process first (an ONNX session takes as many); `auto` is the CPU
        where only the CPU serves (onnx, int8)."""
        if options.threads > 0:
            torch.set_num_threads(options.threads)
        o = options
        return cls.load(
            path,
            batch_size=o.batch_size,
            scheme=o.scheme,
            backend=o.backend,
            int8=o.int8,
            onnx_path=o.onnx or None,
            device=serving_device(o.device, o.backend, o.int8),
            tokenizer=o.tokenizer or None,
        )

    @property
    def config(self) -> Config:
        """The model's resolved config."""
        return self.artifact.config

    def predict(
        self,
        sentences: Sequence[Sequence[str]],
        scheme: str | None = None,
        documents: Sequence[int] | None = None,
    ) -> list[list[str]]:
        """One label per token, for every sentence, in the input order. Changes nothing.

        NER tags come in `scheme` (default: the predictor's output scheme, IOB2). A model
        whose encoder reads document context (`model.encoder_context`) reads the sentences
        as consecutive ones, of the documents `documents` numbers (None: one document).
        """
        if self.task.sentence_level:
            raise ValueError("predict needs a token model; use classify for a sentence model")
        return [tags for tags, _ in self._predict(sentences, scheme, False, documents)]

    def predict_labels(
        self,
        sentences: Sequence[Sequence[str]],
        scores: bool = False,
        documents: Sequence[int] | None = None,
    ) -> list[tuple[list[str], list[float] | None]]:
        """Labels of every token and, with `scores`, their probabilities (else None)."""
        return self._predict(sentences, None, scores, documents)

    def predict_scored(
        self,
        sentences: Sequence[Sequence[str]],
        scheme: str | None = None,
        documents: Sequence[int] | None = None,
    ) -> list[tuple[list[str], list[float]]]:
        """Labels and the model's probability of each (CRF marginals or softmax)."""
        found = self._predict(sentences, scheme, True, documents)
        return [(tags, probs or []) for tags, probs in found]

    def _predict(
        self,
        sentences: Sequence[Sequence[str]],
        scheme: str | None,
        scores: bool,
        documents: Sequence[int] | None = None,
    ) -> list[tuple[list[str], list[float] | None]]:
        return [
            (self.label_names(ids, scheme), probs)
            for ids, probs in self.predict_ids(sentences, scores, documents)
        ]

    def label_names(self, ids: Sequence[int], scheme: str | None = None) -> list[str]:
        """The labels of one sentence's label ids; NER tags in `scheme` (default: IOB2)."""
        tags = [self.labels[i] for i in ids]
        return self.task.label_names(tags, self.config.model.scheme, scheme or self.scheme)

    def predict_ids(
        self,
        sentences: Sequence[Sequence[str]],
        scores: bool = False,
        documents: Sequence[int] | None = None,
    ) -> list[Labelled]:
        """Label ids of every token (and their probabilities); empty sentences give []."""
        return self.labeller.label_ids(sentences, scores, documents)

    def classify(self, sentences: Sequence[Sequence[str]]) -> list[tuple[str, dict[str, float]]]:
        """Sentence models: the label of every sentence and the probability of each class.

        An empty sentence gets the label of an unknown word alone.
        """
        if not self.task.sentence_level:
            raise ValueError(f"classify needs a sentence model; this one is {self.config.task!r}")
        return [
            (self.labels[best], dict(zip(self.labels, probs, strict=True)))
            for best, probs in self.labeller.class_ids(sentences)
        ]

    def tag_tokens(
        self, sentences: Iterable[Sequence[str]], chunk: int = 4096, scores: bool = False
    ) -> Iterator[TaggedSentence]:
        """Tag pre-tokenized sentences lazily, `chunk` sentences at a time."""
        it = iter(sentences)
        while block := [list(s) for s in islice(it, chunk)]:
            yield from self._tagged(block, scores)

    def tag_texts(
        self, texts: Iterable[str], chunk: int = 1024, scores: bool = False
    ) -> Iterator[TaggedSentence]:
        """Tokenize raw texts into sentences (the trained tokenizer, else spaCy's rules in
        the model's language) and tag them lazily; a tokenize model's tags are `_`. For
        document context (`model.encoder_context`), consecutive texts are paragraphs of
        one document, and a blank text ends it (within a `chunk` of texts)."""
        it = iter(texts)
        while block := list(islice(it, chunk)):
            per_text = list(self._sentences(block))
            found = [s for sentences in per_text for s in sentences]
            words = [sentence_words(s) for s in found]
            documents = list(paragraph_documents(block, [len(s) for s in per_text]))
            results = self.task.label_words(self, words, scores, documents)
            for sentence, tokens, (tags, probs) in zip(found, words, results, strict=True):
                layout = sentence if isinstance(sentence, Sentence) else None
                text = layout.text if layout else None
                yield TaggedSentence(tokens, tags, text=text, scores=probs, layout=layout)

    def _tagged(self, sentences: list[list[str]], scores: bool) -> Iterator[TaggedSentence]:
        results = self._predict(sentences, None, scores=scores)
        for tokens, (tags, probs) in zip(sentences, results, strict=True):
            yield TaggedSentence(tokens=tokens, tags=tags, scores=probs)

    def classify_texts(
        self,
        texts: Iterable[str],
        split_sentences: bool = False,
        pretokenized: bool = False,
        chunk: int = 1024,
    ) -> Iterator[ClassifiedText]:
        """Label each non-blank text (or each of its sentences), lazily, in order. A
        pretokenized text's tokens are split on spaces and tabs only (split_tokens); it is
        blank without any."""
        it = (t for t in texts if (split_tokens(t) if pretokenized else t.strip()))
        while block := list(islice(it, chunk)):
            units: list[tuple[str, list[str]]] = []
            if pretokenized:
                units = [(t, split_tokens(t)) for t in block]
            else:
                for text, found in zip(block, self._sentences(block), strict=True):
                    sentences = [(sentence_text(s), sentence_words(s)) for s in found]
                    if split_sentences:
                        units += sentences
                    else:
                        units.append((text, [word for _, words in sentences for word in words]))
            results = self.classify([tokens for _, tokens in units])
            for (text, tokens), (label, probs) in zip(units, results, strict=True):
                yield ClassifiedText(text=text, tokens=tokens, label=label, probs=probs)

    def _sentences(self, texts: list[str]) -> Iterable[list[TextSentence]]:
        """Per text, its sentences: from the trained tokenizer (Sentences, their layout in
        the text known), or from spaCy's rules in the model's language (token lists)."""
        return self.load_tokenizer().sentences(texts)

    def load_tokenizer(self) -> Tokenizer:
        """The tokenizer that splits raw text, loaded on first use (or now)."""
        if self._tokenizer is None:
            artifact, lang = self.tokenizer_artifact, self.config.data.lang
            self._tokenizer = make_tokenizer(artifact, lang, self.device)
        return self._tokenizer


def paragraph_documents(texts: list[str], counts: list[int]) -> Iterator[int]:
    """The document number of each of the texts' sentences (`counts` per text): a blank
    text starts a new document."""
    document = 0
    for text, count in zip(texts, counts, strict=True):
        document += not text.strip()
        yield from [document] * count
