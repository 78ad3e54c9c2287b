"""The temporal convolutional network and the window features it reads.

Architecture (Bai, Kolter & Koltun 2018, "An empirical evaluation of generic convolutional and
recurrent networks for sequence modeling"): a stack of residual blocks, each two dilated
*causal* 1-D convolutions (left padding only, so step t sees steps <= t) with ReLU and dropout,
and a 1x1 convolution on the skip path when the width changes. Dilations double per block
(1, 2, 4, ...), so with kernel 3 and 5 blocks the receptive field is 125 steps, longer than the
64-step input. The head concatenates the global average over time with the last step and
maps it to 17 logits: the 16 patterns and "none" (softmax: one class per window, with its
probability as the confidence).

Input: a window of bars of any length resampled to `window_length` steps (linear
interpolation), five channels: open, high, low, close scaled to [0, 1] by the window's
lowest low and highest high (patterns are about shape, not price level), and log volume
standardised within the window.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from tradingstack.tcn.patterns import CLASSES


class TCNConfig(BaseModel):
    """The architecture; saved with the weights so a model loads without guessing."""

    in_channels: int = 5
    channels: int = Field(default=32, ge=2)
    levels: int = Field(default=5, ge=1, le=10)
    kernel_size: int = Field(default=3, ge=2)
    dropout: float = Field(default=0.1, ge=0.0, lt=1.0)
    window_length: int = Field(default=64, ge=8)
    classes: list[str] = Field(default_factory=lambda: list(CLASSES))

    @property
    def receptive_field(self) -> int:
        return 1 + 2 * (self.kernel_size - 1) * (2**self.levels - 1)


class CausalConv1d(nn.Conv1d):
    def __init__(self, cin: int, cout: int, kernel_size: int, dilation: int) -> None:
        super().__init__(cin, cout, kernel_size, dilation=dilation)
        self.left = (kernel_size - 1) * dilation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(nn.functional.pad(x, (self.left, 0)))


class TemporalBlock(nn.Module):
    def __init__(
        self, cin: int, cout: int, kernel_size: int, dilation: int, dropout: float
    ) -> None:
        super().__init__()
        self.net = nn.Sequential(
            CausalConv1d(cin, cout, kernel_size, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
            CausalConv1d(cout, cout, kernel_size, dilation),
            nn.ReLU(),
            nn.Dropout(dropout),
        )
        self.skip = nn.Conv1d(cin, cout, 1) if cin != cout else nn.Identity()
        self.act = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(self.net(x) + self.skip(x))


class TCNClassifier(nn.Module):
    def __init__(self, config: TCNConfig) -> None:
        super().__init__()
        self.config = config
        blocks: list[nn.Module] = []
        cin = config.in_channels
        for level in range(config.levels):
            blocks.append(
                TemporalBlock(cin, config.channels, config.kernel_size, 2**level, config.dropout)
            )
            cin = config.channels
        self.blocks = nn.Sequential(*blocks)
        self.head = nn.Linear(2 * config.channels, len(config.classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, channels, time) -> (batch, classes) logits."""
        h = self.blocks(x)
        return self.head(torch.cat([h.mean(dim=2), h[:, :, -1]], dim=1))


def window_features(bars: np.ndarray, length: int) -> np.ndarray:
    """One window of bars (rows: open, high, low, close, volume) -> (5, length) float32."""
    n = bars.shape[0]
    src = np.linspace(0.0, 1.0, n) if n > 1 else np.zeros(1)
    dst = np.linspace(0.0, 1.0, length)
    lo, hi = float(bars[:, 2].min()), float(bars[:, 1].max())
    scale = hi - lo if hi > lo else 1.0
    out = np.empty((5, length), dtype=np.float32)
    for c in range(4):
        out[c] = np.interp(dst, src, (bars[:, c] - lo) / scale)
    vol = np.log1p(np.maximum(bars[:, 4], 0.0))
    sd = float(vol.std())
    out[4] = np.interp(dst, src, (vol - vol.mean()) / (sd if sd > 1e-9 else 1.0))
    return out


def batch_features(windows: list[np.ndarray], length: int) -> np.ndarray:
    if not windows:
        return np.zeros((0, 5, length), dtype=np.float32)
    return np.stack([window_features(w, length) for w in windows])


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA when present (or asked for), CPU otherwise."""
    if preference == "cpu":
        return torch.device("cpu")
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")
