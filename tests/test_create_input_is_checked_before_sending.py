"""Odd or contradictory create input and options are refused with a ccxt exception before anything is sent;
params never override what a create sets; sync and async, hostile server."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from .conftest import Make, Run, ids
from .hostile import (
    CANCEL,
    CREATE,
    V5_CREATE,
    HostileServer,
)
from .test_hostile import failure

SYMBOL = 'BTC/USDT:USDT'


BAD_CREATE_INPUT = [
    ('market leg with a price', (SYMBOL, 'sell', 1, {'triggerPrice': 100000, 'price': 2, 'type': 'market'}), {}),
    ('optimal_5 leg with a price', (SYMBOL, 'sell', 1, {'triggerPrice': 100000, 'price': 2, 'type': 'optimal_5'}),
     {}),
    ('amount with an underscore', (SYMBOL, 'sell', '1_000', 100000), {}),
    ('full-width amount', (SYMBOL, 'sell', '\uff11', 100000), {}),
    ('full-width trigger price', (SYMBOL, 'sell', 1, '\uff11\uff10\uff10'), {}),
    ('reduce_only in params', (SYMBOL, 'sell', 1, 100000), {'reduce_only': False}),
]


def test_create_params_cannot_override_prices_or_types(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    run(exchange.load_markets())
    for key in ('tp_order_price', 'sl_order_price', 'tp_order_price_type', 'tp_type', 'sl_type',
                'algo_client_order_id'):
        with pytest.raises(ccxt.BadRequest, match=f'sets {key} itself'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, {'triggerPrice': 70000, 'price': 69000},
                                                     None, {key: '1'}))
    assert server.requests_to(CREATE) == []


@pytest.mark.parametrize(('name', 'args', 'params'), BAD_CREATE_INPUT, ids=[b[0] for b in BAD_CREATE_INPUT])
def test_contradictory_or_odd_create_input_is_refused_before_sending(
        server: HostileServer, make: Make, run: Run, name: str, args: tuple[Any, ...], params: dict[str, Any]) -> None:
    exchange = make(server)
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(*args, None, params))
    assert isinstance(error, ccxt.BadRequest), name
    assert server.requests_to(CREATE) == [] and server.requests_to(V5_CREATE) == []


def test_odd_numbers_in_options_are_refused_before_sending(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    for value in (10**400, '1_0', '\uff13'):
        params = {'maxRetriesOnFailure': value}
        error = failure(run, lambda: exchange.cancel_isolated_tpsl_orders(ids(3400, 1), SYMBOL, params))  # noqa: B023
        assert isinstance(error, ccxt.BadRequest), value
    assert server.requests_to(CANCEL) == []
