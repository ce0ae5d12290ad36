"""Load a split of the corpus a config (or a command line) names: catalog, hf:, or a file."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from datasets import Dataset

from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, read_split
from tagger.data.columns import read_columns
from tagger.data.conllu import read_conllu
from tagger.data.hf import load_hf_or_file
from tagger.data.schemes import detect_scheme

FILE_FORMATS = ("conllu", "conll", "parquet", "json")


def guess_format(path: str) -> str:
    """The format of a corpus file from its extension; column files are the fallback."""
    suffix = Path(path).suffix.lower()
    if suffix == ".conllu":
        return "conllu"
    if suffix == ".parquet":
        return "parquet"
    if suffix in (".json", ".jsonl"):
        return "json"
    return "conll"


def read_file(path: str, data: DataConfig) -> Dataset:
    """Read one corpus file with the format and columns of `data`."""
    fmt = data.format or guess_format(path)
    if fmt == "conllu":
        return read_conllu(path, tag_field=data.tag_field)
    if fmt == "conll":
        return read_columns(path, word_column=data.word_column, tag_column=data.tag_column)
    if fmt in ("parquet", "json"):
        return load_hf_or_file(
            path, "train", token_field=data.token_field, tag_field=data.tag_field
        )
    raise ValueError(f"data.format: expected one of {FILE_FORMATS}, got {fmt!r}")


def load_split(data: DataConfig, split: str, data_dir: Path | None = None) -> Dataset:
    """The `split` ("train", "dev", "test") of the corpus described by `data`."""
    explicit = getattr(data, split, "")
    if explicit:
        return read_file(explicit, data)
    if not data.corpus:
        raise ValueError(f"data.{split}: no file given and no data.corpus to take it from")
    if data.corpus.startswith("hf:"):
        hf_split = {"dev": "validation"}.get(split, split)
        return load_hf_or_file(data.corpus, hf_split, data.token_field, data.tag_field)
    if Path(data.corpus).is_file():
        return read_file(data.corpus, data)
    catalog = load_catalog()
    if data.corpus not in catalog:
        raise ValueError(
            f"data.corpus: {data.corpus!r} is not a catalog name ({', '.join(sorted(catalog))}),"
            " an hf: id or an existing file"
        )
    entry = catalog[data.corpus]
    if data.tag_field != entry.tag_field and entry.format == "conllu":
        entry = dataclasses.replace(entry, tag_field=data.tag_field)
    return read_split(entry, split, data_dir=data_dir)


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
    corpus: str, data: DataConfig, fmt: str = "", columns: str = ""
) -> DataConfig:
    """The DataConfig for evaluating on `corpus` (catalog name, hf: id or file path).

    A file is read with the model's training format and columns unless fmt/columns
    ("WORD,TAG" indices) say otherwise.
    """
    changes: dict = {"corpus": corpus, "train": "", "dev": "", "test": ""}
    if not Path(corpus).is_file():
        changes["scheme"] = ""  # a catalog or hf: corpus has its own scheme
    if Path(corpus).is_file():
        changes["format"] = fmt or (
            data.format if data.format in FILE_FORMATS else guess_format(corpus)
        )
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
