"""CoNLL 2018 UD shared task scores (Tokens, Sentences, Words, UPOS), written afresh.

Definitions of the official conll18_ud_eval.py (universaldependencies.org/conll18/evaluation.html):
tokens and sentences are spans over the FORMs' characters (whitespace removed); words align
by span, or inside multi-word tokens by the longest common subsequence of their forms.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

WORD_ID = re.compile(r"[1-9][0-9]*")
RANGE_ID = re.compile(r"([1-9][0-9]*)-([1-9][0-9]*)")
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
    doc, length = UDDocument("", [], [], []), 0
    pieces: list[str] = []  # the tokens' forms, joined into doc.characters at the end
    sentence_start: int | None = None  # None between sentences
    next_id = 1  # the ID the next word line must have
    range_last, range_span = 0, (0, 0)  # last ID and span of the open multi-word token, or 0
    # A blank line at the end closes a last sentence that lacks one.
    for number, raw in enumerate([*text.split("\n"), ""], start=1):
        line, where = raw.rstrip("\r"), f"{name}:{number}"
        if line.startswith("#"):
            continue
        columns = line.split("\t") if line else [""]
        if range_last and (not line or RANGE_ID.fullmatch(columns[0])):
            raise ValueError(f"{where}: expected word {next_id} of the multi-word token")
        if not line:
            if sentence_start is not None:
                doc.sentences.append((sentence_start, length))
            sentence_start, next_id = None, 1
            continue
        if len(columns) != 10:  # ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC
            raise ValueError(f"{where}: expected 10 tab-separated columns, got {len(columns)}")
        word_id, form = columns[0], "".join(columns[1].split())
        if "." in word_id:  # an empty node: no characters, no word
            continue
        interval = RANGE_ID.fullmatch(word_id)
        if not (interval or WORD_ID.fullmatch(word_id)):
            raise ValueError(f"{where}: expected an integer ID, a range or an empty node")
        first = int(interval[1]) if interval else int(word_id)
        if first != next_id or (interval and int(interval[2]) < first):
            raise ValueError(f"{where}: expected ID {next_id} or range {next_id}-N, got {word_id}")
        sentence_start = length if sentence_start is None else sentence_start
        if not range_last:  # a new token: a range line, or a word outside any range
            if not form:
                raise ValueError(f"{where}: expected a non-empty FORM")
            span, length = (length, length + len(form)), length + len(form)
            pieces.append(form)
            doc.tokens.append(span)
        if interval:
            range_last, range_span = int(interval[2]), span
            continue
        next_id += 1
        word_span = range_span if range_last else span
        doc.words.append(UDWord(*word_span, form, columns[3], multiword=bool(range_last)))
        range_last = 0 if range_last == first else range_last
    doc.characters = "".join(pieces)
    return doc


def read_conllu_file(path: str | Path) -> UDDocument:
    """Returns the UDDocument of the CoNLL-U file at path (UTF-8)."""
    return read_conllu_document(Path(path).read_text(encoding="utf-8"), name=str(path))


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
