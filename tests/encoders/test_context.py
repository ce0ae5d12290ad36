"""Document context (FLERT): each sentence's neighbouring words, within its document."""

from __future__ import annotations

import pytest

from tagger.encoders.context import sentence_contexts

SENTENCES = [["a", "b"], ["c"], ["d", "e", "f"], ["g"]]


def test_nearest_words_of_the_same_document_only() -> None:
    found = sentence_contexts(SENTENCES, [0, 0, 0, 1], 2)
    assert found == [
        ((), ("c", "d")),
        (("a", "b"), ("d", "e")),
        (("b", "c"), ()),
        ((), ()),
    ]


def test_no_documents_is_one_document_and_context_crosses_every_sentence() -> None:
    found = sentence_contexts(SENTENCES, None, 10)
    assert found[0] == ((), ("c", "d", "e", "f", "g"))
    assert found[3] == (("a", "b", "c", "d", "e", "f"), ())


def test_size_zero_is_no_context() -> None:
    assert sentence_contexts(SENTENCES, None, 0) == [((), ())] * 4


def test_bad_arguments_say_what_was_expected() -> None:
    with pytest.raises(ValueError, match="3 document ids for 4 sentences"):
        sentence_contexts(SENTENCES, [0, 0, 0], 2)
    with pytest.raises(ValueError, match="expected 0..512"):
        sentence_contexts(SENTENCES, None, -1)
