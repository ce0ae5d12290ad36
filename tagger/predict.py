"""The one Predictor: the CLI, evaluation and the spaCy component all tag through it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from tagger.backends import network
from tagger.config import Config
from tagger.data.batching import Batch, BatchEncoder, length_batches
from tagger.data.lines import split_tokens
from tagger.data.segments import Sentence
from tagger.devices import resolve_device, serving_device, to_device
from tagger.formats import ClassifiedText, TaggedSentence
from tagger.io import Artifact, read_artifact, read_tokenizer
from tagger.memory import limit_kernel_cache
from tagger.parallel import in_forked_child, threaded_map
from tagger.serving import ServeOptions
from tagger.tasks import get_task

if TYPE_CHECKING:
    from tagger.data.tokenize import TextTokenizer
    from tagger.tokenizer.trained import TrainedTokenizer

MAX_BATCH_TOKENS = 6144  # padded tokens per batch: bounds activation memory on long sentences


class Predictor:
    """Tags token lists or raw text with a trained model, in batches of similar length."""

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
        limit_kernel_cache()  # before the first kernel: shapes never repeat when tagging
        self.device = device if isinstance(device, torch.device) else resolve_device(device)
        self._check_process()
        self.artifact = artifact
        self.batch_size = batch_size
        self.max_tokens = MAX_BATCH_TOKENS
        self.scheme = scheme  # NER output scheme
        self.encoder = BatchEncoder(artifact.vocabs)
        self.network = network(artifact, backend, int8, onnx_path, self.device)
        self.labels = artifact.vocabs.labels.items
        self.task = get_task(artifact.config.task)
        self.tokenizer_artifact = tokenizer or artifact.tokenizer
        if self.task.makes_tokens:
            self.tokenizer_artifact = artifact
        self._tokenizer: TrainedTokenizer | TextTokenizer | None = None

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
        device = serving_device(o.device, o.backend, o.int8)
        onnx, tokenizer = o.onnx or None, o.tokenizer or None
        return cls.load(path, o.batch_size, o.scheme, o.backend, o.int8, onnx, device, tokenizer)

    def _check_process(self) -> None:
        if self.device.type == "cuda" and in_forked_child():
            raise ValueError(
                "CUDA cannot be used in a forked process (tag --processes, "
                "nlp.pipe(n_process=...)): use one process on a GPU, or device cpu"
            )

    @property
    def config(self) -> Config:
        """The model's resolved config."""
        return self.artifact.config

    def predict(
        self, sentences: Sequence[Sequence[str]], scheme: str | None = None
    ) -> list[list[str]]:
        """One label per token, for every sentence, in the input order. Changes nothing.

        NER tags come in `scheme` (default: the predictor's output scheme, IOB2).
        """
        if self.task.sentence_level:
            raise ValueError("predict needs a token model; use classify for a sentence model")
        return [tags for tags, _ in self._predict(sentences, scheme, scores=False)]

    def predict_labels(
        self, sentences: Sequence[Sequence[str]], scores: bool = False
    ) -> list[tuple[list[str], list[float] | None]]:
        """Labels of every token and, with `scores`, their probabilities (else None)."""
        return self._predict(sentences, None, scores=scores)

    def predict_scored(
        self, sentences: Sequence[Sequence[str]], scheme: str | None = None
    ) -> list[tuple[list[str], list[float]]]:
        """Labels and the model's probability of each (CRF marginals or softmax)."""
        return [
            (tags, probs or []) for tags, probs in self._predict(sentences, scheme, scores=True)
        ]

    def _predict(
        self, sentences: Sequence[Sequence[str]], scheme: str | None, scores: bool
    ) -> list[tuple[list[str], list[float] | None]]:
        return [
            (self.label_names(ids, scheme), probs)
            for ids, probs in self.predict_ids(sentences, scores=scores)
        ]

    def label_names(self, ids: Sequence[int], scheme: str | None = None) -> list[str]:
        """The labels of one sentence's label ids; NER tags in `scheme` (default: IOB2)."""
        tags = [self.labels[i] for i in ids]
        return self.task.label_names(tags, self.config.model.scheme, scheme or self.scheme)

    def _run(
        self, sentences: Sequence[Sequence[str]], scores: bool
    ) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor | None]]:
        """Per batch of similar length: sentence indices, best label ids and, if asked,
        probabilities. Empty sentences are skipped; the caller fills their results.

        Batches are encoded and prepared here, in order; the network and decoding may
        run on worker threads (Network.batch_workers), and results come back in order.
        """
        self._check_process()
        head = self.artifact.model.eval().head
        nonempty = [i for i, s in enumerate(sentences) if len(s) > 0]
        lengths = [len(sentences[i]) for i in nonempty]
        network, device = self.network, self.device

        @torch.inference_mode()  # per step of the generator, as the encoder's tables need
        def prepared() -> Iterator[tuple[list[int], Batch]]:
            for group in length_batches(lengths, self.batch_size, max_tokens=self.max_tokens):
                indices = [nonempty[k] for k in group]
                batch = to_device(self.encoder.encode([sentences[i] for i in indices]), device)
                network.prepare(batch)
                yield indices, batch

        @torch.inference_mode()
        def scored(item: tuple[list[int], Batch]) -> tuple:
            indices, batch = item
            out = network.run(batch)  # (batch, time, n_labels) or (batch, n_labels)
            best = head.decode(out, batch.mask)  # (batch, time) or (batch,)
            probs = head.probabilities(out, batch.mask) if scores else None
            return indices, best, probs

        yield from threaded_map(scored, prepared(), network.batch_workers)

    def predict_ids(
        self, sentences: Sequence[Sequence[str]], scores: bool = False
    ) -> list[tuple[list[int], list[float] | None]]:
        """Label ids of every token (and their probabilities); empty sentences give []."""
        results: list[tuple[list[int], list[float] | None]] = [
            ([], [] if scores else None) for _ in sentences
        ]
        for indices, best, probs in self._run(sentences, scores):
            chosen = None
            if probs is not None:
                chosen = probs.gather(2, best.unsqueeze(-1)).squeeze(-1).tolist()  # (batch, time)
            best_ids = best.tolist()
            for row, i in enumerate(indices):
                n = len(sentences[i])
                results[i] = (best_ids[row][:n], chosen[row][:n] if chosen is not None else None)
        return results

    def classify(self, sentences: Sequence[Sequence[str]]) -> list[tuple[str, dict[str, float]]]:
        """Sentence models: the label of every sentence and the probability of each class.

        An empty sentence gets the label of an unknown word alone.
        """
        if not self.task.sentence_level:
            raise ValueError(f"classify needs a sentence model; this one is {self.config.task!r}")
        fixed = [s if len(s) else ["<unk>"] for s in sentences]
        results: list[tuple[str, dict[str, float]]] = [("", {}) for _ in fixed]
        for indices, best, probs in self._run(fixed, scores=True):
            assert probs is not None
            for row, i in enumerate(indices):
                dist = {
                    label: float(p)
                    for label, p in zip(self.labels, probs[row].tolist(), strict=True)
                }
                results[i] = (self.labels[int(best[row])], dist)
        return results

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
        the model's language) and tag them lazily; a tokenize model's tags are `_`."""
        it = iter(texts)
        while block := list(islice(it, chunk)):
            found = [s for per_text in self._sentences(block) for s in per_text]
            words = [_words(s) for s in found]
            results = self.task.label_words(self, words, scores)
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
                    sentences = [(_text(s), _words(s)) for s in found]
                    if split_sentences:
                        units += sentences
                    else:
                        units.append((text, [word for _, words in sentences for word in words]))
            results = self.classify([tokens for _, tokens in units])
            for (text, tokens), (label, probs) in zip(units, results, strict=True):
                yield ClassifiedText(text=text, tokens=tokens, label=label, probs=probs)

    def _sentences(self, texts: list[str]) -> Iterable[list[Sentence] | list[list[str]]]:
        """Per text, its sentences: from the trained tokenizer (Sentences, their layout in
        the text known), or from spaCy's rules in the model's language (token lists)."""
        if self._tokenizer is None:
            if self.tokenizer_artifact is not None:
                from tagger.tokenizer.trained import TrainedTokenizer

                self._tokenizer = TrainedTokenizer(self.tokenizer_artifact, self.device)
            else:
                from tagger.data.tokenize import TextTokenizer

                self._tokenizer = TextTokenizer(self.config.data.lang)
        return self._tokenizer.sentences(texts)


def _words(sentence: Sentence | list[str]) -> list[str]:
    return sentence.words if isinstance(sentence, Sentence) else sentence


def _text(sentence: Sentence | list[str]) -> str:
    return sentence.text if isinstance(sentence, Sentence) else " ".join(sentence)
