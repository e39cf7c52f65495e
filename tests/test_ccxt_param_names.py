"""One rule for ccxt's own param names on the package's methods, the same on both families: HTX's
fields are snake_case; ``marginMode`` equal to the method's margin is dropped, ``positionSide`` on a
create is HTX's ``position_side``, any other camelCase key is refused before anything is sent, never
passed to HTX as a raw field. Sync and async, against the hostile server."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from .conftest import Make, Run, ids
from .hostile import ASSET_MODE, CANCEL, CREATE, V5_CANCEL, V5_CREATE, HostileServer

SYMBOL = 'BTC/USDT:USDT'
FAMILIES = {'v1': (0, CANCEL, CREATE), 'v5': (1, V5_CANCEL, V5_CREATE)}


@pytest.fixture(params=sorted(FAMILIES))
def family(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(family: str) -> Any:
    with HostileServer(assets_mode=FAMILIES[family][0]) as hostile:
        yield hostile


def sent(server: HostileServer, path: str) -> list[Any]:
    return [r.json for r in server.requests_to(path)]


def test_margin_mode_of_the_method_is_accepted_and_not_sent(server: HostileServer, make: Make, run: Run,
                                                             family: str) -> None:
    exchange = make(server)
    _, cancel, create = FAMILIES[family]
    run(exchange.cancel_isolated_tpsl_orders(ids(1, 1), SYMBOL, {'marginMode': 'isolated'}))
    run(exchange.create_cross_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'marginMode': 'cross'}))
    for body in sent(server, cancel) + sent(server, create):
        items = body if isinstance(body, list) else [body]
        assert all('marginMode' not in item for item in items)


@pytest.mark.parametrize(('params', 'complaint'), [
    ({'marginMode': 'cross'}, 'use the cross one'),
    ({'hedged': True}, "position_side ('long', 'short' or 'both')"),
    ({'reduceOnly': True}, 'always reduce the position'),
    ({'clientOrderId': 'x'}, "'clientOrderId': ..."),
    ({'timeInForce': 'GTC'}, 'HTX fields are snake_case'),
])
def test_other_ccxt_names_are_refused_before_anything_is_sent(server: HostileServer, make: Make, run: Run,
                                                              params: dict[str, Any], complaint: str) -> None:
    exchange = make(server)
    for call in (lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, params),
                 lambda: exchange.cancel_isolated_tpsl_orders(ids(1, 1), SYMBOL, params),
                 lambda: exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, params),
                 lambda: exchange.cancel_all_isolated_tpsl_orders(SYMBOL, params)):
        with pytest.raises(ccxt.BadRequest, match=r'nothing was sent|use the cross one') as raised:
            run(call())
        assert complaint in str(raised.value)
    assert server.tpsl_requests() == [] and server.requests_to(ASSET_MODE) == []


def test_position_side_is_htxs_position_side_on_both_families(server: HostileServer, make: Make, run: Run,
                                                              family: str) -> None:
    exchange = make(server)
    create = FAMILIES[family][2]
    run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'positionSide': 'long'}))
    [body] = sent(server, create)
    assert 'positionSide' not in body
    assert body.get('position_side') == ('long' if family == 'v5' else None)  # classic: the direction says it
    if family == 'v1':  # a position the direction does not close cannot be sent to the classic API
        with pytest.raises(ccxt.BadRequest, match='closes the long position'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'positionSide': 'short'}))
        assert len(sent(server, create)) == 1
