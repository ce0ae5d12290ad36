"""One sentence explained: labels, gates of every layer and direction, attention, saliency.

`explain` runs through the Predictor for the labels and their probabilities (so they are
what `tagger tag` gives), then reads the model itself through its Labeller (`model`,
`encode`): the token features, every gate
recomputed from the BiLSTM's weights, the attention of a pooling head, and the saliency
of each word for each predicted label. The character model is not opened up.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from tagger.data.batching import Batch
from tagger.explain.gates import Layer, recompute
from tagger.explain.saliency import gradient_times_input, integrated_gradients
from tagger.model.build import SequenceTagger
from tagger.model.pooling import SentenceHead
from tagger.predict import Predictor

SALIENCY_STEPS = 16  # integrated-gradient steps along the path from zero to the features
# "auto": integrated gradients for sentence models (one label: one backward pass over the
# steps), gradient x input for taggers (a label per token: one backward pass per token;
# integrated gradients there cost `steps` times as much, 5 s for 50 EWT tokens)
SALIENCY_METHODS = ("auto", "ig", "grad", "none")


@dataclass
class Explanation:
    """What the model does with one sentence; tensors are on the CPU, (tokens, ...)."""

    tokens: list[str]
    labels: list[str]  # token models: one per token; sentence models: the sentence's label
    probs: list[float]  # the model's probability of each label in `labels`
    layers: list[Layer]  # from the embeddings up; every part (tokens, hidden)
    rnn: str  # "lstm" | "gru": which parts the layers have
    task: str
    classes: dict[str, float] | None = None  # sentence models: every class's probability
    attention: torch.Tensor | None = None  # (tokens,) attention pooling weights
    saliency: torch.Tensor | None = None  # (len(labels), tokens): each word's share in each label
    saliency_method: str = ""  # "ig" (integrated gradients) or "grad" (gradient x input)

    def to_json(self, digits: int = 6) -> dict:
        """{"tokens", "labels", "probs", "layers": [{"forward": {part: tokens x hidden},
        "backward": ...}], ...} with floats rounded to `digits` decimals."""

        def rounded(t: torch.Tensor) -> list:
            return t.double().round(decimals=digits).tolist()

        found: dict = {
            "task": self.task,
            "rnn": self.rnn,
            "tokens": self.tokens,
            "labels": self.labels,
            "probs": [round(p, digits) for p in self.probs],
            "layers": [
                {d: {part: rounded(v) for part, v in parts.items()} for d, parts in layer.items()}
                for layer in self.layers
            ],
        }
        if self.classes is not None:
            found["classes"] = {k: round(v, digits) for k, v in self.classes.items()}
        if self.attention is not None:
            found["attention"] = rounded(self.attention)
        if self.saliency is not None:
            found["saliency"] = rounded(self.saliency)
            found["saliency_method"] = self.saliency_method
        return found


def explain(
    predictor: Predictor,
    tokens: Sequence[str],
    saliency: str = "auto",
    steps: int = SALIENCY_STEPS,
) -> Explanation:
    """Explain one non-empty token list with the predictor's model; `saliency` is one of
    SALIENCY_METHODS."""
    if saliency not in SALIENCY_METHODS:
        raise ValueError(
            f"saliency: expected one of {', '.join(SALIENCY_METHODS)}, got {saliency!r}"
        )
    tokens = list(tokens)
    if not tokens:
        raise ValueError("explain needs at least one token")
    task = predictor.task
    if task.makes_tokens:
        raise ValueError(f"explain works on tagging and sentence models, not a {task.name} model")
    model = predictor.labeller.model
    if task.sentence_level:
        label, classes = predictor.classify([tokens])[0]
        ids, labels, probs = [predictor.labels.index(label)], [label], [classes[label]]
    else:
        found_ids, found_probs = predictor.predict_ids([tokens], scores=True)[0]
        ids, labels, probs, classes = found_ids, predictor.label_names(found_ids), found_probs, None
        assert probs is not None
    batch = ordinary(predictor.labeller.encode([tokens]))
    with torch.no_grad():
        embedded = model.embedder(batch)  # (1, time, embed_dim)
        layers = recompute(
            model.encoder.rnn, model.encoder_input(embedded, batch.mask), batch.lengths
        )
        attention = _attention(model, embedded, batch)
    method = saliency
    if method == "auto":
        method = "ig" if task.sentence_level else "grad"
    heat = _saliency(model, embedded, batch, ids, method, steps) if method != "none" else None
    return Explanation(
        tokens=tokens,
        labels=labels,
        probs=[float(p) for p in probs],
        layers=[
            {d: {k: v[0].cpu() for k, v in parts.items()} for d, parts in layer.items()}
            for layer in layers
        ],
        rnn="lstm" if isinstance(model.encoder.rnn, torch.nn.LSTM) else "gru",
        task=task.name,
        classes=classes,
        attention=attention,
        saliency=heat,
        saliency_method=method if heat is not None else "",
    )


def ordinary(batch: Batch) -> Batch:
    """The batch with ordinary tensors in place of inference-mode ones, for autograd."""
    copies = {
        f.name: value.clone()
        for f in dataclasses.fields(batch)
        if isinstance(value := getattr(batch, f.name), torch.Tensor)
    }
    return dataclasses.replace(batch, **copies)


def _attention(model: SequenceTagger, embedded: torch.Tensor, batch: Batch) -> torch.Tensor | None:
    head = model.head
    if not isinstance(head, SentenceHead) or head.pooling != "attention":
        return None
    head(model.encode_embedded(embedded, batch.mask, batch.lengths), batch.mask)
    assert head.last_weights is not None
    return head.last_weights[0].float().cpu()  # (tokens,)


def _saliency(
    model: SequenceTagger,
    embedded: torch.Tensor,
    batch: Batch,
    ids: list[int],
    method: str,
    steps: int,
) -> torch.Tensor:
    """(len(ids), tokens) attribution of each word to each predicted label's score (the
    logit, or a CRF's emission score), by integrated gradients ("ig") or gradient x
    input ("grad")."""
    mask, lengths = batch.mask, batch.lengths
    positions = torch.arange(len(ids), device=embedded.device)
    labels = torch.tensor(ids, device=embedded.device)
    sentence = isinstance(model.head, SentenceHead)

    def score(path: torch.Tensor) -> torch.Tensor:  # (n, time, dim) -> (n, targets)
        n = path.shape[0]
        many_mask, many_lengths = mask.expand(n, -1), lengths.expand(n)
        states = model.encode_embedded(path, many_mask, many_lengths)
        # The label's score before the softmax: a confident probability is flat (its
        # gradient vanishes at p = 1), its score is not. CRF heads: the emission score.
        scores = model.head(states, many_mask)  # (n, labels) or (n, time, labels)
        if sentence:
            return scores[:, labels]  # (n, 1)
        return scores[:, positions, labels]  # (n, tokens)

    # cuDNN's RNN has no backward in eval mode; the plain kernels give the same numbers.
    with torch.backends.cudnn.flags(enabled=False):
        if method == "ig":
            heat = integrated_gradients(score, embedded[0].float(), steps)
        else:
            heat = gradient_times_input(score, embedded[0].float())
    return heat.cpu()
