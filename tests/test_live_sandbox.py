"""What a cassette cannot replay: timeouts, the rate limiter's pacing, the pro class over HTTP.

These talk to a live embedded sandbox on 127.0.0.1 (nothing else); every body runs for the
sync and the async class.
"""

from __future__ import annotations

import asyncio
import os
import pathlib
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl.pro
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config

from .conftest import CASSETTES, Run, ids

SYMBOL = 'BTC/USDT:USDT'


def test_timeout_raises_request_timeout_and_marks_that_chunk_unknown(
    make_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    exchange = make_exchange(sandbox.hostname, timeout=500)
    run(exchange.load_markets())
    wanted = ids(0, 15)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', after=1, delay=1.5)
    with pytest.raises(ccxt.RequestTimeout) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['status'] for o in orders] == ['canceled'] * 10 + [None] * 5
    assert {o['info']['error'] for o in orders[10:]} == {'RequestTimeout'}
    for text in (str(raised.value), repr(orders)):
        assert DEMO_API_KEY not in text and DEMO_SECRET not in text


def test_connection_refused_raises_network_error_with_every_id_unknown(
    make_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    exchange = make_exchange(sandbox.hostname)
    run(exchange.load_markets())
    sandbox.stop()  # the server is gone before the cancel is sent
    with pytest.raises(ccxt.NetworkError) as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 3), SYMBOL))
    assert [o['status'] for o in raised.value.orders] == [None] * 3  # type: ignore[attr-defined]
    assert DEMO_API_KEY not in str(raised.value)


def test_rate_limiter_keeps_20_chunks_at_or_under_5_per_second(
    live_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    """200 ids = 20 requests; measured by the server: never more than 5 in any second, no 1032."""
    run(live_exchange.load_markets())
    wanted = ids(1000, 200)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    orders = run(live_exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in orders] == ['canceled'] * 200
    arrivals = sorted(r.time for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel')
    assert len(arrivals) == 20
    assert all(r.err_code is None for r in sandbox.requests)
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    assert busiest <= 5


def test_pro_class_cancels_over_http(sandbox: Sandbox) -> None:
    async def main() -> list[dict[str, Any]]:
        exchange = ccxt_htx_tpsl.pro.htx(exchange_config(sandbox.hostname))
        try:
            assert isinstance(exchange, ccxt.pro.htx)
            return await exchange.cancelIsolatedTpslOrders(wanted, 'BTC-USDT')
        finally:
            await exchange.close()

    wanted = ids(2000, 3)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted[:2])
    orders = asyncio.run(main())
    assert [o['id'] for o in orders] == wanted
    assert [o['status'] for o in orders] == ['canceled', 'canceled', 'failed']


def test_cassettes_hold_no_credentials_and_say_how_they_were_recorded() -> None:
    files = sorted(pathlib.Path(CASSETTES).rglob('*.yaml'))
    assert files, 'no cassettes found'
    for path in files:
        text = path.read_text()
        assert DEMO_API_KEY not in text and DEMO_SECRET not in text, path
        assert 'AccessKeyId' not in text and 'Signature=' not in text and 'Timestamp=' not in text, path
        assert 'x-htx-tpsl-sandbox' in text.lower(), f'{path} does not say it was recorded against the sandbox'
    assert os.path.exists(os.path.join(CASSETTES, 'README.md'))
