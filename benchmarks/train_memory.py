"""RSS of a `tagger train` process, epoch after epoch: it must stop growing (issue 24).

    python benchmarks/train_memory.py [--config configs/pos-ewt.toml] [--epochs 12]
        [--data-dir /work/shared/corpora] [--set train.max_train_sentences=2000]
        [--env NAME=VALUE] [--json result.json]
    python benchmarks/train_memory.py --report result.json    # its table again

Runs `tagger train CONFIG` (fp32, 2 threads, no early stop, no time budget, CONFIG's
corpus) into a temporary folder, samples the process's VmRSS and VmHWM (peak RSS) from
/proc every second, and reads train_log.jsonl to know when each epoch ended (after its dev scoring
and the files written). Prints the RSS after each epoch, its lowest and highest during
each, and compares the peak with the RSS after epoch 2 (the acceptance figure: within
10%) and with the peak reached by the end of epoch 2 (growth after epoch 2).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

LOG = "train_log.jsonl"
BASE_SETTINGS = (
    "train.precision=fp32",
    "train.threads=2",
    "train.patience=100",  # no early stop
    "train.max_minutes=0",  # the config's 30-minute budget ends a slow machine's run early
)
SAMPLE_SECONDS = 1.0
REFERENCE_EPOCH = 2


def status_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process in MB; empty once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    values = {}
    for line in lines:
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024
    return values


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def epochs_logged(log: Path) -> list[dict]:
    """The complete lines of train_log.jsonl so far."""
    try:
        lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    except OSError:
        return []
    return [json.loads(line) for line in lines if line.endswith("\n")]


def command(args: argparse.Namespace, output: Path) -> list[str]:
    """The `tagger train` command line measured."""
    settings = [*BASE_SETTINGS, f"train.max_epochs={args.epochs}", *args.set]
    line = [sys.executable, "-m", "tagger", "train", str(args.config), "-o", str(output), "-q"]
    for setting in settings:
        line += ["--set", setting]
    if args.data_dir:
        line += ["--data-dir", str(args.data_dir)]
    return line


@dataclass
class Samples:
    """What was read of the training process so far."""

    after: list[dict] = field(default_factory=list)  # one row per epoch ended
    trace: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MB)
    last: dict[str, float] = field(default_factory=dict)  # the latest VmRSS and VmHWM

    def take(self, pid: int, log: Path, seconds: float) -> None:
        """One sample; a row for each epoch that train_log.jsonl gained since the last."""
        now = status_mb(pid)
        if not now:
            return
        self.last = now
        self.trace.append((round(seconds, 1), round(now["VmRSS"], 1)))
        for epoch in epochs_logged(log)[len(self.after) :]:
            cpu = round(cpu_seconds(pid), 1)
            row = {"epoch": epoch["epoch"], "cpu_s": cpu, "wall_s": round(seconds, 1), **now}
            self.after.append({**row, "dev_score": epoch["dev_score"]})
            print(f"epoch {epoch['epoch']:>3}: RSS {now['VmRSS']:,.0f} MB, CPU {cpu} s", flush=True)


def measure(args: argparse.Namespace) -> dict:
    """Train while sampling; the RSS after each epoch, the peak and the trace."""
    env = dict(os.environ, **dict(item.split("=", 1) for item in args.env))
    samples = Samples()
    with tempfile.TemporaryDirectory(prefix="train-memory-") as folder:
        output = Path(folder) / "model"
        line = command(args, output)
        start = time.monotonic()
        process = subprocess.Popen(line, env=env)
        while process.poll() is None:
            samples.take(process.pid, output / LOG, time.monotonic() - start)
            time.sleep(SAMPLE_SECONDS)
    if process.returncode != 0:
        raise SystemExit(f"tagger train failed with exit status {process.returncode}")
    peak = max([row["VmHWM"] for row in samples.after] + [samples.last.get("VmHWM", 0.0)])
    return {
        "command": line[1:],
        "env": args.env,
        "after_epoch": samples.after,
        "peak_mb": peak,
        "trace": samples.trace,
    }


def epoch_ranges(result: dict) -> list[tuple[float, float]]:
    """The lowest and highest RSS sampled during each epoch (its dev scoring and files too)."""
    ranges, begin = [], 0.0
    for row in result["after_epoch"]:
        rss = [mb for t, mb in result["trace"] if begin < t <= row["wall_s"]] or [row["VmRSS"]]
        ranges.append((min(rss), max(rss)))
        begin = row["wall_s"]
    return ranges


def report(result: dict) -> None:
    """The per-epoch table and the peak against epoch 2's RSS and epoch 2's peak."""
    after = result["after_epoch"]
    print("\n| epoch | RSS after | lowest, highest during | peak so far | CPU s | dev |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    cpu = 0.0
    for row, (low, high) in zip(after, epoch_ranges(result), strict=True):
        print(
            f"| {row['epoch']} | {row['VmRSS']:,.0f} | {low:,.0f}, {high:,.0f} "
            f"| {row['VmHWM']:,.0f} | {row['cpu_s'] - cpu:,.0f} | {100 * row['dev_score']:.2f} |"
        )
        cpu = row["cpu_s"]
    peak = result["peak_mb"]
    print(f"\nMB; CPU s of epoch 1 with the loading. Peak RSS {peak:,.0f} MB")
    if len(after) >= REFERENCE_EPOCH:
        row = after[REFERENCE_EPOCH - 1]
        for name, key in (("RSS after", "VmRSS"), ("peak RSS by the end of", "VmHWM")):
            growth = 100 * (peak / row[key] - 1)
            print(f"{name} epoch {REFERENCE_EPOCH}: {row[key]:,.0f} MB, peak {growth:+.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/pos-ewt.toml"))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--set", action="append", default=[], help="more config overrides")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE for the run")
    parser.add_argument("--json", type=Path, default=None, help="write the result here")
    parser.add_argument("--report", type=Path, default=None, help="print a saved result")
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text()))
        return
    result = measure(args)
    report(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, allow_nan=False) + "\n")


if __name__ == "__main__":
    main()
