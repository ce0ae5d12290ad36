"""The Labeller: token lists in, label ids and probabilities out, in input order, the
same in any batch as alone; sentence models give a class and every class's probability."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from tagger.config import Config
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.io import Artifact
from tagger.labeller import Labeller
from tagger.model.build import build_model
from tagger.training_data import build_vocabs

CPU = torch.device("cpu")
SENTENCES = [["the", "dog", "runs"], [], ["a", "cat"], ["the", "old", "dog", "sees", "a", "cat"]]


def artifact(
    config: Config, tokens: list[list[str]], labels: list[str], sentence_level: bool = False
) -> Artifact:
    """An untrained model over these tokens' vocabularies, built in memory."""
    vocabs, vectors = build_vocabs(config, tokens, labels)
    torch.manual_seed(0)
    model = build_model(config.model, vocabs, vectors, sentence_level)
    return Artifact(config, vocabs, model.eval())


@pytest.fixture(scope="module")
def tagging(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable) -> Artifact:
    config = tiny_config(tmp_path_factory.mktemp("labeller"))
    tokens, tags = as_lists(read_conllu(config.data.train))
    return artifact(config, tokens, sorted({t for s in tags for t in s}))


@pytest.fixture(scope="module")
def sentiment(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_sentiment_config: Callable,
    toy_sentiment: Callable,
) -> Artifact:
    config = tiny_sentiment_config(tmp_path_factory.mktemp("labeller_sentiment"))
    tokens = [text.split() for _, text in toy_sentiment("train")]
    return artifact(config, tokens, ["neg", "pos"], sentence_level=True)


def test_ids_are_the_same_in_any_batch_as_alone(tagging: Artifact) -> None:
    labeller = Labeller(tagging, CPU, batch_size=2, max_tokens=8)
    together = labeller.label_ids(SENTENCES, scores=True)
    alone = [Labeller(tagging, CPU).label_ids([s], scores=True)[0] for s in SENTENCES]
    assert [ids for ids, _ in together] == [ids for ids, _ in alone]
    for (_, probs), (_, single) in zip(together, alone, strict=True):
        torch.testing.assert_close(torch.tensor(probs), torch.tensor(single))
    assert [len(ids) for ids, _ in together] == [len(s) for s in SENTENCES]
    n_labels = len(tagging.vocabs.labels.items)
    assert all(0 <= i < n_labels for ids, _ in together for i in ids)
    assert all(0 < p <= 1 for _, probs in together for p in probs or [])


def test_ids_without_scores_have_no_probabilities(tagging: Artifact) -> None:
    found = Labeller(tagging, CPU).label_ids(SENTENCES)
    assert [probs for _, probs in found] == [None] * len(SENTENCES)
    assert found[1] == ([], None)


def test_classes_are_the_most_probable_and_sum_to_one(sentiment: Artifact) -> None:
    labeller = Labeller(sentiment, CPU, batch_size=2)
    found = labeller.class_ids([["a", "good", "movie"], [], ["bad", "plot"]])
    for best, probs in found:
        assert len(probs) == 2 and best == max(range(2), key=probs.__getitem__)
        assert sum(probs) == pytest.approx(1.0, abs=1e-5)
    alone = labeller.class_ids([["<unk>"]])[0]  # empty: an unknown word alone
    assert found[1][0] == alone[0]  # in another batch: the same class, to float precision
    assert found[1][1] == pytest.approx(alone[1], abs=1e-6)


def test_encode_gives_one_batch_on_the_device(tagging: Artifact) -> None:
    labeller = Labeller(tagging, CPU)
    batch = labeller.encode([["the", "dog"], ["a"]])
    assert batch.mask.shape == (2, 2) and batch.mask.tolist() == [[True, True], [True, False]]
    assert batch.lengths.tolist() == [2, 1]
    assert labeller.model is tagging.model and not labeller.model.training


def test_cuda_in_a_forked_process_is_refused(
    tagging: Artifact, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tagger import parallel

    labeller = Labeller(tagging, CPU)
    monkeypatch.setattr(parallel, "_FORKED", True)
    labeller.device = torch.device("cuda")
    with pytest.raises(ValueError, match="CUDA cannot be used in a forked process"):
        labeller.label_ids([["the"]])
