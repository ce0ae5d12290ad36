"""Read CoNLL-U treebanks (Universal Dependencies) into token datasets, one tag per word."""

from __future__ import annotations

from pathlib import Path

from datasets import Dataset

from tagger.data.dataset import token_dataset
from tagger.data.errors import CorpusError, check_text
from tagger.data.lines import decoded_lines

# CoNLL-U column of each tag field (0-based): ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC.
TAG_COLUMNS = {"upos": 3, "xpos": 4}
_FORM = 1


def read_conllu(path: str | Path, tag_field: str = "upos") -> Dataset:
    """Words with their UPOS or XPOS tags; multi-word ranges (`3-4`) and empty nodes are skipped."""
    if tag_field not in TAG_COLUMNS:
        raise ValueError(f"tag_field must be one of {', '.join(TAG_COLUMNS)}, got {tag_field!r}")
    tag_column = TAG_COLUMNS[tag_field]
    sentences: list[list[str]] = []
    tag_lists: list[list[str]] = []
    words: list[str] = []
    tags: list[str] = []
    for number, line in decoded_lines(path):
        if not line.strip():
            if words:
                sentences.append(words)
                tag_lists.append(tags)
                words, tags = [], []
            continue
        if line.startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) != 10:
            raise CorpusError(
                path, number, f"expected 10 tab-separated columns, got {len(columns)}"
            )
        word_id = columns[0]
        if "-" in word_id or "." in word_id:
            continue
        if not word_id.isdigit():
            raise CorpusError(path, number, f"expected an integer word ID, got {word_id!r}")
        if not columns[_FORM]:
            raise CorpusError(path, number, "expected a non-empty FORM (column 2)")
        tag = columns[tag_column]
        if not tag or tag == "_":
            raise CorpusError(
                path,
                number,
                f"expected a {tag_field.upper()} tag (column {tag_column + 1}), got {tag!r}",
            )
        check_text(path, number, columns[_FORM], "a FORM (column 2)")
        check_text(path, number, tag, f"a {tag_field.upper()} tag")
        words.append(columns[_FORM])
        tags.append(tag)
    if words:
        sentences.append(words)
        tag_lists.append(tags)
    if not sentences:
        raise CorpusError(path, None, "no sentences found")
    return token_dataset(sentences, tag_lists)


def read_conllu_text(path: str | Path) -> list[str]:
    """The `# text = ...` comments in file order: the raw text of each sentence."""
    texts = []
    for _, line in decoded_lines(path):
        if line.startswith("#"):
            key, sep, value = line[1:].partition("=")
            if sep and key.strip() == "text":
                texts.append(value.strip())
    return texts
