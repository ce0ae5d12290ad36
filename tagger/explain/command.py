"""`tagger explain`: explain the sentences of a text, as JSON lines or as a page of pictures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from tagger.config import SENTENCE_TASKS
from tagger.explain.explanation import Explanation, explain
from tagger.explain.page import document, sentence_section, stats_page
from tagger.explain.plots import saturation_scatter, sentence_pictures
from tagger.explain.stats import GateStats, gate_stats
from tagger.predict import Predictor

FORMATS = ("html", "json")


def sentences_of(predictor: Predictor, text: str, tokenized: bool = False) -> list[list[str]]:
    """The token lists the model would label in `text`: its sentences as `tagger tag` splits
    them (one sequence for a sentence model, as `tagger tag` classifies it), or the
    whitespace-separated tokens as one sentence with `tokenized`."""
    if tokenized:
        return [text.split()] if text.split() else []
    if predictor.config.task in SENTENCE_TASKS:
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
    folder/explain.jsonl; returns the page's path."""
    pictures_dir = folder / "png"
    pictures_dir.mkdir(parents=True, exist_ok=True)
    sections = []
    for number, explanation in enumerate(explanations, start=1):
        pictures = sentence_pictures(explanation)
        for name, png in pictures.items():
            (pictures_dir / f"s{number}-{name}.png").write_bytes(png)
        sections.append(sentence_section(explanation, pictures, number))
    with open(folder / "explain.jsonl", "w", encoding="utf-8") as out:
        write_json_lines(explanations, out)
    page = folder / "explain.html"
    page.write_text(document(title, "\n".join(sections)), encoding="utf-8")
    return page


def corpus_stats(
    model: Path, corpus: str, split: str, data_dir: Path | None = None, device: str = "cpu"
) -> GateStats:
    """Gate statistics of a model over the sentences of a corpus split."""
    from tagger.data.corpus import evaluation_source, load_split
    from tagger.data.dataset import as_examples, as_lists

    predictor = Predictor.load(model, device=device)
    task = predictor.config.task
    source = evaluation_source(corpus, predictor.config.data, task=task)
    dataset = load_split(source, split, data_dir, task)
    tokens = as_examples(dataset)[0] if task in SENTENCE_TASKS else as_lists(dataset)[0]
    return gate_stats(predictor, tokens)


def write_stats(stats: GateStats, folder: Path, model: str, corpus: str) -> Path:
    """folder/stats.html, folder/saturation.png and folder/stats.json; the page's path."""
    folder.mkdir(parents=True, exist_ok=True)
    picture = saturation_scatter(stats)
    (folder / "saturation.png").write_bytes(picture)
    (folder / "stats.json").write_text(json.dumps(stats.to_json(), indent=1), encoding="utf-8")
    page = folder / "stats.html"
    page.write_text(stats_page(stats, picture, model, corpus), encoding="utf-8")
    return page
