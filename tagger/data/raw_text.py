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

from tagger.data.errors import CorpusError
from tagger.data.lines import decoded_lines


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
    """Sentences with their `# text`, paragraph marks and surface tokens (multi-word
    token lines stand for their words)."""
    sentence: _Sentence | None = None
    pending: tuple[str, int, int, bool, int] | None = None  # an open multi-word range
    words: list[str] = []
    for number, line in decoded_lines(path):
        if not line.strip():
            _check_closed(pending, path)
            if sentence is not None and sentence.tokens:
                yield sentence
            sentence, pending = None, None
            continue
        if sentence is None:
            sentence = _Sentence(line=number)
        if line.startswith("#"):
            key, sep, value = line[1:].partition("=")
            key = key.strip()
            if key in ("newpar", "newdoc") or key.startswith(("newpar ", "newdoc ")):
                sentence.new_paragraph = True
            elif sep and key == "text":
                sentence.text, sentence.line = value.strip(), number
            continue
        columns = line.split("\t")
        if len(columns) != 10:
            raise CorpusError(
                path, number, f"expected 10 tab-separated columns, got {len(columns)}"
            )
        word_id, form, misc = columns[0], columns[1], columns[9]
        space = "SpaceAfter=No" not in misc.split("|")
        if "." in word_id:
            continue  # an empty node has no characters
        if "-" in word_id:
            first, _, last = word_id.partition("-")
            if not (first.isdigit() and last.isdigit() and int(first) < int(last)):
                raise CorpusError(path, number, f"expected a range such as 3-4, got {word_id!r}")
            _check_closed(pending, path)
            pending, words = (form, int(first), int(last), space, number), []
            continue
        if not word_id.isdigit():
            raise CorpusError(path, number, f"expected an integer word ID, got {word_id!r}")
        if not form:
            raise CorpusError(path, number, "expected a non-empty FORM (column 2)")
        if pending is None:
            sentence.tokens.append((form, (form,), space, number))
            continue
        surface, first, last, range_space, range_line = pending
        if not first <= int(word_id) <= last:
            raise CorpusError(
                path, number, f"expected word {first + len(words)} of the range {first}-{last}"
            )
        words.append(form)
        if int(word_id) == last:
            sentence.tokens.append((surface, tuple(words), range_space, range_line))
            pending = None
    _check_closed(pending, path)
    if sentence is not None and sentence.tokens:
        yield sentence


def _check_closed(pending: tuple[str, int, int, bool, int] | None, path: str | Path) -> None:
    if pending is not None:
        surface, first, last, _, line = pending
        raise CorpusError(path, line, f"expected the words {first}-{last} of {surface!r} to follow")
