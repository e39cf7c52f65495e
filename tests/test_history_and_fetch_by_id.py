"""A TP/SL's whole life: fired ('closed', with the order it placed), cancelled or fired but not placed
('canceled', with HTX's fail code), found by id in the open list or in history, ``OrderNotFound`` when
HTX shows it nowhere. Both families, sync and async, against the hostile server."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run
from .hostile import (
    HISTORY,
    OPEN_ORDERS,
    V5_HISTORY,
    V5_OPEN_ORDERS,
    HostileServer,
    now_ms,
    open_order,
    open_orders_page,
    reply,
    v5_ok,
    v5_open_order,
)

SYMBOL = 'BTC/USDT:USDT'
FIRED, FAILED, CANCELLED, WAITING = '1300000000000000001', '1300000000000000002', '1300000000000000003', \
    '1300000000000000004'
PLACED = '1300000000000000099'


def classic_finished(order_id: str, status: int, **fields: Any) -> dict[str, Any]:
    """A classic history item (doc example's keys): status 4 fired, 5 not placed, 6 cancelled."""
    item = dict(open_order(order_id, status=status), canceled_at=None, fail_code=None, fail_reason=None,
                triggered_price=None, relation_order_id='-1', update_time=now_ms())
    item.update(fields)
    return item


def v5_finished(algo_id: str, index: int, state: str, **fields: Any) -> dict[str, Any]:
    return dict(v5_open_order(algo_id, index), state=state, **fields)


@pytest.fixture(params=['v1', 'v5'])
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(family: str) -> Any:
    """A hostile HTX whose history holds a fired, a not-placed and a cancelled TP/SL; its open list one waiting."""
    with HostileServer(assets_mode=0 if family == 'v1' else 1) as hostile:
        if family == 'v1':
            finished = [classic_finished(FIRED, 4, triggered_price=100500, relation_order_id=PLACED),
                        classic_finished(FAILED, 5, fail_code=1048, fail_reason='Insufficient close amount.'),
                        classic_finished(CANCELLED, 6, canceled_at=now_ms())]
            hostile.default(HISTORY, reply(open_orders_page(finished, 1, 1)))
            hostile.default(OPEN_ORDERS, reply(open_orders_page([open_order(WAITING)], 1, 1)))
        else:
            finished = [v5_finished(FIRED, 1, 'effective', relation_order_id=PLACED),
                        v5_finished(FAILED, 2, 'failed', fail_code=1048, fail_reason='Insufficient close amount.'),
                        v5_finished(CANCELLED, 3, 'canceled')]
            hostile.default(V5_HISTORY, reply(v5_ok(finished)))
            hostile.default(V5_OPEN_ORDERS, reply(v5_ok([v5_open_order(WAITING, 4)])))
        yield hostile


def history_requests(server: HostileServer) -> int:
    return len(server.requests_to(HISTORY, V5_HISTORY))


def test_fired_orders_are_closed_and_name_the_order_they_placed(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    [order] = run(exchange.fetch_closed_isolated_tpsl_orders(SYMBOL))
    assert (order['id'], order['status']) == (FIRED, 'closed')
    assert ccxt_htx_tpsl.outcome(order).placed == PLACED and ccxt_htx_tpsl.outcome(order).code is None
    assert_ccxt_orders(exchange, [order], SYMBOL)


def test_cancelled_and_unplaced_orders_are_canceled_with_htxs_fail_code(server: HostileServer, make: Make,
                                                                      run: Run) -> None:
    exchange = make(server)
    orders = run(exchange.fetch_canceled_isolated_tpsl_orders(SYMBOL))
    assert sorted((o['id'], o['status']) for o in orders) == [(FAILED, 'canceled'), (CANCELLED, 'canceled')]
    by_id = {o['id']: ccxt_htx_tpsl.outcome(o) for o in orders}
    assert by_id[FAILED] == ('1048', 'Insufficient close amount.') and by_id[CANCELLED] == (None, None)
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.parametrize(('order_id', 'status'), [(WAITING, 'open'), (FIRED, 'closed'), (FAILED, 'canceled'),
                                                  (CANCELLED, 'canceled')])
def test_fetch_by_id_finds_an_order_open_or_finished(server: HostileServer, make: Make, run: Run, order_id: str,
                                                     status: str) -> None:
    exchange = make(server)
    order = run(exchange.fetch_isolated_tpsl_order(order_id, SYMBOL))
    assert (order['id'], order['status']) == (order_id, status)
    assert history_requests(server) == (0 if status == 'open' else 1)  # the open list first, history only if needed
    assert_ccxt_orders(exchange, [order], SYMBOL)


def test_fetch_by_id_of_an_id_htx_shows_nowhere_raises_order_not_found(server: HostileServer, make: Make,
                                                                      run: Run) -> None:
    exchange = make(server)
    with pytest.raises(ccxt.OrderNotFound, match='1300000000000000555'):
        run(exchange.fetch_isolated_tpsl_order(1300000000000000555, SYMBOL))
    with pytest.raises(ccxt.BadRequest):  # not an HTX id: refused before anything is sent
        run(exchange.fetch_isolated_tpsl_order('12ab', SYMBOL))
    with pytest.raises(ccxt.ArgumentsRequired):
        run(exchange.fetch_isolated_tpsl_order(None, SYMBOL))


def test_a_history_reply_that_is_not_htx_raises_bad_response(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    server.script(HISTORY, reply({'status': 'ok'}))
    server.script(V5_HISTORY, reply({'code': 200, 'message': 'Success'}))
    with pytest.raises(ccxt.BadResponse):
        run(exchange.fetch_closed_isolated_tpsl_orders(SYMBOL))


def test_since_and_limit(server: HostileServer, make: Make, run: Run, family: str) -> None:
    exchange = make(server)
    newest = run(exchange.fetch_canceled_isolated_tpsl_orders(SYMBOL, None, 1))
    assert len(newest) == 1
    assert run(exchange.fetch_canceled_isolated_tpsl_orders(SYMBOL, now_ms() + 60_000)) == []
    sent = server.requests_to(HISTORY, V5_HISTORY)[-1]
    if family == 'v1':
        assert sent.json['create_date'] == 1  # whole days back to since, at least 1
    else:
        assert int(sent.params['start_time']) > now_ms()


def test_limit_counts_only_orders_of_the_status_asked_for(make: Make, run: Run) -> None:
    with HostileServer() as server:  # classic: history is asked for every finished state, filtered here
        newer = [classic_finished(str(1300000000000000100 + i), 6) for i in range(3)]
        fired = classic_finished(FIRED, 4, relation_order_id=PLACED)
        server.script(HISTORY, reply(open_orders_page(newer, 1, 2)), reply(open_orders_page([fired], 2, 2)))
        exchange = make(server)
        assert [o['id'] for o in run(exchange.fetch_closed_isolated_tpsl_orders(SYMBOL, None, 1))] == [FIRED]
        assert len(server.requests_to(HISTORY)) == 2


@pytest.mark.parametrize('shape', [{'data': {'orders': []}}, {'status': 'maintenance', 'data': {'orders': []}},
                                   {'code': 200, 'data': {'orders': []}}])
def test_a_classic_listing_that_is_not_htxs_envelope_is_bad_response_never_no_orders(
        make: Make, run: Run, shape: dict[str, Any]) -> None:
    with HostileServer() as server:
        server.default(OPEN_ORDERS, reply(shape))
        server.default(HISTORY, reply(shape))
        exchange = make(server)
        with pytest.raises(ccxt.BadResponse):
            run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
        with pytest.raises(ccxt.BadResponse):  # never "HTX shows no such order"
            run(exchange.fetch_isolated_tpsl_order(FIRED, SYMBOL))
