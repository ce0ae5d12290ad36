"""tag_dataset: the tags beside every row of a user's Ray Dataset."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from tagger.cluster.blocks import TagOptions
from tagger.data.lines import split_tokens
from tagger.serving import ServeOptions


class RowTagger:
    """A Ray Data actor for tag_dataset: the model loaded once, a batch of rows per call."""

    def __init__(self, model: str, column: str, options: TagOptions) -> None:
        from tagger.cluster.blocks import actor_threads
        from tagger.predict import Predictor

        self.column = column
        serve = replace(options.serve, device="cpu", threads=actor_threads(options.serve))
        self.predictor = Predictor.serve(model, serve)
        self.pretokenized = options.pretokenized

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch[self.column]]
        if self.predictor.task.sentence_level:
            found = list(self.predictor.classify_texts(texts, pretokenized=self.pretokenized))
            by_text = iter(found)  # classify_texts leaves out blank texts
            labels, probs = [], []
            for text in texts:
                blank = not (split_tokens(text) if self.pretokenized else text.strip())
                item = None if blank else next(by_text)
                labels.append(item.label if item else "")
                probs.append(item.probs if item else {})
            batch["label"], batch["probs"] = labels, probs
            return batch
        tokens, tags = [], []
        for text in texts:
            if self.pretokenized:
                sentences = list(self.predictor.tag_tokens([split_tokens(text)]))
            else:
                sentences = list(self.predictor.tag_texts([text]))
            tokens.append([t for s in sentences for t in s.tokens])
            tags.append([t for s in sentences for t in s.tags])
        batch["tokens"], batch["tags"] = tokens, tags
        return batch


def tag_dataset(
    dataset: Any,
    model: str | Path,
    column: str = "text",
    workers: int = 2,
    batch_size: int = 256,
    int8: bool = False,
    pretokenized: bool = False,
) -> Any:
    """A Ray Dataset with the tags beside every row: `tokens` and `tags` (taggers; the
    sentences of a row's text joined) or `label` and `probs` (sentence models), computed
    lazily by `workers` actors that each load the model once."""
    import ray.data

    options = TagOptions(str(model), pretokenized=pretokenized, serve=ServeOptions(int8=int8))
    return dataset.map_batches(
        RowTagger,
        fn_constructor_args=(str(model), column, options),
        batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=1,  # a killed actor is restarted and its rows retried: Ray Data's defaults
    )
