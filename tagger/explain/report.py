"""`tagger report`: one self-contained HTML file about a model.

The model card (task, labels, sizes, corpus, scores, versions, training time), the
training curves, the confusion matrix and per-label table of an evaluation, and a few
explained example sentences with their gate heatmaps. Inline CSS, pictures as data
URIs, no script and nothing fetched: the file can be mailed or archived as it is.
"""

from __future__ import annotations

import html
from pathlib import Path

from tagger.callbacks import LOG
from tagger.evaluate import scored
from tagger.evaluation_data import load_evaluation
from tagger.explain.charts import confusion_matrix, per_label_bars, read_log, training_curves
from tagger.explain.explanation import explain
from tagger.explain.page import document, image, sentence_section
from tagger.explain.plots import sentence_pictures
from tagger.io import artifact_info
from tagger.outputs import write_text
from tagger.predict import Predictor
from tagger.scores import Evaluation

EXAMPLES = 3  # explained sentences
EXAMPLE_LENGTHS = (6, 20)  # tokens: long enough to show something, short enough to read


def write_report(
    model: Path,
    corpus: str,
    output: Path,
    split: str = "test",
    data_dir: Path | None = None,
    examples: int = EXAMPLES,
    device: str = "cpu",
) -> Path:
    """Evaluate `model` on the corpus split and write the report to `output` (a file)."""
    predictor = Predictor.load(model, device=device)
    dataset, scheme = load_evaluation(predictor, corpus, split, data_dir=data_dir)
    scores, gold, predicted, tokens = scored(predictor, dataset, scheme)
    task = predictor.config.task
    sections = [
        "<h2>Model card</h2>",
        model_card(predictor, model, corpus, split, scores),
        training_section(model),
        "<h2>Evaluation</h2>",
        evaluation_section(predictor, gold, predicted, scores),
        "<h2>Explained examples</h2>",
        '<p class="note">The first sentences of the split of 6 to 20 tokens, as '
        "<code>tagger explain</code> shows them.</p>",
    ]
    chosen = [s for s in tokens if EXAMPLE_LENGTHS[0] <= len(s) <= EXAMPLE_LENGTHS[1]]
    for number, sentence in enumerate(chosen[:examples], start=1):
        explanation = explain(predictor, sentence)
        sections.append(sentence_section(explanation, sentence_pictures(explanation), number))
    title = f"{model.name}: {task} model report"
    write_text(output, document(title, "\n".join(sections)))
    return output


def _rows(pairs: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in pairs)
    return f"<table>{cells}</table>"


def model_card(
    predictor: Predictor, model: Path, corpus: str, split: str, scores: Evaluation
) -> str:
    """The facts of the model as a table."""
    info = artifact_info(predictor.artifact)
    config, meta = info["config"], info["meta"]
    m = config["model"]
    task = info["task"]
    headline = predictor.task.headline(scores)
    head = f"{m['pooling']} pooling" if predictor.task.sentence_level else m["head"]
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    seconds = float(meta.get("training_seconds", 0.0))
    labels = ", ".join(html.escape(str(x)) for x in info["labels"])
    return _rows(
        [
            ("model", html.escape(str(model))),
            ("task", html.escape(task)),
            ("labels", f"{len(info['labels'])}: {labels}"),
            (
                "network",
                html.escape(
                    f"{m['rnn']} {m['layers']} x {m['hidden']} per direction, "
                    f"words {m['word_dim']}d, "
                    f"pretrained {m['pretrained'] or 'none'}, characters {m['char']}, "
                    f"head {head}"
                ),
            ),
            ("trainable parameters", f"{info['trainable_parameters']:,}"),
            ("vocabulary", f"{info['words']:,} words, {info['pretrained_words']:,} pretrained"),
            ("trained on", html.escape(config["data"]["corpus"] or config["data"]["train"])),
            (
                "training",
                f"{seconds / 60:.1f} minutes to its best epoch {meta.get('best_epoch', '?')}"
                f"{_epochs_run(model)}, dev score {100 * float(meta.get('dev_score', 0)):.2f}, "
                + html.escape(f"{meta.get('device', '')} {meta.get('precision', '')}"),
            ),
            ("evaluated on", html.escape(f"{corpus} {split}")),
            ("score", f"<b>{headline}</b>"),
            ("versions", html.escape(versions)),
        ]
    )


def _epochs_run(model: Path) -> str:
    """ ", of N epochs run" from the training log, when the folder kept it."""
    log = model / LOG
    rows = read_log(log) if log.is_file() else []
    return f" of {len(rows)} epochs run" if rows else ""


def training_section(model: Path) -> str:
    """The training curves, when the model folder kept its train_log.jsonl."""
    log = model / LOG
    rows = read_log(log) if log.is_file() else []
    if not rows:
        return '<p class="note">No train_log.jsonl in the model folder: no training curves.</p>'
    return "<h2>Training</h2>" + image(training_curves(rows, model.name), "training curves")


def evaluation_section(
    predictor: Predictor, gold: list, predicted: list, scores: Evaluation
) -> str:
    """Per-label table and bars, and the confusion matrix."""
    table = predictor.task.per_label_table(scores)
    rows = "".join(
        f"<tr><td>{html.escape(label)}</td>"
        + "".join(f'<td class="num">{100 * row[k]:.2f}</td>' for k in ("precision", "recall", "f1"))
        + f'<td class="num">{row["support"]}</td></tr>'
        for label, row in table.items()
    )
    per_label = (
        "<table><tr><th>label</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
        f"{rows}</table>"
    )
    confusion = predictor.task.confusion(gold, predicted, list(predictor.labels))
    return "\n".join(
        [
            per_label,
            image(per_label_bars(table, "per-label scores"), "per-label scores"),
            image(
                confusion_matrix(confusion, "confusion (rows gold, columns predicted)"), "confusion"
            ),
        ]
    )
