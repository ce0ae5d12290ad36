"""Writers for tagged output: CoNLL-U, two-column CoNLL, JSON lines and word/TAG text."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from tagger.data.schemes import spans
from tagger.data.segments import Sentence, Token

FORMATS = ("conllu", "conll", "jsonl", "text")
CONLLU_TAG_FIELDS = ("upos", "xpos", "misc")  # misc: the tag as Tag=B-PER


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
        self.sent_id = 0  # id of the last CoNLL-U sentence written

    def write(self, sentence: TaggedSentence) -> None:
        """Write one sentence, with its trailing blank line or newline."""
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
            self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            pairs = (
                f"{token}/{tag}" for token, tag in zip(sentence.tokens, sentence.tags, strict=True)
            )
            self.out.write(" ".join(pairs) + "\n")

    def _write_conllu(self, sentence: TaggedSentence) -> None:
        """ID FORM LEMMA UPOS XPOS FEATS HEAD DEPREL DEPS MISC; the tag fills one of UPOS/XPOS."""
        self.sent_id += 1
        lines = [f"# sent_id = {self.sent_id}\n"]
        if sentence.text is not None:
            # A comment is one line; a line break inside it would start a bogus token line.
            lines.append(f"# text = {' '.join(sentence.text.splitlines())}\n")
        # Without a layout every word is a token and spacing is unknown.
        layout = sentence.layout
        surface = layout.tokens if layout else [Token(t, (t,)) for t in sentence.tokens]
        tags = iter(sentence.tags)
        i = 1
        for token in surface:
            space = [] if token.space_after or layout is None else ["SpaceAfter=No"]
            if token.multiword:  # the range line carries the surface and its spacing
                span = f"{i}-{i + len(token.words) - 1}"
                misc = "|".join(space) or "_"
                lines.append("\t".join([span, token.text, *["_"] * 7, misc]) + "\n")
                space = []
            for word in token.words:
                tag = next(tags)
                upos = tag if self.tag_field == "upos" else "_"
                xpos = tag if self.tag_field == "xpos" else "_"
                fields = ([f"Tag={tag}"] if self.tag_field == "misc" else []) + space
                misc = "|".join(fields) or "_"
                lines.append("\t".join([str(i), word, "_", upos, xpos, *["_"] * 4, misc]) + "\n")
                i += 1
        self.out.write("".join(lines) + "\n")


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
    """Stream sentence labels: jsonl objects, or `label<TAB>text` lines (fmt "text")."""
    if fmt not in SENTENCE_FORMATS:
        raise ValueError(f"a sentence model writes {' or '.join(SENTENCE_FORMATS)}, not {fmt!r}")
    for item in items:
        if fmt == "jsonl":
            probs = {k: round(v, 4) for k, v in item.probs.items()}
            record = {"text": item.text, "tokens": item.tokens, "label": item.label, "probs": probs}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(f"{item.label}\t{item.text}\n")
