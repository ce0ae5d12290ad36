"""A trained tokenizer as a spaCy pipeline's tokenizer (`@tokenizers` =
"tagger.trained_tokenizer.v1"), serialized with the pipeline.

spaCy has no multi-word tokens: the words of one whose words spell it (`do` + `n't`)
become tokens without a space between them, as spacy-stanza and spacy-udpipe do; one
whose words do not spell it stays one token, so `doc.text` is always the input text.
Runs of whitespace beyond one space become whitespace tokens, as spaCy's own tokenizer
makes them. Sentence starts are set from the tokenizer's sentences.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import srsly
from spacy.tokens import Doc
from spacy.util import registry
from spacy.vocab import Vocab

if TYPE_CHECKING:
    from spacy.language import Language

    from tagger.data.segments import Sentence
    from tagger.io import Artifact
    from tagger.tokenizer.trained import TrainedTokenizer


@registry.tokenizers("tagger.trained_tokenizer.v1")
def create_trained_tokenizer(
    model: str = "", device: str = "auto"
) -> Callable[[Language], SpacyTokenizer]:
    """`model`: a tokenize model folder, read on first use unless the pipeline folder
    holds one (from_disk); `device`: where it runs (auto, cpu, cuda, cuda:N)."""

    def make(nlp: Language) -> SpacyTokenizer:
        return SpacyTokenizer(nlp.vocab, model, device)

    return make


class SpacyTokenizer:
    """Text -> Doc with the trained tokenizer's words, spaces and sentence starts."""

    def __init__(self, vocab: Vocab, model: str = "", device: str = "auto") -> None:
        self.vocab = vocab
        self.model_path = model
        self.device = device
        self._tokenizer: TrainedTokenizer | None = None

    @property
    def tokenizer(self) -> TrainedTokenizer:
        if self._tokenizer is None:
            if not self.model_path or not Path(self.model_path).is_dir():
                raise ValueError(
                    f"tagger.trained_tokenizer: no tokenizer loaded and model folder "
                    f"{self.model_path!r} not found"
                )
            self._load(self.model_path)
        assert self._tokenizer is not None
        return self._tokenizer

    def __call__(self, text: str) -> Doc:
        return self._doc(text, self.tokenizer.sentences([text])[0])

    def pipe(self, texts: Iterable[str], batch_size: int = 256) -> Iterator[Doc]:
        it = iter(texts)
        while block := list(islice(it, batch_size)):
            for text, sentences in zip(block, self.tokenizer.sentences(block), strict=True):
                yield self._doc(text, sentences)

    def _doc(self, text: str, sentences: list[Sentence]) -> Doc:
        words: list[str] = []
        spaces: list[bool] = []
        starts: list[bool] = []
        position = 0

        def whitespace(run: str) -> None:
            """The run of whitespace after the last word (or before the first)."""
            if words and run.startswith(" "):
                spaces[-1], run = True, run[1:]
            if run:
                words.append(run)
                spaces.append(False)
                starts.append(not starts)

        for sentence in sentences:
            for k, token in enumerate(sentence.tokens):
                start = text.index(token.text, position)
                whitespace(text[position:start])
                spelled = "".join(token.words) == token.text
                pieces = token.words if spelled else (token.text,)
                for j, piece in enumerate(pieces):
                    words.append(piece)
                    spaces.append(False)
                    starts.append(k == 0 and j == 0)
                position = start + len(token.text)
        whitespace(text[position:])
        if starts:
            starts[0] = True
        return Doc(self.vocab, words=words, spaces=spaces, sent_starts=starts)

    # Serialization: the tokenizer's artifact, written and read by tagger.io.
    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        from tagger.io import write_artifact

        write_artifact(path, self.tokenizer.artifact)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> SpacyTokenizer:
        self._load(path)
        return self

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        from tagger.io import folder_files

        with tempfile.TemporaryDirectory() as tmp:
            self.to_disk(Path(tmp) / "tokenizer")
            return srsly.msgpack_dumps(folder_files(Path(tmp) / "tokenizer"))

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> SpacyTokenizer:
        from tagger.io import write_folder_files

        tmp = Path(tempfile.mkdtemp())
        try:
            write_folder_files(tmp, srsly.msgpack_loads(data))
            return self.from_disk(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _load(self, path: str | Path) -> None:
        from tagger.io import read_tokenizer

        self.use(read_tokenizer(path))

    def use(self, artifact: Artifact) -> None:
        """Tokenize with this tokenize model's artifact from now on."""
        from tagger.devices import serving_device
        from tagger.tokenizer.trained import TrainedTokenizer

        self._tokenizer = TrainedTokenizer(artifact, serving_device(self.device))
