"""A tiny config and space as TOML files for the tune tests (seconds per trial)."""

from __future__ import annotations

from pathlib import Path

from toy_corpus import make_tiny_config

from tagger.config import config_to_dict
from tagger.tune.toml_text import toml_text

TINY_SPACE = """\
model.hidden = {low = 8, high = 24, log = true}
train.lr = {low = 0.01, high = 0.05, log = true}
model.char = ["lstm", "cnn"]
"""


def write_tiny(folder: Path, max_epochs: int = 2) -> tuple[Path, Path]:
    """tiny.toml (toy POS corpus, tiny model, `max_epochs`) and space.toml in `folder`."""
    config = make_tiny_config(folder, train={"max_epochs": max_epochs})
    config_path, space_path = folder / "tiny.toml", folder / "space.toml"
    config_path.write_text(toml_text(config_to_dict(config)), encoding="utf-8")
    space_path.write_text(TINY_SPACE, encoding="utf-8")
    return config_path, space_path
