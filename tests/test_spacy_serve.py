"""The spaCy component and `to-spacy` carry one ServeOptions: the component builds it from
its config (old keys and defaults kept) and loads through Predictor.serve; to_spacy passes
it whole and refuses the options a pipeline cannot carry."""

from __future__ import annotations

from pathlib import Path

import pytest
import spacy

import tagger.spacy_component  # noqa: F401  registers bilstm_tagger
from tagger.predict import Predictor
from tagger.serving import ServeOptions
from tagger.to_spacy import check_pipeline_options, to_spacy


def test_component_config_is_one_serve_options(monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[tuple[str, ServeOptions]] = []
    monkeypatch.setattr(Predictor, "serve", lambda path, options: loaded.append((path, options)))
    nlp = spacy.blank("en")
    config = {"model": "", "batch_size": 7, "int8": True, "device": "cpu"}
    component = nlp.add_pipe("bilstm_tagger", config=config)
    assert component.serve == ServeOptions(batch_size=7, int8=True, device="cpu")
    component.from_disk("somewhere")
    assert loaded == [("somewhere", ServeOptions(batch_size=7, int8=True, device="cpu"))]


def test_component_defaults_are_the_serving_defaults() -> None:
    component = spacy.blank("en").add_pipe("bilstm_tagger")
    assert component.serve == ServeOptions()


def test_a_bad_batch_size_is_refused_on_load() -> None:
    component = spacy.blank("en").add_pipe("bilstm_tagger", config={"batch_size": 0})
    with pytest.raises(ValueError, match="batch-size: expected at least 1, got 0"):
        component.serve  # noqa: B018


@pytest.mark.parametrize(
    ("options", "flag"),
    [
        (ServeOptions(scheme="bioes"), "--scheme"),
        (ServeOptions(backend="onnx"), "--backend"),
        (ServeOptions(threads=2), "--threads"),
        (ServeOptions(on_error="skip"), "--on-error"),
    ],
)
def test_pipeline_refuses_what_it_cannot_carry(
    options: ServeOptions, flag: str, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match=f"to-spacy: {flag} does not apply"):
        to_spacy([tmp_path / "model"], tmp_path / "out", serve=options)
    assert not (tmp_path / "out").exists()


def test_pipeline_carries_batch_size_int8_device_and_tokenizer() -> None:
    check_pipeline_options(ServeOptions(batch_size=3, int8=True, device="cpu", tokenizer="t"))
