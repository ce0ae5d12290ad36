"""The linear-chain CRF against brute force over every label sequence, and its constraints.

Tiny sizes (K <= 5 labels, T <= 4 tokens) make the K**T enumeration cheap; float64 makes
the comparisons tight. Decoded NER sequences are checked with tagger.data.schemes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
import torch

from tagger.data.schemes import Repairs, convert, spans
from tagger.model.crf import CRF, allowed_transitions

DOUBLE = torch.float64


def random_crf(n: int, seed: int, scale: float = 1.0, constraints: tuple | None = None) -> CRF:
    """A float64 CRF with random transition, start and end scores."""
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(n, *(constraints or ())).to(DOUBLE)
    with torch.no_grad():
        for parameter in (crf.transitions, crf.start, crf.end):
            parameter.copy_(scale * torch.randn(parameter.shape, generator=generator, dtype=DOUBLE))
    return crf


def random_batch(
    lengths: list[int], n: int, seed: int, scale: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """(emissions (B, T, K), mask (B, T)) with garbage in the padding."""
    generator = torch.Generator().manual_seed(seed)
    time = max(lengths)
    emissions = scale * torch.randn(len(lengths), time, n, generator=generator, dtype=DOUBLE)
    mask = torch.arange(time)[None, :] < torch.tensor(lengths)[:, None]
    return emissions, mask


def every_path(crf: CRF, emissions: torch.Tensor, length: int) -> tuple[list, torch.Tensor]:
    """All K**length label sequences of one sentence (emissions (T, K)) and their scores."""
    n = emissions.shape[-1]
    paths = list(itertools.product(range(n), repeat=length))
    tags = torch.tensor(paths).reshape(len(paths), length)
    emit = emissions[:length].expand(len(paths), length, n)
    mask = torch.ones(len(paths), length, dtype=torch.bool)
    return paths, crf.path_score(emit, tags, mask)


CASES = [(n, lengths, seed) for seed, n in enumerate((3, 4, 5)) for lengths in ([4, 1, 2], [3])]


@pytest.mark.parametrize(("n", "lengths", "seed"), CASES)
def test_log_partition_is_logsumexp_over_all_paths(n: int, lengths: list[int], seed: int) -> None:
    crf = random_crf(n, seed)
    emissions, mask = random_batch(lengths, n, seed)
    log_z = crf.log_partition(emissions, mask)  # (B,)
    assert log_z.shape == (len(lengths),)
    for b, length in enumerate(lengths):
        _, scores = every_path(crf, emissions[b], length)
        assert log_z[b].item() == pytest.approx(torch.logsumexp(scores, 0).item(), abs=1e-9)


@pytest.mark.parametrize(("n", "lengths", "seed"), CASES)
def test_likelihood_is_a_distribution_over_paths(n: int, lengths: list[int], seed: int) -> None:
    crf = random_crf(n, seed)
    emissions, mask = random_batch(lengths, n, seed)
    for b, length in enumerate(lengths):
        paths, _ = every_path(crf, emissions[b], length)
        time = emissions.shape[1]
        tags = torch.zeros(len(paths), time, dtype=torch.long)
        tags[:, :length] = torch.tensor(paths).reshape(len(paths), length)
        # the sentence inside its padded batch row, once per path
        rows = emissions[b : b + 1].expand(len(paths), -1, -1)
        log_p = crf.log_likelihood(rows, tags, mask[b : b + 1].expand(len(paths), -1))
        assert (log_p <= 1e-12).all()
        assert log_p.exp().sum().item() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize(("n", "lengths", "seed"), CASES)
def test_viterbi_is_the_best_path(n: int, lengths: list[int], seed: int) -> None:
    crf = random_crf(n, seed, scale=2.0)
    emissions, mask = random_batch(lengths, n, seed)
    best = crf.viterbi(emissions, mask)  # (B, T)
    assert best.shape == mask.shape
    for b, length in enumerate(lengths):
        paths, scores = every_path(crf, emissions[b], length)
        assert tuple(best[b, :length].tolist()) == paths[int(scores.argmax())]


@pytest.mark.parametrize(("n", "lengths", "seed"), CASES)
def test_marginals_are_brute_force_marginals(n: int, lengths: list[int], seed: int) -> None:
    crf = random_crf(n, seed)
    emissions, mask = random_batch(lengths, n, seed)
    marginals = crf.marginals(emissions, mask)  # (B, T, K)
    assert marginals.shape == emissions.shape
    for b, length in enumerate(lengths):
        paths, scores = every_path(crf, emissions[b], length)
        probability = (scores - torch.logsumexp(scores, 0)).exp()
        expected = torch.zeros(length, n, dtype=DOUBLE)
        for path, p in zip(paths, probability, strict=True):
            expected[torch.arange(length), torch.tensor(path)] += p
        torch.testing.assert_close(marginals[b, :length], expected, atol=1e-9, rtol=0)
    real = marginals[mask]  # (tokens, K)
    torch.testing.assert_close(real.sum(-1), torch.ones(len(real), dtype=DOUBLE))


def test_padding_does_not_matter() -> None:
    """Scores, decodes and marginals of real tokens ignore padded emissions and tags."""
    n, lengths = 4, [4, 1, 2]
    crf = random_crf(n, 7)
    emissions, mask = random_batch(lengths, n, 7)
    tags = torch.randint(0, n, mask.shape, generator=torch.Generator().manual_seed(7))
    noisy_emissions = emissions.masked_fill(~mask.unsqueeze(-1), 1e3)
    noisy_tags = tags.masked_fill(~mask, n - 1)
    with torch.no_grad():
        for a, b in [
            (
                crf.path_score(emissions, tags, mask),
                crf.path_score(noisy_emissions, noisy_tags, mask),
            ),
            (crf.log_partition(emissions, mask), crf.log_partition(noisy_emissions, mask)),
            (crf.viterbi(emissions, mask)[mask], crf.viterbi(noisy_emissions, mask)[mask]),
            (crf.marginals(emissions, mask)[mask], crf.marginals(noisy_emissions, mask)[mask]),
        ]:
            torch.testing.assert_close(a, b)


def test_batch_equals_one_sentence_at_a_time() -> None:
    n, lengths = 5, [4, 1, 3, 2, 4, 1]
    crf = random_crf(n, 3, scale=2.0)
    emissions, mask = random_batch(lengths, n, 3, scale=2.0)
    with torch.no_grad():
        best = crf.viterbi(emissions, mask)
        log_z = crf.log_partition(emissions, mask)
        marginals = crf.marginals(emissions, mask)
        for b, length in enumerate(lengths):
            alone = emissions[b : b + 1, :length]
            full = torch.ones(1, length, dtype=torch.bool)
            assert crf.viterbi(alone, full)[0].tolist() == best[b, :length].tolist()
            torch.testing.assert_close(crf.log_partition(alone, full)[0], log_z[b])
            torch.testing.assert_close(crf.marginals(alone, full)[0], marginals[b, :length])


def test_gradients_flow_to_transitions_and_emissions() -> None:
    labels = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    crf = CRF(len(labels), *allowed_transitions(labels, "iob2"))
    emissions, mask = random_batch([4, 1, 3], len(labels), 11)
    emissions = emissions.float().requires_grad_()
    tags = torch.tensor([[1, 2, 0, 3], [0, 0, 0, 0], [3, 4, 4, 0]])
    loss = -crf.log_likelihood(emissions, tags, mask).sum() / mask.sum()
    loss.backward()
    assert torch.isfinite(loss)
    for grad in (crf.transitions.grad, crf.start.grad, crf.end.grad, emissions.grad):
        assert grad is not None and torch.isfinite(grad).all()
    assert crf.transitions.grad.abs().sum() > 0
    # Forbidden moves are masked out, so their parameters never learn anything.
    assert (crf.transitions.grad[~crf.allowed] == 0).all()
    assert (crf.start.grad[~crf.allowed_start] == 0).all()
    assert (emissions.grad[~mask] == 0).all()  # padding gets no gradient


# --- scheme constraints ---

TYPES = ("PER", "LOC")
LABELS = {
    "iob2": ["O"] + [f"{p}-{t}" for t in TYPES for p in "BI"],
    "iob1": ["O"] + [f"{p}-{t}" for t in TYPES for p in "IB"],
    "bioes": ["O"] + [f"{p}-{t}" for t in TYPES for p in "BIES"],
}


def constraints_by_name(labels: list[str], scheme: str) -> tuple[Callable, list, list]:
    """(ok(from, to), labels that may start, labels that may end) by label name."""
    allowed, start, end = allowed_transitions(labels, scheme)
    index = {label: k for k, label in enumerate(labels)}

    def ok(a: str, b: str) -> bool:
        return allowed[index[a]][index[b]]

    starts = [label for label, flag in zip(labels, start, strict=True) if flag]
    ends = [label for label, flag in zip(labels, end, strict=True) if flag]
    return ok, starts, ends


def test_allowed_transitions_bioes_by_hand() -> None:
    ok, starts, ends = constraints_by_name(LABELS["bioes"], "bioes")
    assert ok("B-PER", "I-PER") and ok("B-PER", "E-PER") and ok("I-PER", "E-PER")
    assert ok("E-PER", "B-PER") and ok("S-PER", "S-PER") and ok("O", "S-LOC")
    assert not ok("B-PER", "O") and not ok("B-PER", "E-LOC") and not ok("E-PER", "I-PER")
    assert not ok("O", "E-PER") and not ok("S-PER", "I-PER") and not ok("I-PER", "B-PER")
    assert starts == ["O", "B-PER", "S-PER", "B-LOC", "S-LOC"]
    assert ends == ["O", "E-PER", "S-PER", "E-LOC", "S-LOC"]


def test_allowed_transitions_iob2_by_hand() -> None:
    ok, starts, ends = constraints_by_name(LABELS["iob2"], "iob2")
    assert ok("B-PER", "I-PER") and ok("I-PER", "I-PER") and ok("I-PER", "B-PER")
    assert ok("B-PER", "B-PER") and ok("I-LOC", "B-PER") and ok("B-PER", "O")
    assert not ok("O", "I-PER") and not ok("B-LOC", "I-PER") and not ok("I-LOC", "I-PER")
    assert starts == ["O", "B-PER", "B-LOC"]
    assert ends == LABELS["iob2"]


def test_allowed_transitions_iob1_by_hand() -> None:
    ok, starts, ends = constraints_by_name(LABELS["iob1"], "iob1")
    assert ok("O", "I-PER") and ok("I-LOC", "I-PER") and ok("I-PER", "B-PER")
    assert ok("B-PER", "B-PER") and ok("B-PER", "I-PER")
    assert not ok("O", "B-PER") and not ok("I-LOC", "B-PER")
    assert starts == ["O", "I-PER", "I-LOC"]
    assert ends == LABELS["iob1"]


@pytest.mark.parametrize("labels", [["ADJ", "NOUN", "VERB"], ["O", "B-PER", "NOUN"], ["PUNCT"]])
@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
def test_labels_without_scheme_prefixes_allow_everything(labels: list[str], scheme: str) -> None:
    allowed, start, end = allowed_transitions(labels, scheme)
    assert all(all(row) for row in allowed) and all(start) and all(end)
    assert len(allowed) == len(start) == len(end) == len(labels)


@pytest.mark.parametrize("scheme", ["iob1", "iob2", "bioes"])
@pytest.mark.parametrize("scale", [1.0, 20.0])
def test_constrained_decoding_is_always_well_formed(scheme: str, scale: float) -> None:
    """Whatever the emissions and learned transitions, Viterbi keeps to the scheme."""
    labels = LABELS[scheme]
    constraints = allowed_transitions(labels, scheme)
    lengths = [1, 2, 3, 4, 5, 6, 7, 8]
    for trial in range(40):
        crf = random_crf(len(labels), 100 + trial, scale=scale, constraints=constraints)
        emissions, mask = random_batch(lengths, len(labels), 200 + trial, scale=scale)
        best = crf.viterbi(emissions, mask).tolist()
        for row, length in zip(best, lengths, strict=True):
            decoded = [labels[k] for k in row[:length]]
            counter = Repairs()
            spans(decoded, scheme, counter)
            assert counter.count == 0, decoded
            assert convert(decoded, scheme, scheme) == decoded, decoded  # canonical spelling


def test_constrained_marginals_give_forbidden_starts_no_mass() -> None:
    labels = LABELS["bioes"]
    crf = random_crf(len(labels), 5, scale=3.0, constraints=allowed_transitions(labels, "bioes"))
    emissions, mask = random_batch([1, 3, 5], len(labels), 5, scale=3.0)
    marginals = crf.marginals(emissions, mask)
    cannot_start = [k for k, label in enumerate(labels) if label[0] in "IE"]
    cannot_end = [k for k, label in enumerate(labels) if label[0] in "BI"]
    assert marginals[:, 0, cannot_start].max() < 1e-12
    last = mask.sum(1) - 1
    assert marginals[torch.arange(3), last][:, cannot_end].max() < 1e-12
    # A one-token sentence in BIOES is O or S-.
    assert set(marginals[0, 0].nonzero().flatten().tolist()) <= {0, 4, 8}
