"""Regressions for what an adversarial review of the rewrite found (hostile server on 127.0.0.1),
sync and async. Each test names the finding: H1-H2 high, M1-M5 medium, L1-L4 low."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl._endpoints import from_url

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run, ids
from .hostile import (
    API_KEY,
    ASSET_MODE,
    CANCEL,
    CREATE,
    CROSS_CANCEL,
    OPEN_ORDERS,
    SECRET,
    V5_CANCEL,
    V5_OPEN_ORDERS,
    HostileServer,
    cancel_reply,
    classic_ok,
    compressed,
    drop,
    max_in_window,
    open_order,
    open_orders_page,
    reply,
    secret_variants,
    signatures,
    trickle_headers,
    v5_ok,
    v5_open_order,
)

SYMBOL = 'BTC/USDT:USDT'


@pytest.mark.parametrize('encoding', ['gzip', 'deflate'])
def test_h1_compressed_replies_are_read_as_ccxt_reads_them(server: HostileServer, make: Make, run: Run,
                                                          encoding: str) -> None:
    exchange = make(server)
    server.script(CANCEL, compressed(lambda r: cancel_reply(r.order_ids()), encoding))
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(100, 2), SYMBOL))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']
    assert_ccxt_orders(exchange, orders, SYMBOL)


def test_h2_caller_method_name_cannot_steer_ccxts_hidden_retry(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server, options={'maxRetriesOnFailure': 2})
    for call in (lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None,
                                                               {'callerMethodName': 'mine'}),
                 lambda: exchange.cancel_isolated_tpsl_orders(ids(110, 1), SYMBOL, {'callerMethodName': 'mine'})):
        with pytest.raises(ccxt.BadRequest, match='callerMethodName'):
            run(call())
    server.script(CREATE, drop())  # the global option never re-sends a create, through ccxt or the package
    with pytest.raises(ccxt.NetworkError, match='MAY HAVE BEEN CREATED'):
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
    assert len(server.requests_to(CREATE)) == 1


def test_l5_ccxts_own_methods_on_a_shared_path_keep_their_retries(server: HostileServer, make: Make,
                                                                  run: Run) -> None:
    exchange = make(server, options={'maxRetriesOnFailure': 1})
    run(exchange.load_markets())
    server.script(V5_OPEN_ORDERS, drop(), reply(v5_ok([])))
    if ccxt_htx_tpsl._core.has_retry_loop(type(exchange)):  # ccxt 4.3.56+: its own retry, as plain ccxt
        assert run(exchange.contract_private_get_v5_algo_order_opens({'contract_code': 'BTC-USDT'}))['data'] == []
        assert len(server.requests_to(V5_OPEN_ORDERS)) == 2


def test_m1_create_params_cannot_override_prices_or_types(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    run(exchange.load_markets())
    for key in ('tp_order_price', 'sl_order_price', 'tp_order_price_type', 'tp_type', 'sl_type',
                'algo_client_order_id'):
        with pytest.raises(ccxt.BadRequest, match=f'sets {key} itself'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, {'triggerPrice': 70000, 'price': 69000},
                                                     None, {key: '1'}))
    assert server.requests_to(CREATE) == []


def test_m3_endpoints_sharing_the_uid_budget_never_exceed_it(server: HostileServer, make: Make, run: Run,
                                                             flavour: str) -> None:
    exchange = make(server, options={'tpslUidRateLimits': {'trade': [5, 1000]}})
    run(exchange.load_markets())
    calls = [lambda: exchange.cancel_isolated_tpsl_orders(ids(200, 30), SYMBOL, {'route': 'v1'}),
             lambda: exchange.cancel_cross_tpsl_orders(ids(300, 30), SYMBOL, {'route': 'v1'}),
             lambda: exchange.cancel_isolated_tpsl_orders(ids(400, 30), SYMBOL, {'route': 'v5'})]
    if flavour == 'async':
        async def together() -> Any:
            return await asyncio.gather(*(call() for call in calls))
        run(together())
    else:
        for call in calls:
            run(call())
    trade = server.requests_to(CANCEL, CROSS_CANCEL, V5_CANCEL)
    assert len(trade) == 9 and max_in_window(trade) <= 5


def test_m4_trickled_headers_end_at_the_timeout(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server, timeout=1500)
    run(exchange.load_markets())
    server.script(CANCEL, trickle_headers(byte_every=0.3, seconds=15))
    started = time.monotonic()
    with pytest.raises(ccxt.RequestTimeout) as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(500, 2), SYMBOL))
    assert time.monotonic() - started < 5
    assert [o['status'] for o in raised.value.orders] == [None, None]  # type: ignore[attr-defined]


def test_m5_an_echoed_url_in_a_per_id_message_never_reaches_the_caller(server: HostileServer, make: Make,
                                                                       run: Run) -> None:
    exchange = make(server)

    def echo(record: Any) -> Any:
        return cancel_reply(errors=[(i, 1061, f'no such order for {record.url}') for i in record.order_ids()])

    server.script(CANCEL, reply(echo))
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(600, 2), SYMBOL))
    assert [ccxt_htx_tpsl.outcome(o).code for o in orders] == ['1061', '1061']
    text = repr(orders) + repr([ccxt_htx_tpsl.outcome(o) for o in orders])
    leaked = [s for s in secret_variants(API_KEY, SECRET, *signatures(server.requests)) if s in text]
    assert leaked == []
    assert_ccxt_orders(exchange, orders, SYMBOL)


def test_l1_overlapping_pages_do_not_duplicate_orders(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    first = [open_order(i) for i in ids(700, 50)]
    shifted = [open_order(i) for i in ids(749, 20)]  # an order placed while paging shifts the pages
    server.script(OPEN_ORDERS, reply(open_orders_page(first, 1, 2)),
                  reply(open_orders_page(shifted, 2, 2)))
    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert len(listed) == len({o['id'] for o in listed}) == 69
    assert_ccxt_orders(exchange, listed, SYMBOL)


def test_l1_an_inclusive_v5_cursor_does_not_duplicate_orders(make: Make, run: Run) -> None:
    with HostileServer(assets_mode=1) as server:
        exchange = make(server)
        algo = ids(800, 150)
        page1 = [v5_open_order(a, 1000 - k) for k, a in enumerate(algo[:100])]
        page2 = [v5_open_order(a, 1000 - 99 - k) for k, a in enumerate(algo[99:])]  # from = inclusive
        server.script(V5_OPEN_ORDERS, reply(v5_ok(page1)), reply(v5_ok(page2)))
        listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
        assert sorted(o['id'] for o in listed) == sorted(algo)


def test_l2_since_and_limit_given_as_text_or_float_work(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    orders = [open_order(i) for i in ids(900, 3)]
    server.default(OPEN_ORDERS, reply(open_orders_page(orders, 1, 1)))
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, '2'))) == 2
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, '1000', 2.0))) == 2
    with pytest.raises(ccxt.BadRequest, match='limit must be'):
        run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, 'two'))


def test_l3_a_create_reply_naming_one_leg_reports_that_leg(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    server.script(CREATE, reply(classic_ok({'tp_order': {'order_id': 0, 'order_id_str': '1400000000000000777'},
                                            'sl_order': None})))
    with pytest.raises(ccxt.BadResponse) as raised:
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
    assert [o['id'] for o in raised.value.orders] == ['1400000000000000777']  # type: ignore[attr-defined]
    assert 'stop-loss: no usable reply' in str(raised.value) and 'take-profit:' not in str(raised.value)


def test_l4_concurrent_calls_on_a_fresh_instance_ask_the_asset_mode_once(make: Make, run: Run,
                                                                         flavour: str) -> None:
    with HostileServer() as server:
        exchange = make(server)
        run(exchange.load_markets())

        async def together() -> Any:
            return await asyncio.gather(*(exchange.fetch_open_isolated_tpsl_orders(SYMBOL) for _ in range(5)))

        if flavour == 'async':
            run(together())
        else:
            for _ in range(5):
                run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
        assert len(server.requests_to(ASSET_MODE)) == 1


def test_a_proxy_url_still_reaches_the_tpsl_error_handling() -> None:
    target = 'https%3A%2F%2Fapi.hbdm.vn%2Flinear-swap-api%2Fv1%2Fswap_tpsl_cancel%3FAccessKeyId%3Dx'
    found = from_url('https://proxy.example/?url=' + target, 'POST')
    assert found is not None and found.path == 'linear-swap-api/v1/swap_tpsl_cancel'
    opens = from_url('https://proxy.example/?url=https%3A%2F%2Fh%2Fv5%2Falgo%2Forder%2Fopens%3Fa%3Db', 'GET')
    assert opens is not None and opens.path == 'v5/algo/order/opens'
    assert from_url('https://api.hbdm.vn/v5/algo/order?algo_id=1', 'GET') is None  # ccxt's own fetch_order
