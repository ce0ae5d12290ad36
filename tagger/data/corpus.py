"""Load a split of the corpus a config (or a command line) names: catalog, hf:, or a file."""

from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path

from datasets import Dataset

from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, read_split, resolve_split
from tagger.data.char_labels import char_dataset
from tagger.data.columns import read_columns
from tagger.data.conllu import TAG_COLUMNS, read_conllu
from tagger.data.corpus_formats import (  # noqa: F401 (FILE_FORMATS: this module's too)
    FILE_FORMATS,
    SENTENCE_FORMATS,
    SUFFIX_FORMATS,
    TOKEN_FORMATS,
)
from tagger.data.errors import CorpusError
from tagger.data.hf import load_hf_or_file, load_raw
from tagger.data.inputs import DECOMPRESSION_ERRORS, base_suffix, reading
from tagger.data.lines import decoded_lines
from tagger.data.raw_text import Paragraph, read_paragraphs
from tagger.data.schemes import detect_scheme
from tagger.data.sentences import from_hf, read_label_lines, read_table
from tagger.data.trees import TREE_START, read_sst_trees


def guess_format(path: str, sentences: bool = False) -> str:
    """The format of a corpus file from its extension; CoNLL columns (tokens) or
    `LABEL text` lines (sentences) are the fallback."""
    suffix = base_suffix(path)  # dev.conllu.gz is CoNLL-U
    known = {k: v for k, v in SUFFIX_FORMATS.items() if sentences or v in TOKEN_FORMATS}
    if sentences:
        if suffix not in known and _looks_like_trees(path):
            return "sst-trees"
    return known.get(suffix, "labels" if sentences else "conll")


def _looks_like_trees(path: str) -> bool:
    """Whether a file's first line is a sentiment tree, `(3 (2 ...`."""
    try:
        with reading(path) as f:
            first = f.readline(200).decode("utf-8", errors="replace")
    except DECOMPRESSION_ERRORS:
        return False
    return TREE_START.match(first) is not None


_CONLLU_ID = re.compile(r"\d+([-.]\d+)?")


def sniff_format(path: str | Path, data: DataConfig, sentences: bool = False) -> str | None:
    """The format of a corpus from its first lines (for stdin or a pipe, whose name says
    nothing), None when they fit no format of the task."""
    try:
        lines = [line for _, line in itertools.islice(decoded_lines(path), 50) if line.strip()]
    except (CorpusError, *DECOMPRESSION_ERRORS):
        return None
    body = [line for line in lines if not line.startswith("#")]
    if not body:
        return None
    first = body[0]
    columns = first.split("\t")
    if len(columns) == 10 and _CONLLU_ID.fullmatch(columns[0]):
        return "conllu" if not sentences else None
    if first.lstrip().startswith(("{", "[")):
        return "json"
    if sentences:
        return _sniff_sentences(lines[0], data)
    return "conll" if len(first.split()) >= 2 else None


def _sniff_sentences(first: str, data: DataConfig) -> str | None:
    """Sentence corpora: trees, a TSV/CSV header naming the text and label fields, or
    `LABEL text` lines."""
    if TREE_START.match(first):
        return "sst-trees"
    for fmt, separator in (("tsv", "\t"), ("csv", ",")):
        if {data.text_field, data.label_field} <= {f.strip() for f in first.split(separator)}:
            return fmt
    return "labels" if len(first.split()) >= 2 else None


def label_line(path: str | Path, data: DataConfig, fmt: str, label: str) -> int | None:
    """The first line of a line-based corpus file (CoNLL-U, CoNLL columns, `LABEL text`)
    whose gold tag or label is `label`; None for other formats or when not found."""
    conllu_column = TAG_COLUMNS.get(data.tag_field, 3)
    fields = {
        "conllu": lambda line: [] if line.startswith("#") else line.split("\t"),
        "conll": lambda line: line.split(),
        "labels": lambda line: line.split(maxsplit=1)[:1],
    }.get(fmt)
    column = {"conllu": conllu_column, "conll": data.tag_column, "labels": 0}.get(fmt, 0)
    if fields is None:
        return None
    try:
        for number, line in decoded_lines(path):
            found = fields(line)
            if -len(found) <= column < len(found) and found[column] == label:
                return number
    except (CorpusError, *DECOMPRESSION_ERRORS):
        return None
    return None


def read_file(
    path: str, data: DataConfig, kind: str = "tokens", split: str = "train", what: str = "pos"
) -> Dataset:
    """Read one corpus file of `kind` (tokens or sentences) with the format and columns of
    `data` (trees are read as phrases, with data.phrases, only for the train split); `what`
    names the task in messages."""
    sentences = kind == "sentences"
    fmt = data.format or guess_format(path, sentences)
    allowed = SENTENCE_FORMATS if sentences else TOKEN_FORMATS
    if fmt not in allowed:
        raise ValueError(f"data.format: a {what} corpus is one of {allowed}, got {fmt!r}")
    if fmt == "sst-trees":
        return read_trees(path, data, split)
    if fmt == "conllu":
        return read_conllu(path, tag_field=data.tag_field)
    if fmt == "conll":
        return read_columns(path, word_column=data.word_column, tag_column=data.tag_column)
    if fmt == "labels":
        return read_label_lines(path)
    if fmt in ("tsv", "csv"):
        return read_table(path, data.text_field, data.label_field)
    return _load_hf(path, "train", data, sentences)


def _load_hf(source: str, split: str, data: DataConfig, sentences: bool) -> Dataset:
    if sentences:
        raw = load_raw(source, split)
        return from_hf(raw, source, data.text_field, data.label_field, str.split)
    return load_hf_or_file(source, split, data.token_field, data.tag_field)


def load_split(
    data: DataConfig,
    split: str,
    data_dir: Path | None = None,
    kind: str = "tokens",
    what: str = "pos",
) -> Dataset:
    """The `split` ("train", "dev", "test") of the corpus described by `data`, read as a
    corpus of `kind`: tokens and their tags, sentences and their labels (text/label
    corpora), or characters (the raw text of CoNLL-U, labelled for a tokenizer); `what`
    names the task in messages."""
    if kind == "characters":
        windows = data.max_chars if split == "train" else 0  # dev/test: whole paragraphs
        return char_dataset(load_paragraphs(data, split, data_dir), windows)
    explicit = getattr(data, split, "")
    if explicit:
        return read_file(explicit, data, kind, split, what)
    if not data.corpus:
        raise ValueError(f"data.{split}: no file given and no data.corpus to take it from")
    if data.corpus.startswith("hf:"):
        hf_split = {"dev": "validation"}.get(split, split)
        return _load_hf(data.corpus, hf_split, data, kind == "sentences")
    if Path(data.corpus).is_file():
        return read_file(data.corpus, data, kind, split, what)
    catalog = load_catalog()
    if data.corpus not in catalog:
        raise ValueError(
            f"data.corpus: {data.corpus!r} is not a catalog name ({', '.join(sorted(catalog))}),"
            " an hf: id or an existing file"
        )
    entry = catalog[data.corpus]
    if entry.format == "sst-trees":
        return read_trees(resolve_split(entry, split, data_dir), data, split)
    if data.tag_field != entry.tag_field and entry.format == "conllu":
        entry = dataclasses.replace(entry, tag_field=data.tag_field)
    return read_split(entry, split, data_dir=data_dir)


def check_entity_tags(dataset: Dataset, data: DataConfig, split: str) -> None:
    """Every tag name of a NER split is O or B-/I-/E-/S- and a type; a malformed one names
    the file and the line it is first on."""
    from tagger.data.dataset import tag_names
    from tagger.data.schemes import entity_types

    for name in tag_names(dataset):
        try:
            entity_types([[name]])
        except ValueError:
            path = getattr(data, split, "") or data.corpus
            found = Path(path).is_file()
            fmt = (data.format or guess_format(path)) if found else ""
            line = label_line(path, data, fmt, name) if found else None
            detail = f"expected an entity tag (O, or B-, I-, E-, S- and a type), got {name!r}"
            raise CorpusError(path, line, detail) from None


def read_trees(path: str | Path, data: DataConfig, split: str) -> Dataset:
    """A treebank split: every phrase of train with data.phrases, else whole sentences."""
    phrases = data.phrases and split == "train"
    return read_sst_trees(path, phrases, data.labels, data.lowercase)


def load_paragraphs(data: DataConfig, split: str, data_dir: Path | None = None) -> list[Paragraph]:
    """The raw-text paragraphs of a CoNLL-U split (a file, or a catalog corpus)."""
    explicit = getattr(data, split, "")
    if explicit or (data.corpus and Path(data.corpus).is_file()):
        path = explicit or data.corpus
        fmt = data.format or guess_format(path)
        if fmt != "conllu":
            raise ValueError(f"a tokenize corpus is CoNLL-U (with # text lines), got {fmt!r}")
        return read_paragraphs(path)
    if not data.corpus or data.corpus.startswith("hf:"):
        raise ValueError(f"data.{split}: a tokenize corpus is a CoNLL-U file or catalog name")
    catalog = load_catalog()
    entry = catalog.get(data.corpus)
    if entry is None or entry.format != "conllu":
        known = ", ".join(sorted(n for n, e in catalog.items() if e.format == "conllu"))
        raise ValueError(f"data.corpus: {data.corpus!r} is not a CoNLL-U corpus ({known})")
    return read_paragraphs(resolve_split(entry, split, data_dir))


def corpus_scheme(data: DataConfig, tags: list[list[str]]) -> str:
    """The entity tag scheme of a corpus: the config's, else the catalog's, else detected."""
    if data.scheme:
        return data.scheme
    if data.corpus and not data.train and not Path(data.corpus).is_file():
        entry = load_catalog().get(data.corpus)
        if entry is not None and entry.scheme:
            return entry.scheme.lower()
    return detect_scheme(tags)


def evaluation_source(
    corpus: str, data: DataConfig, fmt: str = "", columns: str = "", sentences: bool = False
) -> DataConfig:
    """The DataConfig for evaluating on `corpus` (catalog name, hf: id or file path).

    A file is read with the model's training format and columns unless fmt/columns
    ("WORD,TAG" indices) say otherwise.
    """
    changes: dict = {"corpus": corpus, "train": "", "dev": "", "test": ""}
    if not Path(corpus).is_file():
        changes["scheme"] = ""  # a catalog or hf: corpus has its own scheme
    if Path(corpus).is_file():
        guessed = guess_format(corpus, sentences)
        changes["format"] = fmt or (data.format if data.format in FILE_FORMATS else guessed)
    elif fmt:
        changes["format"] = fmt
    if columns:
        try:
            word, tag = (int(x) for x in columns.split(","))
        except ValueError:
            raise ValueError(
                f"--columns: expected WORD,TAG indices such as 0,-1, got {columns!r}"
            ) from None
        changes.update(word_column=word, tag_column=tag)
    return dataclasses.replace(data, **changes)
