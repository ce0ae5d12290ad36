"""Ray tagging with 1 and 2 actors on this machine, against local `tagger tag`.

    python benchmarks/ray_tagging.py --model models/pos-ewt --mb 4 --passes 3

Writes MB megabytes of EWT test raw text (its `# text` lines, repeated), tags it once
with local `tagger tag --threads 1` (the reference bytes), then alternately with
`--ray local --workers 1` and `--workers 2`, each pass in a fresh process. Reports, per
pass, the wall time of the whole command and words/s, whether the output is identical
to the local run, and the median of each. Then, in this process on one local Ray, the
steady rate: words/s from the first block's result to the last (actor start-up, a few
seconds on an idle machine, left out), 1 and 2 actors in turn. Prints and writes JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tagger.data.catalog import load_catalog, resolve_split


def text_of(mb: float, folder: Path) -> tuple[Path, int]:
    """A file of EWT test's raw sentences, repeated to `mb` megabytes; its word count."""
    conllu = resolve_split(load_catalog()["ud-english-ewt"], "test")
    sentences = [
        line[len("# text = ") :]
        for line in conllu.read_text(encoding="utf-8").splitlines()
        if line.startswith("# text = ")
    ]
    path = folder / "text.txt"
    size, lines = 0, []
    while size < mb * 1e6:
        for sentence in sentences:
            lines.append(sentence)
            size += len(sentence.encode()) + 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, sum(len(s.split()) for s in lines)


def timed(command: list[str], out: Path) -> tuple[float, str]:
    """Seconds of a command writing `out`, and the sha256 of what it wrote."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stderr=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return seconds, hashlib.sha256(out.read_bytes()).hexdigest()


def steady_rates(model: str, text: Path, passes: int) -> list[dict]:
    """Words/s between the first and the last block result, per pass and actor count."""
    from tagger.cluster import TagOptions, connect, plan_blocks, tag_blocks

    connect("local")
    blocks = list(plan_blocks([text], "stop", print))
    options = TagOptions(model=model, fmt="conllu")
    rows = []
    for number in range(passes):
        for workers in (1, 2):
            first, words = 0.0, 0
            for index, done in enumerate(tag_blocks(blocks, options, workers)):
                if index == 0:
                    first = time.perf_counter()
                else:
                    words += sum(len(s.tokens) for s in done.results)
            seconds = time.perf_counter() - first
            row = {"pass": number + 1, "workers": workers, "words_after_first_block": words}
            row.update(seconds=seconds, words_per_s=words / seconds)
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--mb", type=float, default=4.0)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--out", default="benchmarks/results/ray_tagging.json")
    args = parser.parse_args()
    tagger = [sys.executable, "-m", "tagger", "tag", args.model]
    env = {**os.environ, "RAY_AUTH_MODE": "disabled"}
    os.environ.update(env)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        text, words = text_of(args.mb, folder)
        local_out = folder / "local.conllu"
        local_s, reference = timed(
            [*tagger, str(text), "--threads", "1", "-o", str(local_out)], local_out
        )
        rows = []
        for number in range(args.passes):
            for workers in (1, 2):
                out = folder / f"ray{workers}.conllu"
                command = [*tagger, str(text), "--ray", "local", "--workers", str(workers)]
                seconds, digest = timed([*command, "-o", str(out)], out)
                row = {
                    "pass": number + 1,
                    "workers": workers,
                    "seconds": seconds,
                    "words_per_s": words / seconds,
                    "identical_to_local": digest == reference,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
        steady = steady_rates(args.model, text, args.passes)
    medians = {
        w: statistics.median(r["words_per_s"] for r in rows if r["workers"] == w) for w in (1, 2)
    }
    summary = {
        "mb": args.mb,
        "words": words,
        "local_threads1_s": local_s,
        "local_words_per_s": words / local_s,
        "passes": rows,
        "median_words_per_s": medians,
        "ratio_2_to_1": medians[2] / medians[1],
        "all_identical": all(r["identical_to_local"] for r in rows),
        "steady": steady,
        "steady_ratio_2_to_1": statistics.median(
            r["words_per_s"] for r in steady if r["workers"] == 2
        )
        / statistics.median(r["words_per_s"] for r in steady if r["workers"] == 1),
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
