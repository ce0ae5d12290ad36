"""A pretrained encoder fine-tuned with the tagger (`model.encoder_finetune`): the words'
states computed in the network's forward, with gradients, and saved with the model as
its `encoder/` folder (safetensors weights, config and the tokenizer's files)."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

from tagger.encoders.bundle import encoder_files
from tagger.encoders.load import sha256_files, weight_files
from tagger.encoders.words import Context, WordEncoder

PREFIX = "embedder.tuned."  # the tagger's state_dict keys of a tuned encoder
WRITTEN = ("config.json",)  # written by save_pretrained, not copied from the source


class TunedEncoder(nn.Module):
    """Sentences of words -> (batch, layers, time, dim) states of a trainable encoder.

    The Hugging Face model is a submodule: it moves, trains (dropout included) and is
    saved with the tagger. Pieces, windows and pooling are the WordEncoder's, so no word
    is ever dropped and a word reads what the frozen encoder would give it.
    """

    def __init__(self, words: WordEncoder) -> None:
        super().__init__()
        self.model = words.loaded.model  # the one WordEncoder.states runs
        self.words = words
        freeze_unreached(words)

    @property
    def shape(self) -> tuple[int, int]:
        """(layers, dim) of the states each word gets."""
        return len(self.words.layers), self.words.loaded.dim

    def forward(
        self,
        sentences: Sequence[Sequence[str]],
        time: int,
        contexts: Sequence[Context] | None = None,
    ) -> torch.Tensor:
        """(batch, layers, time, dim): each word's pooled states, zeros past its sentence;
        `contexts`: each sentence's document context (tagger.encoders.context)."""
        words = self.words
        layers, dim = self.shape
        rows: list[int] = []
        columns: list[int] = []
        found: list[torch.Tensor] = []
        for batch in words._batches(words.segments(sentences, contexts)):
            chosen = words.states(batch)  # (layers, segments, pieces, dim)
            for row, segment in enumerate(batch):
                rows.extend(segment.sentence for _ in segment.spans)
                columns.extend(word for word, _, _ in segment.spans)
                found.append(words.pool(chosen[:, row], segment.spans))  # (layers, n, dim)
        device = next(self.model.parameters()).device
        if not found:
            return torch.zeros(len(sentences), layers, time, dim, device=device)
        states = torch.cat(found, dim=1).transpose(0, 1)  # (words, layers, dim)
        out = states.new_zeros(len(sentences), time, layers, dim)
        index = (torch.tensor(rows, device=device), torch.tensor(columns, device=device))
        return out.index_put(index, states).permute(0, 2, 1, 3)  # (batch, layers, time, dim)


def freeze_unreached(words: WordEncoder) -> None:
    """Stop training the weights no chosen hidden state depends on (a pooler, layers above
    the highest chosen one): they would get no gradient, which DDP refuses. Found by one
    backward pass over a one-word sentence, in eval mode (no dropout, no random draw)."""
    model = words.loaded.model
    training = model.training
    model.eval()
    with torch.inference_mode(False), torch.enable_grad():
        words.states(words.segments([["a"]], None)).sum().backward()
    for param in model.parameters():
        if param.grad is None:
            param.requires_grad_(False)
        param.grad = None
    model.train(training)


def save_tuned(tuned: TunedEncoder, folder: Path) -> str:
    """Write the tuned encoder into the new folder `folder`: its weights (safetensors) and
    config, and the tokenizer files it was loaded with; returns the weights' sha256."""
    folder.mkdir()
    for path in encoder_files(tuned.words.loaded.folder):
        if path.suffix != ".safetensors" and path.name not in WRITTEN:
            if not path.name.endswith(".index.json"):  # sharded weights' index
                shutil.copyfile(path, folder / path.name)
    from transformers.utils import logging

    shown = logging.is_progress_bar_enabled()
    logging.disable_progress_bar()  # a bar per checkpoint would break the epoch's progress
    try:
        tuned.model.save_pretrained(folder)
    finally:
        if shown:
            logging.enable_progress_bar()
    return sha256_files(weight_files(folder))
