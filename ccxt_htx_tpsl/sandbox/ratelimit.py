"""Sliding-window rate limiting over several windows at once, and HTX's ``ratelimit-*`` headers.

Each :class:`Window` allows at most ``limit`` requests per ``interval_ms``, per key (a UID, or a
UID and an endpoint), counted by arrival time. A request is checked against every window that
applies to it (:meth:`RateLimiter.acquire`): it passes only if each has room, and is then counted
in each. A refused request consumes nothing, unless the limiter counts refusals
(``count_refused=True``: it is then counted in every window, which keeps a client that ignores
1032 locked out).

The headers describe the *tightest* window: for a refused request the full window that frees last
(so ``ratelimit-reset`` says when a retry can pass), otherwise the one with the fewest requests
left (ties: the first listed, i.e. the per-endpoint window before the UID budget).

``ratelimit-reset`` is the moment the oldest request of that window leaves it, i.e. when one more
slot frees (now when the window is empty). By default it is a Unix time in ms, which is what HTX's
public endpoints were seen to send; ``reset_style='duration'`` sends the milliseconds until then.
Which of the two HTX's private endpoints use is unconfirmed.

Memory: windows are dropped as soon as they are empty, and every longest-interval all windows are
swept, so the state holds only requests of the last interval, however many keys came and went.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

RESET_STYLES = ('epoch', 'duration')


@dataclass(frozen=True)
class Window:
    """A named limit: ``limit`` requests per ``interval_ms``, counted separately per key."""

    name: str
    limit: int
    interval_ms: int

    def __post_init__(self) -> None:
        if self.limit < 1 or self.interval_ms < 1:
            raise ValueError(f'rate limit must be >= 1 per >= 1 ms, got {self.limit} per {self.interval_ms} ms')


@dataclass(frozen=True)
class RateDecision:
    """The limiter's answer for one request, with what the headers report."""

    allowed: bool
    limit: int
    interval_ms: int
    remaining: int
    reset_in_ms: int  # until one more slot frees
    window: str = ''  # the name of the window described

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


class RateLimiter:
    """Sliding windows over monotonic arrival times (seconds), several per request; thread-safe."""

    def __init__(self, count_refused: bool = False) -> None:
        self.count_refused = count_refused
        self._lock = threading.Lock()
        self._arrivals: dict[tuple[str, Hashable], tuple[float, deque[float]]] = {}
        self._longest = 0.0  # seconds, the longest interval seen
        self._last_sweep = -math.inf

    def acquire(self, windows: Sequence[tuple[Window, Hashable]], now: float) -> RateDecision:
        """Count a request arriving at ``now`` in every window if each has room."""
        return self._decide(windows, now, consume=True)

    def peek(self, windows: Sequence[tuple[Window, Hashable]], now: float) -> RateDecision:
        """The current state of these windows without counting a request."""
        return self._decide(windows, now, consume=False)

    def size(self) -> int:
        """How many arrivals are held over all windows (for memory checks)."""
        with self._lock:
            return sum(len(window) for _, window in self._arrivals.values())

    def window_count(self) -> int:
        """How many non-empty windows are held."""
        with self._lock:
            return len(self._arrivals)

    def _decide(self, windows: Sequence[tuple[Window, Hashable]], now: float, consume: bool) -> RateDecision:
        if not windows:
            raise ValueError('a rate decision needs at least one window')
        with self._lock:
            self._sweep(now)
            queues = [self._window(spec, key, now) for spec, key in windows]
            full = [len(queue) >= spec.limit for (spec, _), queue in zip(windows, queues, strict=True)]
            allowed = not any(full)
            if consume and (allowed or self.count_refused):
                for queue in queues:
                    queue.append(now)
            states = []
            for (spec, _), queue in zip(windows, queues, strict=True):
                interval = spec.interval_ms / 1000
                reset_ms = math.ceil(round(max(0.0, queue[0] + interval - now) * 1000, 6)) if queue else 0
                states.append((spec, max(0, spec.limit - len(queue)), reset_ms))
            for (spec, key), queue in zip(windows, queues, strict=True):
                if not queue:
                    self._arrivals.pop((spec.name, key), None)
        if allowed:
            spec, remaining, reset_ms = min(states, key=lambda state: state[1])
        else:
            refusing = [state for state, is_full in zip(states, full, strict=True) if is_full]
            spec, remaining, reset_ms = max(refusing, key=lambda state: state[2])
        return RateDecision(allowed, spec.limit, spec.interval_ms, remaining, reset_ms, spec.name)

    def _window(self, spec: Window, key: Hashable, now: float) -> deque[float]:
        interval = spec.interval_ms / 1000
        self._longest = max(self._longest, interval)
        _, queue = self._arrivals.setdefault((spec.name, key), (interval, deque()))
        while queue and queue[0] <= now - interval:
            queue.popleft()
        return queue

    def _sweep(self, now: float) -> None:
        """Once per longest interval, drop expired arrivals and empty windows of every key."""
        if now - self._last_sweep < max(self._longest, 0.001):
            return
        self._last_sweep = now
        for name, (interval, queue) in list(self._arrivals.items()):
            while queue and queue[0] <= now - interval:
                queue.popleft()
            if not queue:
                del self._arrivals[name]


class SlidingWindowLimiter:
    """One window per key: at most ``limit`` requests per ``interval_ms`` (a :class:`RateLimiter` view)."""

    def __init__(self, limit: int, interval_ms: int, count_refused: bool = False) -> None:
        self.window = Window('window', limit, interval_ms)
        self.limit, self.interval_ms = limit, interval_ms
        self._limiter = RateLimiter(count_refused)

    def acquire(self, key: Hashable, now: float) -> RateDecision:
        """Count a request arriving at ``now`` if the window has room."""
        return self._limiter.acquire([(self.window, key)], now)

    def peek(self, key: Hashable, now: float) -> RateDecision:
        """The current state for ``key`` without counting a request."""
        return self._limiter.peek([(self.window, key)], now)

    def window_count(self) -> int:
        """How many keys have a non-empty window."""
        return self._limiter.window_count()


def peak_in_window(arrivals: Iterable[float], window: float) -> int:
    """The most arrivals in any half-open window ``[t, t + window)``: what HTX (and this sandbox) counts.

    For tests and benchmarks that check a client against the limits: times and ``window`` in the same unit."""
    times = sorted(arrivals)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak
