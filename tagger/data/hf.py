"""Token datasets from the Hugging Face Hub (`hf:name[:config]`) or local Parquet/JSON files."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
from datasets import ClassLabel, Dataset, Value

from tagger.data.dataset import token_dataset
from tagger.data.errors import CorpusError, check_text
from tagger.data.lines import decoded_lines

FILE_BUILDERS = {".parquet": "parquet", ".json": "json", ".jsonl": "json"}


def load_hf_or_file(
    source: str, split: str, token_field: str = "tokens", tag_field: str = "tags"
) -> Dataset:
    """A `tokens`/`tags` dataset from `hf:<dataset>[:<config>]` or a .parquet/.json/.jsonl file.

    `split` picks the Hub split; a local file is read whole. Tag names are kept from a ClassLabel
    column, taken from the strings of a string column, or are `str(id)` for bare integers.
    """
    raw = load_raw(source, split)
    for field in (token_field, tag_field):
        if field not in raw.column_names:
            available = ", ".join(raw.column_names)
            raise CorpusError(source, None, f"expected a column {field!r}; columns: {available}")
    tokens, tags = list(raw[token_field]), list(raw[tag_field])
    for row, (words, labels) in enumerate(zip(tokens, tags, strict=True)):
        if words is None or labels is None:
            raise CorpusError(source, row + 1, "expected tokens and tags, got null")
        if isinstance(words, str) or isinstance(labels, str):
            raise CorpusError(source, row + 1, "expected lists of tokens and tags, got a string")
        if len(words) != len(labels):
            raise CorpusError(
                source,
                row + 1,
                f"expected as many tags as tokens, got {len(labels)} tags for {len(words)} tokens",
            )
        _check_record(source, row + 1, words, labels)
    kind = getattr(raw.features[tag_field], "feature", None)
    if isinstance(kind, ClassLabel):
        names = list(kind.names)
        return token_dataset(tokens, [[names[i] for i in sent] for sent in tags], names)
    if isinstance(kind, Value) and kind.dtype == "string":
        return token_dataset(tokens, tags)
    if isinstance(kind, Value) and kind.dtype.startswith(("int", "uint")):
        return _integer_tags(source, tokens, tags)
    raise CorpusError(
        source,
        None,
        f"expected column {tag_field!r} to hold lists of labels, strings or ints, got {kind}",
    )


def _check_record(source: str, row: int, words: list, labels: list) -> None:
    """Every token a string and every tag a string or an int, none null; neither holding
    a control character."""
    for i, (word, label) in enumerate(zip(words, labels, strict=True)):
        if not isinstance(word, str):
            detail = f"expected token {i + 1} to be a string, got {_shown(word)}"
            raise CorpusError(source, row, detail)
        if not isinstance(label, str | int) or isinstance(label, bool):
            detail = f"expected tag {i + 1} to be a label, got {_shown(label)}"
            raise CorpusError(source, row, detail)
        check_text(source, row, word, f"token {i + 1}")
        if isinstance(label, str):
            check_text(source, row, label, f"tag {i + 1}")


def _shown(value: object) -> str:
    """A JSON value as the file spells it (null, not None)."""
    return json.dumps(value) if value is None or isinstance(value, bool) else repr(value)


def load_raw(source: str, split: str) -> Dataset:
    """The raw dataset behind a source string, before columns are checked."""
    if source.startswith("hf:"):
        name, _, config = source[len("hf:") :].partition(":")
        if not name:
            raise CorpusError(source, None, "expected hf:<dataset>[:<config>]")
        return datasets.load_dataset(name, config or None, split=split)
    path = Path(source)
    builder = FILE_BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise CorpusError(
            source, None, "expected hf:<dataset>[:<config>] or a .parquet, .json or .jsonl file"
        )
    if not path.is_file():
        raise CorpusError(source, None, "file not found")
    try:
        return datasets.load_dataset(builder, data_files=str(path), split="train")
    except Exception as err:  # pyarrow and datasets raise their own types for bad files
        raise _file_error(source, builder, err) from None


def _file_error(source: str, builder: str, err: Exception) -> CorpusError:
    """A readable error for a JSON or parquet file datasets could not read: for JSON
    lines, the first line that is not a JSON object."""
    if builder == "json":
        for number, line in decoded_lines(source):
            if not line.strip():
                continue
            try:
                if not isinstance(json.loads(line), dict):
                    return CorpusError(source, number, "expected a JSON object per line")
            except json.JSONDecodeError as bad:
                return CorpusError(source, number, f"expected a JSON object per line ({bad.msg})")
        return CorpusError(source, None, f"expected JSON records ({_first_line(err)})")
    return CorpusError(source, None, f"expected a {builder} file ({_first_line(err)})")


def _first_line(err: Exception) -> str:
    cause = err.__cause__ or err
    return (str(cause).strip().splitlines() or [type(cause).__name__])[0][:200]


def _integer_tags(source: str, tokens: list[list[str]], tags: list[list[int]]) -> Dataset:
    """Integer tags without names: id i is named str(i), so ids are kept as they are."""
    largest = -1
    for row, sent in enumerate(tags):
        for tag in sent:
            if tag < 0:
                raise CorpusError(source, row + 1, f"expected tag ids >= 0, got {tag}")
            largest = max(largest, tag)
    names = [str(i) for i in range(largest + 1)]
    return token_dataset(tokens, [[str(t) for t in sent] for sent in tags], names)
