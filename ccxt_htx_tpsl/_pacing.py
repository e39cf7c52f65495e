"""Pacing for HTX's limited endpoints: when may the next request be sent? No I/O, no clock of its own.

HTX counts requests when they **arrive**, per endpoint and per UID: at most ``limit`` arrivals in
any ``interval`` ms. Send spacing alone cannot be both at the bound and safe when the one-way
latency varies (two requests sent 200 ms apart can arrive 100 ms apart). The rule here:

1. **Spacing**: consecutive sends are at least ``interval / limit * (1 + margin)`` apart (at the
   bound when ``margin`` is 0, the default).
2. **Window, at arrival**: request *k* may be sent only when request *k - limit* has surely left
   HTX's window by the time *k* can arrive. Every HTX reply carries ``ts``, the server's time when
   it answered, which is not earlier than the arrival; each reply also gives a sample
   ``q = ts - send time`` (clock offset + one-way latency), and the lower bound of ``q``, estimated
   conservatively from recent samples, is the earliest a request sent now can arrive. So request
   *k* is sent no earlier than ``ts[k - limit] + interval - q_low + safety``. A request whose
   reply is missing counts as arriving as late as it could have.
3. **HTX's headers**: a reply saying ``ratelimit-remaining: 0`` blocks the endpoint until
   ``ratelimit-reset`` (an epoch in ms, or a duration from ``ts``) has passed at HTX; a
   ``ratelimit-limit`` / ``ratelimit-interval`` pair is one window, adopted whole when it is a
   stricter rate than the window it describes (never one figure of it alone).
4. **Refusals**: a ``1032`` refusal widens the margin and the safety and blocks the endpoint for
   one spacing at HTX; both decay back after accepted requests. The refused request did nothing
   and is re-sent by the caller (never a create).

Rules 2 and 3 only use times HTX itself reported. The estimate of the earliest arrival is not a
bound: a request faster than every one before it can arrive early, and HTX answers 1032, which did
nothing and is re-sent. A create is never re-sent, so creates use a sure bound instead: HTX stamps
a reply before it comes back, so ``ts - reply time`` never exceeds the clock offset, and a request
sent now arrives no earlier than now plus the largest such sample (this costs about one return trip
per window). Rule 1 keeps a quiet path evenly spaced; rule 4 only reacts to what the rules could
not foresee (another program using the same UID, a server window that is not what it says).

**Clock steps** (NTP, a resumed VM): each reply bounds the clock offset, ``ts - reply time <=
offset <= ts - send time``; while it holds, the bounds of every reply overlap. A reply whose bounds
miss the others' is a step: the samples from before it are dropped, and arrivals held in the old
reckoning are clamped to its ``ts``. A local clock going back is seen directly (``now`` smaller than
before): the local times held move back with it and the samples move up. Pacing is at the bound
again within a few requests.

All times are in milliseconds: ``now`` is the local wall clock (``time.time() * 1000``, the clock
HTX's ``ts`` is compared with). :class:`Pacer` is not thread-safe (neither is a ccxt exchange);
the async class serialises the wait per endpoint and marks a send without awaiting in between.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SAFETY_MS = 2.0  # HTX's ts has ms resolution; a little more than one tick
MAX_SAFETY_MS = 100.0
MARGIN_STEP = 0.05  # added to the margin on each 1032
MAX_MARGIN = 0.5
DECAY = 0.9  # margin and safety move this fraction back towards their base per accepted request
SAMPLES = 64  # latency samples kept (recent ones: clocks drift and routes change)
UNKNOWN_LATENCY_MS = 1000.0  # assumed one-way latency + offset before any reply was seen
EPOCH_MS = 10**12  # a ratelimit-reset above this is an epoch time, below a duration
STEP_MS = 5.0  # a sample this far outside what the others prove about the clock offset is a clock step


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int beyond a float's range
        return None
    return number if math.isfinite(number) else None


@dataclass
class Ticket:
    """One request that was let through: when it was sent and what became of it."""

    window_keys: tuple[str, ...]
    sent: float
    arrived_by: float | None = None  # server time by which it had surely arrived (its reply's ts)
    done: bool = False


class Latency:
    """Samples of ``ts - send time`` (clock offset plus one-way latency) and of ``ts - reply time``, in ms."""

    def __init__(self) -> None:
        self.samples: deque[float] = deque(maxlen=SAMPLES)
        self.returns: deque[float] = deque(maxlen=SAMPLES)
        self.steps = 0  # clock steps seen

    def add(self, sample: float, returned: float | None = None) -> bool:
        """Add one reply's samples; True when they show a clock step (the older samples are then dropped).

        Each reply bounds the clock offset (HTX's clock minus ours): ``ts - reply time <= offset <=
        ts - send time``. While the offset holds, every reply's bounds overlap every other's (up to
        ``ts``'s millisecond); a reply whose bounds miss the others' says the offset moved (NTP stepped
        a clock, a VM resumed), and the samples from before would misplace every arrival."""
        stepped = bool(self.returns) and sample < max(self.returns) - STEP_MS
        stepped = stepped or (returned is not None and bool(self.samples) and returned > min(self.samples) + STEP_MS)
        if stepped:
            self.reset()
        self.samples.append(sample)
        if returned is not None:
            self.returns.append(returned)
        return stepped

    def shift(self, amount: float) -> None:
        """The local clock stepped back by ``amount`` ms: every offset measured grows by as much."""
        self.samples = deque((q + amount for q in self.samples), maxlen=SAMPLES)
        self.returns = deque((r + amount for r in self.returns), maxlen=SAMPLES)

    def reset(self) -> None:
        """Forget every sample (the clock offset they measured is gone)."""
        self.samples.clear()
        self.returns.clear()
        self.steps += 1

    def floor(self) -> float | None:
        """A sure lower bound of the clock offset (HTX's clock minus ours): HTX stamped each reply
        before it came back, so ``ts - reply time`` never exceeds it. A request sent now arrives,
        by HTX's clock, no earlier than now plus this."""
        return max(self.returns) if self.returns else None

    def low(self) -> float | None:
        """A conservative estimate of the lowest sample: the minimum minus the spread over the count."""
        if not self.samples:
            return None
        low, high = min(self.samples), max(self.samples)
        return low - (high - low) / len(self.samples)

    def high(self) -> float:
        return max(self.samples) if self.samples else UNKNOWN_LATENCY_MS

    def spread(self) -> float:
        """How much the samples vary (0 before the second one)."""
        return max(self.samples) - min(self.samples) if self.samples else 0.0


@dataclass
class Window:
    """One HTX limit: ``limit`` arrivals in any ``interval`` ms."""

    limit: int
    interval: float
    base_margin: float = 0.0
    margin: float = 0.0
    safety: float = SAFETY_MS
    last_sent: float = -math.inf
    blocked_until: float = -math.inf  # server time before which nothing may arrive
    recent: deque[Ticket] = field(default_factory=deque)

    @property
    def spacing(self) -> float:
        return self.interval / self.limit * (1 + self.margin)

    def earliest(self, latency: Latency, now: float, sure: bool = False) -> float:
        """The earliest local time the next request may be sent (``sure``: by the sure bound of arrival)."""
        # Spacing at the bound on a quiet path; narrower by the latency spread, which the window
        # rule below adds back where it matters (else both would charge for the same jitter).
        spread = min(latency.spread(), self.interval / 2)
        at = self.last_sent + self.spacing - spread / self.limit
        low = latency.floor() if sure else latency.low()
        offset = (low if low is not None else 0.0) - self.safety  # send time = server time - offset
        if len(self.recent) >= self.limit:
            oldest = self.recent[-self.limit]
            arrived_by = oldest.arrived_by
            if arrived_by is None:  # no reply yet: it arrives within the highest latency seen
                arrived_by = oldest.sent + latency.high()
            at = max(at, arrived_by + self.interval - offset)
        if self.blocked_until > -math.inf:
            at = max(at, self.blocked_until - offset)
        return at

    def sent(self, ticket: Ticket) -> None:
        self.last_sent = ticket.sent
        self.recent.append(ticket)
        while len(self.recent) > self.limit:
            self.recent.popleft()

    def accepted(self) -> None:
        self.margin = self.base_margin + (self.margin - self.base_margin) * DECAY
        self.safety = SAFETY_MS + (self.safety - SAFETY_MS) * DECAY

    def refused(self, server_time: float) -> None:
        self.margin = min(MAX_MARGIN, self.margin + MARGIN_STEP)
        self.safety = min(MAX_SAFETY_MS, self.safety * 2 + 10)
        self.blocked_until = max(self.blocked_until, server_time + self.interval / self.limit)

    def adopt(self, limit: float | None, interval: float | None) -> None:
        """Take HTX's window (``limit`` per ``interval`` ms) when it is stricter than ours as a rate.

        A ``ratelimit-limit`` / ``ratelimit-interval`` pair describes one window: it is adopted whole
        or not at all (72 per 3000 ms is laxer than 5 per 1000 ms; its interval alone would make
        5 per 3000 ms, three times slower than either)."""
        if limit is None or interval is None or limit != int(limit) or not 1 <= limit <= 10_000:
            return
        if not 0 < interval <= 60_000:
            return
        if limit / interval < self.limit / self.interval:
            self.limit, self.interval = int(limit), float(interval)


class Pacer:
    """The windows of one exchange instance, by key; each request path maps to its windows.

    ``paths`` maps an endpoint path to the keys of the windows it counts in (its own, and the
    UID budget it belongs to); ``windows`` maps a key to ``(limit, interval_ms)``.
    """

    def __init__(self, paths: Mapping[str, Iterable[str]], windows: Mapping[str, tuple[float, float]],
                 margin: float = 0.0, sure: Iterable[str] = ()) -> None:
        self.paths = {path: tuple(keys) for path, keys in paths.items()}
        self.sure = frozenset(sure)  # paths paced by the sure bound of arrival (creates: never re-sent)
        margin = max(-0.5, min(MAX_MARGIN, margin))
        self.windows = {key: Window(int(limit), float(interval), margin, margin)
                        for key, (limit, interval) in windows.items() if limit >= 1 and interval > 0}
        self.latency = Latency()
        self.clock = -math.inf  # the latest local time seen

    def _observe(self, now: float) -> None:
        """Follow the local clock: when it went back (NTP), move every local time held back with it, so
        that no spacing waits for a send time that is now in the future, and the offset samples up."""
        back = self.clock - now
        if back > STEP_MS:
            tickets = {id(t): t for window in self.windows.values() for t in window.recent}
            for ticket in tickets.values():
                ticket.sent -= back
            for window in self.windows.values():
                window.last_sent -= back
            self.latency.shift(back)
            self.clock = now
        elif now > self.clock:
            self.clock = now

    def _rebase(self, server_now: float) -> None:
        """After a clock step, no earlier request arrived later than ``server_now`` (HTX's time now, by
        the step's reply): an arrival or a block held in the old reckoning may not stall the next sends."""
        for window in self.windows.values():
            for ticket in window.recent:
                if ticket.arrived_by is not None and ticket.arrived_by > server_now:
                    ticket.arrived_by = server_now
            window.blocked_until = min(window.blocked_until, server_now + window.interval / window.limit)

    def limited(self, path: str) -> bool:
        """Whether requests to ``path`` are paced here."""
        return path in self.paths

    def wait(self, path: str, now: float) -> float:
        """Milliseconds to wait before a request to ``path`` may be sent (0: now).

        Never more than one window plus one spacing of any window involved, so that a skewed
        clock or a bogus header cannot stall the caller: callers wait at most a few times.
        """
        self._observe(now)
        wait = 0.0
        sure = path in self.sure
        for key in self.paths[path]:
            window = self.windows.get(key)
            if window is not None:
                wait = max(wait, min(window.earliest(self.latency, now, sure) - now, window.interval + window.spacing))
        return wait

    def patience(self, path: str) -> float:
        """How long (ms) a caller waits at most before sending anyway: three of the longest windows
        involved. Only a skewed clock or a bogus header could need more."""
        spans = [w.interval + w.spacing for key in self.paths[path] if (w := self.windows.get(key)) is not None]
        return 3 * max(spans, default=0.0)

    def keys(self, path: str) -> tuple[str, ...]:
        """The windows a request to ``path`` counts in, in a fixed order (for locking)."""
        return tuple(sorted(key for key in self.paths[path] if key in self.windows))

    def sent(self, path: str, now: float) -> Ticket:
        """Record that a request to ``path`` is being sent now."""
        self._observe(now)
        keys = tuple(key for key in self.paths[path] if key in self.windows)
        ticket = Ticket(keys, now)
        for key in keys:
            self.windows[key].sent(ticket)
        return ticket

    def replied(self, ticket: Ticket, now: float, server_ts: Any, headers: Mapping[str, Any] | None,
                rate_limited: bool) -> None:
        """Record HTX's reply to ``ticket``: its ``ts``, its ``ratelimit-*`` headers, whether it was a 1032."""
        if ticket.done:
            return
        ticket.done = True
        self._observe(now)
        ts = _number(server_ts)
        if ts is not None and ts > EPOCH_MS:
            ticket.arrived_by = ts
            if self.latency.add(ts - ticket.sent, ts - now):
                self._rebase(ts)
        else:  # no usable ts (an error page): it arrived before the reply came back
            ticket.arrived_by = now + self.latency.high()
        remaining, reset, limit, interval = _rate_headers(headers)
        for key in ticket.window_keys:
            window = self.windows[key]
            if key == ticket.window_keys[0]:  # HTX's headers describe the endpoint's own window
                window.adopt(limit, interval)
                if remaining is not None and remaining <= 0 and reset is not None:
                    until = reset if reset > EPOCH_MS else ticket.arrived_by + reset
                    until = min(until, ticket.arrived_by + window.interval)  # a window resets within itself
                    window.blocked_until = max(window.blocked_until, until)
            if rate_limited:
                window.refused(ticket.arrived_by)
            else:
                window.accepted()

    def lost(self, ticket: Ticket, now: float) -> None:
        """No reply will come for ``ticket`` (timeout, network error): it may have arrived until now."""
        if not ticket.done:
            ticket.done = True
            self._observe(now)
            ticket.arrived_by = now + self.latency.high()


def _rate_headers(headers: Mapping[str, Any] | None) -> tuple[float | None, ...]:
    if not headers:
        return None, None, None, None
    lowered = {str(k).lower(): v for k, v in headers.items() if str(k).lower().startswith('ratelimit-')}
    return tuple(_number(lowered.get('ratelimit-' + name)) for name in ('remaining', 'reset', 'limit', 'interval'))
