"""`tagger evaluate`'s work: a model scored on a corpus, with plots where asked."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tagger.scores import Evaluation
    from tagger.serving import ServeOptions


def evaluate_model(
    model: Path,
    corpus: str,
    serve: ServeOptions,
    split: str = "test",
    fmt: str = "",
    columns: str = "",
    data_dir: Path | None = None,
    plots: Path | None = None,
    force: bool = False,
) -> Evaluation:
    """The evaluation of `model` (serving as `serve` says) on a corpus: a catalog name,
    hf:<id>[:<config>] or a file of `fmt` (`columns`: WORD,TAG of a CoNLL file).
    `plots` is a folder for the confusion and per-label plots, checked before anything
    is read; a bad input raises CorpusError, OSError, ValueError or KeyError."""
    from tagger.evaluate import scored
    from tagger.evaluation_data import load_evaluation
    from tagger.explain.evaluation import write_evaluation_plots
    from tagger.outputs import PLOTS, check_output
    from tagger.predict import Predictor
    from tagger.start_up import settle_startup

    if plots is not None:
        check_output(plots, [model, corpus, serve.onnx], PLOTS, force, "--plots")
    predictor = Predictor.serve(model, serve)
    dataset, scheme = load_evaluation(predictor, corpus, split, fmt, columns, data_dir)
    settle_startup()  # the model and the corpus are loaded (tagger.start_up)
    evaluation, gold, predicted, _ = scored(predictor, dataset, scheme)
    if plots is not None:
        labels = list(predictor.labels)
        write_evaluation_plots(predictor.task, gold, predicted, evaluation, labels, plots)
    return evaluation
