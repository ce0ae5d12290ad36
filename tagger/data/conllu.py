"""Read CoNLL-U treebanks (Universal Dependencies) into token datasets, one tag per word."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from tagger.data.conllu_reader import FORM, UPOS, WORD, XPOS, Row, comment_field, read_blocks
from tagger.data.dataset import token_dataset
from tagger.data.errors import CorpusError, breaking_char, check_text

# CoNLL-U column of each tag field (0-based): ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC.
TAG_COLUMNS = {"upos": UPOS, "xpos": XPOS}


def read_conllu(path: str | Path, tag_field: str = "upos") -> Dataset:
    """Words with their UPOS or XPOS tags; multi-word ranges (`3-4`) and empty nodes are skipped."""
    if tag_field not in TAG_COLUMNS:
        raise ValueError(f"tag_field must be one of {', '.join(TAG_COLUMNS)}, got {tag_field!r}")
    sentences: list[list[str]] = []
    tag_lists: list[list[str]] = []
    for block in read_blocks(path):
        words = [row for row in block.rows if row.kind == WORD]
        if words:
            forms, tags = _forms_and_tags(path, words, tag_field)
            sentences.append(forms)
            tag_lists.append(tags)
    if not sentences:
        raise CorpusError(path, None, "no sentences found")
    return token_dataset(sentences, tag_lists)


def _forms_and_tags(
    path: str | Path, words: list[Row], tag_field: str
) -> tuple[list[str], list[str]]:
    """The forms and tags of a sentence's words; a missing tag or a control character
    raises at its line (one search per sentence; the line is looked for only then)."""
    column = TAG_COLUMNS[tag_field]
    forms = [row.columns[FORM] for row in words]
    tags = [row.columns[column] for row in words]
    if "_" in tags or "" in tags or breaking_char("".join(forms) + "".join(tags)):
        for row in words:
            _check_word(path, row, tag_field)
    return forms, tags


def _check_word(path: str | Path, row: Row, tag_field: str) -> None:
    """Raise if the word's tag is missing or its form or tag holds a control character."""
    column = TAG_COLUMNS[tag_field]
    tag = row.columns[column]
    if not tag or tag == "_":
        what = f"a {tag_field.upper()} tag (column {column + 1})"
        raise CorpusError(path, row.line, f"expected {what}, got {tag!r}")
    check_text(path, row.line, row.form, "a FORM (column 2)")
    check_text(path, row.line, tag, f"a {tag_field.upper()} tag")


def read_conllu_text(path: str | Path) -> list[str]:
    """The `# text = ...` comments in file order: the raw text of each sentence."""
    texts = []
    for block in read_blocks(path):
        for _, comment in block.comments:
            key, value = comment_field(comment)
            if key == "text" and value is not None:
                texts.append(value)
    return texts
