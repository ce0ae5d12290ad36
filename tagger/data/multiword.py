"""Multi-word tokens into their words: a table from the training data, and learned clitics.

`don't` -> `do` `n't`: a token the tokenizer marks as multi-word is looked up (lower-cased)
in the table of the training treebank's multi-word tokens and gets its most frequent
expansion, in the token's own case. An unseen one is split before the longest clitic that
ended at least MIN_CLITIC of the training ones (`n't`, `'s`, `'ll` in English), so
`shouldn't` -> `should` `n't`; with no such clitic it stays one word. The words of a split
are always pieces of the token, so nothing of the surface is lost. A form that was
multi-word in most of its training occurrences (`im`, `wanna`, `cannot`) is `usually`
multi-word: the tokenizer expands it even where its model did not mark it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

MIN_CLITIC = 2  # training multi-word tokens a clitic must end to split unseen ones


@dataclass
class Multiwords:
    """Lower-cased surface -> lower-cased words, the forms usually multi-word, and the
    clitics learned from them."""

    table: dict[str, list[str]] = field(default_factory=dict)
    usually: frozenset[str] = frozenset()
    clitics: list[str] = field(init=False)

    def __post_init__(self) -> None:
        counts = Counter(
            words[-1]
            for surface, words in self.table.items()
            if len(words) > 1 and "".join(words) == surface
        )
        self.clitics = sorted(
            (c for c, n in counts.items() if n >= MIN_CLITIC), key=lambda c: (-len(c), c)
        )

    @classmethod
    def build(cls, tokens: Iterable[tuple[str, tuple[str, ...]]]) -> Multiwords:
        """From the (surface, words) pairs of every token of a treebank."""
        seen: dict[str, Counter[tuple[str, ...]]] = defaultdict(Counter)
        single: Counter[str] = Counter()
        for surface, words in tokens:
            if len(words) > 1:
                seen[surface.lower()][tuple(w.lower() for w in words)] += 1
            else:
                single[surface.lower()] += 1
        usually = {s for s, c in seen.items() if c.total() > single[s]}
        table = {s: list(c.most_common(1)[0][0]) for s, c in sorted(seen.items())}
        return cls(table, frozenset(usually))

    def is_usual(self, surface: str) -> bool:
        """Whether the form was multi-word in most of its training occurrences."""
        return surface.lower() in self.usually

    def expand(self, surface: str) -> tuple[str, ...]:
        """The words of a multi-word token (the token alone when nothing splits it)."""
        key = surface.lower()
        words = self.table.get(key)
        if words is None:
            clitic = next((c for c in self.clitics if key.endswith(c) and len(key) > len(c)), None)
            if clitic is None:
                return (surface,)
            words = [key[: -len(clitic)], clitic]
        return _cased(surface, words)

    def to_json(self) -> dict[str, Any]:
        return {"table": dict(self.table), "usually": sorted(self.usually)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Multiwords:
        data = data or {}
        table = {str(k): [str(w) for w in v] for k, v in data.get("table", {}).items()}
        return cls(table, frozenset(str(s) for s in data.get("usually", [])))


def _cased(surface: str, words: list[str]) -> tuple[str, ...]:
    """`words` in the case of `surface`: its very characters where they spell it, else
    upper-cased or capitalized after it."""
    if "".join(words) == surface.lower():
        pieces, position = [], 0
        for word in words:
            pieces.append(surface[position : position + len(word)])
            position += len(word)
        return tuple(pieces)
    if surface.isupper():
        return tuple(w.upper() for w in words)
    if surface[:1].isupper():
        return (words[0][:1].upper() + words[0][1:], *words[1:])
    return tuple(words)
