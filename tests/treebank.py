"""A toy treebank with raw text: multi-word tokens, SpaceAfter=No and paragraphs.

Sentences come from a few templates such as `I don't like e-mail.` (`don't` is the
multi-word token `do` + `n't`; the full stop has no space before it) and are grouped into
paragraphs of one to three sentences, the way UD English EWT writes its raw text.
"""

from __future__ import annotations

import random
from pathlib import Path

# Each template: tokens as (surface, words) with a space after unless the next is glued.
SUBJECTS = [("I", ("I",)), ("We", ("We",)), ("They", ("They",))]
NAMES = [("Google's", ("Google", "'s")), ("Anna's", ("Anna", "'s")), ("Bob's", ("Bob", "'s"))]
VERBS = [("don't", ("do", "n't")), ("can't", ("ca", "n't")), ("won't", ("wo", "n't"))]
OBJECTS = ["e-mail", "spam", "co-ops", "news", "cats"]
UPOS = {"do": "AUX", "ca": "AUX", "wo": "AUX", "n't": "PART", "'s": "PART", "like": "VERB"}


def toy_sentence(rng: random.Random) -> list[tuple[str, tuple[str, ...], bool]]:
    """(surface, words, space_after) of one sentence."""
    end = rng.choice([".", "!", "?"])
    if rng.random() < 0.5:
        subject, verb = rng.choice(SUBJECTS), rng.choice(VERBS)
        body = [subject, verb, ("like", ("like",))]
    else:
        body = [rng.choice(NAMES), ("boss", ("boss",)), ("sells", ("sells",))]
    obj = rng.choice(OBJECTS)
    tokens = [(s, w, True) for s, w in body] + [(obj, (obj,), False), (end, (end,), True)]
    return tokens


def conllu_paragraphs(n_sentences: int, seed: int) -> str:
    """CoNLL-U of n sentences in paragraphs, with `# newpar` and `# text` lines."""
    rng = random.Random(seed)
    blocks, left, number = [], n_sentences, 0
    while left > 0:
        size = min(left, rng.choice([1, 2, 3]))
        for k in range(size):
            number += 1
            tokens = toy_sentence(rng)
            text = "".join(s + (" " if space else "") for s, _, space in tokens).strip()
            lines = [f"# sent_id = {number}"]
            if k == 0:
                lines.append(f"# newpar id = p{number}")
            lines.append(f"# text = {text}")
            i = 1
            for surface, words, space in tokens:
                misc = "_" if space else "SpaceAfter=No"
                if len(words) > 1:
                    lines.append("\t".join([f"{i}-{i + len(words) - 1}", surface, *"_" * 7, misc]))
                    misc = "_"
                for word in words:
                    upos = UPOS.get(word, "PUNCT" if word in ".!?" else "NOUN")
                    lines.append("\t".join([str(i), word, "_", upos, *"_" * 5, misc]))
                    i += 1
            blocks.append("\n".join(lines) + "\n")
        left -= size
    return "\n".join(blocks) + "\n"


def write_treebank(folder: Path, n_train: int = 60, n_dev: int = 12) -> tuple[Path, Path]:
    """train.conllu and dev.conllu of the toy treebank in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    train, dev = folder / "train.conllu", folder / "dev.conllu"
    train.write_text(conllu_paragraphs(n_train, seed=1), encoding="utf-8")
    dev.write_text(conllu_paragraphs(n_dev, seed=2), encoding="utf-8")
    return train, dev
