"""Peak memory and completeness of `tagger tag` on raw text of growing size: it must not grow.

    python benchmarks/stream_memory.py --model models/pos-ewt [--sizes 100 1000] [--processes 2]

The text cycles through every raw sentence available in the corpora folder (EWT `# text`
lines, CoNLL-2003/2002/2000 and SST sentences, several languages; SST's trees and phrase
files are left out, as they hold the same sentences again) and gives every line a
token never seen before (`id<line number>`), so the vocabulary keeps growing: the worst
case for anything cached per word. Each size is one fresh `tagger tag MODEL FILE
--output -` process (with `--processes N`, its forked workers too). Its CoNLL-U goes
through a pipe to this script, which checks it as it streams: the surface tokens of each
input line's sentences, put together, must be that line without its whitespace, in input
order, so no token is dropped, reordered or altered. Memory, measured two ways:
- peak RSS of the largest process of the tree (getrusage of a wrapper around it);
- peak PSS of the whole tree (the tagger and its workers, sampled every second from
  /proc/PID/smaps_rollup; PSS splits pages the forked workers share, so the sum is honest).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text

# Runs the tagger, passing its output through, and writes its tree's peak RSS to argv[1].
WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[2:]).returncode
open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""
TRACE_EVERY = 60  # seconds between the points of a run's memory trace


def source_lines(data_dir: Path | None) -> list[str]:
    """Raw sentences from every corpus of the catalog that is on disk."""
    lines: list[str] = []
    for name, spec in load_catalog().items():
        if spec.format not in ("conllu", "conll", "labels") or name.endswith("-phrases"):
            continue  # SST's trees and phrase files: the sentences of sst2/sst5 again
        for split in ("train", "dev", "test"):
            try:
                path = resolve_split(spec, split, data_dir)
            except Exception:  # noqa: BLE001 - a corpus or split that is not on disk
                continue
            if spec.format == "conllu":
                lines += read_conllu_text(path)
            else:
                lines += list(_sentences(path, spec.format))
    return [line for line in lines if line.strip()]


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


def conllu_surfaces(lines: Iterable[str]) -> Iterator[tuple[str, int]]:
    """(surface tokens joined, word count) of each sentence of a CoNLL-U stream."""
    surface: list[str] = []
    words = 0
    range_end = 0
    for line in lines:
        if line == "\n":
            yield "".join(surface), words
            surface, words, range_end = [], 0, 0
        elif not line.startswith("#"):
            word_id, form, _ = line.split("\t", 2)
            if "-" in word_id:
                range_end = int(word_id.split("-")[1])
                surface.append(form)
            else:
                words += 1
                if int(word_id) > range_end:
                    surface.append(form)


def check_stream(output: Iterable[str], text: Path) -> dict:
    """Match the tagged sentences against the input lines; counts, or the first mismatch."""
    sentences = conllu_surfaces(output)
    lines = words = 0
    with text.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            want = "".join(line.split())
            got = ""
            while len(got) < len(want):
                surface, count = next(sentences, ("", 0))
                if not surface:
                    return {"complete": False, "first_mismatch": f"line {number}: output ended"}
                got += surface
                words += count
            if got != want:
                return {"complete": False, "first_mismatch": f"line {number}: {got[:80]!r}"}
            lines += 1
    extra = next(sentences, None)
    return {"complete": extra is None, "lines_checked": lines, "words_written": words}


class TreePss:
    """Samples the summed PSS of a process and all its descendants, in a thread."""

    def __init__(self, pid: int, every: float = 1.0) -> None:
        self.pid, self.every = pid, every
        self.peak_kb = 0
        self.most_processes = 0
        self.trace: list[tuple[int, int]] = []  # (seconds, tree PSS in MB) every TRACE_EVERY s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def stop(self) -> float:
        """Stop sampling; the peak in MB."""
        self._stop.set()
        self._thread.join()
        return self.peak_kb / 1024

    def _run(self) -> None:
        start = time.perf_counter()
        while not self._stop.wait(self.every):
            tree = _descendants(self.pid)
            self.most_processes = max(self.most_processes, len(tree))
            pss = sum(_pss_kb(pid) for pid in tree)
            self.peak_kb = max(self.peak_kb, pss)
            seconds = int(time.perf_counter() - start)
            if not self.trace or seconds - self.trace[-1][0] >= TRACE_EVERY:
                self.trace.append((seconds, pss // 1024))


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tag_and_check(command: list[str], text: Path) -> dict:
    """Run the tagger on `text`, check its output as it streams, and measure its memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss_file:
        start = time.perf_counter()
        wrapper = [sys.executable, "-c", WRAPPER, rss_file.name, *command, str(text)]
        proc = subprocess.Popen(wrapper, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        assert proc.stdout is not None
        sampler = TreePss(proc.pid)
        result = check_stream(proc.stdout, text)
        for _ in proc.stdout:  # drain whatever a mismatch left unread
            pass
        code = proc.wait()
        pss = sampler.stop()
        seconds = time.perf_counter() - start
        if code != 0:
            raise SystemExit(f"{' '.join(command)} exited with {code}")
        rss = int(Path(rss_file.name).read_text()) / 1024
    # The wrapper's own PSS (a bare interpreter) is in the tree; it is a few MB.
    return {
        **result,
        "peak_rss_mb": round(rss),
        "peak_tree_pss_mb": round(pss),
        "processes": sampler.most_processes,
        "pss_trace": sampler.trace,  # does the tree's memory level off, or keep growing?
        "seconds": round(seconds),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/pos-ewt")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000], help="MB")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--tmp", default=None, help="folder for the generated text")
    parser.add_argument("--out", default="benchmarks/results/stream_memory.json")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    lines = source_lines(data_dir)
    if not lines:
        where = data_dir or "the catalog's default folders"
        parser.error(
            f"no corpus of the catalog found in {where}; pass --data-dir or set TAGGER_DATA_DIR"
        )
    results: dict = {"source_sentences": len(lines), "processes": args.processes, "runs": []}
    command = [sys.executable, "-m", "tagger", "tag", args.model, "--output", "-"]
    command += ["--threads", str(args.threads), "--processes", str(args.processes)]
    with tempfile.TemporaryDirectory(dir=args.tmp) as tmp:
        for megabytes in args.sizes:
            text = Path(tmp) / f"{megabytes}mb.txt"
            count = write_text(text, lines, megabytes)
            run = {"megabytes": megabytes, "lines": count, **tag_and_check(command, text)}
            results["runs"].append(run)
            text.unlink()
            print(json.dumps({k: v for k, v in run.items() if k != "pss_trace"}), flush=True)
    first, last = results["runs"][0], results["runs"][-1]
    for key in ("peak_rss_mb", "peak_tree_pss_mb"):
        results[f"growth_{key}"] = last[key] / first[key] - 1
        print(
            f"{key} from {first['megabytes']} MB to {last['megabytes']} MB: "
            f"{100 * results[f'growth_{key}']:+.1f}%"
        )
    results["all_complete"] = all(run["complete"] for run in results["runs"])
    print("every token written, in order:", results["all_complete"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    if not results["all_complete"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
