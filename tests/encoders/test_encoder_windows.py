"""plan_windows: every sentence word read out once, windows within the width, overlap,
the most central window chosen, and context added nearest first."""

from __future__ import annotations

import random

import pytest

from tagger.encoders.windows import Window, plan_windows


def test_a_fitting_sentence_is_one_window_with_context_nearest_first() -> None:
    counts = [3, 1, 1, 2, 2, 1, 4]  # words 2..4 are the sentence (5 pieces)
    assert plan_windows(counts, (2, 5), 5) == [Window(2, 5, (2, 3, 4))]
    assert plan_windows(counts, (2, 5), 7) == [Window(1, 6, (2, 3, 4))]  # one each side
    assert plan_windows(counts, (2, 5), 100) == [Window(0, 7, (2, 3, 4))]
    assert plan_windows(counts, (2, 2), 100) == []  # an empty sentence


def test_a_long_sentence_is_cut_into_overlapping_windows() -> None:
    windows = plan_windows([1] * 20, (0, 20), 8)
    assert [(w.start, w.end) for w in windows] == [(0, 8), (4, 12), (8, 16), (12, 20)]
    assert windows[0].owned == (0, 1, 2, 3, 4, 5)  # ties go to the earlier window
    assert windows[1].owned == (6, 7, 8, 9)
    assert windows[-1].owned == (14, 15, 16, 17, 18, 19)


@pytest.mark.parametrize("seed", range(30))
def test_every_word_once_within_the_width(seed: int) -> None:
    rng = random.Random(seed)
    width = rng.randint(1, 12)
    counts = [rng.randint(1, width) for _ in range(rng.randint(1, 60))]
    first = rng.randint(0, len(counts) - 1)
    end = rng.randint(first + 1, len(counts))
    windows = plan_windows(counts, (first, end), width)
    owned = sorted(word for w in windows for word in w.owned)
    assert owned == list(range(first, end))
    for window in windows:
        assert sum(counts[window.start : window.end]) <= width
        assert all(window.start <= word < window.end for word in window.owned)
    if len(windows) > 1:  # windows over the sentence alone, in order, without gaps
        assert windows[0].start == first and windows[-1].end == end
        for a, b in zip(windows, windows[1:], strict=False):
            assert a.start < b.start <= a.end
