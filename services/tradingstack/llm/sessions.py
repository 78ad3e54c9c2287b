"""Chat sessions: at most `max_sessions` (least recently used evicted), each expiring after TTL."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass
class Session:
    id: str
    system: str
    created_at: float
    last_used_at: float
    history: list[dict[str, str]] = field(default_factory=list)


class SessionStore:
    def __init__(self, max_sessions: int, ttl_seconds: float, max_history: int) -> None:
        self.max_sessions = max_sessions
        self.ttl = ttl_seconds
        self.max_history = max_history
        self._sessions: OrderedDict[str, Session] = OrderedDict()
        self.evicted = 0

    def _expire(self, now: float) -> None:
        for sid in [s.id for s in self._sessions.values() if now - s.last_used_at > self.ttl]:
            del self._sessions[sid]

    def create(self, system: str) -> Session:
        now = time.time()
        self._expire(now)
        while len(self._sessions) >= self.max_sessions:
            self._sessions.popitem(last=False)
            self.evicted += 1
        s = Session(uuid.uuid4().hex, system, now, now)
        self._sessions[s.id] = s
        return s

    def get(self, sid: str) -> Session | None:
        now = time.time()
        self._expire(now)
        s = self._sessions.get(sid)
        if s is not None:
            s.last_used_at = now
            self._sessions.move_to_end(sid)
        return s

    def peek(self, sid: str) -> Session | None:
        self._expire(time.time())
        return self._sessions.get(sid)

    def delete(self, sid: str) -> bool:
        return self._sessions.pop(sid, None) is not None

    def all(self) -> list[Session]:
        self._expire(time.time())
        return list(self._sessions.values())

    def messages(self, s: Session, user: str) -> list[dict[str, str]]:
        """The prompt: the system message, the last turns kept, then the new user message."""
        kept = s.history[-(self.max_history - 1) :] if self.max_history > 1 else []
        return [{"role": "system", "content": s.system}, *kept, {"role": "user", "content": user}]

    def record(self, s: Session, user: str, reply: str) -> None:
        s.history += [{"role": "user", "content": user}, {"role": "assistant", "content": reply}]
        s.history = s.history[-self.max_history :]
        s.last_used_at = time.time()

    def __len__(self) -> int:
        return len(self._sessions)
