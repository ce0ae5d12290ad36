"""Buffers the inference BiLSTM (tagger.model.lstm_inference) reuses from call to call."""

from __future__ import annotations

import threading

import torch


class Workspace(threading.local):
    """Buffers reused from call to call, one set per thread.

    A fresh allocation of tens of MB costs a page fault per 4 KB on first touch, about
    as much time as the gate arithmetic. The buffers grow to the largest batch seen.
    """

    def __init__(self) -> None:
        self.buffers: dict[str, torch.Tensor] = {}

    def get(self, name: str, shape: tuple[int, ...]) -> torch.Tensor:
        size = 1
        for n in shape:
            size *= n
        buffer = self.buffers.get(name)
        if buffer is None or buffer.numel() < size:
            buffer = self.buffers[name] = torch.empty(size)
        return buffer[:size].view(shape)

    def rows(self, name: str, tokens: int, width: int) -> torch.Tensor:
        """(2, tokens, width + 1): [0] forward-order rows, [1] mirrored, [..., width] for 1.

        Rows are padded to 64 bytes so every matrix product reads aligned rows. Views of
        one name share memory whatever their width: set the ones column just before use.
        """
        stride = -(-(width + 1) // 16) * 16
        return self.get(name, (2, tokens, stride))[..., : width + 1]
