"""The tune folder: what `tagger tune` writes there, and the check before any work."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tagger.outputs import FolderKind, OutputError, check_output
from tagger.outputs.kinds import is_temp

DATABASE = "study.db"
TUNE_NAMES = frozenset(
    {
        DATABASE,
        f"{DATABASE}-journal",
        f"{DATABASE}-wal",
        f"{DATABASE}-shm",
        "trials",
        "best",
        "best.toml",
        "trials.csv",
        "front",
        "plots",
    }
)
# Given to check_output for what it checks of every output (an input, the current folder,
# the folder of another command); the files a tune folder may hold are checked here.
_PLACE = FolderKind("a tune folder", "tagger tune", frozenset(), frozenset(), lambda _: False)


def check_tune_folder(output: str | Path, inputs: Sequence[str | Path | None]) -> Path:
    """The tune folder to write, or an OutputError: it may hold only a tune's own files."""
    path = check_output(output, inputs, _PLACE, force=True)
    if path.is_dir():
        foreign = sorted(e.name for e in path.iterdir() if e.name not in TUNE_NAMES)
        foreign = [name for name in foreign if not is_temp(name)]
        if foreign:
            shown = ", ".join(foreign[:3]) + (
                f" and {len(foreign) - 3} more" if len(foreign) > 3 else ""
            )
            raise OutputError(
                f"--output {output}: holds files tagger tune did not write ({shown}); give a "
                "new or empty folder, or the folder of an earlier tune"
            )
    return path


def default_storage(folder: Path) -> str:
    """sqlite:///FOLDER/study.db (an absolute path)."""
    return f"sqlite:///{folder.resolve() / DATABASE}"
