"""HTX's ``ratelimit-limit`` / ``ratelimit-interval`` pair describes one window: the pacer adopts it whole,
and only when it is a stricter rate than the window it describes (``_pacing.Window.adopt``).

Before: the two figures were adopted separately, each when "stricter" on its own. A reply with
``ratelimit-limit: 72`` and ``ratelimit-interval: 3000`` (the UID budget's figures, laxer than the
endpoint's 5 per second) turned the endpoint's window into 5 per 3000 ms: three times slower, for
the life of the instance.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from .conftest import Make, Run, ids
from .hostile import CANCEL, HostileServer, cancel_reply, reply
from .test_pacing import PATH, T0, Server, pacer
from .test_pacing import run as simulate

SYMBOL = 'BTC/USDT:USDT'


def _after(headers: dict[str, Any]) -> tuple[int, float]:
    p = pacer()  # 5 per 1000 ms on the endpoint
    ticket = p.sent(PATH, T0)
    p.replied(ticket, T0 + 10, int(T0 + 5), headers, False)
    window = p.windows[PATH]
    return window.limit, window.interval


@pytest.mark.parametrize(('headers', 'window'), [
    ({'ratelimit-limit': '72', 'ratelimit-interval': '3000'}, (5, 1000)),  # laxer as a rate: kept as it was
    ({'ratelimit-limit': 50, 'ratelimit-interval': 100}, (5, 1000)),
    ({'ratelimit-limit': 5, 'ratelimit-interval': 1000}, (5, 1000)),
    ({'ratelimit-interval': '3000'}, (5, 1000)),  # half a window is no window
    ({'ratelimit-limit': '3'}, (5, 1000)),
    ({'ratelimit-limit': '3', 'ratelimit-interval': '1000'}, (3, 1000)),  # stricter: adopted whole
    ({'ratelimit-limit': '10', 'ratelimit-interval': '3000'}, (10, 3000)),  # 3.3/s: stricter, though each
    ({'ratelimit-limit': '2.5', 'ratelimit-interval': '1000'}, (5, 1000)),  # figure alone is not
    ({'ratelimit-limit': '3', 'ratelimit-interval': '0'}, (5, 1000)),
    ({'ratelimit-limit': '3', 'ratelimit-interval': 'soon'}, (5, 1000)),
])
def test_a_header_pair_is_adopted_whole_and_only_when_stricter(headers: dict[str, Any],
                                                               window: tuple[int, float]) -> None:
    assert _after(headers) == window


def test_the_uid_budgets_figures_do_not_slow_an_endpoint_down() -> None:
    server = Server(headers=False)  # HTX counts 5 per second on the endpoint ...
    p = pacer()
    original = server.receive

    def receive(at: float) -> Any:  # ... and its replies carry the UID budget's figures
        accepted, ts, _ = original(at)
        return accepted, ts, {'ratelimit-limit': '72', 'ratelimit-interval': '3000', 'ratelimit-remaining': '60'}

    server.receive = receive  # type: ignore[method-assign]
    end = simulate(p, server, 50)
    assert server.refused == 0
    assert (end - T0) / (49 * 200) < 1.02  # at the bound, not 3 times slower


def test_a_laxer_header_pair_keeps_cancels_at_htxs_rate(server: HostileServer, make: Make, run: Run) -> None:
    server.default(CANCEL, reply(lambda r: cancel_reply(r.order_ids()),
                                 headers={'ratelimit-limit': '72', 'ratelimit-interval': '3000',
                                          'ratelimit-remaining': '71'}))
    exchange = make(server)
    run(exchange.load_markets())
    run(exchange.cancel_isolated_tpsl_orders(ids(0, 1), SYMBOL))  # the headers are seen
    time.sleep(1.1)
    started = time.monotonic()
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(100, 110), SYMBOL))  # 11 requests: 2 s at 5/s
    took = time.monotonic() - started
    assert {o['status'] for o in orders} == {'canceled'}
    assert took < 3.2, took  # 5 per 3000 ms would take 6 s
