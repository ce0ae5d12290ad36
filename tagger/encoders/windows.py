"""Which words go into which encoder window: pure functions of piece counts.

A sequence is (left context, sentence, right context) as words, each word with its
number of subword pieces. A sentence that fits the window is encoded once with as much
of its context as fits, nearest words first (FLERT); a longer one is cut into windows
overlapping by about half, and each word is taken from the window where it is most
central. No sentence word is ever left out.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Window:
    """Words [start, end) of a sequence are encoded together; `owned` are read out."""

    start: int
    end: int
    owned: tuple[int, ...]  # sequence word indices whose vectors come from this window


def plan_windows(counts: list[int], own: tuple[int, int], width: int) -> list[Window]:
    """Windows over a sequence whose words have `counts` pieces (each <= `width`).

    `own` = (first, end) word indices of the sentence inside the sequence.
    """
    first, end = own
    if first == end:
        return []
    if sum(counts[first:end]) <= width:
        start, stop = _widen(counts, first, end, width)
        return [Window(start, stop, tuple(range(first, end)))]
    return _overlapping(counts, first, end, width)


def _widen(counts: list[int], first: int, end: int, width: int) -> tuple[int, int]:
    """Add context words around [first, end), nearest first, alternating, while they fit."""
    used = sum(counts[first:end])
    start, stop = first, end
    while True:
        grown = False
        if start > 0 and used + counts[start - 1] <= width:
            start -= 1
            used += counts[start]
            grown = True
        if stop < len(counts) and used + counts[stop] <= width:
            used += counts[stop]
            stop += 1
            grown = True
        if not grown:
            return start, stop


def _overlapping(counts: list[int], first: int, end: int, width: int) -> list[Window]:
    """Windows over the sentence alone, each starting about half a window after the last."""
    offsets = [0]
    for count in counts[first:end]:
        offsets.append(offsets[-1] + count)
    spans: list[tuple[int, int]] = []
    start = 0
    n = end - first
    while True:
        stop = start
        while stop < n and offsets[stop + 1] - offsets[start] <= width:
            stop += 1
        spans.append((start, stop))
        if stop == n:
            break
        target = offsets[start] + width // 2
        following = next(j for j in range(start + 1, n + 1) if offsets[j] >= target or j == n)
        start = max(start + 1, min(following, stop))  # no gap, always forward
    owner = [_most_central(offsets, spans, word) for word in range(n)]
    return [
        Window(
            first + a,
            first + b,
            tuple(first + w for w in range(n) if owner[w] == k),
        )
        for k, (a, b) in enumerate(spans)
    ]


def _most_central(offsets: list[int], spans: list[tuple[int, int]], word: int) -> int:
    """The span holding `word` whose nearer edge is farthest from the word's middle."""
    middle = (offsets[word] + offsets[word + 1]) / 2
    best, best_margin = -1, -1.0
    for k, (a, b) in enumerate(spans):
        if a <= word < b:
            margin = min(middle - offsets[a], offsets[b] - middle)
            if margin > best_margin:
                best, best_margin = k, margin
    return best
