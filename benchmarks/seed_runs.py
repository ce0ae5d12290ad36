"""Train one config (or two side by side) under several seeds and score each model on
dev and test.

    python benchmarks/seed_runs.py --config configs/pos-ewt-encoder.toml \
        --corpus ud-english-ewt --seeds 1 2 3
    python benchmarks/seed_runs.py --config configs/ner-conll03.toml \
        --corpus conll2003-en --seeds 3 --models models
    python benchmarks/seed_runs.py --config tune/pos/best.toml configs/pos-ewt.toml \
        --corpus ud-english-ewt --set train.max_minutes=3 --threads 1 --suffix -3min

Each model goes to MODELS/<config stem><suffix>-s<seed> (kept, and not retrained when it
is already there); the training runs under `/usr/bin/time` for its peak resident memory.
Two configs are trained at the same time for each seed, so that under a time budget
(`--set train.max_minutes=3`) both meet the same machine, as the trials of a two-worker
`tagger tune` study do; `--threads` sets the torch threads of each training and `--isa
avx2` holds them to AVX2 kernels (see process_speed.py). One JSON line per run is
appended to OUT, and the medians and spreads of the main score over every run of each
config in OUT are printed.
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

from process_speed import ISA_ENV

MAIN_SCORE = ("f1", "accuracy")


def main_score(scores: dict) -> float:
    for key in MAIN_SCORE:
        if key in scores:
            return float(scores[key])
    raise KeyError(f"no main score among {sorted(scores)}")


def train_all(jobs: list[tuple[str, Path]], seed: int, args: argparse.Namespace) -> list[dict]:
    """Train each (config, MODEL) at once under /usr/bin/time; wall seconds and peak RSS
    in MiB of each."""
    env = {**os.environ, **ISA_ENV[args.isa]}
    if args.threads:
        env.update(OMP_NUM_THREADS=str(args.threads), MKL_NUM_THREADS=str(args.threads))
    running = []
    for config, model in jobs:
        rss_file = model.parent / f".{model.name}.rss"
        cmd = ["/usr/bin/time", "-f", "%M", "-o", str(rss_file)]
        cmd += [sys.executable, "-m", "tagger", "train", config, "-o", str(model), "-q"]
        cmd += ["--set", f"train.seed={seed}"]
        for item in args.set or []:
            cmd += ["--set", item]
        if args.data_dir:
            cmd += ["--data-dir", args.data_dir]
        running.append((subprocess.Popen(cmd, env=env), rss_file, time.perf_counter()))
    found = []
    for process, rss_file, start in running:
        if process.wait() != 0:
            raise SystemExit(f"training failed: {process.args}")
        wall = time.perf_counter() - start
        peak_kib = int(rss_file.read_text().split()[-1])
        rss_file.unlink()
        found.append({"train_wall_seconds": round(wall, 1), "train_peak_rss_mib": peak_kib // 1024})
    return found


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
    parser.add_argument("--config", required=True, nargs="+", help="one, or two side by side")
    parser.add_argument("--corpus", required=True, help="catalog name to score dev and test")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--models", default="models")
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/seed_runs.jsonl")
    parser.add_argument("--set", action="append", help="KEY=VALUE for every training")
    parser.add_argument("--suffix", default="", help="added to each model folder's name")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per training")
    parser.add_argument("--isa", choices=sorted(ISA_ENV), default="native")
    args = parser.parse_args()
    if len(args.config) > 2:
        parser.error("--config: one config, or two trained side by side")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    Path(args.models).mkdir(parents=True, exist_ok=True)
    for seed in args.seeds:
        rows: list[dict] = []
        for config in args.config:
            model = Path(args.models) / f"{Path(config).stem}{args.suffix}-s{seed}"
            rows.append(
                {
                    "config": config,
                    "label": label(config, args),
                    "seed": seed,
                    "model": str(model),
                    "set": args.set or [],
                    "isa": args.isa,
                }
            )
        todo = [r for r in rows if not (Path(r["model"]) / "meta.json").exists()]
        jobs = [(r["config"], Path(r["model"])) for r in todo]
        for row, found in zip(todo, train_all(jobs, seed, args), strict=True):
            row.update(found)
        for row in rows:
            model = Path(row["model"])
            meta = json.loads((model / "meta.json").read_text())
            row["training_seconds"] = round(meta["training_seconds"], 1)
            row["best_epoch"] = meta.get("best_epoch")
            row["epochs"] = meta.get("epoch")
            for split in ("dev", "test"):
                row[split] = score(model, args.corpus, split, args.data_dir)
            print(json.dumps(row), flush=True)
            with out.open("a") as handle:
                handle.write(json.dumps(row) + "\n")
    every = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
    for config in args.config:
        name = label(config, args)
        mine = {r["seed"]: r for r in every if r.get("label", r["config"]) == name}
        print(f"{name}: {summary(list(mine.values()))}")


def label(config: str, args: argparse.Namespace) -> str:
    """A config's runs, told apart by what was set and where they ran."""
    extra = [*(args.set or []), *([f"isa={args.isa}"] if args.isa != "native" else [])]
    return " ".join([config, *extra])


if __name__ == "__main__":
    main()
