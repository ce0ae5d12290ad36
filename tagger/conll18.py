"""CoNLL 2018 UD shared task scores (Tokens, Sentences, Words, UPOS), written afresh.

Definitions of the official conll18_ud_eval.py (universaldependencies.org/conll18/evaluation.html):
tokens and sentences are spans over the FORMs' characters (whitespace removed); words align
by span, or inside multi-word tokens by the longest common subsequence of their forms.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tagger.data.conllu_reader import (
    RANGE,
    UPOS,
    Block,
    IdError,
    Row,
    parse_blocks,
    read_blocks,
    surface_tokens,
)
from tagger.data.errors import CorpusError

Span = tuple[int, int]  # (start, end) character offsets, end exclusive
Pairs = list[tuple[int, int]]


@dataclass(frozen=True)
class Score:
    """Counts of one metric: correct system items, gold items, system items."""

    correct: int
    gold: int
    system: int

    @property
    def precision(self) -> float:
        """Returns correct / system, 0.0 when the system has none."""
        return self.correct / self.system if self.system else 0.0

    @property
    def recall(self) -> float:
        """Returns correct / gold, 0.0 when the gold has none."""
        return self.correct / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        """Returns the harmonic mean of precision and recall, 0.0 when both are 0."""
        total = self.gold + self.system
        return 2 * self.correct / total if total else 0.0


@dataclass
class UDWord:
    """A syntactic word; the words of a multi-word token all carry that token's span."""

    start: int  # offset of the first character in UDDocument.characters
    end: int  # offset one past the last character
    form: str  # FORM without whitespace
    upos: str
    multiword: bool  # part of a multi-word token (an ID range line like 3-4)


@dataclass
class UDDocument:
    """A CoNLL-U file as the evaluation sees it: characters and spans over them."""

    characters: str  # all token FORMs concatenated, whitespace removed
    tokens: list[Span]  # (start, end) of each surface token
    words: list[UDWord]  # every syntactic word, in file order
    sentences: list[Span]  # (start, end) of each sentence


def read_conllu_document(text: str, name: str = "<string>") -> UDDocument:
    """Returns the UDDocument of CoNLL-U text; raises ValueError "name:LINE: expected ..."."""
    lines = enumerate((line.rstrip("\r") for line in text.split("\n")), start=1)
    return _document(parse_blocks(lines, name), name)


def read_conllu_file(path: str | Path) -> UDDocument:
    """Returns the UDDocument of the CoNLL-U file at path (UTF-8), read as a stream."""
    return _document(read_blocks(path), path)


def _document(blocks: Iterator[Block], name: str | Path) -> UDDocument:
    """The characters, tokens, words and sentences of a stream of sentence blocks."""
    doc = UDDocument("", [], [], [])
    pieces: list[str] = []  # the tokens' forms, joined into doc.characters at the end
    try:
        for block in blocks:
            _add_sentence(doc, pieces, block.rows, name)
    except IdError as err:
        raise _scorer_error(err) from None
    doc.characters = "".join(pieces)
    return doc


def _add_sentence(doc: UDDocument, pieces: list[str], rows: list[Row], name: str | Path) -> None:
    """Append a sentence's tokens, words and (when it has tokens) span to doc."""
    start = length = doc.sentences[-1][1] if doc.sentences else 0
    for token, words in surface_tokens(rows):
        form = "".join(token.form.split())
        if not form:
            raise CorpusError(name, token.line, "expected a non-empty FORM, not only spaces")
        span, length = (length, length + len(form)), length + len(form)
        pieces.append(form)
        doc.tokens.append(span)
        doc.words.extend(_word(span, word, token.kind == RANGE) for word in words)
    if length > start:
        doc.sentences.append((start, length))


def _word(span: Span, row: Row, multiword: bool) -> UDWord:
    """The UDWord of a word line whose token has `span`."""
    return UDWord(*span, "".join(row.form.split()), row.columns[UPOS], multiword=multiword)


def _scorer_error(err: IdError) -> CorpusError:
    """An ID error in the scorer's own words, as its tests have always pinned them."""
    if err.rule in ("word_id", "range_id", "empty_id"):
        return CorpusError(err.path, err.line, "expected an integer ID, a range or an empty node")
    if err.rule in ("in_range", "unclosed"):  # named where the range's words stopped
        message = f"expected word {err.expected} of the multi-word token"
        return CorpusError(err.path, err.at, message)
    return err


def _inside(words: list[UDWord], i: int, end: int) -> bool:
    """Returns whether words[i] belongs to a multi-word region ending (so far) at end."""
    if i == len(words):
        return False
    return words[i].start < end if words[i].multiword else words[i].end <= end


def _region(gold: list[UDWord], system: list[UDWord], gi: int, si: int) -> Pairs:
    """Returns [(g0, g1), (s0, s1)]: gold[g0:g1] and system[s0:s1], the region at gi, si.

    gold[gi] or system[si] is multiword; the region takes in the next word of either side
    while one lies inside it, and the multiword words it takes push its end out to theirs.
    """
    if gold[gi].multiword:
        end = gold[gi].end
        if not system[si].multiword and system[si].start < gold[gi].start:
            si += 1  # a plain system word that starts before the region stays unaligned
    else:
        end = system[si].end
        if gold[gi].start < system[si].start:
            gi += 1
    g0, s0 = gi, si
    while _inside(gold, gi, end) or _inside(system, si, end):
        # Take the side whose next word starts first (gold on a tie), as the official script.
        if si == len(system) or (gi < len(gold) and gold[gi].start <= system[si].start):
            word, gi = gold[gi], gi + 1
        else:
            word, si = system[si], si + 1
        if word.multiword:
            end = max(end, word.end)
    return [(g0, gi), (s0, si)]


def _lcs_pairs(gold: list[UDWord], system: list[UDWord]) -> Pairs:
    """Returns the index pairs of a longest common subsequence of the lower-cased forms."""
    a = [word.form.lower() for word in gold]
    b = [word.form.lower() for word in system]
    # best[i][j]: length of a longest common subsequence of a[i:] and b[j:]
    best = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in reversed(range(len(a))):
        for j in reversed(range(len(b))):
            same = best[i + 1][j + 1] + 1 if a[i] == b[j] else 0
            best[i][j] = max(same, best[i + 1][j], best[i][j + 1])
    pairs: Pairs = []
    i = j = 0
    while i < len(a) and j < len(b):  # equal forms pair at once, as in the official script
        if a[i] == b[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def align_words(gold: list[UDWord], system: list[UDWord]) -> Pairs:
    """Returns the (gold index, system index) pairs of aligned words, in order."""
    pairs: Pairs = []
    gi = si = 0
    while gi < len(gold) and si < len(system):
        g, s = gold[gi], system[si]
        if g.multiword or s.multiword:
            (g0, gi), (s0, si) = _region(gold, system, gi, si)
            lcs = _lcs_pairs(gold[g0:gi], system[s0:si])
            pairs.extend((g0 + i, s0 + j) for i, j in lcs)
        elif (g.start, g.end) == (s.start, s.end):
            pairs.append((gi, si))
            gi, si = gi + 1, si + 1
        elif g.start <= s.start:
            gi += 1
        else:
            si += 1
    return pairs


def _check_characters(gold: str, system: str) -> None:
    """Raises ValueError at the first offset where gold and system characters differ."""
    if gold == system:
        return
    at = len(os.path.commonprefix([gold, system]))
    raise ValueError(
        f"gold and system characters differ at offset {at} (of {len(gold)} and {len(system)}):"
        f" gold {gold[at : at + 20]!r}, system {system[at : at + 20]!r}"
    )


def _spans_score(gold: list[Span], system: list[Span]) -> Score:
    """Returns the Score of system spans equal to a gold span (spans never repeat)."""
    return Score(len(set(gold) & set(system)), len(gold), len(system))


def evaluate_documents(gold: UDDocument, system: UDDocument) -> dict[str, Score]:
    """Returns the Tokens, Sentences, Words and UPOS Scores of system against gold."""
    _check_characters(gold.characters, system.characters)
    pairs = align_words(gold.words, system.words)
    upos = sum(gold.words[g].upos == system.words[s].upos for g, s in pairs)
    n_gold, n_system = len(gold.words), len(system.words)
    return {
        "Tokens": _spans_score(gold.tokens, system.tokens),
        "Sentences": _spans_score(gold.sentences, system.sentences),
        "Words": Score(len(pairs), n_gold, n_system),
        "UPOS": Score(upos, n_gold, n_system),
    }


def format_scores(scores: dict[str, Score]) -> str:
    """Returns a table of precision, recall and F1 in percent, one metric a line."""
    lines = [f"{'Metric':<10} | {'Precision':>9} | {'Recall':>9} | {'F1':>9}", "-" * 46]
    for name, score in scores.items():
        percents = (100 * score.precision, 100 * score.recall, 100 * score.f1)
        lines.append(f"{name:<10} | " + " | ".join(f"{p:9.2f}" for p in percents))
    return "\n".join(lines)
