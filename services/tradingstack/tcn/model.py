"""The temporal convolutional network and the window features it reads.

Architecture (Bai, Kolter & Koltun 2018, "An empirical evaluation of generic convolutional and
recurrent networks for sequence modeling"): a stack of residual blocks, each two dilated
*causal* 1-D convolutions (left padding only, so step t sees steps <= t) with ReLU and dropout,
and a 1x1 convolution on the skip path when the width changes. Dilations double per block
(1, 2, 4, ...), so with kernel 3 and 5 blocks the receptive field is 125 steps, longer than the
64-step input. The head concatenates the global average over time with the last step and
maps it to 17 logits: the 16 patterns and "none" (softmax: one class per window, with its
probability, after temperature scaling, as the confidence).

Input: a window of bars (`rules.WINDOW`, 64, by default; other lengths are resampled to
`window_length` steps by linear interpolation), three channels read from the closes in the
rules' volatility units (`rules.vol_units`: log close / the window's bar volatility, 0 at the
last bar); six channels:

1. the path itself, divided by sqrt(window length) so a random walk's path is of order 1;
2. its zigzag skeleton (`rules.skeleton`: the 3-sigma pivots joined by lines), likewise;
3. the absolute bar return in volatility units (clipped at 5), the volatility profile;
4-6. the last 8 zigzag pivots, in order, each held for 1/8 of the steps: value (scaled to
   0..1 over them), time (fraction of the window) and kind (+1 peak, -1 trough). The rules
   are geometry on exactly these pivots, so the network distils them from fixed positions
   instead of having to find the pivots first.
"""

from __future__ import annotations

import numpy as np
import torch
from pydantic import BaseModel, Field
from torch import nn

from tradingstack.tcn.patterns import CLASSES
from tradingstack.tcn.rules import ZIGZAG_SIGMAS, skeleton, vol_units, zigzag

IN_CHANNELS = 6


class TCNConfig(BaseModel):
    """The architecture; saved with the weights so a model loads without guessing."""

    in_channels: int = IN_CHANNELS
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


PIVOTS = 8
"""How many of the window's last zigzag pivots the pivot channels hold."""


def pivot_channels(z: np.ndarray, length: int) -> np.ndarray:
    """(3, length): the last `PIVOTS` zigzag pivots in order, each held for length / PIVOTS
    steps: value (scaled to 0..1 over those pivots), time (fraction of the window) and kind
    (+1 peak, -1 trough, 0 where the window has fewer pivots)."""
    out = np.zeros((3, length), dtype=np.float32)
    piv = zigzag(z, z, ZIGZAG_SIGMAS)[-PIVOTS:]
    if not piv:
        return out
    v = np.array([p.price for p in piv])
    lo, hi = float(v.min()), float(v.max())
    v = (v - lo) / (hi - lo) if hi > lo else np.zeros_like(v)
    pad = PIVOTS - len(piv)
    seg = np.repeat(np.arange(PIVOTS), int(np.ceil(length / PIVOTS)))[:length]
    for j, p in enumerate(piv):
        m = seg == pad + j
        out[0, m] = v[j]
        out[1, m] = p.index / max(1, len(z) - 1)
        out[2, m] = 1.0 if p.kind == "H" else -1.0
    return out


def window_features(bars: np.ndarray, length: int) -> np.ndarray:
    """One window of bars (rows: open, high, low, close, volume) -> (6, length) float32."""
    close = np.asarray(bars[:, 3], dtype=np.float64)
    n = len(close)
    out = np.zeros((IN_CHANNELS, length), dtype=np.float32)
    z = vol_units(close) if n > 2 else None
    if z is None:
        return out
    scale = np.sqrt(n)
    absr = np.concatenate([[0.0], np.minimum(np.abs(np.diff(z)), 5.0)])
    chans = (z / scale, skeleton(z) / scale, absr)
    if n == length:
        for c, v in enumerate(chans):
            out[c] = v
    else:
        src = np.linspace(0.0, 1.0, n)
        dst = np.linspace(0.0, 1.0, length)
        for c, v in enumerate(chans):
            out[c] = np.interp(dst, src, v)
    out[3:] = pivot_channels(z, length)
    return out


def batch_features(windows: list[np.ndarray], length: int) -> np.ndarray:
    if not windows:
        return np.zeros((0, IN_CHANNELS, length), dtype=np.float32)
    return np.stack([window_features(w, length) for w in windows])


def pick_device(preference: str = "auto") -> torch.device:
    """CUDA when present (or asked for), CPU otherwise."""
    if preference == "cpu":
        return torch.device("cpu")
    if preference == "cuda" or (preference == "auto" and torch.cuda.is_available()):
        return torch.device("cuda")
    return torch.device("cpu")
