"""The Stanford Sentiment Treebank's PTB trees: `(3 (2 (2 The) (2 Rock)) (4 ...))`.

Every node is `(LABEL WORD)` or `(LABEL CHILD ...)`, LABEL 0-4 (very negative .. very
positive). A tree reads as its sentence with the root's label or, for training, as every
phrase (node) of it: children before parents, each distinct text once (lower-cased to
compare), with the label it first had, as the phrase files of the SST literature are
made. The binary view drops neutral (2) and maps 0-1 to 0, 3-4 to 1. `-LRB-`/`-RRB-`
leaves are the brackets they stand for.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset

from tagger.data.errors import CorpusError
from tagger.data.lines import decoded_lines
from tagger.data.sentences import sentence_dataset

LABEL_VIEWS = ("fine", "binary")
TREE_START = re.compile(r"\s*\(\s*[0-4]\s")  # how a tree's line begins
_PIECE = re.compile(r"\(|\)|[^\s()]+")
_BRACKETS = {"-LRB-": "(", "-RRB-": ")", "-lrb-": "(", "-rrb-": ")"}
_BINARY = {0: "0", 1: "0", 3: "1", 4: "1"}


@dataclass
class Node:
    label: int
    words: list[str]  # the leaves under this node, in order


def read_sst_trees(
    path: str | Path, phrases: bool = False, labels: str = "fine", lowercase: bool = False
) -> Dataset:
    """A sentence dataset (`text`, `tokens`, `label`) of a treebank file: one example per
    tree, or with `phrases` one per distinct phrase; `labels` is "fine" (0-4) or
    "binary" (0/1, neutral dropped); `lowercase` lower-cases the words."""
    if labels not in LABEL_VIEWS:
        raise ValueError(f"data.labels: expected one of {', '.join(LABEL_VIEWS)}, got {labels!r}")
    texts: list[str] = []
    names: list[str] = []
    seen: set[str] = set()
    for number, line in decoded_lines(path):
        if not line.strip():
            continue
        nodes = list(_nodes(line, path, number))
        for node in nodes if phrases else nodes[-1:]:  # postorder: the root comes last
            text = " ".join(w.lower() if lowercase else w for w in node.words)
            if phrases:  # a text once, with its first label, neutral or not
                key = text.lower()
                if key in seen:
                    continue
                seen.add(key)
            label = _BINARY.get(node.label) if labels == "binary" else str(node.label)
            if label is None:
                continue
            texts.append(text)
            names.append(label)
    if not texts:
        raise CorpusError(path, None, "no trees found")
    label_names = ["0", "1"] if labels == "binary" else [str(k) for k in range(5)]
    return sentence_dataset(texts, names, label_names=label_names)


def _word(piece: str) -> str:
    r"""A leaf's word as text: `-LRB-` is `(`, PTB escapes `\/` and `\*` lose the backslash."""
    return _BRACKETS.get(piece) or piece.replace("\\/", "/").replace("\\*", "*")


def _nodes(line: str, path: str | Path, number: int) -> Iterator[Node]:
    """Every node of the line's tree, children before their parent (the root last)."""
    pieces = _PIECE.findall(line)
    stack: list[Node] = []
    k = 0
    done = False
    while k < len(pieces):
        piece = pieces[k]
        if done:
            raise CorpusError(
                path, number, f"expected the end of the line after the tree, got {piece!r}"
            )
        if piece == "(":
            label = pieces[k + 1] if k + 1 < len(pieces) else ""
            if not label.isdigit() or not 0 <= int(label) <= 4:
                raise CorpusError(path, number, f"expected a label 0-4 after '(', got {label!r}")
            stack.append(Node(int(label), []))
            k += 2
            if k < len(pieces) and pieces[k] not in "()":
                while k < len(pieces) and pieces[k] not in "()":  # `(2 8 1\/2)`: two words
                    stack[-1].words.append(_word(pieces[k]))
                    k += 1
                if k >= len(pieces) or pieces[k] != ")":
                    raise CorpusError(path, number, "expected ')' after a leaf's word")
            elif k < len(pieces) and pieces[k] == ")":
                raise CorpusError(
                    path, number, "expected a word or a child in a node, got an empty leaf"
                )
            continue
        if piece == ")":
            if not stack:
                raise CorpusError(path, number, "expected '(' : a ')' closes nothing")
            node = stack.pop()
            yield node
            if stack:
                stack[-1].words.extend(node.words)
            else:
                done = True
            k += 1
            continue
        raise CorpusError(path, number, f"expected '(' or ')', got the word {piece!r}")
    if stack:
        raise CorpusError(path, number, f"expected {len(stack)} more ')' to close the tree")
