"""Simulated one-way network latency: a uniform random delay before each request is handled."""

from __future__ import annotations

import math
import random
import re
import threading

_RANGE = re.compile(r'\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(?:-\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*)?')


def check_latency(low: float, high: float) -> tuple[float, float]:
    """``(low, high)`` in ms as floats when ``0 <= low <= high`` and both finite, else ValueError."""
    lo, hi = float(low), float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo < 0 or lo > hi:
        raise ValueError(f'latency must be 0 <= LOW <= HIGH milliseconds, got {low!r}-{high!r}')
    return lo, hi


def parse_latency(text: str) -> tuple[float, float]:
    """``'20-120'`` -> ``(20.0, 120.0)``; ``'50'`` -> ``(50.0, 50.0)`` (milliseconds).

    Raises ValueError for anything else (negative, reversed, not a number), with the text it got.
    """
    match = _RANGE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'latency must be LOW-HIGH or MS in milliseconds (e.g. 20-120), got {text!r}')
    low = float(match.group(1))
    return check_latency(low, float(match.group(2)) if match.group(2) is not None else low)


class Latency:
    """Draws one delay per request from ``uniform(low, high)`` ms; a seed makes the draws repeatable."""

    def __init__(self, bounds: tuple[float, float] | None, seed: int | None = None) -> None:
        self.bounds = check_latency(*bounds) if bounds is not None else None
        self._rng = random.Random(seed)
        self._lock = threading.Lock()

    def draw_ms(self) -> float:
        """The next delay in ms (0 when no latency is configured)."""
        if self.bounds is None:
            return 0.0
        low, high = self.bounds
        with self._lock:
            return low if low == high else self._rng.uniform(low, high)
