"""UD English EWT UPOS benchmark: accuracy, training time and tagging speed of a trained model.

    python benchmarks/pos_ewt.py --model models/pos-ewt [--train] [--passes 3]

With --train it first runs `tagger train configs/pos-ewt.toml --output MODEL`. Needs the
corpus (TAGGER_DATA_DIR or --data-dir; the Makefile points at ../shared/corpora).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text
from tagger.data.corpus import load_split
from tagger.data.dataset import as_lists
from tagger.evaluate import evaluate
from tagger.predict import Predictor


def timed(fn, passes: int) -> tuple[float, object]:  # noqa: ANN001
    """Median seconds of `passes` calls after one warm-up, and the last result."""
    result = fn()
    times = []
    for _ in range(passes):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/pos-ewt")
    parser.add_argument("--config", default="configs/pos-ewt.toml")
    parser.add_argument("--train", action="store_true", help="train the model first")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/pos_ewt.json")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    results: dict = {}
    if args.train:
        start = time.perf_counter()
        cmd = [sys.executable, "-m", "tagger", "train", args.config, "--output", args.model, "-q"]
        if data_dir:
            cmd += ["--data-dir", str(data_dir)]
        subprocess.run(cmd, check=True)
        results["train_wall_seconds"] = time.perf_counter() - start

    predictor = Predictor.load(args.model)
    meta = predictor.artifact.meta
    results["training_seconds"] = meta.get("training_seconds")
    results["best_epoch"] = meta.get("best_epoch")
    results["train_tokens_per_s"] = meta.get("train_tokens_per_s")
    source = DataConfig(corpus="ud-english-ewt", tag_field=predictor.config.data.tag_field)
    for split in ("dev", "test"):
        scores = evaluate(predictor, load_split(source, split, data_dir))
        results[f"{split}_accuracy"] = scores["accuracy"]

    tokens, _ = as_lists(load_split(source, "test", data_dir))
    n_words = sum(len(s) for s in tokens)
    seconds, _ = timed(lambda: predictor.predict(tokens), args.passes)
    results["predict_words_per_s"] = n_words / seconds

    path = resolve_split(load_catalog()["ud-english-ewt"], "test", data_dir)
    texts = read_conllu_text(path)
    seconds, tagged = timed(lambda: list(predictor.tag_texts(texts)), args.passes)
    out_tokens = [t for s in tagged for t in s.tokens]
    expected = "".join("".join(texts).split())
    results["raw_text_lines"] = len(texts)
    results["raw_text_tokens"] = len(out_tokens)
    results["raw_text_tokens_per_s"] = len(out_tokens) / seconds
    results["raw_text_keeps_every_token"] = "".join(out_tokens) == expected

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    for key, value in results.items():
        shown = f"{value:,.4f}" if isinstance(value, float) else value
        print(f"{key:<28} {shown}")


if __name__ == "__main__":
    main()
