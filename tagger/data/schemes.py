"""Tag schemes as pure functions over label sequences: IOB1, IOB2 (BIO), BIOES, and spans.

Every sequence is first read as spans (with the conventional repairs for ill-formed
input) and then written in the target scheme, so any-to-any conversion is one path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

SCHEMES = ("iob1", "iob2", "bioes")

Span = tuple[int, int, str]  # (start, end exclusive, label)


@dataclass
class Repairs:
    """How many ill-formed tags were repaired while reading spans."""

    count: int = 0


def _split(tag: str) -> tuple[str, str]:
    """ "B-PER" -> ("B", "PER"); "O" -> ("O", "")."""
    if tag == "O" or not tag:
        return "O", ""
    prefix, sep, label = tag.partition("-")
    if not sep or not label or prefix not in ("B", "I", "E", "S"):
        raise ValueError(f"tag {tag!r}: expected O or B-/I-/E-/S- followed by a type")
    return prefix, label


def _ends(prev_prefix: str, prefix: str, prev_kind: str, kind: str) -> bool:
    """conlleval's endOfChunk: does the entity open at the previous token end before this one?"""
    if prev_prefix in ("E", "S"):
        return True
    if prev_prefix in ("B", "I") and prefix in ("B", "S", "O"):
        return True
    return prev_prefix != "O" and prev_kind != kind


def spans(tags: Sequence[str], scheme: str, repairs: Repairs | None = None) -> list[Span]:
    """Entity spans of a tag sequence in `scheme`, read as the conlleval script reads them.

    Ill-formed input is repaired by conlleval's rule: an I-/E- after O or after another
    type starts an entity; a B-/I- run in BIOES that never gets its E- still ends. Each
    repair is counted in `repairs` (an I- start is normal in IOB1 and not counted).
    """
    _check_scheme(scheme)
    result: list[Span] = []
    start = -1
    prev_prefix, prev_kind = "O", ""
    for i, tag in enumerate(tags):
        prefix, kind = _split(tag)
        if start >= 0 and _ends(prev_prefix, prefix, prev_kind, kind):
            result.append((start, i, prev_kind))
            start = -1
            if scheme == "bioes" and prev_prefix in ("B", "I") and repairs is not None:
                repairs.count += 1
        if prefix in ("E", "S") and scheme != "bioes" and repairs is not None:
            repairs.count += 1  # a BIOES tag in an IOB sequence
        if prefix != "O" and start < 0:
            start = i
            starts_inside = (prefix == "I" and scheme != "iob1") or (
                prefix == "E" and scheme == "bioes"
            )
            if starts_inside and repairs is not None:
                repairs.count += 1
        prev_prefix, prev_kind = prefix, kind
    if start >= 0:
        result.append((start, len(tags), prev_kind))
        if scheme == "bioes" and prev_prefix in ("B", "I") and repairs is not None:
            repairs.count += 1
    return result


def from_spans(found: Sequence[Span], length: int, scheme: str) -> list[str]:
    """Write spans (non-overlapping, sorted) as a tag sequence in `scheme`."""
    _check_scheme(scheme)
    tags = ["O"] * length
    previous_end, previous_label = -1, ""
    for start, end, label in found:
        if scheme == "bioes" and end - start == 1:
            tags[start] = f"S-{label}"
            previous_end, previous_label = end, label
            continue
        for i in range(start, end):
            tags[i] = f"I-{label}"
        if scheme == "iob2" or scheme == "bioes":
            tags[start] = f"B-{label}"
        elif previous_end == start and previous_label == label:
            tags[start] = f"B-{label}"  # IOB1: B- only between two touching same-type entities
        if scheme == "bioes":
            tags[end - 1] = f"E-{label}"
        previous_end, previous_label = end, label
    return tags


def convert(
    tags: Sequence[str], source: str, target: str, repairs: Repairs | None = None
) -> list[str]:
    """Tags from one scheme to another (ill-formed input is repaired and counted)."""
    return from_spans(spans(tags, source, repairs), len(tags), target)


def detect_scheme(sentences: Sequence[Sequence[str]]) -> str:
    """A best guess at the scheme of a corpus: BIOES if E-/S- appear, IOB1 if an entity
    starts with I- more often than with B-, else IOB2."""
    starts_i = starts_b = 0
    for tags in sentences:
        previous = "O"
        for tag in tags:
            prefix, kind = _split(tag)
            if prefix in ("E", "S"):
                return "bioes"
            _, previous_kind = _split(previous)
            if prefix == "I" and (previous == "O" or previous_kind != kind):
                starts_i += 1
            elif prefix == "B":
                starts_b += 1
            previous = tag
    return "iob1" if starts_i > starts_b else "iob2"


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ValueError(f"tag scheme: expected one of {', '.join(SCHEMES)}, got {scheme!r}")


def convert_all(
    sentences: Sequence[Sequence[str]], source: str, target: str
) -> tuple[list[list[str]], int]:
    """Every sentence converted; also the number of ill-formed tags repaired on the way."""
    repairs = Repairs()
    converted = [convert(tags, source, target, repairs) for tags in sentences]
    return converted, repairs.count


def scheme_labels(types: Sequence[str], scheme: str) -> list[str]:
    """Every tag of `scheme` for these entity types: O first, then by type."""
    _check_scheme(scheme)
    prefixes = {"iob1": "IB", "iob2": "BI", "bioes": "BIES"}[scheme]
    return ["O"] + [f"{p}-{t}" for t in sorted(set(types)) for p in prefixes]


def entity_types(sentences: Sequence[Sequence[str]]) -> list[str]:
    """The sorted entity types used in tag sequences."""
    return sorted({_split(tag)[1] for tags in sentences for tag in tags} - {""})
