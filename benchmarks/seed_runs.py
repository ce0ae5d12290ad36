"""Train one config under several seeds and score each model on dev and test.

    python benchmarks/seed_runs.py --config configs/pos-ewt-encoder.toml \
        --corpus ud-english-ewt --seeds 1 2 3
    python benchmarks/seed_runs.py --config configs/ner-conll03.toml \
        --corpus conll2003-en --seeds 3 --models models

Each model goes to MODELS/<config stem>-s<seed> (kept, and not retrained when it is
already there); the training runs under `/usr/bin/time` for its peak resident memory.
One JSON line per run is appended to OUT, and the medians and spreads of the main
score over every run of that config in OUT are printed.
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

MAIN_SCORE = ("f1", "accuracy")


def main_score(scores: dict) -> float:
    for key in MAIN_SCORE:
        if key in scores:
            return float(scores[key])
    raise KeyError(f"no main score among {sorted(scores)}")


def train(config: str, model: Path, seed: int, data_dir: str | None) -> dict:
    """Train MODEL under /usr/bin/time; wall seconds and peak RSS in MiB."""
    rss_file = model.parent / f".{model.name}.rss"
    cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)]
    cmd += [sys.executable, "-m", "tagger", "train", config, "-o", str(model), "-q"]
    cmd += ["--set", f"train.seed={seed}"]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    start = time.perf_counter()
    subprocess.run(cmd, check=True)
    wall = time.perf_counter() - start
    peak_kib = int(rss_file.read_text().split()[-1])
    rss_file.unlink()
    return {"train_wall_seconds": round(wall, 1), "train_peak_rss_mib": peak_kib // 1024}


def score(model: Path, corpus: str, split: str, data_dir: str | None) -> float:
    cmd = [sys.executable, "-m", "tagger", "evaluate", str(model), corpus, "--split", split]
    cmd += ["--json"]
    if data_dir:
        cmd += ["--data-dir", data_dir]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return main_score(json.loads(out))


def summary(rows: list[dict]) -> str:
    lines = []
    for split in ("dev", "test"):
        values = sorted(r[split] * 100 for r in rows)
        lines.append(
            f"{split}: median {statistics.median(values):.2f} "
            f"(spread {values[0]:.2f}-{values[-1]:.2f}, n={len(values)})"
        )
    return "; ".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", required=True)
    parser.add_argument("--corpus", required=True, help="catalog name to score dev and test")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--models", default="models")
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/seed_runs.jsonl")
    args = parser.parse_args()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        model = Path(args.models) / f"{Path(args.config).stem}-s{seed}"
        row: dict = {"config": args.config, "seed": seed, "model": str(model)}
        if not (model / "meta.json").exists():
            row.update(train(args.config, model, seed, args.data_dir))
        meta = json.loads((model / "meta.json").read_text())
        row["training_seconds"] = round(meta["training_seconds"], 1)
        row["best_epoch"] = meta.get("best_epoch")
        row["epochs"] = meta.get("epoch")
        for split in ("dev", "test"):
            row[split] = score(model, args.corpus, split, args.data_dir)
        print(json.dumps(row), flush=True)
        with out.open("a") as handle:
            handle.write(json.dumps(row) + "\n")
    rows = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    mine = {r["seed"]: r for r in rows if r["config"] == args.config}
    print(f"{args.config}: {summary(list(mine.values()))}")


if __name__ == "__main__":
    main()
