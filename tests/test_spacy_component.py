"""The spaCy component `bilstm_tagger`: found through its entry point, annotates exactly what the
Predictor predicts, predicts before it annotates, serializes with the pipeline, pipes, scores
with spaCy's own scorers, and ships through `tagger to-spacy` and `spacy package`."""

from __future__ import annotations

import inspect
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import spacy
import torch
from fixtures_models import TrainedModel
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example
from typer.testing import CliRunner

from tagger.cli import app
from tagger.data.conllu import read_conllu
from tagger.data.dataset import as_lists
from tagger.data.schemes import spans
from tagger.evaluate import entity_scores, sentence_scores, tag_scores
from tagger.io import ARTIFACT_FILES, Artifact, write_artifact
from tagger.model.build import build_model
from tagger.predict import Predictor
from tagger.training_data import build_vocabs

RUNNER = CliRunner()
POS_TEXT = "The big dog chases a cat."
NER_TEXT = "John Smith visited Paris ."
TEXTS = [
    POS_TEXT,
    NER_TEXT,
    "the movie was good .",
    "",
    "   ",
    "Mary works for Acme Corp in  New York .",
    "a bad film !",
    "dog",
]
PIPES = ["bilstm_tagger", "bilstm_ner", "bilstm_textcat"]  # the names `to-spacy` gives


# --- tiny trained models, shared by the session (tests/fixtures_models.py) ---


def fitted(trained: TrainedModel) -> Path:
    """The model folder of a tiny model that fits its toy dev set."""
    assert trained.summary["dev_score"] == 1.0
    return trained.path


@pytest.fixture(scope="module")
def pos_model(shared_pos: TrainedModel) -> Path:
    """UPOS tags (DET ADJ NOUN VERB PUNCT); dev sentences in ../corpus/dev.conllu."""
    return fitted(shared_pos)


@pytest.fixture(scope="module")
def ner_model(shared_ner: TrainedModel) -> Path:
    """PER, LOC, ORG with a CRF head."""
    return fitted(shared_ner)


@pytest.fixture(scope="module")
def sentiment_model(shared_sentiment: TrainedModel) -> Path:
    """Labels neg and pos."""
    return fitted(shared_sentiment)


@pytest.fixture(scope="module")
def ptb_model(tmp_path_factory: pytest.TempPathFactory, tiny_config: Callable) -> Path:
    """An untrained POS model whose labels are Penn Treebank tags, not UPOS."""
    folder = tmp_path_factory.mktemp("spacy-ptb")
    config = tiny_config(folder)
    tokens, _ = as_lists(read_conllu(config.data.train))
    vocabs, vectors = build_vocabs(config, tokens, ["DT", "JJ", "NN", "VBZ", "."])
    torch.manual_seed(0)
    model = build_model(config.model, vocabs, vectors)
    write_artifact(folder / "model", Artifact(config, vocabs, model))
    return folder / "model"


@pytest.fixture(scope="module")
def models(pos_model: Path, ner_model: Path, sentiment_model: Path) -> list[Path]:
    return [pos_model, ner_model, sentiment_model]


def pipeline(*models: Path, **config: Any) -> Language:
    """spacy.blank("en") with one bilstm_tagger per model, named as `to-spacy` names them."""
    nlp = spacy.blank("en")
    for name, model in zip(PIPES, models, strict=False):
        nlp.add_pipe("bilstm_tagger", name=name, config={"model": str(model), **config})
    return nlp


def annotations(doc: Doc) -> dict[str, Any]:
    """What the components wrote on a doc, as JSON values. Fresh interpreters get its source
    (their scripts start with `from __future__ import annotations`, so the hints stay text)."""
    return {
        "pos": [t.pos_ for t in doc],
        "tag": [t.tag_ for t in doc],
        "ents": [[e.start, e.end, e.label_, e._.bilstm_score] for e in doc.ents],
        "cats": doc.cats,
    }


def same(a: Any, b: Any, tol: float = 1e-5) -> bool:
    """Equal, but floats only to `tol`: batches of other lengths pad differently."""
    if isinstance(a, float):
        return b == pytest.approx(a, abs=tol)
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same(a[k], b[k], tol) for k in a)
        )
    if isinstance(a, list | tuple):
        return (
            isinstance(b, list | tuple)
            and len(a) == len(b)
            and all(same(x, y, tol) for x, y in zip(a, b, strict=True))
        )
    return a == b


def run_python(script: str, cwd: Path, timeout: float = 120, python: str = sys.executable) -> Any:
    """Run script in a fresh interpreter; return the JSON of its last stdout line.

    On timeout the whole process group goes, with any workers spaCy forked."""
    script = "from __future__ import annotations\n" + textwrap.dedent(script)
    with subprocess.Popen(
        [python, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def run_loading(script: str, cwd: Path, python: str = sys.executable) -> Any:
    """run_python, but the component's own ValueError in the child is raised here as one."""
    try:
        return run_python(script, cwd=cwd, python=python)
    except AssertionError as error:
        if "ValueError: bilstm_tagger" in str(error):
            raise ValueError(str(error)) from None
        raise


ANNOTATIONS_SOURCE = inspect.getsource(annotations)


def dev_pos(pos_model: Path) -> tuple[list[list[str]], list[list[str]]]:
    return as_lists(read_conllu(pos_model.parent / "corpus" / "dev.conllu"))


# --- 1. the entry point, and light imports ---


def test_factory_found_through_entry_point_in_fresh_interpreter(fresh_run: FreshRun) -> None:
    assert fresh_run.entry_point == {
        "pos": ["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"],
        "module": "tagger.spacy_component",
    }


def test_component_module_and_factory_do_not_import_torch(pos_model: Path, tmp_path: Path) -> None:
    # spaCy's own thinc imports torch whenever it is installed, so `'torch' in sys.modules`
    # after `import tagger.spacy_component` is True whatever tagger does. Blocking torch
    # instead shows that neither the module nor add_pipe (model not yet read) needs it.
    out = run_python(
        f"""
        import json, sys
        sys.modules["torch"] = None  # `import torch` now raises ImportError
        import tagger.spacy_component
        import spacy
        nlp = spacy.blank("en")
        nlp.add_pipe("bilstm_tagger", config={{"model": {str(pos_model)!r}}})
        print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "tagger")))
        """,
        cwd=tmp_path,
    )
    assert out == ["tagger", "tagger.spacy_component"]


# --- 2. POS ---


def test_pos_equals_predictor(pos_model: Path) -> None:
    nlp = pipeline(pos_model)
    predictor = Predictor.load(pos_model)
    tokens, _ = dev_pos(pos_model)
    docs = [nlp(Doc(nlp.vocab, words=words)) for words in tokens]
    docs.append(nlp(POS_TEXT))
    expected = predictor.predict([[t.text for t in doc] for doc in docs])
    assert nlp.get_pipe("bilstm_tagger").attribute == "pos"
    assert [[t.pos_ for t in doc] for doc in docs] == expected
    assert all(t.tag_ == "" for doc in docs for t in doc)


def test_whitespace_tokens_get_space_and_are_not_fed_to_the_model(
    pos_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nlp = pipeline(pos_model)
    predictor = nlp.get_pipe("bilstm_tagger").predictor
    seen: list[list[list[str]]] = []
    real = predictor.predict
    monkeypatch.setattr(predictor, "predict", lambda s, **kw: seen.append(s) or real(s, **kw))
    words = ["The", " ", "dog", "sees", "\n", "a", "cat", "\t\t"]
    doc = nlp(Doc(nlp.vocab, words=words, spaces=[False] * len(words)))
    typed = nlp("The  dog sees a cat.")  # the tokenizer makes the second space a token
    assert seen == [[["The", "dog", "sees", "a", "cat"]], [["The", "dog", "sees", "a", "cat", "."]]]
    tags = Predictor.load(pos_model).predict([["The", "dog", "sees", "a", "cat"]])[0]
    assert [t.pos_ for t in doc] == [tags[0], "SPACE", *tags[1:3], "SPACE", *tags[3:], "SPACE"]
    assert [t.text for t in typed][:3] == ["The", " ", "dog"] and typed[1].pos_ == "SPACE"


@pytest.mark.parametrize("text", ["", "dog", "   "])
def test_empty_one_token_and_blank_docs(pos_model: Path, text: str) -> None:
    doc = pipeline(pos_model)(text)
    expected = {"": [], "dog": ["NOUN"], "   ": ["SPACE"]}[text]
    assert [t.pos_ for t in doc] == expected


def test_target_tag_writes_tag_not_pos(pos_model: Path) -> None:
    doc = pipeline(pos_model, target="tag")("The  dog sees a cat.")
    words = [t.text for t in doc if not t.is_space]
    assert [t.tag_ for t in doc if not t.is_space] == Predictor.load(pos_model).predict([words])[0]
    assert [t.pos_ for t in doc] == [""] * len(doc)  # SPACE is a POS; tag mode leaves pos alone
    assert doc[1].tag_ == ""


def test_non_upos_labels_go_to_tag_unless_target_says_pos(ptb_model: Path, pos_model: Path) -> None:
    doc = pipeline(ptb_model)(POS_TEXT)
    assert nlp_attribute(ptb_model) == "tag"
    predicted = Predictor.load(ptb_model).predict([[t.text for t in doc]])[0]
    assert [t.tag_ for t in doc] == predicted and {t.pos_ for t in doc} == {""}
    assert nlp_attribute(pos_model, target="pos") == "pos"
    assert nlp_attribute(ptb_model, target="pos") == "pos"


def nlp_attribute(model: Path, **config: Any) -> str:
    return pipeline(model, **config).get_pipe("bilstm_tagger").attribute


def test_unknown_target_is_rejected(pos_model: Path) -> None:
    with pytest.raises(ValueError, match="target is 'pos', 'tag' or ''.*'upos'"):
        pipeline(pos_model, target="upos")


def test_missing_model_fails_on_first_use_with_name_and_path(tmp_path: Path) -> None:
    nlp = pipeline(tmp_path / "nowhere")  # made lazily: adding it is fine
    with pytest.raises(ValueError, match="'bilstm_tagger'.*nowhere.*not found"):
        nlp("The dog.")


def test_overwrite_false_keeps_existing_pos(pos_model: Path) -> None:
    nlp = pipeline(pos_model, overwrite=False)
    doc = nlp.make_doc("The dog sees a cat .")
    doc[1].pos_ = "PROPN"
    nlp(doc)
    assert [t.pos_ for t in doc] == ["DET", "PROPN", "VERB", "DET", "NOUN", "PUNCT"]


# --- 3. NER ---


def test_entities_equal_predictor_spans_with_scores(
    ner_model: Path, toy_ner_gold: Callable
) -> None:
    nlp = pipeline(ner_model)
    tokens, _ = toy_ner_gold("dev")
    docs = [nlp(Doc(nlp.vocab, words=words)) for words in tokens]
    docs.append(nlp("Peter Brown works for Globex Inc in  New York."))
    words = [[t.text for t in doc if not t.is_space] for doc in docs]
    guesses = Predictor.load(ner_model).predict_scored(words)
    assert sum(len(doc.ents) for doc in docs) > 10
    for doc, (tags, probs) in zip(docs, guesses, strict=True):
        kept = [t.i for t in doc if not t.is_space]  # doc index of each model word
        expected = [
            (kept[start], kept[end - 1] + 1, label, sum(probs[start:end]) / (end - start))
            for start, end, label in spans(tags, "iob2")
        ]
        found = [(e.start, e.end, e.label_, e._.bilstm_score) for e in doc.ents]
        assert same(found, expected)
        assert all(0.0 <= e._.bilstm_score <= 1.0 for e in doc.ents)
    assert [(e.text, e.label_) for e in docs[-1].ents] == [
        ("Peter Brown", "PER"),
        ("Globex Inc", "ORG"),
        ("New York", "LOC"),
    ]


def test_overwrite_false_adds_entities_beside_existing_ones(ner_model: Path) -> None:
    nlp = pipeline(ner_model, overwrite=False)
    doc = nlp.make_doc(NER_TEXT)
    doc.ents = [Span(doc, 2, 3, label="MISC")]  # "visited"
    nlp(doc)
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("John Smith", "PER"),
        ("visited", "MISC"),
        ("Paris", "LOC"),
    ]
    assert doc.ents[1]._.bilstm_score is None  # not ours


@pytest.mark.parametrize(
    "start, end, label",
    [(0, 1, "ORG"), (1, 3, "MISC")],  # "John" (inside the predicted PER), "Smith visited"
)
def test_overwrite_false_keeps_overlapping_existing_entities(
    ner_model: Path, start: int, end: int, label: str
) -> None:
    nlp = pipeline(ner_model, overwrite=False)
    doc = nlp.make_doc(NER_TEXT)
    doc.ents = [Span(doc, start, end, label=label)]
    nlp(doc)
    assert [(e.start, e.end, e.label_) for e in doc.ents] == [(start, end, label), (3, 4, "LOC")]


# --- 4. sentiment ---


def test_cats_equal_predictor_classify(sentiment_model: Path, toy_sentiment: Callable) -> None:
    nlp = pipeline(sentiment_model)
    texts = [text for _, text in toy_sentiment("dev")] + ["", "  a   great  film"]
    docs = list(nlp.pipe(texts))
    words = [[t.text for t in doc if not t.is_space] for doc in docs]
    expected = Predictor.load(sentiment_model).classify(words)
    for doc, (label, probs) in zip(docs, expected, strict=True):
        assert set(doc.cats) == {"neg", "pos"}
        assert sum(doc.cats.values()) == pytest.approx(1.0, abs=1e-6)
        assert same(doc.cats, probs)
        assert max(doc.cats, key=doc.cats.get) == label
    assert [max(d.cats, key=d.cats.get) for d in docs[:10]] == [g for g, _ in toy_sentiment("dev")]


# --- 5. predict, then annotate ---


def test_predict_changes_nothing_and_set_annotations_writes(models: list[Path]) -> None:
    nlp = pipeline(*models)
    doc = nlp.make_doc(NER_TEXT)
    guesses = {name: pipe.predict([doc]) for name, pipe in nlp.pipeline}
    assert annotations(doc) == {"pos": [""] * 5, "tag": [""] * 5, "ents": [], "cats": {}}
    tags, scores = guesses["bilstm_tagger"][0]
    assert len(tags) == 5 and scores is None  # POS guesses carry no probabilities
    tags, scores = guesses["bilstm_ner"][0]
    assert len(tags) == len(scores) == 5 and all(0.0 <= s <= 1.0 for s in scores)
    label, probs = guesses["bilstm_textcat"][0]
    assert label in probs and set(probs) == {"neg", "pos"}
    for name, pipe in nlp.pipeline:
        pipe.set_annotations([doc], guesses[name])
    assert annotations(doc) == annotations(nlp(NER_TEXT))
    assert doc.ents and doc.cats and doc[0].pos_


# --- 6, 7. serialization ---


# spaCy reads `labels` of every pipe for nlp.meta while it deserializes meta.json, before any
# component's from_disk/from_bytes: loading must not need the original model folders.


@dataclass
class Reloaded:
    pipeline: Path  # where nlp.to_disk wrote it
    expected: list  # the annotations before saving
    out: dict  # what a fresh interpreter's spacy.load of it gave: pipes, docs


def saved_pipeline(models: list[Path], folder: Path, delete_models: bool) -> tuple[Path, list]:
    """A pipeline over copies of the models, saved to folder/pipeline (the copies then
    deleted if asked), and its annotations of TEXTS."""
    copies = [shutil.copytree(m, folder / "models" / m.parent.name) for m in models]
    nlp = pipeline(*copies)
    expected = json.loads(json.dumps([annotations(doc) for doc in nlp.pipe(TEXTS)]))
    nlp.to_disk(folder / "pipeline")
    if delete_models:
        shutil.rmtree(folder / "models")
    return folder / "pipeline", expected


@dataclass
class FreshRun:
    entry_point: dict  # the POS of a sentence by add_pipe("bilstm_tagger"), its module
    reloaded: dict[bool, Reloaded]  # {delete_models: Reloaded}


@pytest.fixture(scope="module")
def fresh_run(
    pos_model: Path, models: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> FreshRun:
    """What needs a fresh interpreter, in one (one start instead of three): the factory
    found through its entry point, first, before anything imports tagger; then both saved
    pipelines loaded, the one whose model folders are gone first."""
    folder = tmp_path_factory.mktemp("to-disk")
    saved = {d: saved_pipeline(models, folder / f"deleted-{d}", d) for d in (True, False)}
    paths = {str(d): str(path) for d, (path, _) in saved.items()}
    script = (
        ANNOTATIONS_SOURCE
        + f"""
import json
import spacy
nlp = spacy.blank("en")
nlp.add_pipe("bilstm_tagger", config={{"model": {str(pos_model)!r}}})
doc = nlp("The dog sees a cat .")
pipe = nlp.get_pipe("bilstm_tagger")
out = {{"entry_point": {{"pos": [t.pos_ for t in doc], "module": type(pipe).__module__}}}}
for key, path in {paths!r}.items():
    nlp = spacy.load(path)
    out[key] = {{"pipes": nlp.pipe_names,
                "docs": [annotations(doc) for doc in nlp.pipe({TEXTS!r})]}}
print(json.dumps(out))
"""
    )
    out = run_loading(script, cwd=folder)
    reloaded = {d: Reloaded(path, expected, out[str(d)]) for d, (path, expected) in saved.items()}
    return FreshRun(out["entry_point"], reloaded)


@pytest.fixture(scope="module")
def reloaded(fresh_run: FreshRun) -> dict[bool, Reloaded]:
    return fresh_run.reloaded


@pytest.mark.parametrize("delete_models", [False, True])
def test_to_disk_then_load_in_new_process(
    reloaded: dict[bool, Reloaded], delete_models: bool
) -> None:
    found = reloaded[delete_models]
    for name in PIPES:
        files = sorted(p.name for p in (found.pipeline / name).iterdir())
        assert files == sorted(ARTIFACT_FILES)  # the artifact alone: no checkpoint, no log
    assert found.out["pipes"] == PIPES
    assert found.out["docs"] == found.expected


def test_load_reads_models_only_from_the_pipeline_folder(
    models: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pipeline(*models).to_disk(tmp_path / "pipeline")
    read: list[Path] = []
    real = Predictor.load
    monkeypatch.setattr(
        Predictor, "load", lambda path, **kwargs: read.append(Path(path)) or real(path, **kwargs)
    )
    spacy.load(tmp_path / "pipeline")
    assert read == [tmp_path / "pipeline" / name for name in PIPES]


def test_component_to_bytes_from_bytes(models: list[Path], tmp_path: Path) -> None:
    nlp = pipeline(*models)
    fresh = pipeline(*[tmp_path / "bogus"] * 3)
    for name in PIPES:
        fresh.get_pipe(name).from_bytes(nlp.get_pipe(name).to_bytes())
    assert [annotations(d) for d in fresh.pipe(TEXTS)] == [annotations(d) for d in nlp.pipe(TEXTS)]


@pytest.mark.parametrize("other", ["swapped", "bogus"])
def test_nlp_to_bytes_from_bytes(models: list[Path], tmp_path: Path, other: str) -> None:
    nlp = pipeline(*models)
    nlp.add_pipe("sentencizer", first=True)
    data = nlp.to_bytes()
    # the receiving pipeline's `model` paths: other tasks' models, or nothing
    paths = models[::-1] if other == "swapped" else [tmp_path / "bogus"] * 3
    fresh = pipeline(*paths)
    fresh.add_pipe("sentencizer", first=True)
    fresh.from_bytes(data)
    docs = list(fresh.pipe(TEXTS))
    assert [annotations(d) for d in docs] == [annotations(d) for d in nlp.pipe(TEXTS)]
    for name in PIPES:  # and back out again, byte for byte
        assert fresh.get_pipe(name).to_bytes() == nlp.get_pipe(name).to_bytes()


def test_unloaded_component_cannot_serialize(tmp_path: Path) -> None:
    pipe = pipeline(tmp_path / "bogus").get_pipe("bilstm_tagger")
    with pytest.raises(ValueError, match="no model loaded"):
        pipe.to_bytes()


# --- 8. pipe ---


def test_pipe_in_batches_equals_one_by_one(models: list[Path]) -> None:
    nlp = pipeline(*models)
    batched = [annotations(d) for d in nlp.pipe(TEXTS, batch_size=3)]
    assert same(batched, [annotations(nlp(t)) for t in TEXTS])
    assert batched[5]["ents"] and batched[6]["cats"]["neg"] > 0.5


# (torch threads, int8) of each run, in one interpreter: the first forks before any
# multithreaded inference, the others after it.
TWO_PROCESS_RUNS = [(1, False), (2, False), (2, True)]
MULTIPROCESS_SCRIPT = """
import json, sys
import spacy, torch
runs = {}
for threads, int8 in RUNS:
    torch.set_num_threads(threads)
    nlp = spacy.blank("en")
    for name, model in zip(PIPES, MODELS):
        nlp.add_pipe("bilstm_tagger", name=name, config={"model": model, "int8": int8})
    single = [annotations(doc) for doc in nlp.pipe(TEXTS, batch_size=2)]
    print("single done", threads, int8, file=sys.stderr, flush=True)
    docs = list(nlp.pipe(TEXTS, n_process=2, batch_size=2))
    multi = [annotations(doc) for doc in docs]
    texts = [doc.text for doc in docs]
    runs[f"{threads} {int8}"] = {"single": single, "multi": multi, "texts": texts}
print(json.dumps(runs))
"""


def multiprocess_script(models: list[Path]) -> str:
    return ANNOTATIONS_SOURCE + (
        MULTIPROCESS_SCRIPT.replace("RUNS", repr(TWO_PROCESS_RUNS))
        .replace("PIPES", repr(PIPES))
        .replace("MODELS", repr([str(m) for m in models]))
        .replace("TEXTS", repr(TEXTS * 2))
    )


@pytest.fixture(scope="module")
def two_process_runs(models: list[Path], tmp_path_factory: pytest.TempPathFactory) -> dict:
    """{"THREADS INT8": single, multi, texts} of every run of TWO_PROCESS_RUNS.

    In a subprocess with a timeout: spaCy forks its workers, and a fork can hang torch."""
    folder = tmp_path_factory.mktemp("two-processes")
    return run_python(multiprocess_script(models), cwd=folder, timeout=150)


@pytest.mark.slow
def test_pipe_with_two_processes_keeps_order_and_results(two_process_runs: dict) -> None:
    out = two_process_runs["1 False"]
    assert out["texts"] == TEXTS * 2
    assert same(out["multi"], out["single"])


@pytest.mark.slow
@pytest.mark.parametrize("int8", [False, True], ids=["fp32", "int8"])
def test_pipe_with_two_processes_after_multithreaded_inference(
    two_process_runs: dict, int8: bool
) -> None:
    # int8 with two threads has run batches on worker threads before spaCy forks
    out = two_process_runs[f"2 {int8}"]
    assert out["texts"] == TEXTS * 2
    # int8 scales activations per batch, and the workers batch other documents together:
    # the same labels, probabilities close
    assert same(out["multi"], out["single"], tol=0.05 if int8 else 1e-5)


# --- 9. score ---


@pytest.mark.parametrize("target, attribute, field", [("", "pos", "pos"), ("tag", "tag", "tags")])
def test_evaluate_tag_accuracy_equals_predictor_accuracy(
    pos_model: Path, target: str, attribute: str, field: str
) -> None:
    nlp = pipeline(pos_model, target=target)
    tokens, gold = dev_pos(pos_model)
    gold = [[("X" if (i + j) % 5 == 0 else t) for j, t in enumerate(s)] for i, s in enumerate(gold)]
    examples = [
        Example(Doc(nlp.vocab, words=w), Doc(nlp.vocab, words=w, **{field: g}))
        for w, g in zip(tokens, gold, strict=True)
    ]
    scores = nlp.evaluate(examples)
    expected = tag_scores(gold, Predictor.load(pos_model).predict(tokens))["accuracy"]
    assert 0.5 < expected < 1.0
    assert scores[f"{attribute}_acc"] == pytest.approx(expected)
    other = "tag_acc" if attribute == "pos" else "pos_acc"
    assert other not in scores


def test_evaluate_ner_f_equals_seqeval(ner_model: Path, toy_ner_gold: Callable) -> None:
    nlp = pipeline(ner_model)
    tokens, gold = toy_ner_gold("dev")
    gold = [[t.replace("LOC", "ORG") if i % 3 == 0 else t for t in s] for i, s in enumerate(gold)]
    examples = [
        Example(Doc(nlp.vocab, words=w), Doc(nlp.vocab, words=w, ents=g))
        for w, g in zip(tokens, gold, strict=True)
    ]
    scores = nlp.evaluate(examples)
    expected = entity_scores(gold, Predictor.load(ner_model).predict(tokens))
    assert 0.5 < expected["f1"] < 1.0
    assert scores["ents_f"] == pytest.approx(expected["f1"])
    assert scores["ents_p"] == pytest.approx(expected["precision"])
    assert set(scores["ents_per_type"]) == {"PER", "LOC", "ORG"}
    for kind, row in expected["per_type"].items():
        assert scores["ents_per_type"][kind]["f"] == pytest.approx(row["f1"])


def test_evaluate_cats_macro_f_equals_sentence_scores(
    sentiment_model: Path, toy_sentiment: Callable
) -> None:
    nlp = pipeline(sentiment_model)
    pairs = toy_sentiment("dev")
    flipped = {"neg": "pos", "pos": "neg"}
    gold = [flipped[label] if i in (0, 3) else label for i, (label, _) in enumerate(pairs)]
    examples = []
    for (_, text), label in zip(pairs, gold, strict=True):
        reference = nlp.make_doc(text)
        reference.cats = {"neg": float(label == "neg"), "pos": float(label == "pos")}
        examples.append(Example(nlp.make_doc(text), reference))
    scores = nlp.evaluate(examples)
    words = [[t.text for t in eg.reference] for eg in examples]
    predicted = [label for label, _ in Predictor.load(sentiment_model).classify(words)]
    expected = sentence_scores(gold, predicted, ["neg", "pos"])["macro_f1"]
    assert 0.5 < expected < 1.0
    assert scores["cats_macro_f"] == pytest.approx(expected)
    assert scores["cats_score"] == pytest.approx(expected)  # macro F for exclusive classes


# --- 10. tagger to-spacy ---


def test_to_spacy_cli_builds_a_loadable_pipeline(models: list[Path], tmp_path: Path) -> None:
    out = tmp_path / "pipeline"
    result = RUNNER.invoke(app, ["to-spacy", *map(str, models), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"output": str(out), "pipeline": ["sentencizer", *PIPES]}
    nlp = spacy.load(out)
    assert nlp.pipe_names == ["sentencizer", *PIPES]
    assert [annotations(d) for d in nlp.pipe(TEXTS)] == [
        annotations(d) for d in pipeline(*models).pipe(TEXTS)
    ]


@pytest.mark.parametrize("in_place", [False, True])
def test_to_spacy_cli_base_adds_to_an_existing_pipeline(
    pos_model: Path, ner_model: Path, ptb_model: Path, tmp_path: Path, in_place: bool
) -> None:
    base = tmp_path / "base"
    assert RUNNER.invoke(app, ["to-spacy", str(pos_model), "-o", str(base)]).exit_code == 0
    out = base if in_place else tmp_path / "more"
    args = ["to-spacy", str(ner_model), str(ptb_model), "-o", str(out), "--base", str(base)]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 0, result.output
    names = ["sentencizer", "bilstm_tagger", "bilstm_ner", "bilstm_tagger_2"]
    assert json.loads(result.stdout)["pipeline"] == names
    doc = spacy.load(out)(POS_TEXT)
    assert [t.pos_ for t in doc] == Predictor.load(pos_model).predict([[t.text for t in doc]])[0]
    assert [t.tag_ for t in doc] == Predictor.load(ptb_model).predict([[t.text for t in doc]])[0]


def test_to_spacy_cli_missing_model_exits_1(pos_model: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    out = tmp_path / "pipeline"
    result = RUNNER.invoke(app, ["to-spacy", str(pos_model), str(missing), "-o", str(out)])
    assert result.exit_code == 1
    assert "error:" in result.stderr and str(missing) in result.stderr
    assert "not a tagger model folder" in result.stderr
    assert not out.exists()


def test_to_spacy_cli_missing_base_exits_1(pos_model: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no-such-pipeline"
    args = ["to-spacy", str(pos_model), "-o", str(tmp_path / "out"), "--base", str(missing)]
    result = RUNNER.invoke(app, args)
    assert result.exit_code == 1
    assert "error:" in result.stderr and str(missing) in result.stderr


# --- 11. spacy package ---


@dataclass
class InstalledPackage:
    python: str  # the interpreter of a venv with en_bilstm_test installed
    site: str  # that venv's site-packages
    requires: list[str]  # Requires-Dist of the wheel
    model: Path  # the model folder the pipeline was built from


@pytest.fixture(scope="module")
def installed_package(
    pos_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> InstalledPackage:
    """`to_spacy` a copy of the POS model, `spacy package` it as a wheel, and install the wheel
    with --no-deps into a venv that borrows torch, spaCy and tagger from this one (a .pth)."""
    from tagger.to_spacy import to_spacy

    folder = tmp_path_factory.mktemp("spacy-package")
    model = shutil.copytree(pos_model, folder / "model")
    to_spacy([model], folder / "pipeline")
    (folder / "packages").mkdir()
    wheel = build_wheel(folder / "pipeline", folder / "packages")
    with zipfile.ZipFile(wheel) as archive:
        metadata = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        requires = [
            line.split(":", 1)[1].strip()
            for line in archive.read(metadata).decode().splitlines()
            if line.startswith("Requires-Dist:")
        ]
    shutil.rmtree(folder / "pipeline")  # the wheel carries the pipeline

    venv = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    site = run_python(PURELIB, cwd=folder, python=python)
    ours = sysconfig.get_path("purelib")
    Path(site, "borrow.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    install = [python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, timeout=120)
    return InstalledPackage(python, site, requires, model)


LOAD_PACKAGE = """
import json, spacy
nlp = spacy.load("en_bilstm_test")
doc = nlp("The dog sees a cat.")
module = __import__("en_bilstm_test")
print(json.dumps({"file": module.__file__, "pos": [t.pos_ for t in doc]}))
"""


@pytest.fixture(scope="module")
def package_loaded(installed_package: InstalledPackage) -> dict:
    """What LOAD_PACKAGE printed in the package's venv, run once with the model folder the
    pipeline was built from moved away (so it must load from the package alone)."""
    model = installed_package.model
    away = model.rename(model.with_name("model-away"))
    try:
        return run_loading(LOAD_PACKAGE, cwd=model.parent, python=installed_package.python)
    finally:
        away.rename(model)


@pytest.mark.slow
def test_spacy_package_wheel_installs_and_tags(
    installed_package: InstalledPackage, package_loaded: dict
) -> None:
    names = [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in installed_package.requires]
    assert "tagger" in names, installed_package.requires  # spaCy adds it from the factory
    assert package_loaded["file"].startswith(installed_package.site)
    assert package_loaded["pos"] == ["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"]


@pytest.mark.slow
def test_spacy_package_loads_without_the_model_folder(package_loaded: dict) -> None:
    assert package_loaded["pos"] == ["DET", "NOUN", "VERB", "DET", "NOUN", "PUNCT"]


PURELIB = "import json, sysconfig; print(json.dumps(sysconfig.get_path('purelib')))"


def build_wheel(pipeline_dir: Path, out_dir: Path) -> Path:
    """`spacy package --build wheel`; without `build` or `wheel` installed spaCy refuses, so
    then `--build none` and pip builds the wheel (setuptools' own bdist_wheel), offline.

    "Installed" as spaCy itself decides it (a stray `build/` folder imports as a namespace
    package, so an import check is not enough)."""
    from spacy.cli.package import has_build, has_wheel

    can_build = has_build() or has_wheel()
    package = [sys.executable, "-m", "spacy", "package", str(pipeline_dir), str(out_dir)]
    package += ["--name", "bilstm_test", "--version", "0.0.1", "--force"]
    package += ["--build", "wheel" if can_build else "none"]
    result = subprocess.run(package, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    source = out_dir / "en_bilstm_test-0.0.1"
    if not can_build:
        pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-index", "-q"]
        pip += ["--no-build-isolation", "-w", str(source / "dist"), str(source)]
        subprocess.run(pip, check=True, capture_output=True, timeout=120)
    (wheel,) = (source / "dist").glob("*.whl")
    return wheel


def test_to_spacy_int8_components_quantize_and_survive_a_reload(
    pos_model: Path, tmp_path: Path
) -> None:
    out = tmp_path / "pipeline"
    result = RUNNER.invoke(app, ["to-spacy", str(pos_model), "--output", str(out), "--int8"])
    assert result.exit_code == 0, result.output
    nlp = spacy.load(out)
    component = nlp.get_pipe("bilstm_tagger")
    assert component.int8
    doc = nlp(POS_TEXT)
    rnn = component.predictor.network.model.encoder.rnn
    assert type(rnn).__module__.startswith("torch.ao.nn.quantized")
    expected = Predictor.load(pos_model, int8=True).predict([[t.text for t in doc]])
    assert [[t.pos_ for t in doc]] == expected
    weights = (out / "bilstm_tagger" / "model.safetensors").read_bytes()
    assert weights == (pos_model / "model.safetensors").read_bytes()  # saved in fp32
