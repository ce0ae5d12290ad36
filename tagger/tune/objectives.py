"""What a study optimises: the dev score, and optionally the model's speed (words/s
tagging the dev text end to end), its size (parameters) or its training time."""

from __future__ import annotations

import time
from pathlib import Path

from tagger.config import Config
from tagger.data.dataset import as_examples
from tagger.tasks import get_task

# name: (direction, what it is)
OBJECTIVES = {
    "dev": ("maximize", "the best dev score of the trial"),
    "words_per_s": ("maximize", "words/s tagging the dev text end to end, one process, CPU"),
    "params": ("minimize", "parameters of the model"),
    "train_minutes": ("minimize", "training minutes"),
}
WARM_UP_LINES = 32  # tagged first, untimed: spaCy's tokenizer and the first batch's set-up


def parse_objectives(text: str) -> list[str]:
    """`dev,words_per_s` -> ["dev", "words_per_s"]; the first is always `dev`."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in OBJECTIVES:
            raise ValueError(f"--objectives: unknown {name!r}; known: {', '.join(OBJECTIVES)}")
    if not names or names[0] != "dev":
        raise ValueError(f"--objectives: expected dev first (dev,words_per_s), got {text!r}")
    if len(set(names)) != len(names):
        raise ValueError(f"--objectives: an objective is named twice in {text!r}")
    return names


def directions(names: list[str]) -> list[str]:
    return [OBJECTIVES[name][0] for name in names]


def dev_text(config: Config, data_dir: Path | None) -> list[str]:
    """The dev corpus as raw text lines, one sentence a line (its tokens joined by spaces)."""
    dev = get_task(config.task).load_split(config.data, "dev", data_dir)
    tokens, _ = as_examples(dev)
    return [" ".join(sentence) for sentence in tokens]


def words_per_s(model: Path, lines: list[str], block: int = 1024) -> float:
    """Words/s of tagging `lines` with the model folder `model` in this process, on the
    CPU, as `tagger tag` does (tokenizer, network, decoding), after an untimed warm-up."""
    from tagger.predict import Predictor

    predictor = Predictor.load(model, device="cpu")
    task = predictor.task
    task.tag_block(predictor, lines[:WARM_UP_LINES], False, False, False)
    words = 0
    start = time.perf_counter()
    for i in range(0, len(lines), block):
        results = task.tag_block(predictor, lines[i : i + block], False, False, False)
        words += sum(len(result.tokens) for result in results)
    seconds = time.perf_counter() - start
    return words / seconds if seconds > 0 else 0.0
