"""Vocabularies: words, pretrained words, characters and labels, with JSON round-trip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
    def from_json(cls, data: dict) -> Vocab:
        rows = data.get("rows")
        return cls(list(data["items"]), bool(data["specials"]), list(rows) if rows else None)


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
    def from_json(cls, data: dict) -> Vocabs:
        pretrained = data.get("pretrained")
        return cls(
            words=Vocab.from_json(data["words"]),
            chars=Vocab.from_json(data["chars"]),
            labels=Vocab.from_json(data["labels"]),
            pretrained=Vocab.from_json(pretrained) if pretrained else None,
            multiword=data.get("multiword"),
        )
