"""Pacing recovers from a step between the local clock and HTX's ``ts`` within a few requests
(``_pacing.Latency``, ``_pacing.Pacer``).

Before: the estimate of how early a request can arrive was the lowest of the last 64 samples of
``ts - send time``. After a 10 s step (NTP correcting the local clock, a resumed VM) every old
sample was 10 s off: each request waited out the driver's patience, 11 cancels took 22 s instead
of 2 s, and stalls recurred until the old samples aged out. A sample is now checked against what
the others say about the clock offset (``ts - reply time <= offset <= ts - send time``): one that
contradicts them all is a step, and the samples from before it are dropped.

Driven like ``tests/test_pacing.py``: a fake clock, a simulated HTX counting arrivals, the sync
driver's loop (wait, at most its patience; send; reply).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from ccxt_htx_tpsl._pacing import Pacer

from .conftest import Make, Run, ids
from .hostile import CANCEL, HostileServer, cancel_reply, reply
from .test_pacing import PATH, T0, Server, pacer, peak


class Clocks:
    """True time ``t`` (ms); the local wall clock is ``t + skew``; HTX stamps ``arrival + server.offset``."""

    def __init__(self, p: Pacer, server: Server, latency: Any) -> None:
        self.p, self.server, self.latency = p, server, latency
        self.t = T0
        self.skew = 0.0

    @property
    def local(self) -> float:
        return self.t + self.skew

    def send(self, count: int) -> float:
        """``count`` requests one after another, as the sync class sends them; the true time they took."""
        start = self.t
        for _ in range(count):
            give_up = self.t + self.p.patience(PATH)
            while (wait := self.p.wait(PATH, self.local)) > 0 and self.t < give_up:
                self.t += min(wait, give_up - self.t)
            ticket = self.p.sent(PATH, self.local)
            arrival = self.t + self.latency()
            accepted, ts, headers = self.server.receive(arrival)
            self.t = arrival + self.latency()
            self.p.replied(ticket, self.local, int(ts), headers, not accepted)
        return self.t - start


STEPS = {
    'local clock 10 s back': ('skew', -10_000.0),
    'local clock 10 s ahead': ('skew', 10_000.0),
    "HTX's clock 10 s ahead": ('offset', 10_000.0),
    "HTX's clock 10 s back": ('offset', -10_000.0),
}


@pytest.mark.parametrize('step', list(STEPS))
@pytest.mark.parametrize('headers', [True, False], ids=['with headers', 'ts only'])
@pytest.mark.parametrize('sure', [False, True], ids=['cancels', 'creates'])
def test_pacing_recovers_from_a_clock_step_within_a_few_requests(step: str, headers: bool, sure: bool) -> None:
    rnd = random.Random(7)
    server = Server(headers=headers)
    clocks = Clocks(pacer(sure=(PATH,) if sure else ()), server, lambda: rnd.uniform(20, 60))
    clocks.send(40)
    which, amount = STEPS[step]
    if which == 'skew':
        clocks.skew += amount
    else:
        server.offset += amount
    took = clocks.send(11)
    # 10 spacings of 200 ms plus the return trips (11 to 31 s before). HTX's ts alone cannot tell
    # HTX's clock stepping back from ours stepping ahead: the safe reading costs one window's pause.
    assert took < (3000 if which == 'skew' else 3000 + 1000), took
    again = clocks.send(20)
    assert again < 19 * 200 * 1.25, again  # and it stays recovered
    assert peak(server.arrivals) == 5
    assert server.refused <= (2 if sure else 3)


def test_a_steady_clock_never_looks_like_a_step() -> None:
    rnd = random.Random(11)
    p = pacer()
    clocks = Clocks(p, Server(), lambda: rnd.uniform(1, 150))
    clocks.send(300)
    assert len(p.latency.samples) == 64 and p.latency.steps == 0  # the offset's bounds always overlap


def test_a_clock_step_on_a_live_server_does_not_stall_cancels(server: HostileServer, make: Make, run: Run) -> None:
    step = [0]
    server.default(CANCEL, reply(lambda r: {**cancel_reply(r.order_ids()), 'ts': int(time.time() * 1000) + step[0]}))
    exchange = make(server)
    run(exchange.load_markets())
    run(exchange.cancel_isolated_tpsl_orders(ids(0, 100), SYMBOL))  # 10 requests: samples of a steady clock
    step[0] = 10_000  # HTX's ts now reads 10 s later (as if the local clock stepped back)
    started = time.monotonic()
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(1000, 110), SYMBOL))  # 11 requests: 2 s at 5/s
    took = time.monotonic() - started
    assert {o['status'] for o in orders} == {'canceled'}
    assert took < 4, took


SYMBOL = 'BTC/USDT:USDT'
