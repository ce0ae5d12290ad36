"""`tagger to-spacy`: a spaCy pipeline folder with one bilstm_tagger component per model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import spacy
from spacy.language import Language

from tagger.io import read_artifact

# Pipe names by task; a second model of the same task gets a numbered name.
PIPE_NAMES = {"pos": "bilstm_tagger", "ner": "bilstm_ner", "sentiment": "bilstm_textcat"}


def build_pipeline(
    models: Sequence[str | Path],
    lang: str = "",
    base: str | Path = "",
    int8: bool = False,
    device: str = "auto",
) -> Language:
    """spaCy's tokenizer for `lang` plus a sentencizer (or the `base` pipeline), then the models.

    `lang` defaults to the first model's language; `int8` and `device` set each
    component's options of the same name.
    """
    tasks = [read_artifact(m).config for m in models]
    if base:
        nlp = spacy.load(base)
    else:
        nlp = spacy.blank(lang or tasks[0].data.lang)
        nlp.add_pipe("sentencizer")
    for path, config in zip(models, tasks, strict=True):
        name = PIPE_NAMES.get(config.task, "bilstm")
        number = 2
        while name in nlp.pipe_names:
            name = f"{PIPE_NAMES.get(config.task, 'bilstm')}_{number}"
            number += 1
        settings = {"model": str(Path(path).resolve()), "int8": int8, "device": device}
        nlp.add_pipe("bilstm_tagger", name=name, config=settings)
    return nlp


def to_spacy(
    models: Sequence[str | Path],
    output: str | Path,
    lang: str = "",
    base: str | Path = "",
    int8: bool = False,
    device: str = "auto",
) -> Language:
    """Build the pipeline and save it; the folder loads with spacy.load, models included."""
    nlp = build_pipeline(models, lang, base, int8, device)
    nlp.to_disk(output)
    return nlp
