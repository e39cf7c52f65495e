"""Listings: overlapping pages and inclusive cursors never duplicate an order, since/limit accept what ccxt
accepts, numbers no ccxt order can hold are left out; sync and async, hostile server."""

from __future__ import annotations

import ccxt
import pytest

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run, ids
from .hostile import (
    OPEN_ORDERS,
    V5_OPEN_ORDERS,
    HostileServer,
    open_order,
    open_orders_page,
    reply,
    v5_ok,
    v5_open_order,
)

SYMBOL = 'BTC/USDT:USDT'


def test_overlapping_pages_do_not_duplicate_orders(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    first = [open_order(i) for i in ids(700, 50)]
    shifted = [open_order(i) for i in ids(749, 20)]  # an order placed while paging shifts the pages
    server.script(OPEN_ORDERS, reply(open_orders_page(first, 1, 2)),
                  reply(open_orders_page(shifted, 2, 2)))
    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert len(listed) == len({o['id'] for o in listed}) == 69
    assert_ccxt_orders(exchange, listed, SYMBOL)


def test_an_inclusive_v5_cursor_does_not_duplicate_orders(make: Make, run: Run) -> None:
    with HostileServer(assets_mode=1) as server:
        exchange = make(server)
        algo = ids(800, 150)
        page1 = [v5_open_order(a, 1000 - k) for k, a in enumerate(algo[:100])]
        page2 = [v5_open_order(a, 1000 - 99 - k) for k, a in enumerate(algo[99:])]  # from = inclusive
        server.script(V5_OPEN_ORDERS, reply(v5_ok(page1)), reply(v5_ok(page2)))
        listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
        assert sorted(o['id'] for o in listed) == sorted(algo)


def test_since_and_limit_given_as_text_or_float_work(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    orders = [open_order(i) for i in ids(900, 3)]
    server.default(OPEN_ORDERS, reply(open_orders_page(orders, 1, 1)))
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, '2'))) == 2
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, '1000', 2.0))) == 2
    with pytest.raises(ccxt.BadRequest, match='limit must be'):
        run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, 'two'))


def test_infinite_numbers_in_a_listing_are_left_out(server: HostileServer, make: Make, run: Run) -> None:
    # 'Infinity' / '1e309' came through as inf, and ccxt's own test_order failed on the structure.
    exchange = make(server)
    item = dict(open_order(ids(3300, 1)[0]), volume='Infinity', trigger_price='1e309')
    server.script(OPEN_ORDERS, reply(open_orders_page([item], 1, 1)))
    orders = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, {'route': 'v1'}))
    assert orders[0]['amount'] is None and orders[0]['triggerPrice'] is None
    assert_ccxt_orders(exchange, orders, SYMBOL)
    server.assets_mode = 1
    algo = dict(v5_open_order(ids(3301, 1)[0], 0), volume='Infinity', tp_trigger_price='1e309')
    server.script(V5_OPEN_ORDERS, reply(v5_ok([algo])))
    orders = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, {'route': 'v5'}))
    assert orders[0]['amount'] is None and orders[0]['takeProfitPrice'] is None
    assert_ccxt_orders(exchange, orders, SYMBOL)
