"""The corpus catalog: parsing, local/cache/download resolution, checksums, the real EWT."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from tagger.data.catalog import (
    CatalogEntry,
    SplitFile,
    corpus_table,
    load_catalog,
    read_split,
    resolve_split,
)
from tagger.data.dataset import as_lists
from tagger.data.errors import CorpusError

SHARED_CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
DATA = b"EU I-ORG\nrejects O\n\nPeter I-PER\n"
SHA = hashlib.sha256(DATA).hexdigest()
URL = "https://example.org/tiny.txt"


@pytest.fixture(autouse=True)
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see no TAGGER_* variables of the machine they run on."""
    for name in ("TAGGER_CATALOG", "TAGGER_DATA_DIR", "TAGGER_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)


def tiny_entry(url: str = URL, sha256: str = SHA) -> CatalogEntry:
    """A two-column corpus with one split, `tiny/train.txt`."""
    split = SplitFile(file="tiny/train.txt", url=url, sha256=sha256)
    return CatalogEntry(name="tiny", format="conll", lang="en", splits={"train": split})


def never_called(url: str) -> io.BytesIO:
    """An opener for tests that must not download."""
    raise AssertionError(f"unexpected download of {url}")


def test_real_catalog_ewt_entry() -> None:
    catalog = load_catalog()
    assert {"ud-english-ewt", "conll2003-en", "conll2002-es", "conll2002-nl", "conll2000"} <= set(
        catalog
    )
    ewt = catalog["ud-english-ewt"]
    assert (ewt.format, ewt.lang, ewt.tag_field) == ("conllu", "en", "upos")
    assert ewt.license == "CC BY-SA 4.0"
    assert list(ewt.splits) == ["train", "dev", "test"]
    train = ewt.splits["train"]
    assert train.file == "ud-english-ewt/en_ewt-ud-train.conllu"
    assert train.url == (
        "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/r2.16/"
        "en_ewt-ud-train.conllu"
    )
    assert train.sha256 == "3fb78e2b55482c8ee00caa653af436c88c9e5bc9a73ce26e4ae3ddc79d2b7e7b"
    conll03 = catalog["conll2003-en"]
    assert (conll03.scheme, conll03.word_column, conll03.tag_column) == ("IOB1", 0, -1)
    assert conll03.splits["dev"].file == "conll2003-en/eng.testa"
    assert list(catalog["conll2000"].splits) == ["train", "test"]


def test_catalog_path_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cat.toml"
    path.write_text(
        '[tiny]\nformat = "conll"\n[tiny.splits.train]\n'
        f'file = "tiny/train.txt"\nurl = ""\nsha256 = "{SHA}"\n'
    )
    monkeypatch.setenv("TAGGER_CATALOG", str(path))
    entry = load_catalog()["tiny"]
    assert entry == CatalogEntry(
        name="tiny", format="conll", splits={"train": SplitFile("tiny/train.txt", "", SHA)}
    )
    assert (entry.tag_field, entry.word_column, entry.tag_column) == ("upos", 0, -1)


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('format = "conll"\ncolour = "red"', "corpus 'tiny': unknown key 'colour'"),
        ('format = "conll"\nword_column = "0"', "corpus 'tiny': expected word_column to be int"),
        ('format = "csv"', "corpus 'tiny': expected format one of conllu, conll"),
        ('format = "conllu"\ntag_field = "deprel"', "expected tag_field one of upos, xpos"),
    ],
)
def test_catalog_rejects_bad_entries(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "cat.toml"
    path.write_text(
        f'[tiny]\n{toml}\n[tiny.splits.train]\nfile = "t"\nurl = ""\nsha256 = "{SHA}"\n'
    )
    with pytest.raises(ValueError, match=expected):
        load_catalog(path)


def test_catalog_rejects_unknown_split_key(tmp_path: Path) -> None:
    path = tmp_path / "cat.toml"
    path.write_text(
        '[tiny]\nformat = "conll"\n[tiny.splits.train]\n'
        f'file = "t"\nurl = ""\nsha256 = "{SHA}"\nmd5 = "x"\n'
    )
    with pytest.raises(ValueError, match="corpus 'tiny': split 'train': unknown key 'md5'"):
        load_catalog(path)


def test_resolve_from_data_dir(tmp_path: Path) -> None:
    (tmp_path / "data" / "tiny").mkdir(parents=True)
    (tmp_path / "data" / "tiny" / "train.txt").write_bytes(DATA)
    found = resolve_split(
        tiny_entry(), "train", tmp_path / "data", tmp_path / "cache", opener=never_called
    )
    assert found == tmp_path / "data" / "tiny" / "train.txt"


def test_resolve_data_dir_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "train.txt").write_bytes(DATA)
    monkeypatch.setenv("TAGGER_DATA_DIR", str(tmp_path))
    found = resolve_split(tiny_entry(), "train", cache_dir=tmp_path / "c", opener=never_called)
    assert found == tmp_path / "tiny" / "train.txt"


def test_resolve_cache_hit(tmp_path: Path) -> None:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "train.txt").write_bytes(DATA)
    found = resolve_split(tiny_entry(), "train", cache_dir=tmp_path, opener=never_called)
    assert found == tmp_path / "tiny" / "train.txt"


def test_download_lands_in_cache(tmp_path: Path) -> None:
    urls = []

    def opener(url: str) -> io.BytesIO:
        urls.append(url)
        return io.BytesIO(DATA)

    dataset = read_split(tiny_entry(), "train", cache_dir=tmp_path, opener=opener)
    assert urls == [URL]
    assert as_lists(dataset) == ([["EU", "rejects"], ["Peter"]], [["I-ORG", "O"], ["I-PER"]])
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == ["train.txt"]
    assert (tmp_path / "tiny" / "train.txt").read_bytes() == DATA
    # A second resolution is a cache hit.
    resolve_split(tiny_entry(), "train", cache_dir=tmp_path, opener=never_called)


def test_stale_cache_is_downloaded_again(tmp_path: Path) -> None:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "train.txt").write_bytes(b"old")
    resolve_split(tiny_entry(), "train", cache_dir=tmp_path, opener=lambda url: io.BytesIO(DATA))
    assert (tmp_path / "tiny" / "train.txt").read_bytes() == DATA


def test_download_with_bad_checksum_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as info:
        resolve_split(
            tiny_entry(), "train", cache_dir=tmp_path, opener=lambda url: io.BytesIO(b"tampered")
        )
    message = str(info.value)
    assert message.startswith(URL)
    assert f"expected sha256 {SHA}" in message
    assert hashlib.sha256(b"tampered").hexdigest() in message
    assert list((tmp_path / "tiny").iterdir()) == []


def test_missing_url_tells_to_pass_data_dir(tmp_path: Path) -> None:
    with pytest.raises(CorpusError) as info:
        resolve_split(tiny_entry(url=""), "train", tmp_path, tmp_path / "c", opener=never_called)
    message = str(info.value)
    assert "--data-dir" in message and "TAGGER_DATA_DIR" in message
    assert "tiny/train.txt" in message


def test_conll2003_needs_data_dir(tmp_path: Path) -> None:
    entry = load_catalog()["conll2003-en"]
    with pytest.raises(CorpusError, match="conll2003-en/eng.train"):
        resolve_split(entry, "train", cache_dir=tmp_path, opener=never_called)


def test_unknown_split_lists_splits(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no split 'dev'; splits: train"):
        resolve_split(tiny_entry(), "dev", cache_dir=tmp_path, opener=never_called)


def test_corpus_table(tmp_path: Path) -> None:
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "train.txt").write_bytes(DATA)
    rows = corpus_table({"tiny": tiny_entry()}, data_dir=tmp_path, cache_dir=tmp_path / "c")
    assert rows[0]["name"] == "tiny" and rows[0]["splits"] == ["train"]
    assert rows[0]["available"] == {"train": True}
    rows = corpus_table({"tiny": tiny_entry()}, cache_dir=tmp_path / "c")
    assert rows[0]["available"] == {"train": False}


def test_real_ewt_train_via_catalog() -> None:
    if not (SHARED_CORPORA / "ud-english-ewt").is_dir():
        pytest.skip("../shared/corpora not present")
    entry = load_catalog()["ud-english-ewt"]
    train = read_split(entry, "train", data_dir=SHARED_CORPORA, opener=never_called)
    assert len(train) == 12_544
    assert sum(len(words) for words in train["tokens"]) == 204_577


def test_download_failure_is_a_clear_error(tmp_path: Path) -> None:
    import urllib.error

    def offline(url: str):  # noqa: ANN202 - a fake opener
        raise urllib.error.URLError("Name or service not known")

    entry = load_catalog()["ud-english-ewt"]
    with pytest.raises(
        CorpusError, match="download failed .*Name or service not known.*--data-dir"
    ):
        resolve_split(entry, "dev", data_dir=tmp_path / "none", cache_dir=tmp_path, opener=offline)
    assert not list(tmp_path.rglob("*part"))  # no partial file left in the cache


def zipped(members: dict[str, bytes]) -> bytes:
    """A zip archive in memory holding the given files."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def archive_entry(member: str = "trees/train.txt") -> CatalogEntry:
    """tiny_entry whose split is a member of a zip archive at URL."""
    split = SplitFile(file="tiny/train.txt", url=URL, sha256=SHA, member=member)
    return CatalogEntry(name="tiny", format="conll", lang="en", splits={"train": split})


def test_download_extracts_a_zip_member(tmp_path: Path) -> None:
    archive = zipped({"trees/dev.txt": b"other\n", "trees/train.txt": DATA})
    dataset = read_split(
        archive_entry(), "train", cache_dir=tmp_path, opener=lambda url: io.BytesIO(archive)
    )
    assert as_lists(dataset)[0] == [["EU", "rejects"], ["Peter"]]
    # Only the member lands in the cache: no archive, no partial files.
    assert sorted(p.name for p in (tmp_path / "tiny").iterdir()) == ["train.txt"]
    assert (tmp_path / "tiny" / "train.txt").read_bytes() == DATA


@pytest.mark.parametrize(
    ("archive", "expected"),
    [
        (zipped({"trees/dev.txt": DATA}), "expected the archive to hold trees/train.txt"),
        (zipped({"trees/train.txt": b"tampered\n"}), "expected sha256"),
        (DATA, "expected a zip archive"),
    ],
)
def test_bad_archive_leaves_nothing(tmp_path: Path, archive: bytes, expected: str) -> None:
    with pytest.raises(CorpusError, match=expected):
        resolve_split(
            archive_entry(), "train", cache_dir=tmp_path, opener=lambda url: io.BytesIO(archive)
        )
    assert list((tmp_path / "tiny").iterdir()) == []


def test_sst_trees_entry_downloads_from_the_treebank_zip() -> None:
    entry = load_catalog()["sst-trees"]
    for split in ("train", "dev", "test"):
        spec = entry.splits[split]
        assert spec.url.endswith("trainDevTestTrees_PTB.zip")
        assert spec.member == f"trees/{split}.txt"
