"""Linear-chain CRF as pure tensor code: emissions, tags and a mask in; no names of labels.

Scheme constraints arrive as boolean matrices from `allowed_transitions`, a pure function
of the label list; forbidden moves get a large negative score so no decode can use them.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

FORBIDDEN = -1e4  # finite, so forward-backward never meets inf - inf


def allowed_transitions(
    labels: Sequence[str], scheme: str
) -> tuple[list[list[bool]], list[bool], list[bool]]:
    """(allowed[from][to], allowed_start[to], allowed_end[from]) for a tag scheme.

    Labels that are not O/B-/I-/E-/S- tags (e.g. POS tags) allow everything.
    """
    parts = []
    for label in labels:
        prefix, _, kind = label.partition("-")
        parts.append(("O", "") if label == "O" else (prefix, kind))

    def can_start(p: str, k: str) -> bool:
        if scheme == "iob1":
            return p in ("O", "I")
        return p in ("O", "B", "S")

    def can_end(p: str, k: str) -> bool:
        return p in ("O", "I", "B") if scheme != "bioes" else p in ("O", "E", "S")

    def can_follow(a: tuple[str, str], b: tuple[str, str]) -> bool:
        (pa, ka), (pb, kb) = a, b
        if scheme == "bioes":
            if pa in ("B", "I"):
                return pb in ("I", "E") and ka == kb
            return pb in ("O", "B", "S")
        if scheme == "iob2":
            return pb != "I" or (pa in ("B", "I") and ka == kb)
        # iob1: B-X only right after an X entity; I-X anywhere
        return pb != "B" or (pa in ("B", "I") and ka == kb)

    known = all(p in ("O", "B", "I", "E", "S") for p, _ in parts)
    n = len(labels)
    if not known:
        return [[True] * n for _ in range(n)], [True] * n, [True] * n
    allowed = [[can_follow(a, b) for b in parts] for a in parts]
    return allowed, [can_start(*p) for p in parts], [can_end(*p) for p in parts]


class CRF(nn.Module):
    """Transition scores between labels, with start and end scores."""

    def __init__(
        self,
        n_labels: int,
        allowed: list[list[bool]] | None = None,
        allowed_start: list[bool] | None = None,
        allowed_end: list[bool] | None = None,
    ) -> None:
        super().__init__()
        self.transitions = nn.Parameter(torch.zeros(n_labels, n_labels))  # (from, to)
        self.start = nn.Parameter(torch.zeros(n_labels))
        self.end = nn.Parameter(torch.zeros(n_labels))
        ones = [True] * n_labels
        self.register_buffer("allowed", torch.tensor(allowed or [ones] * n_labels))
        self.register_buffer("allowed_start", torch.tensor(allowed_start or ones))
        self.register_buffer("allowed_end", torch.tensor(allowed_end or ones))

    def _scores(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        trans = self.transitions.masked_fill(~self.allowed, FORBIDDEN)  # (K, K)
        start = self.start.masked_fill(~self.allowed_start, FORBIDDEN)  # (K,)
        end = self.end.masked_fill(~self.allowed_end, FORBIDDEN)  # (K,)
        return trans, start, end

    def log_likelihood(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """(batch,) log p(tags | emissions); emissions (B, T, K), tags and mask (B, T)."""
        return self.path_score(emissions, tags, mask) - self.log_partition(emissions, mask)

    def path_score(
        self, emissions: torch.Tensor, tags: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        trans, start, end = self._scores()
        m = mask.float()  # (B, T)
        emit = emissions.gather(2, tags.unsqueeze(-1)).squeeze(-1)  # (B, T)
        score = start[tags[:, 0]] + (emit * m).sum(1)  # (B,)
        score = score + (trans[tags[:, :-1], tags[:, 1:]] * m[:, 1:]).sum(1)
        last = mask.long().sum(1).clamp(min=1) - 1  # (B,)
        return score + end[tags.gather(1, last.unsqueeze(1)).squeeze(1)]

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch,) log of the sum over all label sequences (the forward algorithm)."""
        trans, start, end = self._scores()
        alpha = start + emissions[:, 0]  # (B, K)
        for t in range(1, emissions.shape[1]):
            step = torch.logsumexp(alpha.unsqueeze(2) + trans, dim=1) + emissions[:, t]  # (B, K)
            alpha = torch.where(mask[:, t].unsqueeze(1), step, alpha)
        return torch.logsumexp(alpha + end, dim=1)

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, time) best label sequences; positions past each length repeat nothing useful."""
        trans, start, end = self._scores()
        batch, time, n = emissions.shape
        dense, steps = _dense(mask), emissions.unbind(1)  # time x (B, K)
        score = start + steps[0]  # (B, K)
        keep = torch.arange(n, device=emissions.device).expand(batch, n)  # identity backpointer
        pointers = []
        for t in range(1, time):
            best, index = (score.unsqueeze(2) + trans).max(dim=1)  # (B, K) over previous label
            if dense:  # every sentence goes on: the selections below would take these
                score = best + steps[t]
                pointers.append(index)
                continue
            on = mask[:, t].unsqueeze(1)
            score = torch.where(on, best + steps[t], score)
            pointers.append(torch.where(on, index, keep))
        label = (score + end).argmax(dim=1)  # (B,) label of each sentence's last real token
        path = [label]
        for index in reversed(pointers):  # padding steps point to themselves
            label = index.gather(1, label.unsqueeze(1)).squeeze(1)
            path.append(label)
        path.reverse()
        return torch.stack(path, dim=1)  # (B, T)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, time, K) probability of each label at each token (forward-backward)."""
        trans, start, end = self._scores()
        batch, time, n = emissions.shape
        dense, steps = _dense(mask), emissions.unbind(1)  # time x (B, K)
        alphas = [start + steps[0]]
        for t in range(1, time):
            step = torch.logsumexp(alphas[-1].unsqueeze(2) + trans, dim=1) + steps[t]
            alphas.append(step if dense else torch.where(mask[:, t].unsqueeze(1), step, alphas[-1]))
        lengths = mask.long().sum(1)  # (B,)
        beta = end.expand(batch, n)
        betas = [beta] * time
        for t in range(time - 2, -1, -1):
            step = torch.logsumexp(trans + (steps[t + 1] + betas[t + 1]).unsqueeze(1), dim=2)
            if dense:  # t + 1 is inside every sentence
                betas[t] = step
                continue
            is_last = (lengths - 1 == t).unsqueeze(1)
            inside = mask[:, t + 1].unsqueeze(1)
            betas[t] = torch.where(
                inside, step, torch.where(is_last, end.expand(batch, n), betas[t + 1])
            )
        alpha = torch.stack(alphas, dim=1)  # (B, T, K)
        beta = torch.stack(betas, dim=1)  # (B, T, K)
        log_z = torch.logsumexp(
            alpha[torch.arange(batch, device=alpha.device), (lengths - 1).clamp(min=0)] + end, dim=1
        )
        # float32 rounding can put a certain label a hair above 1
        return (alpha + beta - log_z[:, None, None]).exp().clamp(max=1.0)


def _dense(mask: torch.Tensor) -> bool:
    """Whether every position is a real token (one sentence, or a batch of one length):
    the decoders then skip their padding selections, which would select every step."""
    return bool(mask.all())
