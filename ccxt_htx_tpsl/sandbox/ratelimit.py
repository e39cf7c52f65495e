"""Sliding-window rate limiting and HTX's ``ratelimit-*`` reply headers.

At most ``limit`` requests per key in any window of ``interval_ms``, counted by arrival time;
a refused request consumes nothing.

``ratelimit-reset`` is the moment the oldest request of the current window leaves it, i.e. when
one more slot frees (now when the window is empty). By default it is sent as a Unix time in ms,
which is what HTX's public endpoints were seen to send; ``reset_style='duration'`` sends the
milliseconds until then instead. Which of the two HTX's private endpoints use is unconfirmed.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass

RESET_STYLES = ('epoch', 'duration')


@dataclass(frozen=True)
class RateDecision:
    """The limiter's answer for one request, with what the headers report."""

    allowed: bool
    limit: int
    interval_ms: int
    remaining: int
    reset_in_ms: int  # until one more slot frees

    def headers(self, reset_style: str = 'epoch') -> dict[str, str]:
        """HTX's ``ratelimit-*`` headers for this decision."""
        reset = self.reset_in_ms
        if reset_style == 'epoch':
            reset += time.time_ns() // 1_000_000
        return {
            'ratelimit-limit': str(self.limit),
            'ratelimit-interval': str(self.interval_ms),
            'ratelimit-remaining': str(self.remaining),
            'ratelimit-reset': str(reset),
        }


class SlidingWindowLimiter:
    """Per-key sliding window over monotonic arrival times (seconds); thread-safe."""

    def __init__(self, limit: int, interval_ms: int) -> None:
        if limit < 1 or interval_ms < 1:
            raise ValueError(f'rate limit must be >= 1 per >= 1 ms, got {limit} per {interval_ms} ms')
        self.limit = limit
        self.interval_ms = interval_ms
        self._lock = threading.Lock()
        self._arrivals: dict[Hashable, deque[float]] = {}

    def acquire(self, key: Hashable, now: float) -> RateDecision:
        """Count a request arriving at ``now`` if the window has room."""
        return self._decide(key, now, consume=True)

    def peek(self, key: Hashable, now: float) -> RateDecision:
        """The current state for ``key`` without counting a request."""
        return self._decide(key, now, consume=False)

    def _decide(self, key: Hashable, now: float, consume: bool) -> RateDecision:
        interval = self.interval_ms / 1000
        with self._lock:
            window = self._arrivals.setdefault(key, deque())
            while window and window[0] <= now - interval:
                window.popleft()
            allowed = len(window) < self.limit
            if allowed and consume:
                window.append(now)
            reset_ms = math.ceil(round(max(0.0, window[0] + interval - now) * 1000, 6)) if window else 0
            remaining = self.limit - len(window)
            if not window:
                del self._arrivals[key]
        return RateDecision(allowed, self.limit, self.interval_ms, remaining, reset_ms)
