"""What a create or cancel reports is what HTX said: a system error or a 5xx reply is no refusal, a reply naming
one leg reports that leg, a refused leg beside a lost one raises the lost one's class, odd replies keep their
outcomes; sync and async, hostile server."""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run, ids
from .hostile import (
    API_KEY,
    CANCEL,
    CREATE,
    V5_CREATE,
    HostileServer,
    Record,
    classic_error,
    classic_ok,
    drop,
    reply,
    v5_error,
)
from .test_hostile import failure

SYMBOL = 'BTC/USDT:USDT'


MAY = 'MAY HAVE BEEN CREATED'


GATEWAY = [  # (name, route, path, reply): each may have come after the create was carried out
    ('v1 HTTP 504 JSON', 'v1', CREATE, reply({'code': 504, 'message': 'Gateway Timeout'}, status=504)),
    ('v5 HTTP 504 JSON', 'v5', V5_CREATE, reply({'code': 504, 'message': 'Gateway Timeout'}, status=504)),
    ('v5 code 500', 'v5', V5_CREATE, reply({'code': 500, 'message': 'Internal Server Error'}, status=500)),
    ('v1 1000', 'v1', CREATE, reply(lambda r: classic_error(1000, 'System error.'))),
    ('v5 1000', 'v5', V5_CREATE, reply(lambda r: v5_error(1000, 'System error.'))),
]


def _nested(depth: int) -> Any:
    value: Any = 'x'
    for _ in range(depth):
        value = [value]
    return value


def test_a_create_reply_naming_one_leg_reports_that_leg(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    server.script(CREATE, reply(classic_ok({'tp_order': {'order_id': 0, 'order_id_str': '1400000000000000777'},
                                            'sl_order': None})))
    with pytest.raises(ccxt.BadResponse) as raised:
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
    assert [o['id'] for o in raised.value.orders] == ['1400000000000000777']  # type: ignore[attr-defined]
    assert 'stop-loss: no usable reply' in str(raised.value) and 'take-profit:' not in str(raised.value)


@pytest.mark.parametrize(('name', 'route', 'path', 'action'), GATEWAY, ids=[g[0] for g in GATEWAY])
def test_a_system_error_or_5xx_reply_is_not_a_refusal(server: HostileServer, make: Make, run: Run, name: str,
                                                          route: str, path: str, action: Any) -> None:
    # The HTTP status was ignored and 1000 read as a refusal: "refused by HTX, not created" when the
    # order may exist, so a caller would place it again.
    server.assets_mode = 1 if route == 'v5' else 0
    exchange = make(server)
    server.script(path, action)
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, None,
                                                                      {'route': route}))
    assert isinstance(error, ccxt.NetworkError), name
    assert MAY in str(error) and 'refused' not in str(error)
    assert getattr(error, 'htx_reply', None) is None
    assert len(server.requests_to(path)) == 1


def test_a_gateway_json_is_no_wrong_family_refusal(server: HostileServer, make: Make, run: Run) -> None:
    # A 504 whose JSON body carried 6023 was read as "wrong API family" and the create sent again on v5.
    exchange = make(server)
    server.script(CREATE, reply(classic_error(6023, 'The new feature is temporarily unavailable.'), status=504))
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000))
    assert isinstance(error, ccxt.NetworkError) and MAY in str(error)
    assert len(server.requests_to(CREATE)) == 1 and server.requests_to(V5_CREATE) == []


def test_a_system_error_on_cancel_leaves_ids_unknown(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    server.script(CANCEL, reply(lambda r: classic_error(1000, 'System error.')))
    error = failure(run, lambda: exchange.cancel_isolated_tpsl_orders(ids(3000, 2), SYMBOL, {'route': 'v1'}))
    assert [o['status'] for o in error.orders] == [None, None]  # type: ignore[attr-defined]
    assert [o['info'].get('err_code') for o in error.orders] == [None, None]  # type: ignore[attr-defined]
    assert_ccxt_orders(exchange, error.orders, SYMBOL)  # type: ignore[attr-defined]


def test_a_refused_leg_beside_a_lost_one_raises_the_lost_ones_class(
        server: HostileServer, make: Make, run: Run) -> None:
    # The first failure's class was raised (InvalidOrder for a refused take-profit) with its
    # htx_reply, though the stop-loss reply was lost: code branching on either would place it again.
    server.assets_mode = 1

    async def by_leg(request: Any, record: Record) -> Any:
        if (record.json or {}).get('type') == 'tp':
            return await reply(v5_error(1067, 'Illegal parameter.'))(request, record)
        return await drop()(request, record)

    server.default(V5_CREATE, by_leg)
    exchange = make(server)
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, 80000))
    assert isinstance(error, ccxt.NetworkError)
    assert getattr(error, 'htx_reply', None) is None
    assert 'take-profit: refused by HTX' in str(error) and 'stop-loss: no usable reply' in str(error)
    assert MAY in str(error)
    assert len(server.requests_to(V5_CREATE)) == 2


def test_a_deeply_nested_reply_keeps_its_outcomes(server: HostileServer, make: Make, run: Run) -> None:
    # Scrubbing recursed without a bound: a refusal (or a per-id item) nested 700 deep raised a bare
    # RecursionError, losing outcomes HTX had given.
    exchange = make(server)
    wanted = ids(3100, 2)
    server.script(CANCEL, reply(lambda r: classic_ok({'errors': [
        {'order_id': wanted[0], 'err_code': 1071, 'err_msg': 'Repeated withdraw. ' + API_KEY, 'extra': _nested(700)}],
        'successes': wanted[1]})))
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'route': 'v1'}))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']
    assert API_KEY not in json.dumps(orders[0]['info']['err_msg'])
    server.script(CANCEL, reply(dict(classic_error(1004, 'busy'), extra=_nested(700))))
    error = failure(run, lambda: exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'route': 'v1'}))
    assert isinstance(error, ccxt.ExchangeNotAvailable)
    assert [o['status'] for o in error.orders] == [None, None]  # type: ignore[attr-defined]


def test_an_unreadable_ts_never_loses_a_created_order(server: HostileServer, make: Make, run: Run) -> None:
    # Pacing read ts with float(), and an integer beyond a float's range raised a bare OverflowError
    # after the order was created (with ccxt's stdlib JSON parser): no id, no "may exist".
    exchange = make(server)
    exchange.parse_json = json.loads  # what ccxt uses without orjson
    server.script(CREATE, reply(lambda r: dict(classic_ok({'tp_order': {'order_id': 1, 'order_id_str': ids(3200, 1)[0]},
                                                           'sl_order': None}), ts=10**400)))
    orders = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, None, {'route': 'v1'}))
    assert [o['id'] for o in orders] == ids(3200, 1)


def test_client_order_id_after_a_v5_refusal_says_what_happened(server: HostileServer, make: Make, run: Run) -> None:
    # auto chose v5, HTX refused it as the wrong family; the classic API has no client order ids. The
    # error advised "use route 'v5'" (just refused) and dropped HTX's reply.
    server.assets_mode = 1
    exchange = make(server)
    refusal = v5_error(4007, 'Unified account special interface, non - one account is not available')
    server.script(V5_CREATE, reply(refusal))
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(
        SYMBOL, 'sell', 1, {'triggerPrice': 100000, 'clientOrderId': 'abc'}))
    assert isinstance(error, ccxt.BadRequest)
    assert 'without clientOrderId' in str(error) and "use route 'v5'" not in str(error)
    assert error.htx_reply['code'] == refusal['code']  # type: ignore[attr-defined]
    assert len(server.requests_to(V5_CREATE)) == 1 and server.requests_to(CREATE) == []
