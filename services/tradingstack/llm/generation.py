"""Free-text generation with a stop for repetition loops and the reason it ended.

Small models fall into loops (the same paragraph again and again until the token cap). The
`RepetitionGuard` watches the text as it streams: a sentence or paragraph (20 characters or
more) that repeats an earlier one ends the generation, and the repeat is never shown; a
stretch repeated back to back (twice when 20 characters or more, else three times) ends it
too, keeping one copy. Text that might be the start of a repeat is held
back until it either completes (dropped) or diverges (released), so a stream shows nothing
that is later taken back.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Literal

from tradingstack.llm.backends import Backend, Finish, Message

FinishReason = Literal["stop", "length", "repetition"]
_UNIT_END = re.compile(r"(?<=[.!?])\s+|\n+")
MIN_UNIT = 20
_WORDS = re.compile(r"[a-z0-9]+")


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.lower()))


class RepetitionGuard:
    """Feed it the deltas; it answers what may be shown now, and whether to stop."""

    def __init__(self) -> None:
        self.text = ""  # everything generated so far
        self.shown = 0  # characters of `text` released
        self.seen: set[str] = set()
        self.unit_start = 0  # where the unit being written starts
        self.stopped = False

    def _loop(self) -> int | None:
        """Start of a stretch repeated three times at the end of the text (None: no loop)."""
        t = self.text
        for n in range(8, min(200, len(t) // 2) + 1):
            a = t[-n:]
            if t[-2 * n : -n] != a or len(_norm(a)) < 4:
                continue
            if n >= 20 or t[-3 * n : -2 * n] == a:  # twice for a long stretch, else thrice
                return len(t) - n  # keep one copy
        return None

    def feed(self, delta: str) -> str:
        """The text that may be shown now (possibly empty); sets `stopped` on a repeat."""
        if self.stopped:
            return ""
        self.text += delta
        loop = self._loop()
        if loop is not None:
            if self.unit_start:  # end at a sentence boundary, keeping what was shown
                loop = max(self.shown, min(loop, self.unit_start))
            return self._stop(loop)
        # complete the units that ended in this delta
        while True:
            m = _UNIT_END.search(self.text, self.unit_start)
            if m is None:
                break
            unit = _norm(self.text[self.unit_start : m.start()])
            if len(unit) >= MIN_UNIT:
                if unit in self.seen:
                    return self._stop(self.unit_start)
                self.seen.add(unit)
            self.unit_start = m.end()
        # hold back an unfinished unit that so far repeats the start of an earlier one
        pending = _norm(self.text[self.unit_start :])
        hold = bool(pending) and any(s.startswith(pending) for s in self.seen)
        upto = self.unit_start if hold else len(self.text)
        out = self.text[self.shown : upto] if upto > self.shown else ""
        self.shown = max(self.shown, upto)
        return out

    def _stop(self, at: int) -> str:
        self.stopped = True
        at = max(at, 0)
        out = self.text[self.shown : at] if at > self.shown else ""
        self.shown = max(self.shown, at)
        self.text = self.text[:at]
        return out

    def flush(self) -> str:
        """What is left to show once the model stopped by itself."""
        if self.stopped:
            return ""
        out = self.text[self.shown :]
        self.shown = len(self.text)
        return out

    @property
    def result(self) -> str:
        return self.text[: self.shown].rstrip()


@dataclass
class Generated:
    text: str
    finish_reason: FinishReason


def notice(reason: FinishReason, max_tokens: int) -> str | None:
    """What the reader is told about how the answer ended (None: it ended by itself)."""
    if reason == "length":
        return f"The answer was cut at the {max_tokens}-token cap; ask to continue."
    if reason == "repetition":
        return "The answer started repeating itself and was stopped there."
    return None


async def stream_guarded(
    backend: Backend, messages: list[Message], max_tokens: int, out: list[FinishReason]
) -> AsyncIterator[str]:
    """The backend's stream with the repetition guard; `out` receives the finish reason."""
    guard = RepetitionGuard()
    reason: FinishReason = "stop"
    gen = backend.stream(messages, max_tokens=max_tokens)
    try:
        async for part in gen:
            if isinstance(part, Finish):
                reason = "length" if part.reason == "length" else "stop"
                continue
            shown = guard.feed(part)
            if shown:
                yield shown
            if guard.stopped:
                reason = "repetition"
                break
        rest = guard.flush()
        if rest:
            yield rest
    finally:
        close = getattr(gen, "aclose", None)
        if close is not None:
            await close()
    out.append(reason)


async def generate_text(backend: Backend, messages: list[Message], max_tokens: int) -> Generated:
    reasons: list[FinishReason] = []
    pieces = [p async for p in stream_guarded(backend, messages, max_tokens, reasons)]
    return Generated("".join(pieces).strip(), reasons[0] if reasons else "stop")
