"""Pattern detection with a trained TCN: sliding windows, a confidence threshold and NMS.

Windows of several sizes (default 32, 48, 72, 108 and 144 bars) slide over the bars with a
stride of a quarter of their size (the last window always ends at the newest bar). Each window
is classified; a window whose most probable class is a pattern (not "none") with probability
>= `min_confidence` is a candidate. Non-maximum suppression then keeps the most confident
candidate and drops every other candidate overlapping it by more than `iou_threshold`
(intersection over union of the bars spanned, across pattern types, so one stretch of bars
answers one pattern).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from tradingstack.tcn.model import TCNClassifier, batch_features
from tradingstack.tcn.patterns import NONE
from tradingstack.tcn.rules import iou, windows
from tradingstack.tcn.training import predict_proba


@dataclass(frozen=True)
class Detection:
    pattern: str
    confidence: float
    start_index: int
    end_index: int  # inclusive
    start_time: pd.Timestamp
    end_time: pd.Timestamp
    window_bars: int


@dataclass
class DetectionRun:
    detections: list[Detection]
    windows: int
    candidates: int


def detect(
    model: TCNClassifier,
    frame: pd.DataFrame,
    device: torch.device,
    *,
    sizes: Sequence[int] = (32, 48, 72, 108, 144),
    stride_frac: float = 0.25,
    min_confidence: float = 0.6,
    iou_threshold: float = 0.3,
) -> DetectionRun:
    """Detect patterns in `frame` (UTC-indexed open, high, low, close, volume)."""
    bars = frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
    spans = windows(len(bars), sizes, stride_frac)
    if not spans:
        return DetectionRun([], 0, 0)
    X = batch_features([bars[s:e] for s, e in spans], model.config.window_length)
    proba = predict_proba(model, X, device)
    classes = model.config.classes
    none_idx = classes.index(NONE)
    best = proba.argmax(axis=1)
    candidates: list[tuple[float, int, int, int]] = []
    for (s, e), k, p in zip(spans, best, proba, strict=True):
        conf = float(p[k])
        if k != none_idx and conf >= min_confidence:
            candidates.append((conf, int(k), s, e - 1))
    candidates.sort(key=lambda c: (c[0], c[3] - c[2]), reverse=True)
    kept: list[tuple[float, int, int, int]] = []
    for c in candidates:
        if all(iou((c[2], c[3]), (k[2], k[3])) <= iou_threshold for k in kept):
            kept.append(c)
    kept.sort(key=lambda c: c[2])
    index = frame.index
    return DetectionRun(
        detections=[
            Detection(
                pattern=classes[k],
                confidence=round(conf, 4),
                start_index=s,
                end_index=e,
                start_time=index[s],
                end_time=index[e],
                window_bars=e - s + 1,
            )
            for conf, k, s, e in kept
        ],
        windows=len(spans),
        candidates=len(candidates),
    )
