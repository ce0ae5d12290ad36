"""build_model: the only place where the config meets nn; sizes come from the vocabularies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from tagger.config import ModelConfig
from tagger.data.batching import Batch
from tagger.data.vocab import CASINGS, Vocabs
from tagger.encoders.tuned import TunedEncoder
from tagger.model.crf import CRF, allowed_transitions
from tagger.model.dropout import Dropout
from tagger.model.embeddings import CharCNN, CharLSTM, TokenEmbedder
from tagger.model.encoder import BiLSTMEncoder
from tagger.model.heads import CRFHead, SoftmaxHead
from tagger.model.pooling import SentenceHead
from tagger.model.word_cnn import WordCNN, parse_widths

if TYPE_CHECKING:
    from tagger.encoders.words import WordEncoder


class SequenceTagger(nn.Module):
    """Embeddings -> BiLSTM -> head; `forward` gives (batch, time, n_labels) scores."""

    def __init__(
        self,
        embedder: TokenEmbedder,
        encoder: BiLSTMEncoder,
        head: nn.Module,
        dropout: float,
        word_cnn: WordCNN | None = None,
    ) -> None:
        super().__init__()
        self.embedder = embedder
        self.dropout = Dropout(dropout)
        self.word_cnn = word_cnn  # C-LSTM: n-gram features between embeddings and BiLSTM
        self.encoder = encoder
        self.head = head

    def encode(self, batch: Batch) -> torch.Tensor:
        """(batch, time, 2*hidden) BiLSTM states of every token."""
        if batch.input_gates is not None:  # the embeddings' products, from a GateCache
            return self.encoder(batch.input_gates, batch.lengths)
        embedded = self.dropout(self.embedder(batch))  # (batch, time, embed_dim)
        return self.encode_embedded(embedded, batch.mask, batch.lengths)

    def encoder_input(self, embedded: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """What the BiLSTM reads: the token features, through the word CNN if there is one."""
        if self.word_cnn is None:
            return embedded
        return self.dropout(self.word_cnn(embedded, mask))  # (batch, time, filters * widths)

    def encode_embedded(
        self, embedded: torch.Tensor, mask: torch.Tensor, lengths: torch.Tensor
    ) -> torch.Tensor:
        """encode from the embedder's output (explain/saliency start here)."""
        return self.encoder(self.encoder_input(embedded, mask), lengths)

    def forward(self, batch: Batch) -> torch.Tensor:
        """(batch, time, n_labels) token scores, or (batch, n_labels) for a sentence head."""
        return self.head(self.encode(batch), batch.mask)

    def loss(self, batch: Batch) -> torch.Tensor:
        return self.loss_of(self(batch), batch)

    def loss_of(self, scores: torch.Tensor, batch: Batch) -> torch.Tensor:
        """The head's loss of scores from `forward` (which DDP may have run) on a batch."""
        target = batch.labels if isinstance(self.head, SentenceHead) else batch.tags
        if target is None:
            raise ValueError("loss needs gold tags (token heads) or labels (sentence heads)")
        # Scores in fp32 whatever the autocast precision: the loss sums and normalizes.
        return self.head.loss(scores.float(), target, batch.mask)


def build_model(
    config: ModelConfig,
    vocabs: Vocabs,
    vectors: torch.Tensor | None = None,
    sentence_level: bool = False,
    encoder_shape: tuple[int, int] | None = None,
    encoder: WordEncoder | None = None,
) -> SequenceTagger:
    """A model for these vocabularies; `vectors` is (len(vocabs.pretrained), dim) or None.

    The artifact reader passes the saved vectors, so every size comes from the data.
    A sentence-level model (task sentiment) gets a pooling SentenceHead. `encoder_shape`
    is (layers, dim) of a pretrained encoder's features (config.encoder), else None;
    with config.encoder_finetune, `encoder` (the loaded one) becomes part of the network.
    """
    if config.char not in ("lstm", "cnn", "none"):
        raise ValueError(f"model.char: expected 'lstm', 'cnn' or 'none', got {config.char!r}")
    if config.rnn not in ("lstm", "gru"):
        raise ValueError(f"model.rnn: expected 'lstm' or 'gru', got {config.rnn!r}")
    chars: nn.Module | None = None
    if config.char == "lstm":
        chars = CharLSTM(len(vocabs.chars), config.char_dim, config.char_hidden)
    elif config.char == "cnn":
        chars = CharCNN(len(vocabs.chars), config.char_dim, config.char_hidden, config.char_kernel)
    if (vocabs.pretrained is None) != (vectors is None):
        raise ValueError("pretrained vectors and the pretrained vocabulary go together")
    if config.init_words and vectors is not None and vectors.shape[1] != config.word_dim:
        raise ValueError(
            f"model.init_words needs model.word_dim = {vectors.shape[1]} (the vectors' size), "
            f"got {config.word_dim}"
        )
    tuned = None
    if config.encoder_finetune:
        if encoder is None:
            raise ValueError("model.encoder_finetune: build_model needs the loaded encoder")
        tuned = TunedEncoder(encoder)
    embedder = TokenEmbedder(
        n_words=len(vocabs.words),
        word_dim=config.word_dim,
        pretrained=vectors,
        n_casings=len(CASINGS),
        casing_dim=config.casing_dim,
        chars=chars,
        word_dropout=config.word_dropout,
        encoder_shape=encoder_shape,
        tuned=tuned,
    )
    if config.init_words and vectors is not None and vocabs.pretrained is not None:
        _copy_vectors(embedder.words.weight, vocabs, vectors)
    word_cnn = None
    if config.word_cnn > 0:
        word_cnn = WordCNN(embedder.out_dim, config.word_cnn, parse_widths(config.word_cnn_widths))
    encoder = BiLSTMEncoder(
        word_cnn.out_dim if word_cnn is not None else embedder.out_dim,
        config.hidden,
        config.layers,
        config.dropout,
        config.rnn,
    )
    head: nn.Module
    if sentence_level:
        head = SentenceHead(encoder.out_dim, len(vocabs.labels), config.dropout, config.pooling)
    elif config.head == "crf":
        crf = CRF(len(vocabs.labels), *allowed_transitions(vocabs.labels.items, config.scheme))
        head = CRFHead(encoder.out_dim, len(vocabs.labels), config.dropout, crf)
    else:
        head = SoftmaxHead(encoder.out_dim, len(vocabs.labels), config.dropout)
    return SequenceTagger(embedder, encoder, head, config.dropout, word_cnn)


@torch.no_grad()
def _copy_vectors(weight: torch.Tensor, vocabs: Vocabs, vectors: torch.Tensor) -> None:
    """Trainable word rows start as the pretrained vector of the same word, where there is one."""
    assert vocabs.pretrained is not None
    rows, sources = [], []
    for i, word in enumerate(vocabs.words.items[2:], start=2):  # skip <pad>, <unk>
        j = vocabs.pretrained.row_of(word)
        if j is not None:
            rows.append(i)
            sources.append(j)
    if rows:
        weight[torch.tensor(rows)] = vectors[torch.tensor(sources)]
