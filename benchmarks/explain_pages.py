"""Explain pages and reports of the benchmark models, their screenshots, and timings.

    python benchmarks/explain_pages.py --pos models/pos-ewt --ner models/ner-conll03 \
        --sst2 models/sst2 --out docs/explain          # make bench-explain

For each model: `tagger explain` on an example sentence (page, pictures, JSON) and
`tagger report` on its corpus, both screenshotted in headless Chromium (PNG, for the
README). Timings, as medians of --runs runs in this process: explain of a 50-token
sentence (JSON only, and with every picture) and --stats over EWT dev. The saturation
table of the POS model goes to OUT/pos-stats/stats.json. Prints one JSON summary.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from tagger.explain.browser import screenshot
from tagger.explain.command import corpus_stats, explain_text, write_page, write_stats
from tagger.explain.plots import sentence_pictures
from tagger.explain.report import write_report
from tagger.predict import Predictor

EXAMPLES = {
    "pos": "The old man the boats , and the young watch them from the shore .",
    "ner": "Peter Blackburn , the European Commission 's envoy , flew from Brussels to "
    "Washington on Monday .",
    "sst2": "not bad at all , though the ending drags",
}
CORPORA = {"pos": "ud-english-ewt", "ner": "conll2003-en", "sst2": "sst-trees"}
# 50 tokens of EWT-like text, for the timing of one long sentence.
LONG = (
    "When the committee finally met on Thursday , the members who had argued for the "
    "new rules were surprised to find that most of the people in the room , including "
    "several who had said nothing before , now agreed that the old system had failed "
    "and should be replaced soon ."
)


def median_seconds(work, runs: int) -> float:  # noqa: ANN001 - any callable
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pages(kind: str, model: Path, out: Path, split: str) -> dict:
    """The explain page and the report of one model, with their screenshots."""
    predictor = Predictor.load(model)
    folder = out / kind
    page = write_page(explain_text(predictor, EXAMPLES[kind]), folder / "explain", model.name)
    report = write_report(model, CORPORA[kind], folder / "report.html", split=split)
    errors = screenshot(page, out / f"{kind}-explain.png", width=1280, height=1400)
    errors += screenshot(report, out / f"{kind}-report.png", width=1280, height=1400)
    return {"model": str(model), "page": str(page), "report": str(report), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pos", type=Path, required=True)
    parser.add_argument("--ner", type=Path)
    parser.add_argument("--sst2", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/explain"))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(2)
    args.out.mkdir(parents=True, exist_ok=True)
    summary: dict = {"threads": torch.get_num_threads()}
    predictor = Predictor.load(args.pos)
    tokens = LONG.split()
    summary["long_sentence_tokens"] = len(tokens)
    explain_text(predictor, LONG, tokenized=True)  # warm-up
    summary["explain_json_s"] = median_seconds(
        lambda: explain_text(predictor, LONG, tokenized=True), args.runs
    )
    summary["explain_pictures_s"] = median_seconds(
        lambda: [sentence_pictures(e) for e in explain_text(predictor, LONG, tokenized=True)],
        args.runs,
    )
    start = time.perf_counter()
    stats = corpus_stats(args.pos, "ud-english-ewt", "dev")
    summary["stats_ewt_dev_s"] = time.perf_counter() - start
    summary["stats_tokens"] = stats.tokens
    write_stats(stats, args.out / "pos-stats", args.pos.name, "ud-english-ewt dev")
    summary["saturation"] = stats.table()
    for kind, model in (("pos", args.pos), ("ner", args.ner), ("sst2", args.sst2)):
        if model is not None:
            summary[kind] = pages(kind, model, args.out, "test")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
