"""Slow down token guessing: bad tokens from one client address cost it more and more time.

In memory and per app (a restart forgets), which is enough against guessing: a token holds
a 256-bit secret, so the slowdown protects the log and the CPU (argon2) more than the secret.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from cctrace.api.settings import BadTokenSlowdown

MAX_CLIENTS = 10_000
"""Addresses remembered at most: the oldest are forgotten first (memory stays bounded)."""


class Slowdown:
    """Failures per client address within a sliding window, and the wait they earn."""

    def __init__(
        self, settings: BadTokenSlowdown, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.get(client)
        if times is None:
            return deque()
        while times and times[0] <= now - self.settings.window_s:
            times.popleft()
        if not times:
            del self._failures[client]
        return times

    def delay_s(self, client: str) -> float:
        """How long this client's next token check waits: 0 until its free attempts are
        used, then ``first_delay_s`` doubling with each further failure, capped."""
        s = self.settings
        with self._lock:
            over = len(self._recent(client, self._clock())) - s.free_attempts
        if over < 0:
            return 0.0
        return min(s.max_delay_s, s.first_delay_s * 2.0 ** min(over, 30))

    def failed(self, client: str) -> None:
        with self._lock:
            now = self._clock()
            times = self._recent(client, now)
            if client not in self._failures:
                if len(self._failures) >= MAX_CLIENTS:
                    del self._failures[next(iter(self._failures))]
                self._failures[client] = times
            times.append(now)
