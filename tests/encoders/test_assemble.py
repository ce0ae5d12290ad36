"""`make encoders`' assembler on fake installed packages holding the tiny BERT: MiniLM's
model folder copied, MPNet's five zip pieces joined and unzipped, both checked by loading."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest

from tagger.encoders import assemble as assembler
from tagger.encoders import load_encoder
from tagger.encoders.load import ENCODER_DIR_ENV


def fake_site(tiny_bert: Path, site: Path) -> None:
    """Installed-package folders laid out as the two PyPI encoders lay theirs out."""
    minilm = site / assembler.MINILM_PACKAGE / "model"
    minilm.mkdir(parents=True)
    for path in tiny_bert.iterdir():
        (minilm / path.name).write_bytes(path.read_bytes())
    (minilm / "modules.json").write_text("[]")  # a sentence-transformers file, left out
    joined = site / "joined.zip"
    with zipfile.ZipFile(joined, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in tiny_bert.iterdir():
            archive.write(path, f"all-mpnet-base-v2/{path.name}")
        archive.writestr("all-mpnet-base-v2/1_Pooling/config.json", "{}")
        archive.writestr("all-mpnet-base-v2/desktop.ini", "")
    data = joined.read_bytes()
    size = len(data) // 5 + 1
    for n, part in enumerate(assembler.MPNET_PARTS):
        folder = site / part / "input"
        folder.mkdir(parents=True)
        (folder / f"all-mpnet-base-v2.zip.00{n + 1}").write_bytes(data[n * size : (n + 1) * size])
    joined.unlink()


def test_both_encoders_assembled_and_found_by_short_name(
    tiny_bert: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_site(tiny_bert, tmp_path / "site")
    monkeypatch.setattr(sys, "path", [str(tmp_path / "site"), *sys.path])
    monkeypatch.setenv(ENCODER_DIR_ENV, str(tmp_path / "encoders"))
    weights = load_encoder(str(tiny_bert)).weights_sha256
    for name in ("minilm", "mpnet"):
        folder = assembler.assemble(name, tmp_path / "encoders", dim=16)
        names = sorted(path.name for path in folder.iterdir())
        assert names == sorted(path.name for path in tiny_bert.iterdir())
        assert load_encoder(name).weights_sha256 == weights
    with pytest.raises(ValueError, match=r"gave \(1, 3, 16\), not \(1, 3, 384\)"):
        assembler.assemble("minilm", tmp_path / "encoders")
    assert load_encoder("minilm").weights_sha256 == weights  # the failed rebuild left it whole
