"""Typer commands: each parses its options and calls one importable function."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tagger.cli_options import (
    Backend,
    DataDir,
    Device,
    Force,
    Int8,
    OnnxFile,
    error_text,
    fail,
    ray_flag_argv,
    repeated_option,
    run_interruptible,
)
from tagger.data.errors import CorpusError
from tagger.explain.cli import register as register_explain
from tagger.tag_cli import register as register_tag

app = typer.Typer(help="BiLSTM sequence tagger: train, evaluate and tag.", no_args_is_help=True)
corpora_app = typer.Typer(help="The corpus catalog.", no_args_is_help=True)
app.add_typer(corpora_app, name="corpora")


@app.command("train")
def train_cli(
    config: Annotated[Path, typer.Argument(help="TOML config file.", exists=True, dir_okay=False)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model folder to write.")],
    overrides: Annotated[
        list[str] | None, typer.Option("--set", help="Override a config key: model.hidden=128.")
    ] = None,
    max_minutes: Annotated[
        float | None,
        typer.Option("--max-minutes", help="Training time budget (train.max_minutes)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from OUTPUT/checkpoint.")
    ] = False,
    data_dir: DataDir = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
    device: Device = "auto",
    force: Force = False,
) -> None:
    """Train a model from a config file into OUTPUT."""
    from tagger.config import ConfigError, load_config
    from tagger.distributed import from_environment
    from tagger.train import train

    items = list(overrides or [])
    if max_minutes is not None:
        items.append(f"train.max_minutes={max_minutes}")
    try:
        cfg = load_config(config, items)
        result = train(
            cfg,
            output,
            data_dir=data_dir,
            resume=resume,
            progress=not quiet,
            device=device,
            force=force,
            inputs=[config],
        )
    except (ConfigError, CorpusError, OSError, ValueError) as err:
        fail(error_text(err))
    if from_environment().main:  # under torchrun, one summary
        typer.echo(json.dumps(result))


@app.command("evaluate")
def evaluate_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    corpus: Annotated[str, typer.Argument(help="Catalog name, hf:<id>[:<config>] or a file.")],
    split: Annotated[str, typer.Option(help="Split of a catalog or hf: corpus.")] = "test",
    fmt: Annotated[
        str, typer.Option("--format", help="File format: conllu, conll, parquet, json.")
    ] = "",
    columns: Annotated[str, typer.Option(help="WORD,TAG column indices of a CoNLL file.")] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    data_dir: DataDir = None,
    backend: Backend = "torch",
    int8: Int8 = False,
    onnx: OnnxFile = None,
    device: Device = "auto",
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Folder for the confusion and per-label plots.")
    ] = None,
    force: Force = False,
) -> None:
    """Score MODEL on a corpus: accuracy and a per-label table."""
    from tagger.devices import serving_device
    from tagger.evaluate import format_report, predictions, score_predictions
    from tagger.evaluation_data import load_evaluation
    from tagger.explain.evaluation import write_evaluation_plots
    from tagger.outputs import PLOTS, check_output
    from tagger.predict import Predictor

    try:
        if plots is not None:
            check_output(plots, [model, corpus, onnx], PLOTS, force, "--plots")
        predictor = Predictor.load(
            model,
            backend=backend,
            int8=int8,
            onnx_path=onnx,
            device=serving_device(device, backend, int8),
        )
        dataset, scheme = load_evaluation(predictor, corpus, split, fmt, columns, data_dir)
        gold, predicted, tokens = predictions(predictor, dataset, scheme)
        scores = score_predictions(predictor, gold, predicted, tokens)
        if plots is not None:
            task, labels = predictor.config.task, list(predictor.labels)
            write_evaluation_plots(task, gold, predicted, scores, labels, plots)
    except (CorpusError, OSError, ValueError, KeyError) as err:
        fail(error_text(err))
    typer.echo(json.dumps(scores) if as_json else format_report(scores))


register_tag(app)


@app.command("export")
def export_cli(
    model: Annotated[Path, typer.Argument(help="Model folder.")],
    onnx: Annotated[Path, typer.Option("--onnx", help="ONNX file to write.")],
) -> None:
    """Export the network (embeddings to scores) as ONNX, for `tag --backend onnx --onnx`."""
    from tagger.export import export_onnx
    from tagger.io import read_artifact
    from tagger.outputs import check_output

    try:
        check_output(onnx, [model], option="--onnx")
        data = export_onnx(read_artifact(model), onnx)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps({"output": str(onnx), "bytes": len(data)}))


@app.command("to-spacy")
def to_spacy_cli(
    models: Annotated[list[Path], typer.Argument(help="Model folders, one component each.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Pipeline folder to write.")],
    lang: Annotated[str, typer.Option(help="spaCy language (default: the first model's).")] = "",
    base: Annotated[
        str, typer.Option(help="Add the components to this pipeline instead of a blank one.")
    ] = "",
    int8: Annotated[
        bool, typer.Option("--int8", help="Components run int8 dynamic quantization.")
    ] = False,
    device: Device = "auto",
    tokenizer: Annotated[
        str,
        typer.Option(
            help="A trained tokenize model as the pipeline's tokenizer and sentence splitter "
            "(default: the one the first model carries, else spaCy's rules + sentencizer)."
        ),
    ] = "",
    force: Force = False,
) -> None:
    """Write a spaCy pipeline (tokenizer, sentencizer, one component per model)."""
    from tagger.to_spacy import to_spacy

    try:
        nlp = to_spacy(models, output, lang, base, int8, device, tokenizer, force)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps({"output": str(output), "pipeline": nlp.pipe_names}))


@app.command("info")
def info_cli(model: Annotated[Path, typer.Argument(help="Model folder.")]) -> None:
    """Print a model's task, labels, sizes, metrics and versions as JSON."""
    from tagger.io import artifact_info, read_artifact

    try:
        artifact = read_artifact(model)
    except (OSError, ValueError) as err:
        fail(error_text(err))
    typer.echo(json.dumps(artifact_info(artifact), indent=1))


@corpora_app.command("list")
def corpora_list_cli(data_dir: DataDir = None) -> None:
    """List the catalog's corpora and whether each split is available locally."""
    from tagger.data.catalog import corpus_table, load_catalog

    for row in corpus_table(load_catalog(), data_dir=data_dir):
        typer.echo(json.dumps(row))


register_explain(app)


def main() -> None:
    """The `tagger` command: `--ray` given alone means a local Ray; an option given twice
    is an error; SIGINT and SIGTERM end it with one line (tagger.cli_options)."""
    sys.argv[1:] = ray_flag_argv(sys.argv[1:])
    twice = repeated_option(typer.main.get_command(app), sys.argv[1:])
    if twice is not None:
        typer.echo(f"error: {twice} (the option takes one value)", err=True)
        sys.exit(2)
    run_interruptible(app)
