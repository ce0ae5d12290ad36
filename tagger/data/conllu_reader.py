"""The one CoNLL-U reader: a stream of sentence blocks, their comments and ID-checked rows.

Every caller (tags, raw text with SpaceAfter, the UD scorer's words) is a projection of
this stream, so IDs follow one set of rules: words count 1, 2, 3, ... in each sentence; a
range A-B (A < B) comes just before its words A..B; an empty node N.M follows word N
(0.M before word 1). A line of whitespace ends a sentence; `#` lines are its comments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple, NoReturn

from tagger.data.errors import CorpusError
from tagger.data.lines import decoded_lines

WORD, RANGE, EMPTY = "word", "range", "empty"  # the three kinds of ID
_WORD_ID = re.compile(r"[1-9][0-9]*")
_RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
_EMPTY_ID = re.compile(r"(0|[1-9][0-9]*)\.([1-9][0-9]*)")
FORM, UPOS, XPOS, MISC = 1, 3, 4, 9  # 0-based columns: ID FORM LEMMA UPOS XPOS ... MISC


class Row(NamedTuple):
    """One ID line: its number in the file, kind, ID numbers and the 10 columns."""

    line: int
    kind: str  # WORD, RANGE or EMPTY
    first: int  # the word's ID, the range's first word, or N of an empty node N.M
    last: int  # the word's ID, the range's last word, or M of an empty node N.M
    columns: list[str]

    @property
    def form(self) -> str:
        """The FORM column."""
        return self.columns[FORM]


@dataclass
class Block:
    """A sentence: its first line, its comments as (line, text after `#`) and its rows."""

    line: int
    comments: list[tuple[int, str]] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)


class IdError(CorpusError):
    """An ID that breaks the rules; `rule` says which (word_id, range_id, empty_id, order,
    in_range, unclosed), `expected` is the next word ID, `at` the line that showed it."""

    def __init__(
        self, path: str | Path, line: int, message: str, *, rule: str, expected: int, at: int
    ) -> None:
        super().__init__(path, line, message)
        self.rule, self.expected, self.at = rule, expected, at


def read_blocks(path: str | Path) -> Iterator[Block]:
    """The sentence blocks of a CoNLL-U file (`-` is stdin; .gz, .bz2, .xz decompressed),
    streamed; a malformed line raises CorpusError naming file and line."""
    return parse_blocks(decoded_lines(path), path)


def parse_blocks(lines: Iterable[tuple[int, str]], path: str | Path) -> Iterator[Block]:
    """The sentence blocks of numbered CoNLL-U lines; comment-only blocks are kept."""
    block: Block | None = None
    order = _Order(path)
    number = 0
    for number, line in lines:
        if not line.strip():
            order.close(number)
            if block is not None:
                yield block
            block = None
            continue
        if block is None:
            block = Block(number)
        if line.startswith("#"):
            block.comments.append((number, line[1:]))
        else:
            block.rows.append(order.row(number, line.split("\t")))
    order.close(number + 1)
    if block is not None:
        yield block


def comment_field(comment: str) -> tuple[str, str | None]:
    """(key, value) of a comment `key = value`, stripped; value None without `=`."""
    key, sep, value = comment.partition("=")
    return key.strip(), (value.strip() if sep else None)


def surface_tokens(rows: Sequence[Row]) -> Iterator[tuple[Row, list[Row]]]:
    """Each surface token of a block's checked rows with its words: a range with the
    words it spans, or a plain word with itself; empty nodes have no characters."""
    opened: Row | None = None
    words: list[Row] = []
    for row in rows:
        if row.kind == RANGE:
            opened, words = row, []
        elif row.kind == WORD and opened is None:
            yield row, [row]
        elif row.kind == WORD and opened is not None:
            words.append(row)
            if row.first == opened.last:
                yield opened, words
                opened = None


def _row(path: str | Path, number: int, columns: list[str]) -> Row:
    """The row of one ID line; its columns and the form of its ID are checked."""
    if len(columns) != 10:
        raise CorpusError(path, number, f"expected 10 tab-separated columns, got {len(columns)}")
    word_id = columns[0]
    if _WORD_ID.fullmatch(word_id):
        return Row(number, WORD, int(word_id), int(word_id), columns)
    if "-" in word_id:
        found = _RANGE_ID.fullmatch(word_id)
        if found and int(found[1]) < int(found[2]):
            return Row(number, RANGE, int(found[1]), int(found[2]), columns)
        rule, what = "range_id", "a range such as 3-4"
    elif "." in word_id:
        found = _EMPTY_ID.fullmatch(word_id)
        if found:
            return Row(number, EMPTY, int(found[1]), int(found[2]), columns)
        rule, what = "empty_id", "an empty node such as 3.1"
    else:
        rule, what = "word_id", "an integer word ID"
    message = f"expected {what}, got {word_id!r}"
    raise IdError(path, number, message, rule=rule, expected=0, at=number)


@dataclass
class _Order:
    """The ID the next word line must have, and the range whose words are still due."""

    path: str | Path
    next_id: int = 1
    opened: Row | None = None

    def row(self, number: int, columns: list[str]) -> Row:
        """The checked row of one ID line, split into its columns."""
        n = self.next_id
        if self.opened is None and len(columns) == 10 and columns[0] == str(n) and columns[1]:
            self.next_id = n + 1  # the common case, a plain word in order, at little cost
            return Row(number, WORD, n, n, columns)
        return self.check(_row(self.path, number, columns))

    def check(self, row: Row) -> Row:
        """The row, if its ID comes next; its FORM is checked too (empty nodes have none)."""
        if row.kind == EMPTY:
            if row.first != self.next_id - 1:
                n, got = self.next_id - 1, row.columns[0]
                self._fail(row, "order", f"expected an empty node {n}.M after word {n}, got {got}")
            return row
        if self.opened is not None and (row.kind == RANGE or row.first != self.next_id):
            first, last = self.opened.first, self.opened.last
            what = f"word {self.next_id} of the range {first}-{last}"
            self._fail(row, "in_range", f"expected {what}, got {row.columns[0]!r}")
        if row.first != self.next_id:
            n, got = self.next_id, row.columns[0]
            self._fail(row, "order", f"expected ID {n} or range {n}-N, got {got}")
        if not row.form:
            raise CorpusError(self.path, row.line, "expected a non-empty FORM (column 2)")
        if row.kind == RANGE:
            self.opened = row
            return row
        self.next_id += 1
        if self.opened is not None and row.first == self.opened.last:
            self.opened = None
        return row

    def close(self, number: int) -> None:
        """End the sentence at line `number` (a blank line, or one past the end)."""
        opened = self.opened
        if opened is not None:
            what = f"the words {opened.first}-{opened.last} of {opened.form!r} to follow"
            self._fail(opened, "unclosed", f"expected {what}", at=number)
        self.next_id = 1

    def _fail(self, row: Row, rule: str, message: str, at: int | None = None) -> NoReturn:
        at = row.line if at is None else at
        raise IdError(self.path, row.line, message, rule=rule, expected=self.next_id, at=at)
