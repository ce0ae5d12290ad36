"""Two parts of `tagger tag`'s time, measured alone (issue 27's speed work).

    python benchmarks/tag_parts.py --model models/pos-ewt-fast-avx2-3min-s1 --part gates
    python benchmarks/tag_parts.py --model models/pos-ewt-fast-avx2-3min-s1 --part collector

The text is EWT test's `# text` lines, --repeat times. `gates`: the network's time to
label the tokenized text (warm, --threads torch threads), with the first-layer GateCache
and without it (TorchNetwork.gates = None), taken in turn --passes times. `collector`:
one `tagger tag` of the text in this process as the CLI runs it, with the time Python's
cyclic collector spent per generation (gc.callbacks), as the command does it (paused over
start-up, then frozen) or, with --collector-always-on, as before.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text


def ewt_text(repeat: int, data_dir: str | None) -> Path:
    spec = load_catalog()["ud-english-ewt"]
    split = resolve_split(spec, "test", Path(data_dir) if data_dir else None)
    lines = [text.replace("\n", " ") for text in read_conllu_text(split)] * repeat
    path = Path(tempfile.mkdtemp(prefix="tag-parts-")) / "text.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def gates(model: str, text: Path, threads: int, passes: int) -> None:
    import torch

    from tagger.predict import Predictor
    from tagger.serving import ServeOptions
    from tagger.tokenizer.base import sentence_words

    torch.set_num_threads(threads)
    predictor = Predictor.serve(model, ServeOptions())
    lines = text.read_text(encoding="utf-8").splitlines()
    blocks = [lines[i : i + 1024] for i in range(0, len(lines), 1024)]
    words = [[sentence_words(s) for ss in predictor._sentences(b) for s in ss] for b in blocks]
    cache = predictor.network.gates
    seconds: dict[str, list[float]] = {"with GateCache": [], "without": []}
    for _ in range(passes + 1):  # the first pass warms both up
        for name in seconds:
            predictor.network.gates = cache if name == "with GateCache" else None
            start = time.perf_counter()
            for block in words:
                predictor.predict_ids(block)
            seconds[name].append(time.perf_counter() - start)
    for name, times in seconds.items():
        print(f"{name:<16} " + " ".join(f"{t:.2f}" for t in times[1:]) + " s")


def collector(model: str, text: Path, always_on: bool) -> None:
    spent = {0: 0.0, 1: 0.0, 2: 0.0}
    count = {0: 0, 1: 0, 2: 0}
    started = [0.0]

    def timed(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            spent[info["generation"]] += time.perf_counter() - started[0]
            count[info["generation"]] += 1

    gc.callbacks.append(timed)
    if always_on:
        import tagger.start_up

        tagger.start_up.pause_collector = lambda: None  # type: ignore[assignment]
    from tagger.cli import main

    out = text.parent / "out.conllu"
    start = time.perf_counter()
    try:
        main(["tag", model, str(text), "-o", str(out)])
    except SystemExit:
        pass
    total = time.perf_counter() - start
    print(
        f"process {total:.2f} s; collections per generation: {count}; seconds: "
        + ", ".join(f"{g}: {s:.3f}" for g, s in spent.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--part", choices=["gates", "collector"], required=True)
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--collector-always-on", action="store_true")
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    args = parser.parse_args()
    text = ewt_text(args.repeat, args.data_dir)
    if args.part == "gates":
        gates(args.model, text, args.threads, args.passes)
    else:
        collector(args.model, text, args.collector_always_on)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
