"""spaCy pipeline component `bilstm_tagger`: a thin adapter from Doc words to the Predictor.

spaCy imports this module (entry point `spacy_factories`) whenever it builds a pipeline,
so torch and the Predictor are imported lazily, on first use.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import srsly
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.training import Example

SCORE_EXTENSION = "bilstm_score"  # Span._.bilstm_score: confidence of a predicted entity

if TYPE_CHECKING:
    from tagger.serving import ServeOptions
    from tagger.tasks.base import Task
UPOS = frozenset(
    "ADJ ADP ADV AUX CCONJ DET INTJ NOUN NUM PART PRON PROPN PUNCT SCONJ SYM VERB X".split()
)


@Language.factory(
    "bilstm_tagger",
    assigns=["token.pos", "token.tag", "doc.ents", "doc.cats"],
    default_config={
        "model": "",
        "batch_size": 512,
        "overwrite": True,
        "target": "",
        "int8": False,
        "device": "auto",
    },
    default_score_weights={"pos_acc": None, "tag_acc": None, "ents_f": None, "cats_score": None},
)
def make_bilstm_tagger(
    nlp: Language,
    name: str,
    model: str,
    batch_size: int,
    overwrite: bool,
    target: str,
    int8: bool,
    device: str,
) -> BiLSTMComponent:
    """`model`: a tagger model folder (loaded on first use, or from the pipeline folder);
    `target`: "pos" or "tag" for POS models ("" = pos for UPOS labels, else tag);
    `int8`: run the network with int8 dynamic quantization (faster; the saved weights
    stay fp32); `device`: auto (CUDA when available, else the CPU), cpu, cuda, cuda:N.
    `batch_size`, `int8` and `device` mean what tagger.serving.ServeOptions says."""
    if not Span.has_extension(SCORE_EXTENSION):
        Span.set_extension(SCORE_EXTENSION, default=None)
    return BiLSTMComponent(nlp, name, model, batch_size, overwrite, target, int8, device)


class BiLSTMComponent:
    """Tags the Doc's own tokens: POS into token.pos_/tag_, NER into doc.ents, sentiment
    into doc.cats. `predict` returns guesses and changes nothing; `set_annotations` writes."""

    score_extension = SCORE_EXTENSION  # the Span extension entity confidences go in

    def __init__(
        self,
        nlp: Language,
        name: str,
        model: str,
        batch_size: int,
        overwrite: bool,
        target: str,
        int8: bool = False,
        device: str = "auto",
    ) -> None:
        if target not in ("", "pos", "tag"):
            raise ValueError(f"bilstm_tagger: target is 'pos', 'tag' or '', got {target!r}")
        self.name = name
        self.vocab = nlp.vocab
        self.model_path = model
        self.batch_size = batch_size
        self.overwrite = overwrite
        self.target = target
        self.int8 = int8
        self.device = device
        self._predictor: Any = None

    @property
    def predictor(self) -> Any:
        """The Predictor; read from `model` on first use unless from_disk/from_bytes set it."""
        if self._predictor is None:
            if not self.model_path or not Path(self.model_path).is_dir():
                raise ValueError(
                    f"bilstm_tagger {self.name!r}: no model loaded and model folder "
                    f"{self.model_path!r} not found"
                )
            self._load(self.model_path)
        return self._predictor

    @property
    def task(self) -> Task:
        """The model's task, which says how guesses are made and written into Docs."""
        return self.predictor.task

    @property
    def labels(self) -> tuple[str, ...]:
        """The model's labels once loaded. spaCy reads this for meta.json before from_disk,
        so it must not load the model from the (possibly gone) original folder."""
        return tuple(self._predictor.labels) if self._predictor is not None else ()

    @property
    def attribute(self) -> str:
        """pos or tag, for POS models."""
        if self.target:
            return self.target
        return "pos" if set(self.predictor.labels) <= UPOS else "tag"

    def __call__(self, doc: Doc) -> Doc:
        self.set_annotations([doc], self.predict([doc]))
        return doc

    def pipe(self, stream: Iterable[Doc], batch_size: int = 0) -> Iterator[Doc]:
        """Annotate docs in buffers of 4 batches, so the Predictor can group sentences of
        similar length (less padding) across the docs of several spaCy batches."""
        it = iter(stream)
        while docs := list(islice(it, 4 * (batch_size or self.batch_size))):
            self.set_annotations(docs, self.predict(docs))
            yield from docs

    def predict(self, docs: list[Doc]) -> list[Any]:
        """Guesses for each doc: (tags, scores or None) of its non-space tokens, or
        (label, probs) for a sentence model."""
        words = [[t.text for t in doc if not t.is_space] for doc in docs]
        return self.task.spacy_guesses(self.predictor, words)

    def set_annotations(self, docs: list[Doc], guesses: list[Any]) -> None:
        """Write `predict`'s guesses into the docs, as the model's task annotates."""
        self.task.annotate(self, docs, guesses)

    def score(self, examples: Iterable[Example], **kwargs: Any) -> dict[str, Any]:
        """spaCy's own Scorer for the task: pos_acc/tag_acc, ents_*, or cats_*."""
        return self.task.spacy_score(self, examples, **kwargs)

    # Serialization: the artifact itself, written and read by tagger.io.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        from tagger.io import write_artifact

        write_artifact(path, self.predictor.artifact)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> BiLSTMComponent:
        self._load(path)
        return self

    @property
    def serve(self) -> ServeOptions:
        """The component's config as the one ServeOptions its Predictor serves with; bad
        values raise ValueError when the model loads."""
        from tagger.serving import ServeOptions

        return ServeOptions(batch_size=self.batch_size, int8=self.int8, device=self.device)

    def _load(self, path: str | Path) -> None:
        from tagger.parallel import one_torch_thread_in_forked_children
        from tagger.predict import Predictor

        self._predictor = Predictor.serve(path, self.serve)
        one_torch_thread_in_forked_children()

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        from tagger.io import folder_files

        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "model"
            self.to_disk(folder)
            files = folder_files(folder)  # a carried tokenizer's folder too
        return srsly.msgpack_dumps(files)

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> BiLSTMComponent:
        from tagger.io import write_folder_files

        files: dict[str, bytes] = srsly.msgpack_loads(data)
        tmp = Path(tempfile.mkdtemp())
        try:
            write_folder_files(tmp, files)
            return self.from_disk(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
