"""The on-disk feature cache: hits, misses, invalidation, memory-mapped views, kills, ranks."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import signal
import time
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tagger.encoders.cache import ALIGN, FeatureCache, read_index, text_key

LAYERS, DIM = 2, 8
SENTENCES = [["The", "dog", "barks", "."], ["A", "cat"], ["Émile", "😀", "x" * 300], ["ok"]]


class FakeEncoder:
    """Features as a deterministic function of each word and the context; counts calls."""

    def __init__(self, key: str = "fake-v1") -> None:
        self.name = key
        self.calls: list[list[list[str]]] = []

    def key(self) -> str:
        return self.name

    def encode(
        self, sentences: Sequence[Sequence[str]], contexts: Sequence[Any] | None = None
    ) -> list[torch.Tensor]:
        self.calls.append([list(s) for s in sentences])
        contexts = contexts if contexts is not None else [None] * len(sentences)
        return [expected(s, c, self.name) for s, c in zip(sentences, contexts, strict=True)]


def expected(words: Sequence[str], context: Any = None, key: str = "fake-v1") -> torch.Tensor:
    """(LAYERS, len(words), DIM) float32, seeded by each word, the context and the key."""
    rows = []
    for word in words:
        seed = zlib.crc32(f"{key}|{context}|{word}".encode())
        rows.append(torch.randn(LAYERS, DIM, generator=torch.Generator().manual_seed(seed)))
    return torch.stack(rows, dim=1) if rows else torch.zeros(LAYERS, 0, DIM)


def assert_features(got: list[torch.Tensor], sentences: list[list[str]], context=None) -> None:
    contexts = context if context is not None else [None] * len(sentences)
    for tensor, words, c in zip(got, sentences, contexts, strict=True):
        assert tensor.dtype == torch.float16 and tensor.shape == (LAYERS, len(words), DIM)
        torch.testing.assert_close(tensor.float(), expected(words, c), rtol=1e-3, atol=1e-3)


def test_miss_computes_once_and_hits_reuse(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    assert_features(cache.features(SENTENCES), SENTENCES)
    assert len(encoder.calls) == 1  # one call over the misses, sorted by length
    assert encoder.calls[0] == sorted(SENTENCES, key=len)
    assert_features(cache.features(SENTENCES[::-1]), SENTENCES[::-1])
    assert len(encoder.calls) == 1
    again = FeatureCache(tmp_path, encoder)  # a second run, --resume, a dev split read again
    assert_features(again.features(SENTENCES[1:3]), SENTENCES[1:3])
    assert len(encoder.calls) == 1 and len(again) == len(SENTENCES)


def test_only_missing_sentences_are_encoded_and_duplicates_once(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    cache.features(SENTENCES[:2])
    batch = [SENTENCES[2], SENTENCES[0], SENTENCES[2], SENTENCES[3]]
    assert_features(cache.features(batch), batch)
    assert encoder.calls[1] == [SENTENCES[3], SENTENCES[2]]


def test_chunks_of_words_bound_each_encode_call(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    sentences = [["w"] * n for n in (3, 1, 4, 2, 5)]
    assert_features(FeatureCache(tmp_path, encoder, chunk_words=5).features(sentences), sentences)
    assert [[len(s) for s in call] for call in encoder.calls] == [[1, 2], [3], [4], [5]]


def test_key_words_or_context_changes_miss(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    FeatureCache(tmp_path, encoder).features([["a", "b"]], contexts=["left"])
    other = FakeEncoder("fake-v2")  # other weights, layers or pooling
    FeatureCache(tmp_path, other).features([["a", "b"]], contexts=["left"])
    assert len(other.calls) == 1 and len(list(tmp_path.iterdir())) == 2
    cache = FeatureCache(tmp_path, encoder)
    got = cache.features([["a", "c"], ["a", "b"], ["a", "b"]], contexts=["left", "right", None])
    assert encoder.calls[1:] == [[["a", "c"], ["a", "b"], ["a", "b"]]]
    assert_features(got, [["a", "c"], ["a", "b"], ["a", "b"]], ["left", "right", None])
    cache.features([["a\x1fb"], ["a", "b"]], contexts=[None, None])  # no separator to forge
    assert encoder.calls[2] == [["a\x1fb"]]
    around = [(["x"], ["y"]), (("x",), ("y",)), (["x"], [])]  # (words before, words after)
    cache.features([["a"]] * 3, contexts=around)
    assert encoder.calls[3] == [["a"], ["a"]]  # a tuple and a list of the same words agree


def test_returned_tensors_are_views_of_the_mapped_data_file(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path, FakeEncoder())
    first = cache.features(SENTENCES)
    grown = cache.features([["more", "words"]])  # the file grew: mapped again
    data = str(cache.data_path.resolve())
    regions = []
    for line in Path("/proc/self/maps").read_text().splitlines():
        if line.endswith(data):
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            regions.append((start, end))
    for tensor in [*first, *grown]:
        begin = tensor.data_ptr()
        last = begin + tensor.numel() * tensor.element_size()
        assert any(start <= begin and last <= end for start, end in regions)
    assert all(tensor.data_ptr() % ALIGN == 0 for tensor in first)  # entries are aligned


def test_empty_sentence_and_wrong_encoder_output(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path, FakeEncoder())
    assert cache.features([[]])[0].shape == (LAYERS, 0, DIM)

    class Short(FakeEncoder):
        def encode(self, sentences, contexts=None):
            return [t[:, :-1] for t in super().encode(sentences, contexts)]

    with pytest.raises(ValueError, match=r"Short.encode: expected \(n_layers, 2, dim\)"):
        FeatureCache(tmp_path, Short("short")).features([["a", "b"]])
    with pytest.raises(ValueError, match="2 sentences but 1 contexts"):
        cache.features([["a"], ["b"]], contexts=["x"])


def test_a_cut_index_line_is_ignored_and_dropped_by_the_next_writer(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    cache.features(SENTENCES[:3])
    with open(cache.index_path, "ab") as index:  # a kill while appending index lines
        index.write(b'{"key": "' + b"0" * 30)
    again = FeatureCache(tmp_path, encoder)
    assert_features(again.features(SENTENCES[:3]), SENTENCES[:3])
    assert len(encoder.calls) == 1
    again.features(SENTENCES[3:])  # the writer drops the cut line before appending
    entries, clean = read_index(cache.index_path, cache.data_path.stat().st_size)
    assert clean and len(entries) == 4
    assert_features(FeatureCache(tmp_path, encoder).features(SENTENCES), SENTENCES)
    assert len(encoder.calls) == 2


def test_short_data_and_bad_lines_are_recomputed(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    cache.features(SENTENCES)  # stored in length order: the 4-word sentence is last
    with open(cache.data_path, "r+b") as data:  # its data lost (a disk that lied about fsync)
        data.truncate(cache.data_path.stat().st_size - 10)
    with open(cache.index_path, "ab") as index:
        index.write(b'{"key": "k", "offset": 3, "shape": [1, 1, 1]}\n[1, 2]\n\xff\xfe\n')
    again = FeatureCache(tmp_path, encoder)
    assert_features(again.features(SENTENCES), SENTENCES)
    assert encoder.calls[1] == [SENTENCES[0]]
    lines = cache.index_path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4 and all(json.loads(line)["offset"] % ALIGN == 0 for line in lines)


def test_bytes_left_by_a_killed_writer_are_skipped(tmp_path: Path) -> None:
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    cache.features(SENTENCES[:2])
    with open(cache.data_path, "ab") as data:  # data written, index line never appended
        data.write(os.urandom(37))
    assert_features(FeatureCache(tmp_path, encoder).features(SENTENCES), SENTENCES)
    assert_features(FeatureCache(tmp_path, encoder).features(SENTENCES), SENTENCES)
    assert len(encoder.calls) == 2


def test_another_encoders_folder_is_refused(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path, FakeEncoder())
    (cache.folder / "key.json").write_text('{"format": 1, "key": "other"}')
    with pytest.raises(ValueError, match="key.json: expected the feature cache of 'fake-v1'"):
        FeatureCache(tmp_path, FakeEncoder())


def test_texts_another_process_stored_meanwhile_are_not_stored_twice(tmp_path: Path) -> None:
    class Racing(FakeEncoder):
        def encode(self, sentences, contexts=None):  # another rank stores them first
            FeatureCache(tmp_path, FakeEncoder()).features(sentences, contexts)
            return super().encode(sentences, contexts)

    cache = FeatureCache(tmp_path, Racing())
    assert_features(cache.features(SENTENCES), SENTENCES)
    assert len(cache.index_path.read_text(encoding="utf-8").splitlines()) == len(SENTENCES)


def killed_sentence(i: int) -> list[str]:
    return [f"k{i}", "z" * (i % 7)]


def _append_until_killed(folder: Path) -> None:
    torch.set_num_threads(1)
    cache = FeatureCache(folder, FakeEncoder(), chunk_words=1)
    for i in itertools.count():  # one append per sentence, in order, until killed
        cache.features([killed_sentence(i)])


def test_kill_9_while_appending_leaves_only_whole_entries(tmp_path: Path) -> None:
    index = FeatureCache(tmp_path, FakeEncoder()).index_path
    for delay in (0.0, 0.02, 0.1):  # each run resumes the last one's cache
        child = multiprocessing.get_context("fork").Process(
            target=_append_until_killed, args=(tmp_path,)
        )
        child.start()
        size = index.stat().st_size
        deadline = time.monotonic() + 20
        while index.stat().st_size == size and time.monotonic() < deadline:
            time.sleep(0.001)  # until this run appended something
        time.sleep(delay)
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    stored, _ = read_index(index, cache.data_path.stat().st_size)
    done = [killed_sentence(i) for i in range(len(stored))]
    assert set(stored) == {text_key("fake-v1", words, None) for words in done}
    more = [*done, *(killed_sentence(len(stored) + i) for i in range(3))]
    assert_features(cache.features(more), more)  # stored values read back
    assert encoder.calls == [more[-3:]]


def _rank(folder: Path, rank: int, count: int) -> None:
    torch.set_num_threads(1)
    cache = FeatureCache(folder, FakeEncoder(), chunk_words=3)
    for i in range(count):  # overlapping texts, many small appends that interleave
        words = [f"w{(i + rank) % count}", f"v{i % 5}"]
        cache.features([words, [f"r{rank}", str(i)]])
    os._exit(0)


def test_two_processes_appending_at_once_leave_a_consistent_cache(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    ranks = [context.Process(target=_rank, args=(tmp_path, rank, 40)) for rank in (0, 1)]
    for process in ranks:
        process.start()
    for process in ranks:
        process.join(timeout=60)
        assert process.exitcode == 0
    sentences = [[f"w{(i + r) % 40}", f"v{i % 5}"] for r in (0, 1) for i in range(40)]
    sentences += [[f"r{r}", str(i)] for r in (0, 1) for i in range(40)]
    encoder = FakeEncoder()
    cache = FeatureCache(tmp_path, encoder)
    assert_features(cache.features(sentences), sentences)
    assert not encoder.calls
    entries, clean = read_index(cache.index_path, cache.data_path.stat().st_size)
    spans = sorted((e.offset, e.offset + e.nbytes) for e in entries.values())
    assert clean and all(
        end <= start for (_, end), (start, _) in zip(spans, spans[1:], strict=False)
    )
    assert len(cache.index_path.read_text().splitlines()) == len(entries)  # nothing twice
    assert np.unique([e.offset for e in entries.values()]).size == len(entries)
