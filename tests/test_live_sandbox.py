"""What a cassette cannot replay: timeouts, the rate limiter's pacing, the pro class over HTTP.

These talk to a live embedded sandbox on 127.0.0.1 (nothing else); every body runs for the
sync and the async class.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pathlib
import threading
import time
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.pro
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config

from .conftest import CASSETTES, Run, assert_ccxt_orders, ids

SYMBOL = 'BTC/USDT:USDT'


@pytest.mark.parametrize('reconcile', [True, False])
def test_a_timed_out_chunk_is_reconciled_or_left_unknown(
    make_exchange: Any, sandbox: Sandbox, run: Run, reconcile: bool
) -> None:
    exchange = make_exchange(sandbox.hostname, timeout=500, options={'tpslReconcile': reconcile})
    run(exchange.load_markets())
    wanted = ids(0, 15)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', after=1, delay=1.5)  # the second request is carried out, its reply late
    if reconcile:  # HTX, asked, shows the 5 cancelled: no id without a state, no failure left
        orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
        assert [o['status'] for o in orders] == ['canceled'] * 15
        assert [ccxt_htx_tpsl.outcome(o).reconciled for o in orders] == [False] * 10 + [True] * 5
        return
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


def test_back_to_back_calls_and_a_pause_stay_at_or_under_5_per_second(
    live_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    """Calls in a row and a short pause: the endpoint's window holds across calls."""
    run(live_exchange.load_markets())
    wanted = ids(4000, 60)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    for start in (0, 20, 30, 40):
        if start == 40:
            time.sleep(0.1)  # a pause shorter than the spacing
        run(live_exchange.cancel_isolated_tpsl_orders(wanted[start:start + (20 if start == 0 else 10)], SYMBOL))
    cancels = [r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel']
    arrivals = sorted(r.time for r in cancels)
    assert len(arrivals) == 5 and all(r.err_code is None for r in cancels)
    assert min(b - a for a, b in itertools.pairwise(arrivals)) >= 0.19  # evenly spaced at the bound


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
    assert [o['status'] for o in orders] == ['canceled', 'canceled', None]  # unknown id: no state confirmed


def test_cassettes_hold_no_credentials_and_say_how_they_were_recorded() -> None:
    files = sorted(pathlib.Path(CASSETTES).rglob('*.yaml'))
    assert files, 'no cassettes found'
    for path in files:
        text = path.read_text()
        assert DEMO_API_KEY not in text and DEMO_SECRET not in text, path
        assert 'AccessKeyId' not in text and 'Signature=' not in text and 'Timestamp=' not in text, path
        recorded_against_htx = 'uri: https://api.hbdm.' in text
        assert 'x-htx-tpsl-sandbox' in text.lower() or recorded_against_htx, f'{path}: recorded where?'
    assert os.path.exists(os.path.join(CASSETTES, 'README.md'))


# -- retries: ccxt's maxRetriesOnFailure, applied per request where each attempt is seen ---------


def test_retry_after_a_lost_reply_reports_the_truth(make_exchange: Any, sandbox: Sandbox, run: Run) -> None:
    """The first attempt cancels but its reply is lost (timeout); the retry hears 1071 / 1061."""
    exchange = make_exchange(sandbox.hostname, timeout=400, options={'maxRetriesOnFailure': 1})
    run(exchange.load_markets())
    placed, unknown = ids(3000, 3), ids(3100, 1)
    sandbox.add_tpsl_orders('BTC-USDT', ids=placed)
    sandbox.inject('swap_tpsl_cancel', delay=1.0)  # carried out, reply held back past the timeout
    orders = run(exchange.cancel_isolated_tpsl_orders(placed + unknown, SYMBOL))
    assert [o['status'] for o in orders] == ['canceled'] * 3 + [None]  # 1061 after a lost attempt: unknown
    assert {o['info']['err_code'] for o in orders[:3]} == {1071}
    assert [sandbox.order(i)['status'] for i in placed] == [6, 6, 6]  # type: ignore[index]
    assert len([r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel']) == 2


def test_retry_after_a_rate_limit_refusal_succeeds(make_exchange: Any, sandbox: Sandbox, run: Run) -> None:
    exchange = make_exchange(sandbox.hostname)
    run(exchange.load_markets())
    wanted, unknown = ids(3200, 12), ids(3300, 1)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', err_code=1032)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted + unknown, SYMBOL, {'maxRetriesOnFailure': 2}))
    assert [o['status'] for o in orders] == ['canceled'] * 12 + [None]  # 1061: HTX confirms no state
    cancels = [r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel']
    assert [r.err_code for r in cancels] == [1032, None, None]
    assert all('maxRetriesOnFailure' not in str(r.order_ids) for r in cancels)


def test_retries_exhausted_raise_with_every_outcome(make_exchange: Any, sandbox: Sandbox, run: Run) -> None:
    exchange = make_exchange(sandbox.hostname, options={'cancelIsolatedTpslOrders': {'maxRetriesOnFailure': 1}})
    run(exchange.load_markets())
    wanted = ids(3400, 2)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', times=9, err_code=1032)
    with pytest.raises(ccxt.RateLimitExceeded) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in raised.value.orders] == [None, None]  # type: ignore[attr-defined]
    # the first try, three re-sends of a 1032 (the default) and the one retry asked for
    assert len([r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel']) == 5
    assert exchange.tpsl_counters == {'rate_limited_resends': 3, 'retries': 1}


def test_no_retry_by_default_and_a_refused_reply_is_never_retried(
    make_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    exchange = make_exchange(sandbox.hostname, options={'maxRetriesOnFailure': 3})
    run(exchange.load_markets())
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(3500, 2), SYMBOL))  # every id refused (1061)
    assert [o['status'] for o in orders] == [None, None]
    assert len([r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel']) == 1


def test_sandbox_stopped_mid_batch(make_exchange: Any, sandbox: Sandbox, run: Run) -> None:
    """The server goes away while the batch is under way: sent chunks keep their outcomes."""
    exchange = make_exchange(sandbox.hostname, timeout=1000)
    run(exchange.load_markets())
    wanted = ids(3600, 25)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', after=1, delay=5.0)  # the 2nd request is carried out, its reply held

    def stop_once_the_second_request_is_in() -> None:  # the 3rd is due 205 ms later, to a closed port
        deadline = time.monotonic() + 10
        while sandbox.order(wanted[10])['status'] != 6 and time.monotonic() < deadline:  # type: ignore[index]
            time.sleep(0.005)
        sandbox.stop()

    stopper = threading.Thread(target=stop_once_the_second_request_is_in)
    stopper.start()
    try:
        with pytest.raises(ccxt.NetworkError) as raised:
            run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    finally:
        stopper.join()
    statuses = [o['status'] for o in raised.value.orders]  # type: ignore[attr-defined]
    assert statuses[:10] == ['canceled'] * 10
    assert len(set(statuses[10:20])) == 1  # the request in flight at the stop: answered or lost, as one
    assert statuses[20:] == [None] * 5  # sent to a server that is gone: unknown
    for order_id, status in zip(wanted, statuses, strict=True):  # and every 'canceled' is true
        assert status is None or (status == 'canceled' and sandbox.order(order_id)['status'] == 6)  # type: ignore[index]
    assert DEMO_API_KEY not in str(raised.value)


FAULTS = {
    '1032': ({'err_code': 1032}, ccxt.RateLimitExceeded),
    '1004': ({'err_code': 1004}, ccxt.ExchangeNotAvailable),
    '403': ({'err_code': 403}, ccxt.AuthenticationError),
    'html-502': ({'http_status': 502}, ccxt.ExchangeNotAvailable),
}


@pytest.mark.parametrize('fault', list(FAULTS))
def test_faults_mid_batch_over_http_tell_the_truth_for_every_id(
    make_exchange: Any, sandbox: Sandbox, run: Run, fault: str
) -> None:
    """The second of three requests fails; every reported status matches the server's state."""
    injected, error = FAULTS[fault]
    exchange = make_exchange(sandbox.hostname)
    run(exchange.load_markets())
    wanted = ids(5000, 25)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    sandbox.inject('swap_tpsl_cancel', after=1, **injected)
    with pytest.raises(error) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'resendRateLimited': 0}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    # refused (nothing done): no state confirmed; unknown (an error page): HTX asked, which shows them open
    middle = 'open' if fault == 'html-502' else None
    assert [o['status'] for o in orders] == ['canceled'] * 10 + [middle] * 10 + ['canceled'] * 5
    assert [ccxt_htx_tpsl.outcome(o).reconciled for o in orders[10:20]] == [middle is not None] * 10
    assert_ccxt_orders(exchange, orders, SYMBOL)
    for order in orders:
        state = sandbox.order(order['id'])['status']  # type: ignore[index]
        assert state == (6 if order['status'] == 'canceled' else 2)  # refused or unknown: still open here
    assert DEMO_API_KEY not in str(raised.value) and DEMO_SECRET not in str(raised.value)


def test_no_log_line_holds_the_key_the_secret_or_a_signature(
    live_exchange: Any, sandbox: Sandbox, run: Run, caplog: pytest.LogCaptureFixture
) -> None:
    """At DEBUG, ccxt and the HTTP stack (urllib3) log signed URLs; this package's log filter
    redacts the key and the signature in them, and its own lines (a 1032 re-sent) hold neither."""
    with caplog.at_level(logging.DEBUG):
        run(live_exchange.load_markets())
        sandbox.inject('swap_tpsl_cancel', after=1, http_status=502)
        sandbox.inject('swap_tpsl_cancel', err_code=1032)
        with pytest.raises(ccxt.ExchangeNotAvailable):
            run(live_exchange.cancel_isolated_tpsl_orders(ids(9000, 15), SYMBOL))
    assert any(r.name == 'ccxt_htx_tpsl' and '1032' in r.getMessage() for r in caplog.records)
    assert any('AccessKeyId=***' in r.getMessage() for r in caplog.records)  # ccxt's DEBUG lines, redacted
    for record in caplog.records:
        text = record.getMessage()
        assert DEMO_SECRET not in text and DEMO_API_KEY not in text, record.name
        assert 'Signature=***' in text or 'Signature=' not in text, record.name


def test_the_first_tpsl_request_is_not_delayed_by_unrelated_earlier_requests(
    make_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    """ccxt spaces every request from the previous one by rateLimit x cost (1 s here); a TP/SL request
    waits only for its own HTX windows, so the cancel right after load_markets goes out at once."""
    exchange = make_exchange(sandbox.hostname, rateLimit=1000)
    run(exchange.load_markets())
    wanted = ids(8000, 2)
    sandbox.add_tpsl_orders('BTC-USDT', ids=wanted)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'route': 'v1'}))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']
    markets, cancel = [r for r in sandbox.requests if r.endpoint in ('swap_contract_info', 'swap_tpsl_cancel')]
    assert cancel.time - markets.time < 0.5  # ccxt's own pacing would have waited 1 s
