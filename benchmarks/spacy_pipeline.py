"""spaCy pipeline benchmark: `spacy evaluate` of a `tagger to-spacy` pipeline against
`tagger evaluate`, and nlp.pipe throughput against the Predictor's own, in one run.

    python benchmarks/spacy_pipeline.py --model models/pos-ewt --corpus ud-english-ewt \
        --converter conllu --metric pos_acc
    python benchmarks/spacy_pipeline.py --model models/ner-conll03 --corpus conll2003-en \
        --converter ner --metric ents_f
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import spacy

from tagger.data.catalog import load_catalog, resolve_split
from tagger.evaluate import evaluate_corpus
from tagger.predict import Predictor
from tagger.to_spacy import to_spacy


def spacy_evaluate(pipeline: Path, corpus_file: Path, converter: str, work: Path) -> dict:
    """Convert the gold file with `spacy convert`, then score with `spacy evaluate`."""
    converted = work / "converted"
    converted.mkdir(exist_ok=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "convert",
            str(corpus_file),
            str(converted),
            "--converter",
            converter,
            "--n-sents",
            "1",
            "--file-type",
            "spacy",
        ],
        check=True,
        capture_output=True,
    )
    gold = next(converted.glob("*.spacy"))
    scores = work / "scores.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "spacy",
            "evaluate",
            str(pipeline),
            str(gold),
            "--output",
            str(scores),
            "--gold-preproc",  # score on the gold tokens, as `tagger evaluate` does
        ],
        check=True,
        capture_output=True,
    )
    return json.loads(scores.read_text())


def throughput(
    predictor: Predictor, nlp: spacy.language.Language, texts: list[str], passes: int
) -> dict:
    """Median words/s of Predictor.tag_texts and of nlp.pipe on the same raw texts,
    measured alternately so both see the same machine load. For NER the Predictor also
    computes the tag probabilities, as the component does for entity confidences."""
    ours, theirs = [], []
    scores = predictor.config.task == "ner"
    list(predictor.tag_texts(texts, scores=scores))  # warm-up
    list(nlp.pipe(texts, batch_size=256))
    words = 0
    for _ in range(passes):
        start = time.perf_counter()
        words = sum(len(s.tokens) for s in predictor.tag_texts(texts, scores=scores))
        ours.append(words / (time.perf_counter() - start))
        start = time.perf_counter()
        n = sum(len([t for t in doc if not t.is_space]) for doc in nlp.pipe(texts, batch_size=256))
        theirs.append(n / (time.perf_counter() - start))
    return {
        "words": words,
        "predictor_words_per_s": statistics.median(ours),
        "nlp_pipe_words_per_s": statistics.median(theirs),
        "ratio": statistics.median(theirs) / statistics.median(ours),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--converter", required=True, help="spacy convert --converter")
    parser.add_argument("--metric", required=True, help="pos_acc, tag_acc or ents_f")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    predictor = Predictor.load(args.model)
    ours = evaluate_corpus(predictor, args.corpus, "test", data_dir=data_dir)
    ours_value = ours["f1"] if args.metric == "ents_f" else ours["accuracy"]
    test_file = resolve_split(load_catalog()[args.corpus], "test", data_dir)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        nlp = to_spacy([args.model], work / "pipeline")
        theirs = spacy_evaluate(work / "pipeline", test_file, args.converter, work)
    texts = [" ".join(t) for t in _test_texts(predictor, args.corpus, data_dir)]
    speed = throughput(predictor, nlp, texts, args.passes)
    result = {
        "model": args.model,
        "corpus": args.corpus,
        "metric": args.metric,
        "tagger_evaluate": ours_value,
        "spacy_evaluate": theirs[args.metric],
        "difference_points": 100 * abs(ours_value - theirs[args.metric]),
        **speed,
    }
    out = Path(f"benchmarks/results/spacy_{args.corpus}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(json.dumps(result, indent=1))


def _test_texts(predictor: Predictor, corpus: str, data_dir: Path | None) -> list[list[str]]:
    """Test sentences as token lists (joined with spaces they make the raw texts)."""
    from tagger.data.corpus import load_split
    from tagger.data.dataset import as_lists

    source = predictor.config.data.__class__(corpus=corpus)
    return as_lists(load_split(source, "test", data_dir))[0]


if __name__ == "__main__":
    main()
