"""Encoder fixtures: a tiny random BERT built on the fly (no download, tiny_bert.py) and
tiny RoBERTa-like models with trained subword vocabularies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tiny_bert import build_tiny_bert


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a tiny random BERT (shared by the session: do not modify it)."""
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert") / "bert")


# A few sentences to train the tiny subword vocabularies on: the toy corpus's words, capitals,
# accents and punctuation (any other character is still read: byte-level, or unk).
SUBWORD_TEXTS = [
    "The dog sees a cat . Every big bird likes this small tree !",
    "A red child chases the old dog . This cat finds every bird !",
    "New York is big , the cat sat on the mat . Hello world ( again ) !",
    "Café naïve résumé , déjà vu . xx xxx",
] * 4
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]  # ids 0..4, as RoBERTa's


def _save_roberta_like(folder: Path, tokenizer: Any, model_type: str, seed: int) -> Path:
    """Save `tokenizer` with a random 2-layer RoBERTa-like model (width 32, 22 pieces a
    window: 24 positions after the padding offset of 2) as model.safetensors."""
    import torch
    from transformers import RobertaConfig, RobertaModel, XLMRobertaConfig, XLMRobertaModel

    kinds = {
        "roberta": (RobertaConfig, RobertaModel),
        "xlm-roberta": (XLMRobertaConfig, XLMRobertaModel),
    }
    config_class, model_class = kinds[model_type]
    config = config_class(
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=26,
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    model_class(config).save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_roberta(folder: Path, seed: int = 0) -> Path:
    """A random tiny RoBERTa with a byte-level BPE vocabulary trained here (as GPT-2's)."""
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing
    from transformers import RobertaTokenizerFast

    bpe = ByteLevelBPETokenizer()  # add_prefix_space=False, as roberta-base's tokenizer.json
    bpe.train_from_iterator(
        SUBWORD_TEXTS, vocab_size=320, special_tokens=SPECIALS, show_progress=False
    )
    bpe.post_processor = RobertaProcessing(("</s>", 2), ("<s>", 0))
    tokenizer = RobertaTokenizerFast(tokenizer_object=bpe._tokenizer, **_special_names())
    return _save_roberta_like(folder, tokenizer, "roberta", seed)


def build_tiny_xlmr(folder: Path, seed: int = 0) -> Path:
    """A random tiny XLM-R with a SentencePiece-style Unigram vocabulary trained here."""
    from tokenizers import SentencePieceUnigramTokenizer
    from tokenizers.processors import TemplateProcessing
    from transformers import XLMRobertaTokenizerFast

    unigram = SentencePieceUnigramTokenizer()
    unigram.train_from_iterator(
        SUBWORD_TEXTS,
        vocab_size=120,
        special_tokens=SPECIALS,
        unk_token="<unk>",
        show_progress=False,
    )
    unigram.post_processor = TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tokenizer = XLMRobertaTokenizerFast(tokenizer_object=unigram._tokenizer, **_special_names())
    return _save_roberta_like(folder, tokenizer, "xlm-roberta", seed)


def _special_names() -> dict[str, str]:
    """The special tokens' roles, as RoBERTa and XLM-R name them."""
    return {
        "bos_token": "<s>", "cls_token": "<s>", "pad_token": "<pad>", "eos_token": "</s>",
        "sep_token": "</s>", "unk_token": "<unk>", "mask_token": "<mask>",
    }  # fmt: skip


@pytest.fixture(scope="session")
def tiny_roberta(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a tiny random byte-level RoBERTa (shared by the session: read only)."""
    return build_tiny_roberta(tmp_path_factory.mktemp("tiny-roberta") / "roberta")


@pytest.fixture(scope="session")
def tiny_xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of a tiny random Unigram XLM-R (shared by the session: read only)."""
    return build_tiny_xlmr(tmp_path_factory.mktemp("tiny-xlmr") / "xlmr")
