"""Pattern detection with a trained TCN: sliding windows, calibrated probabilities, only the
patterns that beat chance, and NMS.

Windows of `rules.WINDOW` (64) bars slide over the bars every `stride` bars (the last window
always ends at the newest bar), the size the rules were calibrated on. Each window is
classified (logits + the label-shift correction, divided by the temperature fitted on
validation windows); a window whose most probable class is a pattern with probability
>= `min_confidence` is a candidate. A pattern that did not beat chance at calibration
(`served`) is dropped, and counted in `unvalidated`, unless `include_unvalidated` asks for it
(then it is flagged `beats_chance=False`). Non-maximum suppression then keeps the most
confident candidate and drops every other candidate overlapping it by more than
`iou_threshold` (intersection over union of the bars spanned, across pattern types, so one
stretch of bars answers one pattern).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from tradingstack.tcn.model import TCNClassifier, batch_features
from tradingstack.tcn.patterns import NONE
from tradingstack.tcn.rules import STRIDE, WINDOW, iou, window_starts
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
    beats_chance: bool


@dataclass
class DetectionRun:
    detections: list[Detection]
    windows: int
    candidates: int
    unvalidated: int  # candidates of patterns that did not beat chance, left out


def detect(
    model: TCNClassifier,
    frame: pd.DataFrame,
    device: torch.device,
    *,
    served: Collection[str] | None = None,
    include_unvalidated: bool = False,
    temperature: float = 1.0,
    logit_bias: Sequence[float] | None = None,
    size: int = WINDOW,
    stride: int = STRIDE,
    min_confidence: float = 0.6,
    iou_threshold: float = 0.3,
) -> DetectionRun:
    """Detect patterns in `frame` (UTC-indexed open, high, low, close, volume); `served` are
    the patterns that beat chance (None: all)."""
    bars = frame[["open", "high", "low", "close", "volume"]].to_numpy(dtype=np.float64)
    starts = window_starts(len(bars), size, stride)
    if not starts:
        return DetectionRun([], 0, 0, 0)
    X = batch_features([bars[s : s + size] for s in starts], model.config.window_length)
    bias = list(logit_bias) if logit_bias is not None else None
    proba = predict_proba(model, X, device, temperature, bias)
    classes = model.config.classes
    none_idx = classes.index(NONE)
    best = proba.argmax(axis=1)
    candidates: list[tuple[float, int, int, int]] = []
    unvalidated = 0
    for s, k, p in zip(starts, best, proba, strict=True):
        conf = float(p[k])
        if k == none_idx or conf < min_confidence:
            continue
        if served is not None and classes[k] not in served:
            unvalidated += 1
            if not include_unvalidated:
                continue
        candidates.append((conf, int(k), s, s + size - 1))
    n_candidates = len(candidates)
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
                beats_chance=served is None or classes[k] in served,
            )
            for conf, k, s, e in kept
        ],
        windows=len(starts),
        candidates=n_candidates,
        unvalidated=unvalidated,
    )
