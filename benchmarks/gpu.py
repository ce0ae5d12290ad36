"""The GPU check: train on CUDA for a few minutes, tag there, and agree with the CPU.

    python benchmarks/gpu.py --minutes 3                 # on a machine with a CUDA GPU
    python benchmarks/gpu.py --minutes 3 --model models/pos-ewt   # also tag a CPU-trained model

Trains `configs/pos-ewt.toml` with `--device cuda` for `--minutes`, then reports the
training tokens/s (train_log.jsonl), the tagging words/s of the Predictor on the GPU
and on the CPU (EWT test, gold tokens, median of `--passes`), the test accuracy of
both, and the share of tokens whose tag differs between GPU and CPU. A model trained
on the CPU (`--model`) is tagged on both devices as well. Exits 1 when the devices
disagree on more than `--max-disagreement` of the tokens (default 0.1%). Needs the
corpus (TAGGER_DATA_DIR or --data-dir). `--device cpu` runs the same steps on the CPU,
which checks the script, not a GPU.
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

import torch

from tagger.config import DataConfig
from tagger.data.corpus import load_split
from tagger.data.dataset import as_examples
from tagger.evaluate import tag_scores
from tagger.predict import Predictor


def train_on(device: str, minutes: float, output: Path, data_dir: str) -> dict:
    command = [sys.executable, "-m", "tagger", "train", "configs/pos-ewt.toml"]
    command += ["--output", str(output), "--device", device, "--quiet"]
    command += ["--max-minutes", str(minutes), "--data-dir", data_dir]
    subprocess.run(command, check=True)
    log = [json.loads(line) for line in (output / "train_log.jsonl").open()]
    return {
        "epochs": len(log),
        "tokens_per_s_median": statistics.median(e["tokens_per_s"] for e in log),
        "best_dev": max(e["dev_score"] for e in log),
        "meta": json.loads((output / "meta.json").read_text()),
    }


def words_per_s(predictor: Predictor, sentences: list[list[str]], passes: int) -> float:
    predictor.predict(sentences)  # warm-up: kernels, caches
    times = []
    for _ in range(passes):
        if predictor.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        predictor.predict(sentences)
        if predictor.device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sum(len(s) for s in sentences) / statistics.median(times)


def compare(model: Path, device: str, test: tuple, passes: int) -> dict:
    """Tag EWT test on `device` and on the CPU: speed, accuracy, disagreement."""
    tokens, gold = test
    on_device = Predictor.load(model, device=device)
    on_cpu = Predictor.load(model, device="cpu")
    tags_device, tags_cpu = on_device.predict(tokens), on_cpu.predict(tokens)
    differ = sum(
        a != b
        for s, t in zip(tags_device, tags_cpu, strict=True)
        for a, b in zip(s, t, strict=True)
    )
    total = sum(len(s) for s in tokens)
    return {
        "words_per_s_device": words_per_s(on_device, tokens, passes),
        "words_per_s_cpu": words_per_s(on_cpu, tokens, passes),
        "test_accuracy_device": tag_scores(gold, tags_device)["accuracy"],
        "test_accuracy_cpu": tag_scores(gold, tags_cpu)["accuracy"],
        "tokens": total,
        "disagreeing_tokens": differ,
        "disagreement": differ / total,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--model", default="", help="a CPU-trained model to tag as well")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--max-disagreement", type=float, default=0.001)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR", ""))
    parser.add_argument("--output", default="models/pos-ewt-gpu")
    parser.add_argument("--out", default="benchmarks/results/gpu.json")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("benchmarks/gpu.py: this torch sees no CUDA GPU (use --device cpu to try it)")
    data = DataConfig(corpus="ud-english-ewt", tag_field="upos")
    data_dir = Path(args.data_dir) if args.data_dir else None
    test = as_examples(load_split(data, "test", data_dir))
    results: dict = {
        "device": args.device,
        "gpu": torch.cuda.get_device_name() if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "training": train_on(args.device, args.minutes, Path(args.output), args.data_dir),
    }
    results["trained_on_device"] = compare(Path(args.output), args.device, test, args.passes)
    if args.model:
        results["trained_on_cpu"] = compare(Path(args.model), args.device, test, args.passes)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))
    worst = max(
        results[k]["disagreement"] for k in ("trained_on_device", "trained_on_cpu") if k in results
    )
    if worst > args.max_disagreement:
        allowed = 100 * args.max_disagreement
        sys.exit(f"GPU and CPU tags differ on {100 * worst:.3f}% of tokens (allowed {allowed}%)")


if __name__ == "__main__":
    main()
