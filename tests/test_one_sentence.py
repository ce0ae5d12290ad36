"""One sentence per call (a service's `nlp(text)`): the fast path gives exactly what the
general batched path gives, and a call rebuilds nothing the model keeps between calls."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.io import Artifact
from tagger.labeller import Labeller
from tagger.model import lstm_inference
from tagger.model.build import build_model
from tagger.model.lstm_one import recur_one
from tagger.training_data import build_vocabs

CPU = torch.device("cpu")
SENTENCES = [["the", "dog", "runs"], ["a"], ["the", "old", "dog", "sees", "a", "cat", "today"]]


def artifact(config: Config, tokens: list[list[str]], labels: list[str]) -> Artifact:
    """An untrained model over these tokens' vocabularies, built in memory."""
    vocabs, vectors = build_vocabs(config, tokens, labels)
    torch.manual_seed(0)
    return Artifact(config, vocabs, build_model(config.model, vocabs, vectors).eval())


@pytest.fixture(scope="module")
def tagging(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable) -> Artifact:
    config = tiny_config(tmp_path_factory.mktemp("one_sentence"), layers=2)
    tokens, tags = as_lists(read_conllu(config.data.train))
    return artifact(config, tokens, sorted({t for s in tags for t in s}))


@pytest.fixture(scope="module")
def entities(
    tmp_path_factory: pytest.TempPathFactory, tiny_ner_config: Callable, toy_ner_gold: Callable
) -> Artifact:
    config = tiny_ner_config(tmp_path_factory.mktemp("one_sentence_ner"))
    tokens, tags = toy_ner_gold("train")
    return artifact(config, tokens, sorted({t for s in tags for t in s}))


def general(labeller: Labeller, sentence: list[str]) -> tuple[list[int], list[float]]:
    """The batched path's ids and probabilities of one sentence."""
    [(_, best, probs)] = list(labeller.batches([sentence], scores=True))
    assert probs is not None
    return best[0].tolist(), probs[0].gather(1, best[0].unsqueeze(-1)).squeeze(-1).tolist()


@pytest.mark.parametrize(
    ("model", "int8"), [("tagging", False), ("tagging", True), ("entities", False)]
)
def test_one_sentence_equals_the_batched_path(
    model: str, int8: bool, request: pytest.FixtureRequest
) -> None:
    labeller = Labeller(request.getfixturevalue(model), CPU, int8=int8)
    for sentence in SENTENCES:
        ids, probs = labeller.one_sentence(sentence, scores=True)
        assert (ids, probs) == general(labeller, sentence)  # bit for bit
        assert labeller.one_sentence(sentence) == (ids, None)
        assert labeller.label_ids([sentence], scores=True) == [(ids, probs)]


def test_label_ids_of_one_sentence_takes_the_fast_path(
    tagging: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    labeller = Labeller(tagging, CPU)
    taken: list[list[str]] = []
    fast = labeller.one_sentence
    monkeypatch.setattr(labeller, "one_sentence", lambda s, scores: taken.append(s) or fast(s))
    labeller.label_ids([SENTENCES[0]])
    assert taken == [SENTENCES[0]]
    assert labeller.label_ids([[]]) == [([], None)]  # an empty sentence: the general path
    labeller.label_ids(SENTENCES)
    assert taken == [SENTENCES[0]]


def test_calls_keep_the_bilstm_weight_layout(tagging: Artifact) -> None:
    """Each call used to put the model in eval mode again, which dropped the BiLSTM's
    gate-weight layout: a rebuild of every weight per call (most of a call's time)."""
    labeller = Labeller(tagging, CPU)
    labeller.label_ids([SENTENCES[0]])
    layout = tagging.model.encoder._gate_weights
    assert layout is not None
    labeller.label_ids([SENTENCES[1]])
    labeller.label_ids(SENTENCES)
    assert tagging.model.encoder._gate_weights is layout
    tagging.model.train()
    assert not labeller.model.training  # a model left in training mode is still evaluated


@pytest.mark.parametrize("time", [1, 2, 7])
def test_one_sentence_placing_equals_the_general_one(time: int) -> None:
    active, mirror, (forward, backward) = lstm_inference._one_sentence(time)
    general_active, general_mirror, (f, b) = lstm_inference._placing(torch.tensor([time]), time)
    assert active == general_active == [1] * time
    assert torch.equal(mirror, general_mirror) and torch.equal(forward, f)
    assert torch.equal(backward, b) and backward.tolist() == list(range(time))[::-1]


@pytest.mark.parametrize("time", [1, 2, 9])
@pytest.mark.parametrize("threads", [1, 2])
def test_bilstm_of_one_sentence_equals_its_general_path(
    time: int, threads: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sentence: its placing and time loop (compiled or not) give the general path's
    bits, and nn.LSTM's values."""
    torch.manual_seed(time)
    lstm = torch.nn.LSTM(6, 5, num_layers=2, bidirectional=True, batch_first=True).eval()
    weights = lstm_inference.gate_weights(lstm)
    x, lengths = torch.randn(1, time, 6), torch.tensor([time])
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            fast = lstm_inference.bilstm_forward(weights, x, lengths)
            monkeypatch.setattr(lstm_inference, "_compiled_one", lambda: recur_one)
            uncompiled = lstm_inference.bilstm_forward(weights, x, lengths)
            monkeypatch.setattr(lstm_inference, "_compiled_one", lambda: None)
            monkeypatch.setattr(lstm_inference, "_one_sentence", lambda t: 1 / 0)  # not taken
            padded = lstm_inference.bilstm_forward(weights, torch.cat([x, x[:, :1]], 1), lengths)
            monkeypatch.setattr(
                lstm_inference, "_one_sentence", lambda t: lstm_inference._placing(lengths, t)
            )
            general = lstm_inference.bilstm_forward(weights, x, lengths)
            reference = lstm(x)[0]
    finally:
        torch.set_num_threads(before)
    assert torch.equal(fast, general) and torch.equal(uncompiled, general)
    torch.testing.assert_close(padded[:, :time], fast)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)


def test_first_seen_in_python_equals_the_tensor_version() -> None:
    """Small batches find their distinct types with a dict: the same order and rows."""
    from tagger.data.batching import _first_seen, _first_seen_of_list

    for lengths in ([5], [3, 0, 4], [1, 1], [0], [6, 2, 6]):
        generator = torch.Generator().manual_seed(sum(lengths))
        flat = (torch.randint(1, 6, (sum(lengths),), generator=generator)).tolist()
        time = max(max(lengths), 1)
        mask = torch.arange(time)[None, :] < torch.tensor(lengths)[:, None]
        token_types = torch.zeros(len(lengths), time, dtype=torch.long)
        token_types[mask] = torch.tensor(flat, dtype=torch.long)
        types, rows = _first_seen_of_list(flat, mask)
        expected_types, expected_rows = _first_seen(token_types, mask)
        assert torch.equal(types, expected_types) and torch.equal(rows, expected_rows)
        assert types[0] == 0 and torch.equal(types[rows][mask], token_types[mask])


@pytest.mark.parametrize("shape", [(1, 1), (1, 9), (3, 6)], ids=["one-token", "one", "equal"])
def test_crf_without_padding_equals_its_general_path(
    shape: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One sentence (or sentences of one length) skip the padding selections: same bits."""
    from tagger.model import crf as crf_module

    labels = ["O"] + [f"{p}-{k}" for k in ("PER", "LOC") for p in "BIES"]
    torch.manual_seed(shape[1])
    crf = crf_module.CRF(len(labels), *crf_module.allowed_transitions(labels, "bioes"))
    with torch.no_grad():
        for parameter in (crf.transitions, crf.start, crf.end):
            parameter.normal_()
    emissions = 3 * torch.randn(*shape, len(labels))
    mask = torch.ones(shape, dtype=torch.bool)
    with torch.inference_mode():
        fast = crf.viterbi(emissions, mask), crf.marginals(emissions, mask)
        monkeypatch.setattr(crf_module, "_dense", lambda mask: False)
        general = crf.viterbi(emissions, mask), crf.marginals(emissions, mask)
    assert torch.equal(fast[0], general[0]) and torch.equal(fast[1], general[1])
    torch.testing.assert_close(fast[1].sum(-1), torch.ones(shape))
