"""Peak memory of `tagger tag` on a 10 MB and a 100 MB raw-text file: it must not grow.

    python benchmarks/stream_memory.py --model models/pos-ewt [--sizes 10 100] [--threads 0]

The text cycles through every raw sentence available in the corpora folder (EWT `# text`
lines, CoNLL-2003/2002/2000 and SST sentences, several languages) and gives every line a
token never seen before (`id<line number>`), so the vocabulary keeps growing: the worst
case for anything cached per word. Each run is a fresh `tagger tag MODEL FILE -o /dev/null`
process; its peak RSS is read from getrusage of a wrapper process around it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text

WRAPPER = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def source_lines(data_dir: Path | None) -> list[str]:
    """Raw sentences from every corpus of the catalog that is on disk."""
    lines: list[str] = []
    for spec in load_catalog().values():
        for split in ("train", "dev", "test"):
            try:
                path = resolve_split(spec, split, data_dir)
            except Exception:  # noqa: BLE001 - a corpus or split that is not on disk
                continue
            if spec.format == "conllu":
                lines += read_conllu_text(path)
            else:
                lines += list(_sentences(path, spec.format))
    return lines


def _sentences(path: Path, fmt: str) -> Iterator[str]:
    """Sentences of a `LABEL text` file, or of a column file (words in the first column)."""
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if fmt == "labels":
        yield from (parts[1] for raw in text if len(parts := raw.split(maxsplit=1)) == 2)
        return
    words: list[str] = []
    for raw in [*text, ""]:
        parts = raw.split()
        if parts and parts[0] != "-DOCSTART-":
            words.append(parts[0])
        elif words:
            yield " ".join(words)
            words = []


def write_text(path: Path, lines: list[str], megabytes: int) -> int:
    """Cycle through `lines`, each with a unique token, up to `megabytes` MB; line count."""
    limit = megabytes * 1_000_000
    size = count = 0
    with path.open("w", encoding="utf-8") as f:
        while size < limit:
            line = f"{lines[count % len(lines)]} id{count}\n"
            f.write(line)
            size += len(line.encode("utf-8"))
            count += 1
    return count


def peak_rss_mb(command: list[str]) -> tuple[float, float]:
    """(peak RSS in MB, seconds) of `command` run as a fresh process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *command], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return int(done.stdout.split()[-1]) / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/pos-ewt")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100], help="MB")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/stream_memory.json")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    lines = source_lines(data_dir)
    if not lines:
        where = data_dir or "the catalog's default folders"
        parser.error(
            f"no corpus of the catalog found in {where}; pass --data-dir or set TAGGER_DATA_DIR"
        )
    results: dict = {"source_sentences": len(lines), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.sizes:
            text = Path(tmp) / f"{megabytes}mb.txt"
            count = write_text(text, lines, megabytes)
            command = [sys.executable, "-m", "tagger", "tag", args.model, str(text)]
            command += ["-o", os.devnull, "--threads", str(args.threads)]
            rss, seconds = peak_rss_mb(command)
            run = {"megabytes": megabytes, "lines": count, "peak_rss_mb": rss, "seconds": seconds}
            results["runs"].append(run)
            text.unlink()
            print(json.dumps(run), flush=True)
    first, last = results["runs"][0], results["runs"][-1]
    results["growth"] = last["peak_rss_mb"] / first["peak_rss_mb"] - 1
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(
        f"peak RSS growth from {first['megabytes']} MB to {last['megabytes']} MB: "
        f"{100 * results['growth']:+.1f}%"
    )


if __name__ == "__main__":
    main()
