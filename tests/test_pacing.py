"""The pacing rule, deterministically: a fake clock and a simulated HTX that counts arrivals.

No sleeping, no sockets: ``_pacing.Pacer`` is driven the way the drivers drive it (wait, send,
reply) against a server model with HTX's sliding window at arrival and a one-way latency.
"""

from __future__ import annotations

import collections
import random
from typing import Any

import pytest

from ccxt_htx_tpsl._pacing import Pacer
from ccxt_htx_tpsl.sandbox.ratelimit import peak_in_window

PATH = 'POST cancel'
T0 = 1_780_000_000_000.0  # local wall clock, ms


def pacer(limit: int = 5, interval: float = 1000, margin: float = 0.0, uid: tuple[int, int] = (72, 3000),
          sure: tuple[str, ...] = ()) -> Pacer:
    return Pacer({PATH: (PATH, 'uid:trade'), 'POST other': ('POST other', 'uid:trade')},
                 {PATH: (limit, interval), 'POST other': (limit, interval), 'uid:trade': uid}, margin, sure)


class Server:
    """HTX's window: at most ``limit`` arrivals in any ``interval`` ms; replies carry ts and headers."""

    def __init__(self, limit: int = 5, interval: float = 1000, offset: float = 0.0, headers: bool = True) -> None:
        self.limit, self.interval, self.offset, self.headers = limit, interval, offset, headers
        self.window: collections.deque[float] = collections.deque()
        self.arrivals: list[float] = []
        self.refused = 0

    def receive(self, at: float) -> tuple[bool, float, dict[str, Any]]:
        while self.window and self.window[0] <= at - self.interval:
            self.window.popleft()
        accepted = len(self.window) < self.limit
        if accepted:
            self.window.append(at)
            self.arrivals.append(at)
        else:
            self.refused += 1
        headers: dict[str, Any] = {}
        if self.headers:
            reset = self.window[0] + self.interval + self.offset if self.window else 0
            headers = {'ratelimit-limit': self.limit, 'ratelimit-interval': self.interval,
                       'ratelimit-remaining': self.limit - len(self.window), 'ratelimit-reset': int(reset)}
        return accepted, at + self.offset, headers


def run(p: Pacer, server: Server, requests: int, latency: Any = lambda: 0.2, start: float = T0) -> float:
    """Send ``requests`` requests one after another (the sync class); re-send refused ones. Returns the end."""
    now = start
    done = 0
    while done < requests:
        for _ in range(3):
            wait = p.wait(PATH, now)
            if wait <= 0:
                break
            now += wait
        ticket = p.sent(PATH, now)
        arrival = now + latency()
        accepted, ts, headers = server.receive(arrival)
        now = arrival + 0.3  # the reply comes back
        p.replied(ticket, now, int(ts), headers, not accepted)
        done += accepted
    return now


def peak(arrivals: list[float], interval: float = 1000) -> int:
    return peak_in_window(arrivals, interval)


def test_a_quiet_path_is_spaced_at_the_bound() -> None:
    server = Server()
    end = run(pacer(), server, 50)
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:], strict=False)]
    assert min(gaps) >= 200 - 1e-6 and max(gaps) <= 203  # 5 per second, evenly
    assert server.refused == 0 and peak(server.arrivals) == 5
    assert (end - T0) / (49 * 200) < 1.02


@pytest.mark.parametrize('seed', range(5))
def test_jittery_arrivals_stay_within_htx_window(seed: int) -> None:
    rnd = random.Random(seed)
    server = Server()
    end = run(pacer(), server, 200, latency=lambda: rnd.uniform(20, 120))
    assert peak(server.arrivals) == 5  # never more than HTX counts, at arrival
    assert server.refused <= 3  # the rule's estimate of the fastest arrival converges within a few requests
    assert (end - T0) / (199 * 200) < 1.12  # the price of not knowing when a request will arrive


def test_spacing_alone_would_trip_the_window_under_the_same_jitter() -> None:
    # the reason for the arrival rule: the same latencies with spacing only (no ts, no headers)
    rnd = random.Random(1)
    sends, arrivals = [T0 + 200 * k for k in range(200)], []
    for s in sends:
        arrivals.append(s + rnd.uniform(20, 120))
    assert peak(arrivals) > 5


@pytest.mark.parametrize('offset', [-5000.0, 0.0, 7200_000.0])
def test_the_servers_clock_offset_does_not_matter(offset: float) -> None:
    rnd = random.Random(3)
    server = Server(offset=offset)
    run(pacer(), server, 100, latency=lambda: rnd.uniform(20, 120))
    assert peak(server.arrivals) == 5 and server.refused <= 3


def test_an_exhausted_window_in_the_headers_blocks_until_its_reset() -> None:
    p = pacer(limit=10)  # we believe 10/s; HTX says it counts 5 in this window
    ticket = p.sent(PATH, T0)
    reset = T0 + 900
    p.replied(ticket, T0 + 10, int(T0 + 5), {'ratelimit-remaining': '0', 'ratelimit-reset': str(int(reset)),
                                              'ratelimit-limit': '5', 'ratelimit-interval': '1000'}, False)
    assert p.windows[PATH].limit == 5  # HTX's stricter figure is adopted
    assert p.wait(PATH, T0 + 10) >= reset - (T0 + 10) - 10  # not before the window resets at HTX
    duration = pacer(limit=10)
    ticket = duration.sent(PATH, T0)
    duration.replied(ticket, T0 + 10, int(T0 + 5), {'ratelimit-remaining': 0, 'ratelimit-reset': 700}, False)
    assert duration.wait(PATH, T0 + 10) >= 690  # a reset given as a duration from the reply's ts


def test_laxer_headers_are_not_adopted() -> None:
    p = pacer()
    ticket = p.sent(PATH, T0)
    p.replied(ticket, T0 + 1, int(T0), {'ratelimit-limit': 50, 'ratelimit-interval': 100}, False)
    assert (p.windows[PATH].limit, p.windows[PATH].interval) == (5, 1000)


def test_a_1032_widens_the_margin_blocks_one_spacing_and_decays() -> None:
    p = pacer()
    ticket = p.sent(PATH, T0)
    p.replied(ticket, T0 + 50, int(T0 + 40), {}, True)
    window = p.windows[PATH]
    assert window.margin > 0 and window.safety > 2
    # nothing may arrive within one spacing of the refusal at HTX: sent no earlier than that minus
    # the fastest latency seen (40 ms)
    assert p.wait(PATH, T0 + 50) >= (T0 + 40 + 200 - 40) - (T0 + 50)
    for k in range(60):
        t = p.sent(PATH, T0 + 1000 + 300 * k)
        p.replied(t, T0 + 1001 + 300 * k, int(T0 + 1000 + 300 * k), {}, False)
    assert window.margin < 0.01 and window.safety < 3


def test_a_bogus_reset_cannot_stall_the_caller_beyond_a_window() -> None:
    p = pacer()
    ticket = p.sent(PATH, T0)
    p.replied(ticket, T0 + 1, int(T0), {'ratelimit-remaining': 0, 'ratelimit-reset': int(T0 + 10**9)}, False)
    assert p.wait(PATH, T0 + 1) <= 1000 + 200


def test_a_request_without_a_reply_counts_as_arriving_late() -> None:
    p = pacer()
    lost = p.sent(PATH, T0)
    p.lost(lost, T0 + 4000)  # e.g. a 4 s timeout: it may have arrived at any time until then
    for k in range(4):
        t = p.sent(PATH, T0 + 4000 + 200 * k)
        p.replied(t, T0 + 4000 + 200 * k + 30, int(T0 + 4000 + 200 * k + 20), {}, False)
    assert p.wait(PATH, T0 + 4800) >= 1000  # a sixth request waits for the lost one's window to pass


def test_the_uid_budget_is_shared_across_endpoints() -> None:
    p = pacer(limit=100, interval=1000, uid=(3, 1000))
    now = T0
    for key in (PATH, 'POST other', PATH):
        now += p.wait(key, now)
        t = p.sent(key, now)
        p.replied(t, now + 1, int(now), {}, False)
    assert p.wait('POST other', now) > 0  # the fourth request of the UID waits, whichever endpoint


def test_a_request_faster_than_all_before_it_can_trip_the_estimate_but_not_the_sure_bound() -> None:
    # five requests at 90 ms, then one at 1 ms: the estimate of the earliest arrival (90 ms) is not
    # a bound, and the sixth arrives within HTX's second (a 1032, re-sent: cancels and listings).
    # Creates are never re-sent, so they wait for the sure bound (HTX's ts against when its reply
    # came back) and never trip the window.
    def latencies() -> Any:
        pattern = iter([90.0] * 5 + [1.0] * 100)
        return lambda: next(pattern)

    estimated = Server(headers=False)
    run(pacer(), estimated, 6, latency=latencies())
    assert estimated.refused == 1  # the estimate: the rare early arrival HTX refuses
    sure = Server(headers=False)
    run(pacer(sure=(PATH,)), sure, 20, latency=latencies())
    assert sure.refused == 0 and peak(sure.arrivals) == 5


@pytest.mark.parametrize('seed', range(3))
def test_the_sure_bound_never_trips_the_window_under_jitter(seed: int) -> None:
    rnd = random.Random(seed)
    server = Server(headers=False)
    end = run(pacer(sure=(PATH,)), server, 100, latency=lambda: rnd.uniform(1, 150))
    assert server.refused == 0 and peak(server.arrivals) == 5
    assert (end - T0) / (99 * 200) < 1.2  # it costs about one return trip per window
