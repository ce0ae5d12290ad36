"""The raw text of a CoNLL-U treebank, rebuilt as paragraphs with their gold tokens.

A sentence's text is its `# text` comment, or (without one) its forms joined as their
`SpaceAfter=No` marks say. A paragraph begins at `# newpar` or `# newdoc` (a file with
neither is one paragraph); its sentences are joined by one space, as a user would type
them. Every token is located in the text, character by character, so a treebank whose
forms disagree with its `# text` fails with file and line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tagger.data.conllu_reader import MISC, comment_field, read_blocks, surface_tokens
from tagger.data.errors import CorpusError


@dataclass(frozen=True)
class GoldToken:
    """A token of the treebank: its character span in the paragraph and its words."""

    start: int
    end: int
    words: tuple[str, ...]  # one form, or the words of a multi-word token


@dataclass
class Paragraph:
    """Raw text, its tokens (in order) and, per sentence, the index of its last token."""

    text: str
    tokens: list[GoldToken] = field(default_factory=list)
    sentence_ends: list[int] = field(default_factory=list)


@dataclass
class _Sentence:
    line: int  # its `# text` line, else its first line
    text: str | None = None
    tokens: list[tuple[str, tuple[str, ...], bool, int]] = field(default_factory=list)
    # (surface, words, space_after, line)
    new_paragraph: bool = False


def read_paragraphs(path: str | Path) -> list[Paragraph]:
    """The paragraphs of a CoNLL-U file, with every token located in their text."""
    paragraphs: list[Paragraph] = []
    for sentence in _sentences(path):
        if sentence.new_paragraph or not paragraphs:
            paragraphs.append(Paragraph(text=""))
        _append(paragraphs[-1], sentence, path)
    if not paragraphs:
        raise CorpusError(path, None, "no sentences found")
    return paragraphs


def _append(paragraph: Paragraph, sentence: _Sentence, path: str | Path) -> None:
    """Add a sentence's text (after one space) and its tokens, located, to the paragraph."""
    text = sentence.text if sentence.text is not None else _joined(sentence.tokens)
    offset = len(paragraph.text) + (1 if paragraph.text else 0)
    paragraph.text = f"{paragraph.text} {text}" if paragraph.text else text
    position = 0
    for surface, words, _, line in sentence.tokens:
        start, position = _locate(text, surface, position, path, line)
        paragraph.tokens.append(GoldToken(offset + start, offset + position, words))
    if position < len(text) and text[position:].strip():
        raise CorpusError(
            path,
            sentence.line,
            f"expected the tokens to cover the # text, but {text[position:].strip()!r} is left",
        )
    paragraph.sentence_ends.append(len(paragraph.tokens) - 1)


def _locate(text: str, surface: str, position: int, path: str | Path, line: int) -> tuple[int, int]:
    """(start, end) of `surface` in `text` from `position`; whitespace is skipped on both sides."""
    start = None
    for char in surface:
        if char.isspace():
            continue
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text) or text[position] != char:
            found = text[position : position + 20]
            raise CorpusError(
                path, line, f"expected the token {surface!r} in the # text here, found {found!r}"
            )
        start = position if start is None else start
        position += 1
    return (position if start is None else start), position


def _joined(tokens: list[tuple[str, tuple[str, ...], bool, int]]) -> str:
    return "".join(surface + (" " if space else "") for surface, _, space, _ in tokens).rstrip()


def _sentences(path: str | Path) -> Iterator[_Sentence]:
    """Sentences with their `# text`, paragraph marks and surface tokens (a multi-word
    token stands for its words, with the range line's SpaceAfter)."""
    for block in read_blocks(path):
        sentence = _Sentence(line=block.line)
        for number, comment in block.comments:
            key, value = comment_field(comment)
            if key in ("newpar", "newdoc") or key.startswith(("newpar ", "newdoc ")):
                sentence.new_paragraph = True
            elif value is not None and key == "text":
                sentence.text, sentence.line = value, number
        for token, words in surface_tokens(block.rows):
            space = "SpaceAfter=No" not in token.columns[MISC].split("|")
            forms = tuple(word.form for word in words)
            sentence.tokens.append((token.form, forms, space, token.line))
        if sentence.tokens:
            yield sentence
