"""Inputs as text tools take them: stdin, pipes, /dev/fd/N, gzip, bzip2 and xz."""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
from pathlib import Path

import pytest
from helpers import fifo_with

from tagger.data.conllu import read_conllu
from tagger.data.corpus import guess_format
from tagger.data.dataset import as_lists
from tagger.data.errors import CorpusError
from tagger.data.inputs import base_suffix, is_readable, spooled
from tagger.data.lines import decoded_lines

TEXT = "first line\nsecond line é\n"
CONLLU = "1\tThe\t_\tDET\t_\t_\t_\t_\t_\t_\n2\tdog\t_\tNOUN\t_\t_\t_\t_\t_\t_\n\n"


@pytest.mark.parametrize(
    ("suffix", "compress"), [(".gz", gzip.compress), (".bz2", bz2.compress), (".xz", lzma.compress)]
)
def test_compressed_files_read_transparently(tmp_path: Path, suffix: str, compress) -> None:  # noqa: ANN001
    path = tmp_path / f"text.txt{suffix}"
    path.write_bytes(compress(TEXT.encode()))
    assert list(decoded_lines(path)) == [(1, "first line"), (2, "second line é")]
    conllu = tmp_path / f"dev.conllu{suffix}"
    conllu.write_bytes(compress(CONLLU.encode()))
    assert guess_format(str(conllu)) == "conllu"
    assert as_lists(read_conllu(conllu)) == ([["The", "dog"]], [["DET", "NOUN"]])


def test_a_truncated_gzip_file_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.txt.gz"
    lines = "".join(f"{os.urandom(16).hex()}\n" for _ in range(5000)).encode()
    path.write_bytes(gzip.compress(lines)[:20000])  # cut in the middle
    with pytest.raises(CorpusError, match=r"cut\.txt\.gz:\d+: expected a complete gzip stream"):
        list(decoded_lines(path))


def test_a_file_that_only_claims_to_be_gzip(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt.gz"
    path.write_text("not compressed\n")
    with pytest.raises(CorpusError, match=r"plain\.txt\.gz:1: expected a complete gzip stream"):
        list(decoded_lines(path))


def test_named_pipes_and_devices_are_inputs_folders_are_not(tmp_path: Path) -> None:
    pipe = fifo_with(tmp_path, TEXT.encode())
    assert is_readable(pipe) and is_readable("-") and is_readable("/dev/null")
    assert not is_readable(tmp_path) and not is_readable(tmp_path / "missing")
    assert [line for _, line in decoded_lines(pipe)] == ["first line", "second line é"]


def test_spooled_copies_a_pipe_and_keeps_its_suffixes(tmp_path: Path) -> None:
    pipe = fifo_with(tmp_path, gzip.compress(CONLLU.encode()), name="dev.conllu.gz")
    with spooled(pipe) as copy:
        assert copy.is_file() and copy.name.endswith(".conllu.gz")
        assert base_suffix(copy) == ".conllu"
        assert as_lists(read_conllu(copy))[0] == [["The", "dog"]]
    assert not copy.exists()
    regular = tmp_path / "x.conllu"
    regular.write_text(CONLLU)
    with spooled(regular) as same:
        assert same == regular
