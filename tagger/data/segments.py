"""Tokens as they sit in raw text: surface, words (a multi-word token has several), spacing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """A token of raw text: `text` is exactly the input's characters; `words` are the
    syntactic words the tagger sees (one, or the expansion of a multi-word token such as
    `don't` -> `do` `n't`); `space_after` is whether whitespace follows in the input."""

    text: str
    words: tuple[str, ...]
    space_after: bool = True

    @property
    def multiword(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Sentence:
    """A sentence of raw text: its tokens and the text they cover."""

    tokens: tuple[Token, ...]
    text: str

    @property
    def words(self) -> list[str]:
        return [word for token in self.tokens for word in token.words]
