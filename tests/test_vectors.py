"""Contract tests on real HTX replies: every vector of ``tests/data/htx-real-replies.json`` is answered
through the transport (ccxt's real request path, a server on 127.0.0.1) and its parsed result or the
exception it maps to is asserted, keyed by the vector's ``id``; vectors of endpoints this package never
calls are listed, each with a reason. The suite fails if a vector is in neither table.

The file is a copy of ``shared/reference/htx-real-replies.json`` (each reply with its source); ccxt's
recorder stored numbers as strings there (``"code": "200"``), which the parsers read as numbers.
"""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl._classic import CLASSIC

from . import hostile
from .conftest import Run, assert_ccxt_orders, statuses

DATA = pathlib.Path(__file__).parent / 'data' / 'htx-real-replies.json'
SHARED = pathlib.Path(__file__).resolve().parents[2] / 'shared' / 'reference' / 'htx-real-replies.json'
VECTORS: dict[str, dict[str, Any]] = {v['id']: v for v in json.loads(DATA.read_text())}
SYMBOL = 'BTC/USDT:USDT'

NOT_CONSUMED = {
    'v5-algo-detail-tp': 'GET /v5/algo/order (one order by id): never called; open orders come from /opens',
    'v5-trade-order-attached-tpsl-ok': 'POST /v5/trade/order: a regular order with attached TP/SL, ccxt\'s own',
    'v5-trade-cancel-order-ok': 'POST /v5/trade/cancel_order: regular orders, ccxt\'s own',
    'v5-trade-cancel-batch-ok': 'POST /v5/trade/cancel_batch_orders: regular orders, ccxt\'s own',
    'v5-trade-order-opens': 'GET /v5/trade/order/opens: regular orders, ccxt\'s own',
    'v5-asset-mode-set-doc': 'POST /v5/account/asset_mode: this package never changes an account',
    'v5-trade-cancel-batch-doc': 'POST /v5/trade/cancel_batch_orders: regular orders, ccxt\'s own',
    'v5-trade-order-tpsl-doc': 'POST /v5/trade/order: a regular order with attached TP/SL, ccxt\'s own',
}

Check = Callable[[Any, hostile.HostileServer, Run, Any], None]
CHECKS: dict[str, tuple[int, Check]] = {}  # vector id -> (the account's asset mode, the check)


def check(vector_id: str, assets_mode: int = 0) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        CHECKS[vector_id] = (assets_mode, fn)
        return fn
    return register


# -- v5 ---------------------------------------------------------------------------------------


@check('v5-algo-create-tp-ok', assets_mode=1)
@check('v5-algo-create-trailing-ok', assets_mode=1)  # the same acknowledgement shape
def _v5_create(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.V5_CREATE, hostile.reply(reply))
    orders = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 101000))
    assert [(o['id'], o['clientOrderId'], o['status'], o['takeProfitPrice']) for o in orders] == [
        (reply['data'][0]['algo_id'], None, 'open', 101000)]
    assert server.requests_to(hostile.V5_CREATE)[0].json['type'] == 'tp'
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v5-algo-cancel-tp-ok', assets_mode=1)
def _v5_cancel(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.V5_CANCEL, hostile.reply(reply))
    orders = run(exchange.cancel_isolated_tpsl_orders(['1512871666507657216'], SYMBOL))
    assert statuses(orders) == ['canceled'] and ccxt_htx_tpsl.outcome(orders[0]) == (None, None)
    assert server.requests_to(hostile.V5_CANCEL)[0].json == [{'contract_code': 'BTC-USDT',
                                                              'algo_id': '1512871666507657216'}]
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v5-algo-opens-tp', assets_mode=1)
def _v5_opens(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.default(hostile.V5_OPEN_ORDERS, hostile.reply(reply))
    orders = run(exchange.fetch_open_cross_tpsl_orders(SYMBOL))  # the vector's order is cross
    assert len(orders) == 1
    order = orders[0]
    assert order['id'] == '1512871666507657216' != reply['data'][0]['id']  # algo_id, not the listing's own id
    assert (order['status'], order['side'], order['amount'], order['timestamp']) == ('open', 'sell', 1, 1780738313091)
    assert (order['takeProfitPrice'], order['stopLossPrice'], order['triggerPrice']) == (101000, None, 101000)
    assert (order['type'], order['price'], order['reduceOnly']) == ('market', None, True)
    assert_ccxt_orders(exchange, orders, SYMBOL)
    assert run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL)) == []  # not an isolated order


@check('v5-algo-opens-trailing', assets_mode=1)
def _v5_opens_trailing(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.default(hostile.V5_OPEN_ORDERS, hostile.reply(reply))
    assert run(exchange.fetch_open_cross_tpsl_orders(SYMBOL)) == []  # a trailing stop is not a TP/SL order


@check('v5-algo-history-tp-canceled', assets_mode=1)
@check('v5-algo-history-tp-states-canceled', assets_mode=1)
def _v5_history(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.default(hostile.V5_HISTORY, hostile.reply(reply))
    [order] = run(exchange.fetch_canceled_cross_tpsl_orders(SYMBOL))  # the vector's order is cross
    assert (order['id'], order['status'], order['takeProfitPrice'], order['lastUpdateTimestamp']) == (
        '1513832307038027776', 'canceled', 101000, 1780967772476)
    assert ccxt_htx_tpsl.outcome(order) == (None, None) and ccxt_htx_tpsl.outcome(order).placed is None
    assert_ccxt_orders(exchange, [order], SYMBOL)
    query = server.requests_to(hostile.V5_HISTORY)[0].params
    assert (query['contract_code'], query['margin_mode'], query['states']) == ('BTC-USDT', 'cross', 'canceled,failed')
    assert run(exchange.fetch_closed_cross_tpsl_orders(SYMBOL)) == []  # cancelled, not fired
    # fetch by id: not in the open list, found in history
    assert run(exchange.fetch_cross_tpsl_order('1513832307038027776', SYMBOL))['status'] == 'canceled'
    with pytest.raises(ccxt.OrderNotFound):
        run(exchange.fetch_isolated_tpsl_order('1513832307038027776', SYMBOL))  # not an isolated order


@check('v3-unified-4007')
def _v5_refused_for_a_classic_account(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.V5_CANCEL, hostile.reply(reply))
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v1'") as raised:
        run(exchange.cancel_isolated_tpsl_orders(['1300000000000000001'], SYMBOL, {'route': 'v5'}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert statuses(orders) == [None] and ccxt_htx_tpsl.outcome(orders[0]).code == '4007'
    exchange._tpsl_auto_family = 'v5'  # as if 'auto' had decided v5: the refusal moves it to classic
    server.script(hostile.V5_CANCEL, hostile.reply(reply))
    orders = run(exchange.cancel_isolated_tpsl_orders(['1300000000000000001'], SYMBOL))
    assert [r.path for r in server.tpsl_requests()] == [hostile.V5_CANCEL, hostile.V5_CANCEL, hostile.CANCEL]
    assert exchange._tpsl_auto_family == 'v1'
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v5-asset-mode-get-doc')
def _asset_mode(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.ASSET_MODE, hostile.reply(reply))
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert exchange._tpsl_auto_family == 'v1'  # "assets_mode": 0, the doc's spelling
    assert [r.path for r in server.tpsl_requests()] == [hostile.OPEN_ORDERS]


# -- classic ------------------------------------------------------------------------------------


@check('v1-create-6023')
def _classic_create_refused(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CREATE, hostile.reply(reply))
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v5'"):
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'route': 'v1'}))
    server.script(hostile.CREATE, hostile.reply(reply))
    orders = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))  # auto: refused, then v5
    assert len(orders) == 1 and exchange._tpsl_auto_family == 'v5'
    assert [r.path for r in server.tpsl_requests()] == [hostile.CREATE, hostile.CREATE, hostile.V5_CREATE]
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v1-balance-4002')
def _classic_cancel_refused(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CANCEL, hostile.reply(reply))
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v5'") as raised:
        run(exchange.cancel_isolated_tpsl_orders(['1300000000000000001'], SYMBOL, {'route': 'v1'}))
    assert statuses(raised.value.orders) == [None]  # type: ignore[attr-defined]
    assert ccxt_htx_tpsl.outcome(raised.value.orders[0]).code == '4002'  # type: ignore[attr-defined]


@check('v1-cancel-1061-in-ok')
def _classic_1061(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CANCEL, hostile.reply(reply))
    orders = run(exchange.cancel_isolated_tpsl_orders(['1349442392365359104'], SYMBOL))
    assert statuses(orders) == [None]  # "successes": "" and a 1061: not found, no state confirmed
    assert tuple(ccxt_htx_tpsl.outcome(orders[0])) == ('1061', 'The order does not exist.')
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v1-cancel-1051')
def _classic_nothing_to_cancel(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CANCEL_ALL, hostile.reply(reply))
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL)) == []  # the account is classic: believed
    server.script(hostile.CANCEL_ALL, hostile.reply(reply))
    fresh = type(exchange)(hostile.config(server.hostname))
    try:
        run(fresh.load_markets())
        assert run(fresh.cancel_all_isolated_tpsl_orders(SYMBOL, {'route': 'v1'})) == []  # checked, then believed
    finally:
        if isinstance(fresh, ccxt_htx_tpsl.async_support.htx):
            run(fresh.close())
    assert server.requests_to(hostile.ASSET_MODE)  # an explicit classic route asks before believing 1051


@check('v1-tpsl-cancel-isolated-doc')
def _classic_cancel_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CANCEL, hostile.reply(reply))
    orders = run(exchange.cancel_isolated_tpsl_orders(['795713650661638144', '795713650661638145'], SYMBOL))
    assert statuses(orders) == ['canceled', None]
    assert tuple(ccxt_htx_tpsl.outcome(orders[1])) == ('1061', 'This order doesnt exist.')
    assert server.requests_to(hostile.CANCEL)[0].json == {'contract_code': 'BTC-USDT',
                                                          'order_id': '795713650661638144,795713650661638145'}
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v1-tpsl-cancel-cross-doc')
def _classic_cross_cancel_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CROSS_CANCEL, hostile.reply(reply))
    orders = run(exchange.cancel_cross_tpsl_orders(['795714078698749952', '795714078698749956'], SYMBOL))
    assert statuses(orders) == ['canceled', None]
    assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v1-tpsl-cancelall-isolated-doc')
@check('v1-tpsl-cancelall-cross-doc')
def _classic_cancel_all_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CANCEL_ALL, hostile.reply(reply))
    server.script(hostile.CROSS_CANCEL_ALL, hostile.reply(reply))
    for method in (exchange.cancel_all_isolated_tpsl_orders, exchange.cancel_all_cross_tpsl_orders):
        orders = run(method(SYMBOL, {'side': 'buy'}))
        assert [o['id'] for o in orders] == reply['data']['successes'].split(',')
        assert statuses(orders) == ['canceled'] * 3
        assert_ccxt_orders(exchange, orders, SYMBOL)
    assert [r.json['direction'] for r in server.requests_to(hostile.CANCEL_ALL, hostile.CROSS_CANCEL_ALL)] == [
        'buy', 'buy']


@check('v1-tpsl-order-isolated-doc')
@check('v1-tpsl-order-cross-doc')
def _classic_create_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.script(hostile.CREATE, hostile.reply(reply))
    server.script(hostile.CROSS_CREATE, hostile.reply(reply))
    for method in (exchange.create_isolated_tpsl_orders, exchange.create_cross_tpsl_orders):
        orders = run(method(SYMBOL, 'sell', 1, 32000, 29000))
        # order_id_str, exact: the numeric order_id of the same reply lost precision
        assert [o['id'] for o in orders] == [reply['data']['tp_order']['order_id_str'],
                                             reply['data']['sl_order']['order_id_str']]
        assert [(o['takeProfitPrice'], o['stopLossPrice']) for o in orders] == [(32000, None), (None, 29000)]
        assert_ccxt_orders(exchange, orders, SYMBOL)


@check('v1-tpsl-openorders-isolated-doc')
def _classic_opens_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    # the doc's example says page 1 of 4: a server that repeats it would page forever
    server.default(hostile.OPEN_ORDERS, hostile.reply(reply))
    with pytest.raises(ccxt.BadResponse, match='no progress'):
        run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert [r.json['page_index'] for r in server.requests_to(hostile.OPEN_ORDERS)] == [1, 2]
    order = CLASSIC.listed_order(exchange, reply['data']['orders'][0], exchange.market(SYMBOL), 'isolated')
    assert order is not None
    assert (order['id'], order['side'], order['takeProfitPrice'], order['status']) == (
        '795715396674895872', 'buy', 27000, 'open')
    assert_ccxt_orders(exchange, [order], SYMBOL)


@check('v1-tpsl-hisorders-isolated-doc')
def _classic_history_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    # the doc's example says page 1 of 17: served once, then an empty last page
    server.script(hostile.HISTORY, hostile.reply(reply), hostile.reply(hostile.open_orders_page([], 2, 2)))
    [order] = run(exchange.fetch_canceled_isolated_tpsl_orders(SYMBOL))
    assert (order['id'], order['status'], order['side'], order['stopLossPrice'], order['timestamp']) == (
        '795714964661583873', 'canceled', 'sell', 29000, 1609754831244)  # order_id_str, not the rounded number
    assert ccxt_htx_tpsl.outcome(order) == (None, None) and ccxt_htx_tpsl.outcome(order).placed is None
    assert_ccxt_orders(exchange, [order], SYMBOL)
    first = server.requests_to(hostile.HISTORY)[0].json
    assert {k: first[k] for k in ('contract_code', 'status', 'create_date', 'page_index', 'page_size', 'sort_by')} == {
        'contract_code': 'BTC-USDT', 'status': '0', 'create_date': 90, 'page_index': 1, 'page_size': 50,
        'sort_by': 'created_at'}


@check('v1-tpsl-hisorders-cross-doc')
def _classic_cross_history_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.default(hostile.CROSS_HISTORY, hostile.reply(reply))
    assert run(exchange.fetch_canceled_cross_tpsl_orders(SYMBOL)) == []  # its order is of BTC-USDT-211210
    market = dict(exchange.market(SYMBOL), id='BTC-USDT-211210', symbol='BTC/USDT:USDT-211210')
    [order] = [CLASSIC.listed_order(exchange, item, market, 'cross') for item in reply['data']['orders']]
    assert order is not None and (order['id'], order['status'], order['takeProfitPrice']) == (
        '918816985859559424', 'canceled', 50000)


@check('v1-tpsl-openorders-cross-doc')
def _classic_cross_opens_doc(exchange: Any, server: hostile.HostileServer, run: Run, reply: Any) -> None:
    server.default(hostile.CROSS_OPEN_ORDERS, hostile.reply(reply))
    assert run(exchange.fetch_open_cross_tpsl_orders(SYMBOL)) == []  # its orders are of BTC-USDT-211210
    market = dict(exchange.market(SYMBOL), id='BTC-USDT-211210', symbol='BTC/USDT:USDT-211210')
    orders = [CLASSIC.listed_order(exchange, item, market, 'cross') for item in reply['data']['orders']]
    assert [(o['id'], o['stopLossPrice'], o['takeProfitPrice']) for o in orders if o] == [
        ('918816985859559425', 40000, None), ('918816985859559424', None, 50000)]


# -- the tests --------------------------------------------------------------------------------


def test_every_vector_is_asserted_or_listed_with_a_reason() -> None:
    assert set(CHECKS).isdisjoint(NOT_CONSUMED)
    assert set(CHECKS) | set(NOT_CONSUMED) == set(VECTORS), sorted(set(VECTORS) ^ (set(CHECKS) | set(NOT_CONSUMED)))
    assert all(reason.strip() for reason in NOT_CONSUMED.values())


def test_the_copy_is_the_shared_reference() -> None:
    if not SHARED.exists():
        pytest.skip('shared/reference is not beside this checkout')
    assert json.loads(SHARED.read_text()) == json.loads(DATA.read_text())


@pytest.mark.parametrize('vector_id', sorted(CHECKS))
def test_vector(vector_id: str, flavour: str, run: Run) -> None:
    assets_mode, fn = CHECKS[vector_id]
    cls = ccxt_htx_tpsl.htx if flavour == 'sync' else ccxt_htx_tpsl.async_support.htx
    with hostile.HostileServer(assets_mode=assets_mode) as server:
        exchange = cls(hostile.config(server.hostname))
        try:
            run(exchange.load_markets())
            fn(exchange, server, run, json.loads(json.dumps(VECTORS[vector_id]['reply'])))
        finally:
            if flavour == 'async':
                run(exchange.close())
