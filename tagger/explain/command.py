"""`tagger explain`: explain the sentences of a text, as JSON lines or as a page of pictures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from tagger.data.lines import split_tokens
from tagger.explain.explanation import Explanation, explain
from tagger.explain.page import document, sentence_section, stats_page
from tagger.explain.plots import saturation_scatter, sentence_pictures
from tagger.explain.stats import GateStats, gate_stats
from tagger.outputs import EXPLAIN, replace_folder
from tagger.predict import Predictor

FORMATS = ("html", "json")


def sentences_of(predictor: Predictor, text: str, tokenized: bool = False) -> list[list[str]]:
    """The token lists the model would label in `text`: its sentences as `tagger tag` splits
    them (one sequence for a sentence model, as `tagger tag` classifies it), or the
    whitespace-separated tokens as one sentence with `tokenized`."""
    if tokenized:
        return [split_tokens(text)] if split_tokens(text) else []
    if predictor.task.sentence_level:
        return [found.tokens for found in predictor.classify_texts([text]) if found.tokens]
    return [found.tokens for found in predictor.tag_texts([text]) if found.tokens]


def explain_text(
    predictor: Predictor, text: str, tokenized: bool = False, saliency: str = "auto"
) -> list[Explanation]:
    """An Explanation of every sentence of the text."""
    sentences = sentences_of(predictor, text, tokenized)
    if not sentences:
        raise ValueError("explain: the text has no tokens")
    return [explain(predictor, tokens, saliency=saliency) for tokens in sentences]


def write_json_lines(explanations: Iterable[Explanation], out: TextIO) -> None:
    """One JSON object per sentence, one per line."""
    for explanation in explanations:
        out.write(json.dumps(explanation.to_json(), ensure_ascii=False) + "\n")


def write_page(explanations: list[Explanation], folder: Path, title: str) -> Path:
    """folder/explain.html (self-contained), every picture as folder/png/sN-NAME.png, and
    folder/explain.jsonl, swapped in at once (tagger.outputs); returns the page's path."""

    def build(temp: Path) -> None:
        (temp / "png").mkdir()
        sections = []
        for number, explanation in enumerate(explanations, start=1):
            pictures = sentence_pictures(explanation)
            for name, png in pictures.items():
                (temp / "png" / f"s{number}-{name}.png").write_bytes(png)
            sections.append(sentence_section(explanation, pictures, number))
        write_json_file(explanations, temp / "explain.jsonl")
        page = document(title, "\n".join(sections))
        (temp / "explain.html").write_text(page, encoding="utf-8")

    replace_folder(folder, EXPLAIN, build)
    return folder / "explain.html"


def write_json_file(explanations: Iterable[Explanation], path: Path) -> None:
    """The JSON lines of write_json_lines into a file."""
    with open(path, "w", encoding="utf-8") as out:
        write_json_lines(explanations, out)


def corpus_stats(
    model: Path, corpus: str, split: str, data_dir: Path | None = None, device: str = "cpu"
) -> GateStats:
    """Gate statistics of a model over the sentences of a corpus split (read as
    `tagger evaluate` reads it: stdin and pipes too, gold labels checked)."""
    from tagger.data.dataset import as_examples, as_lists
    from tagger.evaluation_data import load_evaluation

    predictor = Predictor.load(model, device=device)
    dataset, _ = load_evaluation(predictor, corpus, split, data_dir=data_dir)
    sentence_model = predictor.task.sentence_level
    tokens = as_examples(dataset)[0] if sentence_model else as_lists(dataset)[0]
    return gate_stats(predictor, tokens)


def write_stats(stats: GateStats, folder: Path, model: str, corpus: str) -> Path:
    """folder/stats.html, folder/saturation.png and folder/stats.json, swapped in at once;
    the page's path."""
    picture = saturation_scatter(stats)

    def build(temp: Path) -> None:
        (temp / "saturation.png").write_bytes(picture)
        text = json.dumps(stats.to_json(), indent=1, allow_nan=False)
        (temp / "stats.json").write_text(text, encoding="utf-8")
        page = stats_page(stats, picture, model, corpus)
        (temp / "stats.html").write_text(page, encoding="utf-8")

    replace_folder(folder, EXPLAIN, build)
    return folder / "stats.html"
