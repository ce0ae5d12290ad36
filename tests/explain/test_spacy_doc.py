"""explain_doc: the same explanation inside spaCy as from the model folder."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

from tagger.explain.explanation import explain
from tagger.explain.spacy_doc import explain_doc
from tagger.predict import Predictor


def test_explain_doc_matches_the_component_and_the_cli(pos_model: Path) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("bilstm_tagger", config={"model": str(pos_model)})
    doc = nlp("The dog  sees a cat .")  # a double space: spaCy makes a space token
    found = explain_doc(nlp.get_pipe("bilstm_tagger"), doc)
    assert found.tokens == ["The", "dog", "sees", "a", "cat", "."]
    assert found.labels == [t.pos_ for t in doc if not t.is_space]
    direct = explain(Predictor.load(pos_model), found.tokens)
    assert found.to_json() == direct.to_json()
    assert explain_doc(nlp, doc).labels == found.labels  # the pipeline itself also works


def test_explain_doc_needs_the_component(pos_model: Path) -> None:
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="no bilstm_tagger"):
        explain_doc(nlp, nlp("a dog"))
