"""`tagger tag --int8` end to end with weights packed for oneDNN against fbgemm, one run.

    python benchmarks/int8_engines.py --model models/pos-ewt [--passes 3] [--threads 1]

tagger.backends.quantized packs int8 weights for oneDNN where the CPU has VNNI; this
times the same model packed for torch's default engine (x86, i.e. fbgemm) beside it, on
the speed harness's text (EWT test `# text` lines repeated to --words words), and gives
both accuracies on EWT test. Needs the corpus (TAGGER_DATA_DIR or --data-dir).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import torch
from speed import end_to_end, harness_parser, interleaved

import tagger.backends
from tagger.config import DataConfig
from tagger.data.catalog import load_catalog, resolve_split
from tagger.data.conllu import read_conllu_text
from tagger.data.corpus import load_split
from tagger.data.dataset import as_lists
from tagger.evaluate import tag_scores
from tagger.predict import Predictor


def main() -> None:
    args = harness_parser(__doc__).parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data_dir = Path(args.data_dir) if args.data_dir else None
    texts = read_conllu_text(resolve_split(load_catalog()["ud-english-ewt"], "test", data_dir))
    tokens, gold = as_lists(load_split(DataConfig(corpus="ud-english-ewt"), "test", data_dir))
    repeat = -(-args.words // sum(len(s) for s in tokens))

    chosen = tagger.backends.int8_engine()
    predictors = {f"int8, {chosen} (chosen)": Predictor.load(args.model, int8=True)}
    default = tagger.backends.int8_engine
    tagger.backends.int8_engine = lambda: "x86"  # torch's default engine: fbgemm
    try:
        predictors["int8, x86 (fbgemm)"] = Predictor.load(args.model, int8=True)
    finally:
        tagger.backends.int8_engine = default

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.txt"
        source.write_text("\n".join(texts * repeat) + "\n", encoding="utf-8")
        systems = {
            name: end_to_end(p, source, Path(tmp) / f"{i}.conllu")
            for i, (name, p) in enumerate(predictors.items())
        }
        speeds = interleaved(systems, args.passes)
    print(f"torch threads: {torch.get_num_threads()}")
    for name, predictor in predictors.items():
        upos = 100 * tag_scores(gold, predictor.predict(tokens))["accuracy"]
        print(f"{name:<24} {speeds[name]:>10,.0f} words/s   EWT test UPOS {upos:.4f}")
    first, second = speeds.values()
    print(f"ratio {first / second:.2f}x")


if __name__ == "__main__":
    main()
