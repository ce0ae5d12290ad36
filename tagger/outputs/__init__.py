"""The one way anything is written: a temporary sibling, fsync, then a rename into place.

A command checks its outputs with `check_output` before any work starts: an output that
is one of its inputs, holds an input or the current folder, is part of an input folder,
is a folder of another kind, or holds files the command did not write (without
`force`) is refused with one line. `atomic_file` and `replace_folder` then write; on
any error or signal the target is untouched and the temporary removed (a SIGKILL
leaves only a hidden `.NAME.PID-N.tagger-part` sibling, removed by the next write).
"""

from tagger.outputs.checks import OutputError, check_output
from tagger.outputs.kinds import (
    EXPLAIN,
    KINDS,
    MODEL,
    PIPELINE,
    PLOTS,
    TEMP_TAG,
    FolderKind,
    kind_of,
)
from tagger.outputs.write import (
    atomic_file,
    remove_stale,
    replace_folder,
    write_bytes,
    write_text,
)

__all__ = [
    "EXPLAIN",
    "KINDS",
    "MODEL",
    "PIPELINE",
    "PLOTS",
    "TEMP_TAG",
    "FolderKind",
    "OutputError",
    "atomic_file",
    "check_output",
    "kind_of",
    "remove_stale",
    "replace_folder",
    "write_bytes",
    "write_text",
]
