"""BatchEncoder's type table: the same tensors as a per-token reference, history-free, bounded."""

from __future__ import annotations

import pytest
import torch

from tagger.config import ModelConfig
from tagger.data.batching import Batch, BatchEncoder, length_batches
from tagger.data.vocab import PAD, UNK, Vocab, Vocabs, casing
from tagger.model.build import build_model

TRAIN = [
    ["The", "dog", "sees", "a", "cat", "."],
    ["A", "big", "bird", "finds", "every", "old", "tree", "!"],
]
LABELS = ["ADJ", "DET", "NOUN", "PUNCT", "VERB"]
LONG = "Pneumonoultramicroscopicsilicovolcanoconiosis"  # 45 characters
THIRTY = "abcdefghijklmnopqrstuvwxyzabcd"  # kept whole
THIRTY_ONE = THIRTY + "Z"
MAIN = [
    ["The", "dog", "sees", "the", "dog", "."],  # repeats, "The" and "the" are two types
    [],
    ["cat"],
    [LONG, "Zürich", "€5", "dog", THIRTY, THIRTY_ONE, "zebra", "!"],  # unknown words, chars
    ["DOG", "dog", "a"],
]
BATCHES = [MAIN, [["dog"]], [[]], [[], ["a", "a"]], [[LONG]]]
TENSORS = ("words", "pretrained", "casing", "chars", "char_lengths", "char_index", "lengths")


def toy_vocabs(pretrained: bool) -> Vocabs:
    words = Vocab.build(w.lower() for s in TRAIN for w in s)
    chars = Vocab.build(c for s in TRAIN for w in s for c in w)
    vectors = Vocab([PAD, UNK, "the", "dog", "zebra"]) if pretrained else None
    return Vocabs(words, chars, Vocab.labels(LABELS), vectors)


def reference(
    vocabs: Vocabs, sentences: list[list[str]], tags: list[list[str]] | None = None
) -> dict[str, torch.Tensor | None]:
    """The batch tensors, built token by token; `chars` rows: padding, then first appearance."""
    n, time = len(sentences), max([len(s) for s in sentences] + [1])
    grids = {name: torch.zeros(n, time, dtype=torch.long) for name in TENSORS[:3]}
    char_index = torch.zeros(n, time, dtype=torch.long)
    gold = torch.zeros(n, time, dtype=torch.long)
    rows: dict[str, int] = {}
    char_rows = [[0]]  # the padding word: one padding character
    for i, sentence in enumerate(sentences):
        for j, word in enumerate(sentence):
            grids["words"][i, j] = vocabs.words.id(word.lower())
            if vocabs.pretrained is not None:
                grids["pretrained"][i, j] = vocabs.pretrained.id(word.lower())
            grids["casing"][i, j] = casing(word)
            if word not in rows:
                rows[word] = len(char_rows)
                kept = word if len(word) <= 30 else word[:15] + word[-15:]
                char_rows.append([vocabs.chars.id(c) for c in kept])
            char_index[i, j] = rows[word]
            if tags is not None:
                gold[i, j] = LABELS.index(tags[i][j])
    width = max(len(r) for r in char_rows)
    return {
        **grids,
        "pretrained": grids["pretrained"] if vocabs.pretrained is not None else None,
        "chars": torch.tensor([r + [0] * (width - len(r)) for r in char_rows]),
        "char_lengths": torch.tensor([len(r) for r in char_rows]),
        "char_index": char_index,
        "lengths": torch.tensor([len(s) for s in sentences]),
        "tags": gold if tags is not None else None,
    }


def assert_matches(batch: Batch, expected: dict[str, torch.Tensor | None]) -> None:
    for name, want in expected.items():
        got = getattr(batch, name)
        if want is None:
            assert got is None, name
        else:
            assert got is not None and got.dtype == torch.long, name
            assert torch.equal(got, want), f"{name}:\n{got}\n!=\n{want}"


def assert_types_are_table_rows(encoder: BatchEncoder, batch: Batch, sentences: list) -> None:
    """`types` names each row of `chars` by its row in the encoder's table."""
    assert batch.types is not None and batch.generation == encoder.generation
    assert batch.types[0] == 0  # padding
    assert len(set(batch.types.tolist())) == len(batch.types)
    for i, sentence in enumerate(sentences):
        for j, word in enumerate(sentence):
            assert batch.types[batch.char_index[i, j]] == encoder._index[word]


@pytest.mark.parametrize("pretrained", [False, True])
def test_encode_equals_the_per_token_reference(pretrained: bool) -> None:
    vocabs = toy_vocabs(pretrained)
    encoder = BatchEncoder(vocabs)
    for sentences in BATCHES:  # one encoder: later batches reuse the table
        batch = encoder.encode(sentences)
        assert_matches(batch, reference(vocabs, sentences))
        assert_types_are_table_rows(encoder, batch, sentences)
        assert batch.tags is None and batch.labels is None and batch.char_features is None


def test_long_words_keep_their_first_and_last_15_characters() -> None:
    vocabs = Vocabs(Vocab.build([]), Vocab.build(LONG + THIRTY_ONE), Vocab.labels(LABELS))
    batch = BatchEncoder(vocabs).encode([[LONG, THIRTY_ONE, THIRTY]])
    spelled = [
        "".join(vocabs.chars.items[c] for c in row[:n])
        for row, n in zip(batch.chars.tolist(), batch.char_lengths.tolist(), strict=True)
    ]
    assert spelled[1:] == [LONG[:15] + LONG[-15:], THIRTY_ONE[:15] + THIRTY_ONE[-15:], THIRTY]


def test_encode_tags_and_labels() -> None:
    vocabs = toy_vocabs(False)
    sentences = [["the", "dog", "."], [], ["cat"]]
    tags = [["DET", "NOUN", "PUNCT"], [], ["NOUN"]]
    batch = BatchEncoder(vocabs).encode(sentences, tags=tags, labels=["DET", "ADJ", "VERB"])
    assert_matches(batch, reference(vocabs, sentences, tags))
    assert batch.labels is not None and batch.labels.tolist() == [1, 0, 4]


def test_an_empty_token_gets_one_unknown_character() -> None:
    batch = BatchEncoder(toy_vocabs(False)).encode([["dog", ""]])
    assert batch.char_lengths.tolist()[2] == 1
    assert batch.chars[2, 0] == 1  # <unk>
    assert batch.words[0, 1] == 1


def test_chars_rows_follow_first_appearance_in_the_batch() -> None:
    encoder = BatchEncoder(toy_vocabs(False))
    encoder.encode([["cat", "a", "dog"]])  # the table now holds cat, a, dog in that order
    batch = encoder.encode([["dog", "zebra", "cat"], ["a", "dog"]])
    assert batch.char_index.tolist() == [[1, 2, 3], [4, 1, 0]]
    assert batch.types is not None
    assert batch.types.tolist() == [0, 3, 4, 1, 2]  # table rows: padding, dog, zebra, cat, a


# --- what the encoder saw before changes nothing ---


@pytest.mark.parametrize("max_types", [200_000, 4])
def test_encoding_does_not_depend_on_earlier_batches(max_types: int) -> None:
    vocabs = toy_vocabs(True)
    assert vocabs.pretrained is not None
    torch.manual_seed(0)
    model = build_model(
        ModelConfig(word_dim=8, casing_dim=4, char_dim=8, char_hidden=8, hidden=8, layers=1),
        vocabs,
        torch.randn(len(vocabs.pretrained), 5),
    ).eval()
    used = BatchEncoder(vocabs, max_types=max_types)
    for sentences in [MAIN, TRAIN, [["zebra", "Zürich", "cat"]]]:
        used.encode(sentences)
    fresh = BatchEncoder(vocabs, max_types=max_types)
    sentences = [["cat", "big", "Zürich", "a", "tree"], ["the", "dog"], [THIRTY_ONE]]
    after, alone = used.encode(sentences), fresh.encode(sentences)
    for name in TENSORS:
        assert torch.equal(getattr(after, name), getattr(alone, name)), name
    assert not torch.equal(after.types, alone.types)  # different table rows, same tensors
    with torch.no_grad():
        assert torch.equal(model(after), model(alone))


# --- a small table is cleared between batches ---


def test_small_table_is_cleared_and_stays_bounded() -> None:
    vocabs = toy_vocabs(False)
    max_types = 5
    encoder = BatchEncoder(vocabs, max_types=max_types)
    capacity = len(encoder._features)
    stream = [MAIN, TRAIN, [["dog"]], [["cat", "dog"], []], [["a", "new", "words", "here"]], MAIN]
    generations = [encoder.generation]
    for sentences in stream * 3:
        batch = encoder.encode(sentences)
        words = {w for s in sentences for w in s}
        assert_matches(batch, reference(vocabs, sentences))
        assert_types_are_table_rows(encoder, batch, sentences)
        assert len(encoder._index) <= max_types + len(words)
        assert encoder._rows == len(encoder._index) + 1  # plus the padding row
        if encoder.generation != generations[-1]:  # cleared: only this batch's words are left
            assert set(encoder._index) == words
        generations.append(encoder.generation)
    assert generations == sorted(generations)
    assert generations[-1] - generations[0] >= 5
    assert len(encoder._features) == capacity  # never grown


def test_the_default_table_is_not_cleared() -> None:
    encoder = BatchEncoder(toy_vocabs(False))
    start = encoder.generation
    for sentences in [MAIN, TRAIN] * 3:
        encoder.encode(sentences)
    assert encoder.generation == start
    assert set(encoder._index) == {w for s in MAIN + TRAIN for w in s}


def test_table_grows_past_its_first_capacity() -> None:
    vocabs = toy_vocabs(False)
    encoder = BatchEncoder(vocabs)
    many = [[f"w{i}" for i in range(k, k + 700)] for k in (0, 700, 1400)]
    for sentences in [many[:1], many[1:], [["w5", "w2099", "dog"]]]:
        assert_matches(encoder.encode(sentences), reference(vocabs, sentences))
    assert len(encoder._index) == 2101


def test_length_batches_bound_padded_tokens() -> None:
    lengths = [3, 50, 4, 200, 5, 48, 3, 9000]
    batches = length_batches(lengths, batch_size=4, max_tokens=100)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        longest = max(lengths[i] for i in batch)
        assert len(batch) <= 4
        assert longest * len(batch) <= 100 or len(batch) == 1  # a long sentence goes alone
    assert [7] in batches and [3] in batches
    assert length_batches([], 4, max_tokens=100) == []


def test_length_batches_without_token_bound_cut_by_count() -> None:
    assert length_batches([5, 1, 3, 2, 4], batch_size=2) == [[1, 3], [2, 4], [0]]
