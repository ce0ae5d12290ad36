"""Tag schemes: IOB1/IOB2/BIOES through spans, conlleval's chunk rules, counted repairs.

Hand cases pin the conventions (CoNLL-2003's IOB1, BIOES's S-/E-); hypothesis checks that
well-formed sequences round-trip exactly and that any sequence at all converts without
raising into a well-formed one.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tagger.data.schemes import (
    SCHEMES,
    Repairs,
    Span,
    convert,
    convert_all,
    detect_scheme,
    from_spans,
    spans,
)

TYPES = ("PER", "LOC", "ORG")


def tags(text: str) -> list[str]:
    return text.split()


def repairs_of(sequence: list[str], scheme: str) -> int:
    counter = Repairs()
    spans(sequence, scheme, counter)
    return counter.count


def well_formed(sequence: list[str], scheme: str) -> bool:
    """No repair when read in `scheme`, and already in the scheme's one canonical spelling."""
    return repairs_of(sequence, scheme) == 0 and convert(sequence, scheme, scheme) == sequence


# --- hand cases: one convention each ---


def test_iob1_reads_like_conll_2003() -> None:
    # IOB1: entities open with I-; B- only where an entity touches one of the same type.
    conll = tags("I-PER I-PER B-PER O I-LOC")
    assert spans(conll, "iob1") == [(0, 2, "PER"), (2, 3, "PER"), (4, 5, "LOC")]
    assert convert(conll, "iob1", "iob2") == tags("B-PER I-PER B-PER O B-LOC")
    assert repairs_of(conll, "iob1") == 0


def test_iob1_type_change_starts_an_entity_without_b() -> None:
    assert spans(tags("I-PER I-LOC"), "iob1") == [(0, 1, "PER"), (1, 2, "LOC")]
    assert from_spans([(0, 1, "PER"), (1, 2, "LOC")], 2, "iob1") == tags("I-PER I-LOC")


def test_iob2_to_bioes() -> None:
    iob2 = tags("B-PER I-PER I-PER O B-LOC B-LOC I-LOC O B-ORG")
    assert convert(iob2, "iob2", "bioes") == tags("B-PER I-PER E-PER O S-LOC B-LOC E-LOC O S-ORG")


def test_bioes_to_iob1_uses_b_only_between_touching_same_type() -> None:
    bioes = tags("S-PER B-PER E-PER S-LOC O S-LOC B-ORG I-ORG E-ORG S-ORG")
    assert convert(bioes, "bioes", "iob1") == tags(
        "I-PER B-PER I-PER I-LOC O I-LOC I-ORG I-ORG I-ORG B-ORG"
    )


def test_bioes_to_iob2() -> None:
    bioes = tags("S-PER B-PER E-PER O B-LOC I-LOC E-LOC")
    assert convert(bioes, "bioes", "iob2") == tags("B-PER B-PER I-PER O B-LOC I-LOC I-LOC")


def test_empty_and_all_outside() -> None:
    for scheme in SCHEMES:
        assert spans([], scheme) == []
        assert from_spans([], 0, scheme) == []
        assert convert(["O", "O"], scheme, "bioes") == ["O", "O"]


def test_types_may_contain_hyphens() -> None:
    # conlleval (2004) splits on the first hyphen only: B-MISC-X is a MISC-X entity.
    assert spans(tags("B-MISC-X I-MISC-X"), "iob2") == [(0, 2, "MISC-X")]
    assert convert(tags("B-MISC-X I-MISC-X"), "iob2", "bioes") == tags("B-MISC-X E-MISC-X")


# --- ill-formed input: repaired by conlleval's rule, counted, never a crash ---


@pytest.mark.parametrize(
    ("sequence", "scheme", "expected_spans", "n_repairs"),
    [
        ("O I-PER", "iob2", [(1, 2, "PER")], 1),  # I- start after O
        ("I-PER I-PER", "iob2", [(0, 2, "PER")], 1),  # I- start at the sentence start
        ("B-PER I-LOC", "iob2", [(0, 1, "PER"), (1, 2, "LOC")], 1),  # type switch
        ("B-PER I-PER I-LOC I-LOC", "iob2", [(0, 2, "PER"), (2, 4, "LOC")], 1),
        ("B-PER O", "bioes", [(0, 1, "PER")], 1),  # B- that never gets its E-
        ("B-PER I-PER", "bioes", [(0, 2, "PER")], 1),  # run to the end without E-
        ("I-PER E-PER", "bioes", [(0, 2, "PER")], 1),  # I- start
        ("O E-PER", "bioes", [(1, 2, "PER")], 1),  # E- start
        ("B-PER E-LOC", "bioes", [(0, 1, "PER"), (1, 2, "LOC")], 2),  # switch: both sides
        ("B-PER B-PER E-PER", "bioes", [(0, 1, "PER"), (1, 3, "PER")], 1),
        ("S-PER I-PER", "bioes", [(0, 1, "PER"), (1, 2, "PER")], 2),
        ("I-PER I-LOC", "iob1", [(0, 1, "PER"), (1, 2, "LOC")], 0),  # normal in IOB1
    ],
)
def test_ill_formed_is_repaired_and_counted(
    sequence: str, scheme: str, expected_spans: list[Span], n_repairs: int
) -> None:
    assert spans(tags(sequence), scheme) == expected_spans
    assert repairs_of(tags(sequence), scheme) == n_repairs
    for target in SCHEMES:
        out = convert(tags(sequence), scheme, target)
        assert spans(out, target) == expected_spans
        assert well_formed(out, target), (target, out)


def test_repairs_accumulate_over_calls() -> None:
    counter = Repairs()
    convert(tags("O I-PER"), "iob2", "bioes", counter)
    convert(tags("I-LOC"), "iob2", "bioes", counter)
    assert counter.count == 2
    converted, repaired = convert_all(
        [tags("O I-PER"), tags("B-PER"), tags("I-LOC O")], "iob2", "iob2"
    )
    assert converted == [tags("O B-PER"), tags("B-PER"), tags("B-LOC O")]
    assert repaired == 2


@pytest.mark.parametrize("scheme", ["iob1", "iob2"])
def test_foreign_prefixes_in_iob_are_counted(scheme: str) -> None:
    assert repairs_of(tags("B-PER E-PER O S-LOC"), scheme) > 0


# --- bad tags and schemes ---


@pytest.mark.parametrize("bad", ["X-PER", "-PER", "b-PER", "PER", "B_PER", "O-", "O-PER"])
def test_bad_tag_raises_naming_it(bad: str) -> None:
    for function in (
        lambda: spans(["O", bad], "iob2"),
        lambda: convert([bad], "iob1", "bioes"),
        lambda: detect_scheme([["O", bad]]),
    ):
        with pytest.raises(ValueError, match=repr(bad)):
            function()


@pytest.mark.parametrize("bad", ["B-", "I-", "E-", "S-"])
def test_prefix_without_type_raises(bad: str) -> None:
    with pytest.raises(ValueError, match=repr(bad)):
        spans(["O", bad], "iob2")


@pytest.mark.parametrize("scheme", ["bio", "IOB2", "", "bilou"])
def test_unknown_scheme_raises(scheme: str) -> None:
    with pytest.raises(ValueError, match="iob1, iob2, bioes"):
        convert(["O"], "iob2", scheme)
    with pytest.raises(ValueError, match=repr(scheme)):
        spans(["O"], scheme)


# --- detect_scheme ---


@pytest.mark.parametrize(
    ("corpus", "expected"),
    [
        ([["I-PER", "I-PER", "O", "I-LOC"], ["I-ORG", "B-ORG", "O"]], "iob1"),
        ([["I-PER", "I-LOC"], ["O"]], "iob1"),  # a type switch opens with I- too
        ([["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "B-ORG"]], "iob2"),
        ([["B-PER", "E-PER", "O"], ["O"]], "bioes"),
        ([["O", "S-LOC"]], "bioes"),
        ([["O", "O"], []], "iob2"),  # no entities: the common default
        ([], "iob2"),
    ],
)
def test_detect_scheme(corpus: list[list[str]], expected: str) -> None:
    assert detect_scheme(corpus) == expected


@pytest.mark.parametrize("scheme", SCHEMES)
def test_detect_scheme_on_generated_corpora(scheme: str) -> None:
    found = [[(0, 2, "PER"), (3, 4, "LOC")], [(0, 1, "ORG"), (1, 3, "ORG")], [(2, 3, "PER")]]
    corpus = [from_spans(s, 5, scheme) for s in found]
    assert detect_scheme(corpus) == scheme


# --- properties ---


@st.composite
def span_sets(draw: st.DrawFn) -> tuple[list[Span], int]:
    """Sorted, non-overlapping spans (touching allowed) and a sentence length that holds them."""
    pieces = draw(
        st.lists(
            st.tuples(st.integers(0, 2), st.integers(1, 4), st.sampled_from(TYPES)), max_size=6
        )
    )
    found, position = [], 0
    for gap, length, label in pieces:
        start = position + gap
        found.append((start, start + length, label))
        position = start + length
    return found, position + draw(st.integers(0, 2))


any_tag = st.one_of(
    st.just("O"),
    st.builds(lambda p, t: f"{p}-{t}", st.sampled_from("BIES"), st.sampled_from(TYPES)),
)
PROPERTY = settings(max_examples=300, deadline=None)


@PROPERTY
@given(span_sets(), st.sampled_from(SCHEMES))
def test_spans_round_trip(drawn: tuple[list[Span], int], scheme: str) -> None:
    found, length = drawn
    written = from_spans(found, length, scheme)
    assert len(written) == length
    assert spans(written, scheme) == found
    assert well_formed(written, scheme)


@PROPERTY
@given(span_sets(), st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_convert_round_trip(drawn: tuple[list[Span], int], source: str, target: str) -> None:
    found, length = drawn
    original = from_spans(found, length, source)
    there = convert(original, source, target)
    assert convert(there, target, source) == original
    assert spans(there, target) == found


@PROPERTY
@given(st.lists(any_tag, max_size=12), st.sampled_from(SCHEMES), st.sampled_from(SCHEMES))
def test_any_sequence_converts_to_well_formed(
    sequence: list[str], source: str, target: str
) -> None:
    out = convert(sequence, source, target, Repairs())
    assert len(out) == len(sequence)
    assert well_formed(out, target)
    # Conversion keeps the spans conlleval reads, whatever the source scheme says.
    assert spans(out, target) == spans(sequence, source)
    assert [t == "O" for t in out] == [t == "O" for t in sequence]
