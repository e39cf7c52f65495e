"""A reply is HTX's only when it reads as HTX's envelope: anything else (HTML, an empty body, ``[]``,
``null``, an envelope without ``data``) is ``BadResponse`` on both families — never an empty list,
never "nothing to cancel" — and cancel-all cancels every order the open list shows, whatever its
state (HTX decides). Sync and async, against the hostile server."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from .conftest import Make, Run
from .hostile import (
    CANCEL_ALL,
    OPEN_ORDERS,
    V5_CANCEL,
    V5_OPEN_ORDERS,
    HostileServer,
    garbage,
    open_order,
    open_orders_page,
    reply,
    v5_cancel_reply,
    v5_ok,
    v5_open_order,
)

SYMBOL = 'BTC/USDT:USDT'
NOT_HTX = {
    'html-200': garbage(b'<html><body>maintenance</body></html>', 'text/html'),
    'empty': garbage(b''),
    'list': reply([]),
    'null': garbage(b'null'),
    'no-data': reply({'code': 200, 'message': 'Success', 'ts': 1780738313102}),
    'data-null': reply({'code': 200, 'message': 'Success', 'data': None, 'ts': 1780738313102}),
    'data-object': reply({'code': 200, 'message': 'Success', 'data': {}, 'ts': 1780738313102}),
}


@pytest.fixture
def unified() -> Any:
    with HostileServer(assets_mode=1) as hostile:
        yield hostile


@pytest.mark.parametrize('shape', sorted(NOT_HTX))
@pytest.mark.parametrize('call', ['list', 'cancel-all'])
def test_a_v5_listing_that_is_not_htx_raises_bad_response(unified: HostileServer, make: Make, run: Run,
                                                          shape: str, call: str) -> None:
    exchange = make(unified)
    unified.script(V5_OPEN_ORDERS, NOT_HTX[shape])
    method = exchange.fetch_open_isolated_tpsl_orders if call == 'list' else exchange.cancel_all_isolated_tpsl_orders
    with pytest.raises(ccxt.BadResponse):
        run(method(SYMBOL))
    assert unified.requests_to(V5_CANCEL) == []  # nothing is cancelled on a reply that says nothing


def test_an_empty_v5_page_is_no_orders(unified: HostileServer, make: Make, run: Run) -> None:
    exchange = make(unified)  # the control: HTX's own empty page, "data": []
    assert run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL)) == []
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL)) == []


@pytest.mark.parametrize('state', ['triggering', None, 'effective', 'canceled'])
def test_v5_cancel_all_cancels_every_listed_order_whatever_its_state(unified: HostileServer, make: Make, run: Run,
                                                                     state: str | None) -> None:
    exchange = make(unified)
    odd = dict(v5_open_order('1500000000000000007', 1), state=state)
    if state is None:
        del odd['state']
    listed = [v5_open_order('1500000000000000006', 0), odd]
    unified.script(V5_OPEN_ORDERS, reply(v5_ok(listed)))
    unified.script(V5_CANCEL, reply(lambda record: v5_cancel_reply((i, 200, 'Success') for i in record.order_ids())))
    orders = run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL))
    assert [(o['id'], o['status']) for o in orders] == [('1500000000000000006', 'canceled'),
                                                        ('1500000000000000007', 'canceled')]
    [sent] = unified.requests_to(V5_CANCEL)
    assert sent.order_ids() == ['1500000000000000006', '1500000000000000007']


@pytest.mark.parametrize('data', [{'successes': ''}, {'errors': None, 'successes': '1'}, {}],
                         ids=['no-errors', 'errors-null', 'empty'])
def test_a_classic_cancel_all_reply_without_its_lists_is_never_nothing_to_cancel(
        make: Make, run: Run, data: dict[str, Any]) -> None:
    # HTX names both (doc examples: "errors": [] and "successes"): without them the reply says nothing, so
    # the order still open is asked about and cancelled by id, and the call raises BadResponse with it
    with HostileServer(assets_mode=0) as classic:
        exchange = make(classic)
        waiting = '1200000000000000005'
        classic.script(CANCEL_ALL, reply({'status': 'ok', 'data': data, 'ts': 1780738313102}))
        classic.script(OPEN_ORDERS, reply(open_orders_page([open_order(waiting)], 1, 1)))
        with pytest.raises(ccxt.BadResponse) as raised:
            run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'route': 'v1'}))
        assert [o['id'] for o in raised.value.orders] == [waiting]
