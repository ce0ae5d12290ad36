"""load_encoder: folders, short names, the hub cache; the weights hash; what it refuses."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from tagger.encoders import WordEncoder, load_encoder
from tagger.encoders.load import ENCODER_DIR_ENV, require_fast


def test_the_hash_is_the_safetensors_file_and_follows_a_weight(
    tiny_bert: Path, tmp_path: Path
) -> None:
    loaded = load_encoder(str(tiny_bert))
    weights = tiny_bert / "model.safetensors"
    assert loaded.weights_sha256 == hashlib.sha256(weights.read_bytes()).hexdigest()
    changed = shutil.copytree(tiny_bert, tmp_path / "changed")
    tensors = load_file(changed / "model.safetensors")
    name = next(n for n in tensors if n.endswith("word_embeddings.weight"))
    tensors[name][5, 0] += 1.0
    save_file(tensors, changed / "model.safetensors", metadata={"format": "pt"})
    other = load_encoder(str(changed))
    assert other.weights_sha256 != loaded.weights_sha256
    assert WordEncoder(other).key() != WordEncoder(loaded).key()
    assert other.tokenizer_sha256 == loaded.tokenizer_sha256


def test_a_folder_with_only_pickled_weights_is_refused(tiny_bert: Path, tmp_path: Path) -> None:
    folder = shutil.copytree(tiny_bert, tmp_path / "pickled")
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"never unpickled")
    with pytest.raises(ValueError, match=r"only pickled PyTorch weights \(pytorch_model.bin\)"):
        load_encoder(str(folder))


def test_a_slow_tokenizer_is_refused(tiny_bert: Path) -> None:
    try:  # transformers 5 keeps the Python WordPiece tokenizer under this name
        from transformers.models.bert.tokenization_bert_legacy import (
            BertTokenizerLegacy as SlowBert,
        )
    except ImportError:  # transformers 4: BertTokenizer is the slow one
        from transformers import BertTokenizer as SlowBert
    slow = SlowBert(vocab_file=str(tiny_bert / "vocab.txt"))
    assert not slow.is_fast
    with pytest.raises(ValueError, match="slow Python one; tagger needs a fast tokenizer"):
        require_fast(slow, tiny_bert)


def test_short_names_come_from_the_encoder_dir(
    tiny_bert: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENCODER_DIR_ENV, str(tmp_path))
    with pytest.raises(ValueError, match=r"'minilm': .* is missing; run `make encoders`"):
        load_encoder("minilm")
    shutil.copytree(tiny_bert, tmp_path / "minilm")
    loaded = load_encoder("minilm")
    assert loaded.name == "minilm" and loaded.folder == tmp_path / "minilm"


def test_paths_that_are_not_encoder_folders(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a folder holding an encoder"):
        load_encoder(str(tmp_path / "absent"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no model.safetensors"):
        load_encoder(str(tmp_path / "empty"))


def test_a_hub_name_from_the_cache_records_its_revision(
    tiny_bert: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tiny-bert"
    shutil.copytree(tiny_bert, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    loaded = load_encoder("someone/tiny-bert")
    assert loaded.revision == commit and loaded.name == "someone/tiny-bert"
    with pytest.raises(ValueError, match="'someone/absent': not a folder, and not found"):
        load_encoder("someone/absent")


def test_missing_weights_or_a_wrong_config_are_refused(tiny_bert: Path, tmp_path: Path) -> None:
    cut = shutil.copytree(tiny_bert, tmp_path / "cut")
    tensors = load_file(cut / "model.safetensors")
    kept = {name: t for name, t in tensors.items() if "layer.1.output.dense" not in name}
    save_file(kept, cut / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(ValueError, match=r"lacks 2 weights of its BertModel .* random ones"):
        load_encoder(str(cut))
    pooled = shutil.copytree(tiny_bert, tmp_path / "no-pooler")  # the pooler is never read
    kept = {name: t for name, t in tensors.items() if not name.startswith("pooler.")}
    save_file(kept, pooled / "model.safetensors", metadata={"format": "pt"})
    assert load_encoder(str(pooled)).dim == 16
    wrong = shutil.copytree(tiny_bert, tmp_path / "wrong")
    (wrong / "config.json").write_text('{"model_type": "bert", "hidden_size": 36}')
    with pytest.raises(ValueError, match="wrong: not a loadable encoder .* sizes differ from"):
        load_encoder(str(wrong))
