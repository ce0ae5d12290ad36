"""NER benchmark: dev/test F1 (seqeval strict IOB2), per-type F1, and the CRF's share of tagging.

python benchmarks/ner.py --model models/ner-conll03 --corpus conll2003-en [--passes 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import torch

from tagger.data.batching import length_batches
from tagger.data.corpus import load_split
from tagger.data.dataset import as_lists
from tagger.evaluate import evaluate_corpus
from tagger.predict import Predictor


@torch.inference_mode()
def crf_share(predictor: Predictor, sentences: list[list[str]]) -> dict[str, float]:
    """Seconds in the network (embeddings, BiLSTM, emissions) and in Viterbi decoding."""
    model = predictor.artifact.model
    model.eval()
    network = decode = 0.0
    for group in length_batches(
        [len(s) for s in sentences], predictor.batch_size, max_tokens=predictor.max_tokens
    ):
        batch = predictor.encoder.encode([sentences[i] for i in group])
        start = time.perf_counter()
        scores = model(batch)
        middle = time.perf_counter()
        model.head.decode(scores, batch.mask)
        decode += time.perf_counter() - middle
        network += middle - start
    return {"network_seconds": network, "decode_seconds": decode}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default="models/ner-conll03")
    parser.add_argument("--corpus", default="conll2003-en")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--data-dir", default=os.environ.get("TAGGER_DATA_DIR"))
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    data_dir = Path(args.data_dir) if args.data_dir else None
    predictor = Predictor.load(args.model)
    meta = predictor.artifact.meta
    results: dict = {
        "corpus": args.corpus,
        "training_seconds": meta.get("training_seconds"),
        "best_epoch": meta.get("best_epoch"),
        "epochs": meta.get("epoch"),
    }
    for split in ("dev", "test"):
        scores = evaluate_corpus(predictor, args.corpus, split, data_dir=data_dir)
        results[f"{split}_f1"] = scores["f1"]
        results[f"{split}_precision"] = scores["precision"]
        results[f"{split}_recall"] = scores["recall"]
        results[f"{split}_per_type_f1"] = {k: v["f1"] for k, v in scores["per_type"].items()}
    source = predictor.config.data.__class__(corpus=args.corpus)
    tokens, _ = as_lists(load_split(source, "test", data_dir))
    runs = [crf_share(predictor, tokens) for _ in range(args.passes + 1)][1:]
    network = statistics.median(r["network_seconds"] for r in runs)
    decode = statistics.median(r["decode_seconds"] for r in runs)
    n_words = sum(len(s) for s in tokens)
    results["test_words"] = n_words
    results["tagging_words_per_s"] = n_words / (network + decode)
    results["decode_share_of_tagging"] = decode / (network + decode)
    out = Path(args.out or f"benchmarks/results/ner_{args.corpus}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
