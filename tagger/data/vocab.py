"""Vocabularies: words, pretrained words, characters and labels, with JSON round-trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tagger.data.errors import breaking_char

PAD = "<pad>"
UNK = "<unk>"

# Casing classes for the casing feature; index 0 is padding.
CASINGS = ("<pad>", "lower", "upper", "title", "mixed", "numeric", "has_digit", "other")


def casing(word: str) -> int:
    """Index into CASINGS of a word's shape, the information that lower-casing throws away."""
    if word.isdigit():
        return 5
    if any(c.isdigit() for c in word):
        return 6
    if word.islower():
        return 1
    if word.isupper():
        return 2
    if word[:1].isupper() and word[1:].islower():
        return 3
    if any(c.isalpha() for c in word):
        return 4
    return 7


# Line and paragraph separators and control characters (tab, newline, CR, NUL, ...):
# in a label or an output word they would forge extra lines or columns of an output.
def check_label(label: object) -> str:
    """A label as a model may hold it: a non-blank string without control characters;
    anything else is a ValueError saying what was expected."""
    if not isinstance(label, str):
        raise ValueError(f"expected a label string, got {label!r}")
    if not label.strip():
        raise ValueError(f"expected a non-empty label, got {label!r}")
    if breaking_char(label) is not None:
        raise ValueError(f"expected a label without control characters, got {label!r}")
    return label


def normalize(word: str) -> str:
    """The lookup key of a word: lower-cased, as in GloVe."""
    return word.lower()


@dataclass
class Vocab:
    """Index <-> item; optionally with <pad>=0 and <unk>=1 reserved."""

    items: list[str]
    specials: bool = True
    rows: list[int] | None = None  # a table whose items share rows: the row of each item
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {item: i for i, item in enumerate(self.items)}

    @classmethod
    def build(cls, items: Iterable[str], min_count: int = 1, keep: Iterable[str] = ()) -> Vocab:
        """Items seen at least min_count times, or in `keep`, most frequent first."""
        counts = Counter(items)
        kept = set(keep)
        ordered = [w for w, c in counts.most_common() if c >= min_count or w in kept]
        return cls([PAD, UNK, *ordered])

    @classmethod
    def labels(cls, names: Sequence[str]) -> Vocab:
        """A label vocabulary: no specials, order as given."""
        return cls(list(names), specials=False)

    def __len__(self) -> int:
        return len(self.items)

    def id(self, item: str) -> int:
        if self.specials:
            position = self.index.get(item, 1)
            return self.rows[position] if self.rows is not None else position
        try:
            return self.index[item]
        except KeyError:
            raise KeyError(f"unknown label {item!r}; the model knows {self.items}") from None

    def row_of(self, item: str) -> int | None:
        """The id of a known item, None for an unknown one."""
        position = self.index.get(item)
        if position is None or self.rows is None:
            return position
        return self.rows[position]

    def to_json(self) -> dict:
        data: dict = {"items": self.items, "specials": self.specials}
        if self.rows is not None:
            data["rows"] = self.rows
        return data

    @classmethod
    def from_json(cls, data: Any, name: str = "vocabulary") -> Vocab:
        """The vocabulary `to_json` wrote; anything malformed is a ValueError naming the
        vocabulary (`name`) and what was expected."""
        if not isinstance(data, dict) or not {"items", "specials"} <= set(data):
            raise ValueError(f"{name}: expected an object with 'items' and 'specials'")
        unknown = sorted(set(data) - {"items", "specials", "rows"})
        if unknown:
            raise ValueError(f"{name}: expected items, specials and rows, got also {unknown}")
        items, specials, rows = data["items"], data["specials"], data.get("rows")
        _check_items(items, name)
        if not isinstance(specials, bool):
            raise ValueError(f"{name}.specials: expected true or false, got {specials!r}")
        if specials and items[:2] != [PAD, UNK]:
            raise ValueError(f"{name}.items: expected {PAD!r} and {UNK!r} first")
        if rows is not None:
            _check_rows(rows, len(items), name)
        return cls(list(items), specials, list(rows) if rows else None)


def _check_items(items: Any, name: str) -> None:
    """A list of distinct strings."""
    if not isinstance(items, list):
        raise ValueError(f"{name}.items: expected a list of strings, got {type(items).__name__}")
    for i, item in enumerate(items):
        if not isinstance(item, str):
            raise ValueError(f"{name}.items[{i}]: expected a string, got {item!r}")
    if len(set(items)) != len(items):
        twice = next(item for item, n in Counter(items).items() if n > 1)
        raise ValueError(f"{name}.items: expected distinct items, got {twice!r} twice")


def _check_rows(rows: Any, n_items: int, name: str) -> None:
    """One non-negative integer row per item."""
    if not isinstance(rows, list) or len(rows) != n_items:
        raise ValueError(f"{name}.rows: expected a list of {n_items} row numbers")
    for i, row in enumerate(rows):
        if not isinstance(row, int) or isinstance(row, bool) or row < 0:
            raise ValueError(f"{name}.rows[{i}]: expected a row number >= 0, got {row!r}")


@dataclass
class Vocabs:
    """Every vocabulary a model needs; `pretrained` is None when no vectors are used, and
    `multiword` (a tokenizer's multi-word tokens: surface -> words) None but for tokenizers."""

    words: Vocab
    chars: Vocab
    labels: Vocab
    pretrained: Vocab | None = None
    multiword: dict | None = None

    def to_json(self) -> dict:
        data = {"words": self.words, "chars": self.chars, "labels": self.labels}
        if self.pretrained is not None:
            data["pretrained"] = self.pretrained
        out: dict = {k: v.to_json() for k, v in data.items()}
        if self.multiword is not None:
            out["multiword"] = self.multiword
        return out

    @classmethod
    def from_json(cls, data: Any) -> Vocabs:
        """The vocabularies `to_json` wrote, each checked: a ValueError says which part is
        malformed and what was expected."""
        if not isinstance(data, dict):
            raise ValueError(f"expected an object, got {type(data).__name__}")
        unknown = sorted(set(data) - {"words", "chars", "labels", "pretrained", "multiword"})
        if unknown:
            raise ValueError(f"expected words, chars, labels, pretrained, multiword; got {unknown}")
        words, chars, labels = (
            Vocab.from_json(data.get(name), name) for name in ("words", "chars", "labels")
        )
        if not words.specials or not chars.specials:
            raise ValueError(f"words, chars: expected specials true ({PAD!r}, {UNK!r} first)")
        if any(v.rows is not None for v in (words, chars, labels)):
            raise ValueError("words, chars, labels: expected no rows (only pretrained has them)")
        _check_labels(labels)
        for i, char in enumerate(chars.items[2:], start=2):
            if len(char) != 1:
                raise ValueError(f"chars.items[{i}]: expected one character, got {char!r}")
        pretrained = data.get("pretrained")
        multiword = data.get("multiword")
        if multiword is not None:
            _check_multiword(multiword)
        return cls(
            words=words,
            chars=chars,
            labels=labels,
            pretrained=Vocab.from_json(pretrained, "pretrained") if pretrained else None,
            multiword=multiword,
        )


def _check_labels(labels: Vocab) -> None:
    """At least one label, no specials, each a well-formed label."""
    if labels.specials or not labels.items:
        raise ValueError("labels: expected a non-empty list of labels and specials false")
    for i, label in enumerate(labels.items):
        try:
            check_label(label)
        except ValueError as err:
            raise ValueError(f"labels.items[{i}]: {err}") from None


def _check_multiword(data: Any) -> None:
    """A tokenizer's {"table": {surface: [words]}, "usually": [surfaces]}; the words are
    written out as tokens, so each is a non-empty string without control characters."""
    shape = "multiword: expected an object with a 'table' object and a 'usually' list"
    if not isinstance(data, dict) or set(data) - {"table", "usually"}:
        raise ValueError(shape)
    table, usually = data.get("table", {}), data.get("usually", [])
    if not isinstance(table, dict) or not isinstance(usually, list):
        raise ValueError(shape)
    for surface, words in table.items():
        if not isinstance(words, list) or not words:
            raise ValueError(f"multiword.table[{surface!r}]: expected a list of words")
        for word in words:
            if not isinstance(word, str) or not word or breaking_char(word) is not None:
                raise ValueError(
                    f"multiword.table[{surface!r}]: expected words without control "
                    f"characters, got {word!r}"
                )
    if not all(isinstance(s, str) for s in usually):
        raise ValueError("multiword.usually: expected a list of strings")
