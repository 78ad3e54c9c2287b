"""The 16 chart patterns the TCN service detects, with a one-line description each."""

from __future__ import annotations

from typing import Final

NONE: Final = "none"

PATTERNS: Final[dict[str, str]] = {
    "head_and_shoulders": "three peaks, the middle (head) highest, the shoulders level on a "
    "neckline; a bearish reversal after an advance",
    "inverse_head_and_shoulders": "three troughs, the middle (head) lowest, the shoulders level on "
    "a neckline; a bullish reversal after a decline",
    "double_top": "two peaks at about the same level with a trough between; bearish once price "
    "breaks below the trough",
    "double_bottom": "two troughs at about the same level with a peak between; bullish once price "
    "breaks above the peak",
    "triple_top": "three peaks at about the same level; bearish once price breaks the troughs "
    "between them",
    "triple_bottom": "three troughs at about the same level; bullish once price breaks the peaks "
    "between them",
    "ascending_triangle": "flat resistance above rising lows; usually breaks upwards",
    "descending_triangle": "flat support below falling highs; usually breaks downwards",
    "symmetrical_triangle": "falling highs and rising lows converging to an apex; a continuation "
    "pattern that can break either way",
    "bull_flag": "a sharp rise (the pole) then a short, shallow, slightly falling consolidation; "
    "bullish continuation",
    "bear_flag": "a sharp fall (the pole) then a short, shallow, slightly rising consolidation; "
    "bearish continuation",
    "cup_and_handle": "a rounded U-shaped bottom between two similar rims, then a small shallow "
    "pullback (the handle); bullish",
    "rising_wedge": "highs and lows both rising, the lows faster, so the range narrows; bearish",
    "falling_wedge": "highs and lows both falling, the highs faster, so the range narrows; bullish",
    "channel_up": "highs and lows rising along two parallel lines",
    "channel_down": "highs and lows falling along two parallel lines",
}

PATTERN_NAMES: Final[tuple[str, ...]] = tuple(PATTERNS)
CLASSES: Final[tuple[str, ...]] = (*PATTERN_NAMES, NONE)
"""Model output classes: the 16 patterns, then "none" (index 16)."""

CLASS_INDEX: Final[dict[str, int]] = {name: i for i, name in enumerate(CLASSES)}
