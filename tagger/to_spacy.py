"""`tagger to-spacy`: a spaCy pipeline folder with one bilstm_tagger component per model."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

import spacy
from spacy.language import Language

from tagger.encoders.bundle import copy_encoder
from tagger.encoders.load import resolve_encoder
from tagger.io import Artifact, read_artifact, read_tokenizer
from tagger.languages import check_language
from tagger.outputs import PIPELINE, check_output, replace_folder
from tagger.serving import ServeOptions
from tagger.tasks import get_task

TOKENIZER = "tagger.trained_tokenizer.v1"  # the registered spaCy tokenizer

# ServeOptions a pipeline carries: the components' (batch size, int8, device) and its tokenizer.
PIPELINE_OPTIONS = ("batch_size", "int8", "device", "tokenizer")


def check_pipeline_options(serve: ServeOptions) -> None:
    """ValueError naming the first option a spaCy pipeline cannot carry (set otherwise
    than its default): scheme, backend, onnx, threads, on_error."""
    for field in fields(ServeOptions):
        if field.name not in PIPELINE_OPTIONS and getattr(serve, field.name) != field.default:
            flag = "--" + field.name.replace("_", "-")
            raise ValueError(f"to-spacy: {flag} does not apply to a spaCy pipeline component")


def build_pipeline(
    models: Sequence[str | Path],
    lang: str = "",
    base: str | Path = "",
    serve: ServeOptions | None = None,
) -> Language:
    """spaCy's tokenizer for `lang` plus a sentencizer (or the `base` pipeline), then the models.

    With `serve.tokenizer` (a tokenize model folder; by default the one the first model
    carries) the pipeline's tokenizer is that trained tokenizer, which also splits
    sentences. `lang` defaults to the first model's language; `serve`'s batch size, int8
    and device set each component's options of the same name (check_pipeline_options
    refuses the others).
    """
    serve = serve or ServeOptions()
    check_pipeline_options(serve)
    tokenizer, device = serve.tokenizer, serve.device
    artifacts = [read_artifact(m) for m in models]
    tasks = [a.config for a in artifacts]
    carried = artifacts[0].tokenizer if artifacts and not tokenizer else None
    if base:
        nlp = spacy.load(base)
    elif tokenizer or carried is not None:
        import tagger.tokenizer.spacy_tokenizer  # noqa: F401  registers the tokenizer

        settings = {"@tokenizers": TOKENIZER, "model": str(Path(tokenizer).resolve())}
        if not tokenizer:
            settings["model"] = ""  # set from the carried artifact below
        settings["device"] = device
        nlp = spacy.blank(lang or tasks[0].data.lang, config={"nlp": {"tokenizer": settings}})
        if tokenizer:
            read_tokenizer(tokenizer)  # refuses a model that is not a tokenizer, now
        else:
            nlp.tokenizer.use(carried)
    else:
        nlp = spacy.blank(lang or tasks[0].data.lang)
        nlp.add_pipe("sentencizer")
    for path, config in zip(models, tasks, strict=True):
        first = get_task(config.task).pipe_name  # a second one of a task gets a number
        name, number = first, 2
        while name in nlp.pipe_names:
            name = f"{first}_{number}"
            number += 1
        settings = {
            "model": str(Path(path).resolve()),
            "batch_size": serve.batch_size,
            "int8": serve.int8,
            "device": device,
        }
        nlp.add_pipe("bilstm_tagger", name=name, config=settings)
    return nlp


def to_spacy(
    models: Sequence[str | Path],
    output: str | Path,
    lang: str = "",
    base: str | Path = "",
    serve: ServeOptions | None = None,
    force: bool = False,
    bundle: bool = False,
) -> Language:
    """Build the pipeline and save it; the folder loads with spacy.load, models included
    (with `bundle`, their pretrained encoders' files too).

    `output` is checked before anything is built (tagger.outputs) and written atomically;
    it may be the `base` pipeline, which is then extended in place.
    """
    if lang:
        check_language(lang, "--lang")  # before anything is built or written
    # `--base` may be the output itself: the pipeline, read whole first, is then extended in
    # place by one atomic swap.
    in_place = bool(base) and os.path.realpath(base) == os.path.realpath(output)
    serve = serve or ServeOptions()
    check_pipeline_options(serve)
    inputs = [*models, "" if in_place else base, serve.tokenizer]
    check_output(output, inputs, PIPELINE, force)
    nlp = build_pipeline(models, lang, base, serve)
    encoders = _encoders(nlp) if bundle else {}
    if bundle and not any(artifact.config.model.encoder for artifact in _artifacts(nlp).values()):
        raise ValueError("--bundle-encoder: no model of the pipeline has a pretrained encoder")

    def build(temp: Path) -> None:
        nlp.to_disk(temp)
        for name, source in encoders.items():
            copy_encoder(source, temp / name)

    replace_folder(output, PIPELINE, build)
    return nlp


def _artifacts(nlp: Language) -> dict[str, Artifact]:
    """The model artifact of each of our components, by component name."""
    found = {}
    for name, pipe in nlp.pipeline:
        artifact = getattr(getattr(pipe, "predictor", None), "artifact", None)
        if artifact is not None:
            found[name] = artifact
    return found


def _encoders(nlp: Language) -> dict[str, Path]:
    """The folder of each component's frozen pretrained encoder (its model's bundled copy,
    else where the encoder's name points), by component name. A fine-tuned encoder is
    not listed: the component's own `to_disk` writes it."""
    found = {}
    for name, artifact in _artifacts(nlp).items():
        model = artifact.config.model
        if model.encoder and not model.encoder_finetune:
            found[name] = artifact.bundled_encoder or resolve_encoder(model.encoder)[0]
    return found
