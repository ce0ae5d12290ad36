"""Token features: trainable words, frozen pretrained vectors, casing, and a character model."""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from tagger.data.batching import Batch
from tagger.model import mirrored
from tagger.model.scalar_mix import ScalarMix


class CharLSTM(nn.Module):
    """Final states of a BiLSTM over each word's characters: (n_types, 2*hidden)."""

    def __init__(self, n_chars: int, dim: int, hidden: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_chars, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.out_dim = 2 * hidden

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(chars)  # (n_types, max_chars, dim)
        if mirrored.applies(self.lstm, x):  # on the CPU, grouped by length, one call each
            return mirrored.final_states(self.lstm, x, lengths)
        packed = pack_padded_sequence(
            x, lengths.clamp(min=1), batch_first=True, enforce_sorted=False
        )
        out, _ = self.lstm(packed)
        # The final states, read from the outputs (ONNX export cannot take h_n of a packed
        # sequence): forward at each word's last character, backward at its first.
        out, _ = pad_packed_sequence(out, batch_first=True)  # (n_types, max_len, 2*hidden)
        last = lengths.clamp(min=1) - 1
        half = out.shape[-1] // 2
        forward = out[torch.arange(out.shape[0], device=out.device), last, :half]
        return torch.cat([forward, out[:, 0, half:]], dim=-1)  # (n_types, 2*hidden)


class CharCNN(nn.Module):
    """Max-pooled convolution over each word's characters: (n_types, filters)."""

    def __init__(self, n_chars: int, dim: int, filters: int, kernel: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(n_chars, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, filters, kernel, padding=kernel // 2)
        self.out_dim = filters

    def forward(self, chars: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embed(chars).transpose(1, 2)  # (n_types, dim, max_chars)
        h = torch.relu(self.conv(x))[..., : chars.shape[1]]  # (n_types, filters, max_chars)
        valid = (
            torch.arange(chars.shape[1], device=chars.device)[None, :] < lengths[:, None]
        )  # (n_types, max_chars)
        h = h.masked_fill(~valid[:, None, :], 0.0)  # relu >= 0, so 0 never wins over real values
        return h.max(dim=2).values  # (n_types, filters)


class TokenEmbedder(nn.Module):
    """Concatenated features of every token: (batch, time, out_dim)."""

    def __init__(
        self,
        n_words: int,
        word_dim: int,
        pretrained: torch.Tensor | None,
        n_casings: int,
        casing_dim: int,
        chars: nn.Module | None,
        word_dropout: float,
        encoder_shape: tuple[int, int] | None = None,
        tuned: nn.Module | None = None,
    ) -> None:
        """`encoder_shape`: (layers, dim) of a pretrained encoder's features, mixed into one
        (dim,) vector per token by a ScalarMix; None without an encoder. `tuned`: a
        fine-tuned encoder (tagger.encoders.tuned) computing them from the batch's words."""
        super().__init__()
        self.words = nn.Embedding(n_words, word_dim, padding_idx=0)
        nn.init.normal_(self.words.weight, std=0.1)
        self.pretrained = (
            nn.Embedding.from_pretrained(pretrained, freeze=True, padding_idx=0)
            if pretrained is not None
            else None
        )
        self.casing = nn.Embedding(n_casings, casing_dim, padding_idx=0) if casing_dim else None
        self.chars = chars
        self.word_dropout = word_dropout
        self.encoder_mix = ScalarMix(encoder_shape[0]) if encoder_shape is not None else None
        self.tuned = tuned  # (sentences, time) -> (batch, layers, time, dim), with gradients
        self.out_dim = (
            word_dim
            + (pretrained.shape[1] if pretrained is not None else 0)
            + casing_dim
            + (chars.out_dim if chars is not None else 0)
            + (encoder_shape[1] if encoder_shape is not None else 0)
        )

    def forward(self, batch: Batch) -> torch.Tensor:
        words = batch.words
        if self.training and self.word_dropout > 0:
            drop = (torch.rand(words.shape, device=words.device) < self.word_dropout) & (words > 0)
            words = words.masked_fill(drop, 1)  # 1 = <unk>
        chars = batch.char_features  # looked up by the Predictor's CharCache
        if chars is None and self.chars is not None:
            types = self.chars(batch.chars, batch.char_lengths)  # (n_types, char_out)
            chars = types[batch.char_index]  # (batch, time, char_out)
        typed = self.type_features(words, batch.pretrained, batch.casing, chars)
        if self.encoder_mix is None:
            return typed
        features = self.encoder_features(batch)  # (batch, layers, time, dim)
        mixed = self.encoder_mix(features.to(typed.dtype))  # (batch, time, dim)
        return torch.cat([typed, mixed], dim=-1)

    def type_features(
        self,
        words: torch.Tensor,
        pretrained: torch.Tensor | None,
        casing: torch.Tensor,
        chars: torch.Tensor | None,
    ) -> torch.Tensor:
        """(..., dim) what the word type alone gives a token (all but an encoder's
        features): word ids, pretrained vector ids and casing ids of shape (...), and the
        character model's (..., char_out) outputs, None without a character model."""
        parts = [self.words(words)]  # (..., word_dim)
        if self.pretrained is not None and pretrained is not None:
            parts.append(self.pretrained(pretrained))  # (..., vector_dim)
        if self.casing is not None:
            parts.append(self.casing(casing))  # (..., casing_dim)
        if chars is not None:
            parts.append(chars)  # (..., char_out)
        return torch.cat(parts, dim=-1)

    def encoder_features(self, batch: Batch) -> torch.Tensor:
        """(batch, layers, time, dim): the tuned encoder's states of the batch's words, or
        the precomputed features the batch carries."""
        if self.tuned is not None:
            if batch.encoder_words is None:
                raise ValueError(
                    "this model fine-tunes its encoder: it needs the words in every batch"
                )
            return self.tuned(batch.encoder_words, batch.words.shape[1], batch.encoder_contexts)
        if batch.encoder_features is None:
            raise ValueError("this model needs its encoder's features in every batch")
        return batch.encoder_features
