"""A tiny random BERT built on the fly (no download): a WordPiece vocabulary, a fast
tokenizer and a 2-layer model of width 16 that takes 24 positions (22 pieces a window).
Imported by name by the encoder tests (a conftest is not a module to import from)."""

from __future__ import annotations

from pathlib import Path

TINY_VOCAB = [
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
    "the", "a", "cat", "dog", "sat", "on", "mat", "ran", "to", "new", "york",
    "hello", "world", "un", "x", "is", "big", ".", ",", "!",
    "##able", "##s", "##ed", "##ly", "##x", "##ing", "##er",
]  # fmt: skip


def build_tiny_bert(folder: Path, seed: int = 0) -> Path:
    """Write a random tiny BERT (model.safetensors) and its fast tokenizer into `folder`."""
    import inspect

    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    if "vocab" in inspect.signature(BertTokenizerFast.__init__).parameters:  # transformers 5
        ids = {piece: n for n, piece in enumerate(TINY_VOCAB)}
        tokenizer = BertTokenizerFast(vocab=ids, do_lower_case=True)
    else:
        tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    config = BertConfig(
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=24,
        vocab_size=len(TINY_VOCAB),
    )
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder
