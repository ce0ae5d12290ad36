"""Sentiment benchmark: train a model per pooling mode and seed, report dev/test accuracy.

    python benchmarks/sentiment.py --config configs/sentiment-sst2.toml --corpus sst-trees \
        --seeds 1 2 3                      # the config's pooling, three seeds, with medians
    python benchmarks/sentiment.py --config configs/sentiment-sst2.toml --corpus sst2 \
        --pooling last max mean attention --max-minutes 5

Each model goes to models/<config stem>-<pooling>-s<seed>; the table is printed and
written as JSON, with the median over the seeds of each pooling.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

from tagger.config import load_config
from tagger.evaluate import evaluate_corpus
from tagger.predict import Predictor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="configs/sentiment-sst2.toml")
    parser.add_argument("--corpus", default="sst2")
    parser.add_argument("--pooling", nargs="+", default=[], help="default: the config's")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1])
    parser.add_argument("--max-minutes", type=float, default=0.0, help="0 = the config's")
    parser.add_argument("--models", default="models")
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    rows = []
    poolings = args.pooling or [load_config(args.config).model.pooling]
    runs = [(pooling, seed) for pooling in poolings for seed in args.seeds]
    for pooling, seed in runs:
        model = Path(args.models) / f"{Path(args.config).stem}-{pooling}-s{seed}"
        if not args.skip_training:
            cmd = [sys.executable, "-m", "tagger", "train", args.config, "--output", str(model)]
            cmd += ["--set", f"model.pooling={pooling}", "--set", f"train.seed={seed}", "-q"]
            if args.max_minutes:
                cmd += ["--max-minutes", str(args.max_minutes)]
            if data_dir:
                cmd += ["--data-dir", str(data_dir)]
            subprocess.run(cmd, check=True)
        predictor = Predictor.load(model)
        meta = predictor.artifact.meta
        row = {"pooling": pooling, "seed": seed, "training_seconds": meta["training_seconds"]}
        for split in ("dev", "test"):
            scores = evaluate_corpus(predictor, args.corpus, split, data_dir=data_dir)
            row[f"{split}_accuracy"] = scores["accuracy"]
            row[f"{split}_macro_f1"] = scores["macro_f1"]
        rows.append(row)
        print(json.dumps(row), flush=True)
    out = Path(f"benchmarks/results/sentiment_{Path(args.config).stem}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print("\n| pooling | seed | dev acc | test acc | test macro-F1 | training min |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(
            f"| {r['pooling']} | {r['seed']} | {100 * r['dev_accuracy']:.2f} "
            f"| {100 * r['test_accuracy']:.2f} | {100 * r['test_macro_f1']:.2f} "
            f"| {r['training_seconds'] / 60:.1f} |"
        )
    for pooling in poolings:
        mine = [r for r in rows if r["pooling"] == pooling]
        dev = statistics.median(r["dev_accuracy"] for r in mine)
        test = statistics.median(r["test_accuracy"] for r in mine)
        print(f"| {pooling} | median of {len(mine)} | {100 * dev:.2f} | {100 * test:.2f} | | |")


if __name__ == "__main__":
    main()
