"""The Labeller: sentences of strings -> label ids and probabilities, in batches.

It holds what every tagging path shares: batching by length, the network that runs
(tagger.backends) and the head's decoding. It knows nothing of tasks, label names or
tokenizers: the Predictor and the trained tokenizer build on it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import torch

from tagger.backends import network
from tagger.data.batching import Batch, BatchEncoder, Context, WordFeatures, length_batches
from tagger.devices import to_device
from tagger.encoders.context import sentence_contexts
from tagger.encoders.features import as_trained, saved_encoder
from tagger.io import Artifact
from tagger.memory import limit_kernel_cache
from tagger.model.build import SequenceTagger
from tagger.parallel import in_forked_child, threaded_map

MAX_BATCH_TOKENS = 6144  # padded tokens per batch: bounds activation memory on long sentences
UNKNOWN = "<unk>"  # what a sentence model reads for an empty sentence

Labelled = tuple[list[int], list[float] | None]  # label ids of a sentence, probabilities


def _features(artifact: Artifact, device: torch.device) -> WordFeatures | None:
    """The model's pretrained encoder features: the trainer's cache while training, else
    the encoder meta.json records, loaded and checked against its hashes."""
    record = artifact.encoder
    if record is None or artifact.features is not None:
        return artifact.features
    where = f"the {artifact.config.task} model"
    return as_trained(saved_encoder(record, device, where, artifact.bundled_encoder))


class Labeller:
    """Label ids (and probabilities) of token lists, by a model's network and head.

    `backend` runs the network: torch (with `int8`, dynamically quantized) or onnx (on
    `onnx_path`, or a graph exported now); `device` is where torch runs it. A batch holds
    at most `batch_size` sentences and `max_tokens` padded tokens.
    """

    def __init__(
        self,
        artifact: Artifact,
        device: torch.device,
        backend: str = "torch",
        int8: bool = False,
        onnx_path: str | Path | None = None,
        batch_size: int = 512,
        max_tokens: int = MAX_BATCH_TOKENS,
    ) -> None:
        limit_kernel_cache()  # before the first kernel: shapes never repeat when tagging
        self.device = device
        self.check_process()
        self.artifact = artifact
        self.batch_size = batch_size
        self.max_tokens = max_tokens
        tuned = artifact.model.embedder.tuned is not None  # runs on the words, in float32
        features = None if tuned else _features(artifact, device)
        self.encoder = BatchEncoder(artifact.vocabs, features=features, words=tuned)
        self.network = network(artifact, backend, int8, onnx_path, device)

    @property
    def model(self) -> SequenceTagger:
        """The torch model (fp32, in eval mode), for those who read inside it (explain).

        Put in eval mode only when it is not: every eval() call drops the BiLSTM's
        gate-weight layout (BiLSTMEncoder.train), which then costs a rebuild per batch.
        """
        model = self.artifact.model
        return model.eval() if model.training else model

    def check_process(self) -> None:
        """ValueError where CUDA would run in a forked process."""
        if self.device.type == "cuda" and in_forked_child():
            raise ValueError(
                "CUDA cannot be used in a forked process (tag --processes, "
                "nlp.pipe(n_process=...)): use one process on a GPU, or device cpu"
            )

    def encode(self, sentences: Sequence[Sequence[str]]) -> Batch:
        """One batch of these sentences on the labeller's device (inference-mode tensors)."""
        with torch.inference_mode():  # the encoder's type table lives in inference mode
            return to_device(self.encoder.encode(sentences), self.device)

    def batches(
        self,
        sentences: Sequence[Sequence[str]],
        scores: bool,
        documents: Sequence[int] | None = None,
    ) -> Iterator[tuple[list[int], torch.Tensor, torch.Tensor | None]]:
        """Per batch of similar length: sentence indices, best label ids and, if asked,
        probabilities. Empty sentences are skipped; the caller fills their results.
        With `model.encoder_context`, the encoder reads each sentence with its neighbours
        in `sentences` of the same document (`documents`: each one's id; None: one).

        Batches are encoded and prepared here, in order; the network and decoding may
        run on worker threads (Network.batch_workers), and results come back in order.
        """
        self.check_process()
        head = self.model.head
        nonempty = [i for i, s in enumerate(sentences) if len(s) > 0]
        lengths = [len(sentences[i]) for i in nonempty]
        network, device = self.network, self.device
        contexts = self.contexts(sentences, documents)

        @torch.inference_mode()  # per step of the generator, as the encoder's tables need
        def prepared() -> Iterator[tuple[list[int], Batch]]:
            for group in length_batches(lengths, self.batch_size, max_tokens=self.max_tokens):
                indices = [nonempty[k] for k in group]
                chosen = [contexts[i] for i in indices] if contexts is not None else None
                batch = self.encoder.encode([sentences[i] for i in indices], contexts=chosen)
                batch = to_device(batch, device)
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

    def contexts(
        self, sentences: Sequence[Sequence[str]], documents: Sequence[int] | None
    ) -> list[Context] | None:
        """Each sentence's document context for the encoder; None where the model reads
        sentences alone (`model.encoder_context` 0, or no encoder)."""
        model = self.artifact.config.model
        if not (model.encoder and model.encoder_context):
            return None
        return sentence_contexts(sentences, documents, model.encoder_context)

    def label_ids(
        self,
        sentences: Sequence[Sequence[str]],
        scores: bool = False,
        documents: Sequence[int] | None = None,
    ) -> list[Labelled]:
        """Token models: label ids of every token (and the probability of each), in input
        order; an empty sentence gives [] (and [] or None). `documents`: see `batches`."""
        if len(sentences) == 1 and len(sentences[0]) and self.contexts(sentences, None) is None:
            return [self.one_sentence(sentences[0], scores)]
        results: list[Labelled] = [([], [] if scores else None) for _ in sentences]
        for indices, best, probs in self.batches(sentences, scores, documents):
            chosen = None
            if probs is not None:
                chosen = probs.gather(2, best.unsqueeze(-1)).squeeze(-1).tolist()  # (batch, time)
            best_ids = best.tolist()
            for row, i in enumerate(indices):
                n = len(sentences[i])
                results[i] = (best_ids[row][:n], chosen[row][:n] if chosen is not None else None)
        return results

    @torch.inference_mode()
    def one_sentence(self, sentence: Sequence[str], scores: bool = False) -> Labelled:
        """`label_ids` of one non-empty sentence, as services send them: the same batch,
        network and decoding, without the batching, generators and worker hand-off."""
        self.check_process()
        batch = to_device(self.encoder.encode([sentence]), self.device)
        network, head = self.network, self.model.head
        network.prepare(batch)
        out = network.run(batch)  # (1, time, n_labels)
        best = head.decode(out, batch.mask)[0]  # (time,)
        if not scores:
            return best.tolist(), None
        probs = head.probabilities(out, batch.mask)[0]  # (time, n_labels)
        return best.tolist(), probs.gather(1, best.unsqueeze(-1)).squeeze(-1).tolist()

    def class_ids(self, sentences: Sequence[Sequence[str]]) -> list[tuple[int, list[float]]]:
        """Sentence models: the best class id of every sentence and every class's
        probability; an empty sentence is read as an unknown word alone."""
        fixed = [s if len(s) else [UNKNOWN] for s in sentences]
        results: list[tuple[int, list[float]]] = [(0, []) for _ in fixed]
        for indices, best, probs in self.batches(fixed, scores=True):
            assert probs is not None
            for row, i in enumerate(indices):
                results[i] = (int(best[row]), probs[row].tolist())
        return results
