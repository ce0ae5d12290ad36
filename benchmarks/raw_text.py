"""Raw text end to end: tokens, sentences, words and UPOS of a POS model on raw paragraphs.

    python benchmarks/raw_text.py --model models/pos-ewt --tokenizer models/tok-ewt

The raw text is rebuilt from the gold CoNLL-U file (tagger.data.raw_text: the `# text`
sentences of each `# newpar` joined by spaces), one paragraph per line, as `tagger tag`
reads it. Each system tags it into CoNLL-U, which tagger.conll18 scores against the gold
file with the CoNLL 2018 shared task's metrics. Systems: the model with spaCy's rules and
sentencizer, and the model with the trained tokenizer. Speed: gold words per second of
the whole path (tokenize, tag, write CoNLL-U), median of --runs runs taken in turn; and
the trained tokenizer alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch

from tagger.conll18 import evaluate_documents, read_conllu_document, read_conllu_file
from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.raw_text import read_paragraphs
from tagger.formats import write_sentences
from tagger.io import read_artifact, read_tokenizer
from tagger.predict import Predictor
from tagger.tokenizer.trained import TrainedTokenizer


def tag_to_conllu(predictor: Predictor, paragraphs: list[str]) -> str:
    out = io.StringIO()
    write_sentences(predictor.tag_texts(paragraphs), "conllu", out, predictor.config.data.tag_field)
    return out.getvalue()


def median_seconds(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/pos-ewt")
    parser.add_argument("--tokenizer", default="", help="a trained tokenize model")
    parser.add_argument("--corpus", default="ud-english-ewt")
    parser.add_argument("--split", default="test")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/raw_text.json")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = Path(args.data_dir) if args.data_dir else None
    gold_path = resolve_split(load_catalog()[args.corpus], args.split, data_dir)
    gold = read_conllu_file(gold_path)
    paragraphs = [p.text for p in read_paragraphs(gold_path)]
    n_words = len(gold.words)

    artifact = read_artifact(args.model)
    systems = {
        "spacy rules + sentencizer": Predictor(dataclasses.replace(artifact, tokenizer=None))
    }
    tokenizer_artifact = read_tokenizer(args.tokenizer) if args.tokenizer else artifact.tokenizer
    if tokenizer_artifact is not None:
        systems["trained tokenizer"] = Predictor(artifact, tokenizer=tokenizer_artifact)
    outputs = {name: tag_to_conllu(p, paragraphs) for name, p in systems.items()}  # warm-up
    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(args.runs):  # in turn, so that load on the machine hits both alike
        for name, predictor in systems.items():
            times[name] += median_seconds(lambda p=predictor: tag_to_conllu(p, paragraphs), 1)
    results: dict = {"corpus": args.corpus, "split": args.split, "gold_words": n_words}
    results["paragraphs"] = len(paragraphs)
    results["systems"] = {}
    for name, output in outputs.items():
        scores = evaluate_documents(gold, read_conllu_document(output, name))
        seconds = statistics.median(times[name])
        results["systems"][name] = {
            **{metric: round(100 * s.f1, 2) for metric, s in scores.items()},
            "seconds": times[name],
            "words_per_s": round(n_words / seconds),
        }
    if tokenizer_artifact is not None:
        tokenizer = TrainedTokenizer(tokenizer_artifact)
        tokenizer.sentences(paragraphs)
        alone = statistics.median(
            median_seconds(lambda: tokenizer.sentences(paragraphs), args.runs)
        )
        chars = sum(len(p) for p in paragraphs)
        results["tokenizer_alone"] = {
            "words_per_s": round(n_words / alone),
            "chars_per_s": round(chars / alone),
        }
        rules, trained = (results["systems"][k]["words_per_s"] for k in systems)
        results["speed_ratio_trained_vs_rules"] = round(trained / rules, 3)
    print(f"{'system':<28} {'Tokens':>7} {'Sentences':>9} {'Words':>7} {'UPOS':>7} {'words/s':>9}")
    for name, row in results["systems"].items():
        print(
            f"{name:<28} {row['Tokens']:>7.2f} {row['Sentences']:>9.2f} {row['Words']:>7.2f} "
            f"{row['UPOS']:>7.2f} {row['words_per_s']:>9,}"
        )
    if "tokenizer_alone" in results:
        alone = results["tokenizer_alone"]
        print(
            f"trained tokenizer alone: {alone['words_per_s']:,} words/s, "
            f"{alone['chars_per_s']:,} characters/s; "
            f"end to end {results['speed_ratio_trained_vs_rules']:.2f}x the rules' words/s"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
