"""A call that fails before anything of it was sent says so: a clear ccxt exception, ``.orders``
attached, and nothing reaches HTX. Sync and async, against the hostile server."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

from .conftest import Make, Run, ids
from .hostile import ASSET_MODE, V5_CREATE, HostileServer, drop

SYMBOL = 'BTC/USDT:USDT'
CALLS = {
    'cancel': lambda ex: ex.cancel_isolated_tpsl_orders(ids(1, 2), SYMBOL, {1: 'x'}),
    'create': lambda ex: ex.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {1: 'x'}),
    'list': lambda ex: ex.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, {1: 'x'}),
    'cancel-all': lambda ex: ex.cancel_all_isolated_tpsl_orders(SYMBOL, {1: 'x'}),
    'route': lambda ex: ex.fetch_tpsl_route({1: 'x'}),
}


@pytest.mark.parametrize('name', sorted(CALLS))
def test_params_with_a_non_string_key_are_refused_before_anything_is_sent(make: Make, run: Run,
                                                                          name: str) -> None:
    with HostileServer(assets_mode=1) as server:
        exchange = make(server)
        with pytest.raises(ccxt.BadRequest, match='params keys'):
            run(CALLS[name](exchange))
        assert server.tpsl_requests() == [] and server.requests_to(ASSET_MODE) == []


def test_create_says_nothing_was_created_when_the_family_question_got_no_reply(make: Make, run: Run) -> None:
    with HostileServer(assets_mode=1) as server:
        exchange = make(server, timeout=1500)
        default = server._state.defaults[ASSET_MODE]
        server.default(ASSET_MODE, drop())  # aiohttp re-sends a GET once on a reused connection
        with pytest.raises(ccxt.NetworkError) as raised:
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
        error: Any = raised.value
        assert 'nothing was created' in str(error) and 'safe' in str(error)
        assert error.orders == [] and error.htx_reply is None
        assert server.requests_to(V5_CREATE) == [] and server.tpsl_requests() == []
        # the question was not remembered: the next create asks again, and creates
        server.default(ASSET_MODE, default)
        legs = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
        assert len(legs) == 2 and len(server.requests_to(V5_CREATE)) == 2
