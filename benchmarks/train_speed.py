"""Training tokens/s of this trainer against another checkout, measured in the same run.

    git worktree add ../tagger-04e3517 04e3517
    python benchmarks/train_speed.py --baseline ../tagger-04e3517 --runs 3

Each run trains `--epochs` epochs of each tree's own configs/pos-ewt.toml (the current
trainer from its checkout, with its config), the two trees alternating run by run, and
reads the epochs' tokens/s from train_log.jsonl (training time only; dev scoring is
excluded). Between runs it times the 2-thread GEMM peak (torch.mm, 2048^3) and reports
each system's share of it, counting training at 3x the forward FLOPs per token. Needs
the corpus (TAGGER_DATA_DIR; the Makefile points at ../shared/corpora).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import torch
from speed import gemm_gflops  # benchmarks/speed.py, beside this file

HERE = Path(__file__).resolve().parents[1]


def gemm_peak(threads: int = 2) -> float:
    """Median GFLOP/s of a 2048^3 fp32 matrix product on `threads` threads."""
    torch.set_num_threads(threads)
    return gemm_gflops()


def forward_flops_per_token(model_config: dict, n_labels: int, chars_per_token: float) -> float:
    """Multiply-adds x 2 of one token's forward pass: BiLSTM layers, head, character BiLSTM."""
    m = model_config
    hidden, flops = m["hidden"], 0.0
    width = m["word_dim"] + 50 + m["casing_dim"] + 2 * m["char_hidden"]  # GloVe 50d
    for _ in range(m["layers"]):
        flops += 2 * 2 * 4 * hidden * (width + hidden)  # two directions, four gates
        width = 2 * hidden
    flops += 2 * width * n_labels
    if m["char"] == "lstm":
        h = m["char_hidden"]
        flops += chars_per_token * 2 * 2 * 4 * h * (m["char_dim"] + h)
    return flops


def one_run(tree: Path, epochs: int, data_dir: str, overrides: list[str]) -> dict:
    """Train `epochs` epochs of tree's pos-ewt config; tokens/s over those epochs."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PYTHONPATH": str(tree), "TAGGER_DATA_DIR": data_dir}
        command = [sys.executable, "-m", "tagger", "train", str(tree / "configs/pos-ewt.toml")]
        command += ["--output", f"{tmp}/model", "--set", f"train.max_epochs={epochs}", "--quiet"]
        command += [arg for item in overrides for arg in ("--set", item)]
        subprocess.run(command, env=env, check=True, cwd=tree, stdout=subprocess.DEVNULL)
        epochs_log = [json.loads(line) for line in open(f"{tmp}/model/train_log.jsonl")]
        meta = json.loads(Path(f"{tmp}/model/meta.json").read_text())
        config = json.loads(Path(f"{tmp}/model/config.json").read_text())
        labels = len(json.loads(Path(f"{tmp}/model/vocab.json").read_text())["labels"])
    tokens = sum(e["tokens"] for e in epochs_log)
    seconds = sum(e["seconds"] for e in epochs_log)
    return {
        "tokens_per_s": tokens / seconds,
        "dev": epochs_log[-1]["dev_score"],
        "precision": meta.get("precision", "fp32"),
        "batch_size": config["train"]["batch_size"],
        "model": config["model"],
        "labels": labels,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", required=True, help="checkout of the trainer to beat")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--chars-per-token", type=float, default=4.06)  # EWT train words
    parser.add_argument(
        "--current-set",
        action="append",
        default=[],
        help="config override for this checkout only, e.g. train.precision=fp32 (repeatable)",
    )
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR", ""))
    parser.add_argument("--out", default="benchmarks/results/train_speed.json")
    args = parser.parse_args()
    trees = {"baseline": Path(args.baseline).resolve(), "current": HERE}
    runs: dict[str, list[dict]] = {name: [] for name in trees}
    peaks = []
    for i in range(args.runs):
        for name, tree in trees.items():
            overrides = args.current_set if name == "current" else []
            runs[name].append(one_run(tree, args.epochs, args.data_dir, overrides))
            print(f"run {i + 1} {name}: {runs[name][-1]['tokens_per_s']:,.0f} tokens/s", flush=True)
        peaks.append(gemm_peak())
    peak = statistics.median(peaks)
    results: dict = {"gemm_peak_gflops_2_threads": peak, "runs": runs, "set": args.current_set}
    for name, items in runs.items():
        rate = statistics.median(r["tokens_per_s"] for r in items)
        flops = 3 * forward_flops_per_token(
            items[0]["model"], items[0]["labels"], args.chars_per_token
        )
        share = rate * flops / 1e9 / peak
        results[name] = {"median_tokens_per_s": rate, "share_of_peak": share}
        print(
            f"{name}: median {rate:,.0f} tokens/s, batch {items[0]['batch_size']}, "
            f"{items[0]['precision']}; {rate * flops / 1e9:.0f} GFLOP/s = {100 * share:.0f}% "
            f"of the {peak:.0f} GFLOP/s GEMM peak"
        )
    ratio = results["current"]["median_tokens_per_s"] / results["baseline"]["median_tokens_per_s"]
    results["ratio"] = ratio
    print(f"ratio current / baseline: {ratio:.2f}x")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
