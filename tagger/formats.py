"""Writers for tagged output: CoNLL-U, two-column CoNLL, JSON lines and word/TAG text.

No token is ever changed, and no format's syntax is broken by what a token holds: JSON
lines keep every token (as JSON escapes), the text formats escape what they cannot hold
(`escape`), and CoNLL-U and CoNLL refuse a token they cannot hold (`FormatError`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import TextIO

from tagger.data.schemes import spans
from tagger.data.segments import Sentence

FORMATS = ("conllu", "conll", "jsonl", "text")
CONLLU_TAG_FIELDS = ("upos", "xpos", "misc")  # misc: the tag as Tag=B-PER

# Every character at which str.splitlines() ends a line (universal newlines: \n, \r).
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
# What a field of each format cannot hold: CoNLL-U's columns are tab-separated (FORM may
# hold spaces) and MISC's attributes `|`-separated; CoNLL's columns split on spaces too.
FORBIDDEN = {"conllu": "\t" + LINE_BREAKS, "conll": " \t" + LINE_BREAKS}
_SHORT_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_ESCAPED = re.compile(r"\\(?:([\\tnr])|x([0-9a-f]{2})|u([0-9a-f]{4})|(.?))", re.DOTALL)
_JSON_BREAKS = {c: f"\\u{ord(c):04x}" for c in "\x85\u2028\u2029"}
_ESCAPED_ALWAYS = "\\\t" + LINE_BREAKS


class FormatError(ValueError):
    """A token or tag that an output format cannot hold."""


def escape(field: str, also: str = "") -> str:
    """`field` for a text format: backslash, tab, line breaks (LINE_BREAKS) and the
    characters in `also` as `\\\\`, `\\t`, `\\n`, `\\r`, `\\xHH` or `\\uHHHH`."""
    return _any_of(_ESCAPED_ALWAYS + also).sub(_escaped_char, field)


def escape_all(fields: list[str], also: str = "") -> list[str]:
    """`escape` of each field; the fields as they are (one search) when none needs it."""
    if _any_of(_ESCAPED_ALWAYS + also).search("".join(fields)) is None:
        return fields
    return [escape(field, also) for field in fields]


@cache
def _any_of(chars: str) -> re.Pattern[str]:
    """A pattern matching any one of `chars`."""
    return re.compile("[" + re.escape(chars) + "]")


def _escaped_char(match: re.Match[str]) -> str:
    char = match[0]
    code = ord(char)
    return _SHORT_ESCAPES.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def unescape(field: str) -> str:
    """The text that `escape` wrote as `field`; ValueError on a backslash starting none
    of its escapes."""

    def original(match: re.Match[str]) -> str:
        short, byte, code, bad = match.groups()
        if bad is not None:
            escapes = r"\\ \t \n \r \xHH \uHHHH"
            raise ValueError(f"expected an escape ({escapes}), got {match[0]!r}")
        if short is not None:
            return {"t": "\t", "n": "\n", "r": "\r"}.get(short, short)
        return chr(int(byte or code, 16))

    return _ESCAPED.sub(original, field)


def json_line(record: dict) -> str:
    """`record` as one line of strict JSON (no NaN); U+0085, U+2028 and U+2029, which
    str.splitlines() ends a line at, are written as escapes like control characters."""
    line = json.dumps(record, ensure_ascii=False, allow_nan=False)
    for char, escaped in _JSON_BREAKS.items():
        if char in line:
            line = line.replace(char, escaped)
    return line + "\n"


@dataclass(frozen=True)
class TaggedSentence:
    """Tokens (words) with one tag each, the original sentence text when known, and with a
    trained tokenizer the `layout`: the surface tokens the words come from and spacing."""

    tokens: list[str]
    tags: list[str]
    text: str | None = None
    scores: list[float] | None = None  # the model's probability of each tag, when asked for
    layout: Sentence | None = None

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.tags):
            raise ValueError(f"TaggedSentence: {len(self.tokens)} tokens but {len(self.tags)} tags")
        if self.layout is not None and self.layout.words != list(self.tokens):
            raise ValueError("TaggedSentence: the layout's words are not the tokens")


class SentenceWriter:
    """Writes sentences one at a time in one format; numbers CoNLL-U sentences from 1."""

    def __init__(self, out: TextIO, fmt: str, tag_field: str = "upos", entities: str = "") -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown output format {fmt!r}; expected one of {FORMATS}")
        if fmt == "conllu" and tag_field not in CONLLU_TAG_FIELDS:
            raise ValueError(
                f"unknown CoNLL-U tag field {tag_field!r}; expected one of {CONLLU_TAG_FIELDS}"
            )
        self.out = out
        self.fmt = fmt
        self.tag_field = tag_field
        self.entities = entities  # jsonl: the tags' scheme, to add entity spans ("" = none)
        self.sent_id = 0  # number of the last sentence written (CoNLL-U: its sent_id)

    def write(self, sentence: TaggedSentence) -> None:
        """Write one sentence, with its trailing blank line or newline; FormatError, before
        anything is written, for a token or tag that CoNLL-U or CoNLL cannot hold."""
        self.sent_id += 1
        if self.fmt in FORBIDDEN:
            self._check(sentence)
        if self.fmt == "conllu":
            self._write_conllu(sentence)
        elif self.fmt == "conll":
            lines = [
                f"{token}\t{tag}\n"
                for token, tag in zip(sentence.tokens, sentence.tags, strict=True)
            ]
            self.out.write("".join(lines) + "\n")
        elif self.fmt == "jsonl":
            record: dict = {"text": sentence.text, "tokens": sentence.tokens, "tags": sentence.tags}
            if sentence.scores is not None:
                record["scores"] = [round(p, 4) for p in sentence.scores]
            if self.entities:
                record["entities"] = entity_records(sentence, self.entities)
            self.out.write(json_line(record))
        else:  # pairs split at spaces, each at its last `/`
            tokens, tags = escape_all(sentence.tokens, " "), escape_all(sentence.tags, " /")
            pairs = (f"{token}/{tag}" for token, tag in zip(tokens, tags, strict=True))
            self.out.write(" ".join(pairs) + "\n")

    def _check(self, sentence: TaggedSentence) -> None:
        """FormatError for the first token or tag that this format cannot hold."""
        forbidden = FORBIDDEN[self.fmt]
        if self.fmt == "conllu" and self.tag_field == "misc":
            forbidden += "|"  # a tag in MISC (Tag=...) with `|` would add an attribute
        pattern = _any_of(forbidden)
        surface = [t.text for t in sentence.layout.tokens] if sentence.layout else []
        for kind, values in (("token", [*sentence.tokens, *surface]), ("tag", sentence.tags)):
            if pattern.search("".join(values)) is None:  # one search for the usual case
                continue
            value, bad = next((v, found[0]) for v in values if (found := pattern.search(v)))
            raise FormatError(self._refusal(kind, value, bad))

    def _refusal(self, kind: str, value: str, char: str) -> str:
        name = unicodedata.name(char, "a control character")
        where = f"sentence {self.sent_id} of the output"
        return (
            f"--format {self.fmt} cannot hold the {kind} {value!r} ({where}): it holds "
            f"U+{ord(char):04X} ({name}), which would break the format's lines or columns; "
            "--format jsonl keeps every token as it is, and --format text escapes it"
        )

    def _write_conllu(self, sentence: TaggedSentence) -> None:
        """ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC; the tag fills one of UPOS/XPOS."""
        lines = [f"# sent_id = {self.sent_id}\n"]
        if sentence.text is not None:
            # A comment is one line; a line break inside it would start a bogus token line.
            lines.append(f"# text = {' '.join(sentence.text.splitlines())}\n")
        layout = sentence.layout
        field = self.tag_field
        if layout is None:  # every word is a token and spacing is unknown: `_` in MISC
            lines += _plain_lines(sentence.tokens, sentence.tags, field)
            self.out.write("".join(lines) + "\n")
            return
        surface = layout.tokens
        tags = iter(sentence.tags)
        i = 1
        for token in surface:
            space = "" if token.space_after else "SpaceAfter=No"
            if token.multiword:  # the range line carries the surface and its spacing
                span = f"{i}-{i + len(token.words) - 1}"
                lines.append(f"{span}\t{token.text}\t_\t_\t_\t_\t_\t_\t_\t{space or '_'}\n")
                space = ""
            for word in token.words:  # one f-string per line: this loop is tagging's output
                tag = next(tags)
                if field == "upos":
                    lines.append(f"{i}\t{word}\t_\t{tag}\t_\t_\t_\t_\t_\t{space or '_'}\n")
                elif field == "xpos":
                    lines.append(f"{i}\t{word}\t_\t_\t{tag}\t_\t_\t_\t_\t{space or '_'}\n")
                else:  # misc
                    misc = f"Tag={tag}|{space}" if space else f"Tag={tag}"
                    lines.append(f"{i}\t{word}\t_\t_\t_\t_\t_\t_\t_\t{misc}\n")
                i += 1
        self.out.write("".join(lines) + "\n")


def _plain_lines(words: list[str], tags: list[str], field: str) -> list[str]:
    """CoNLL-U word lines of words without a layout: the lines `_write_conllu` makes of
    Token(word, (word,)) tokens, made without them (this is tagging's output loop)."""
    pairs = enumerate(zip(words, tags, strict=True), 1)
    if field == "upos":
        return [f"{i}\t{word}\t_\t{tag}\t_\t_\t_\t_\t_\t_\n" for i, (word, tag) in pairs]
    if field == "xpos":
        return [f"{i}\t{word}\t_\t_\t{tag}\t_\t_\t_\t_\t_\n" for i, (word, tag) in pairs]
    return [f"{i}\t{word}\t_\t_\t_\t_\t_\t_\t_\tTag={tag}\n" for i, (word, tag) in pairs]


def entity_records(sentence: TaggedSentence, scheme: str = "iob2") -> list[dict]:
    """Entity spans of a sentence's tags; score = mean probability of their tags."""
    records = []
    for start, end, label in spans(sentence.tags, scheme):
        score = None
        if sentence.scores:
            score = round(sum(sentence.scores[start:end]) / (end - start), 4)
        text = " ".join(sentence.tokens[start:end])
        records.append({"start": start, "end": end, "label": label, "text": text, "score": score})
    return records


def write_sentences(
    sentences: Iterable[TaggedSentence],
    fmt: str,
    out: TextIO,
    tag_field: str = "upos",
    entities: str = "",
) -> None:
    """Stream sentences to `out` in `fmt`, one of FORMATS; `tag_field` is for CoNLL-U."""
    writer = SentenceWriter(out, fmt, tag_field, entities)
    for sentence in sentences:
        writer.write(sentence)


SENTENCE_FORMATS = ("jsonl", "text")


@dataclass(frozen=True)
class ClassifiedText:
    """A text (a line or a sentence of it) with its label and every class probability."""

    text: str
    tokens: list[str]
    label: str
    probs: dict[str, float]


def write_classified(items: Iterable[ClassifiedText], fmt: str, out: TextIO) -> None:
    """Stream sentence labels: jsonl objects, or `label<TAB>text` lines (fmt "text"),
    both fields escaped (`escape`) so that each item is one line of two fields."""
    if fmt not in SENTENCE_FORMATS:
        raise ValueError(f"a sentence model writes {' or '.join(SENTENCE_FORMATS)}, not {fmt!r}")
    for item in items:
        if fmt == "jsonl":
            probs = {k: round(v, 4) for k, v in item.probs.items()}
            record = {"text": item.text, "tokens": item.tokens, "label": item.label, "probs": probs}
            out.write(json_line(record))
        else:
            label, text = escape_all([item.label, item.text])
            out.write(f"{label}\t{text}\n")
