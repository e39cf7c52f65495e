"""ccxt's own hidden retry loop never re-sends a create, whoever sends it (this package, ccxt's create_order, a
subclass wrapping fetch2), while ccxt's own methods keep their retry options; sync and async, hostile server."""

from __future__ import annotations

import contextlib
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support

from .conftest import Make, Run, ids
from .hostile import (
    CREATE,
    V5_CREATE,
    V5_OPEN_ORDERS,
    HostileServer,
    drop,
    reply,
    v5_ok,
)
from .test_hostile import failure

SYMBOL = 'BTC/USDT:USDT'


RETRIES = {'maxRetriesOnFailure': 2, 'maxRetriesOnFailureDelay': 0}


MAY = 'MAY HAVE BEEN CREATED'


def test_caller_method_name_cannot_steer_ccxts_hidden_retry(server: HostileServer, make: Make, run: Run) -> None:
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


def test_ccxts_own_methods_on_a_shared_path_keep_their_retries(server: HostileServer, make: Make,
                                                                  run: Run) -> None:
    exchange = make(server, options={'maxRetriesOnFailure': 1})
    run(exchange.load_markets())
    server.script(V5_OPEN_ORDERS, drop(), reply(v5_ok([])))
    if ccxt_htx_tpsl._core.has_retry_loop(type(exchange)):  # ccxt 4.3.56+: its own retry, as plain ccxt
        assert run(exchange.contract_private_get_v5_algo_order_opens({'contract_code': 'BTC-USDT'}))['data'] == []
        assert len(server.requests_to(V5_OPEN_ORDERS)) == 2


def test_a_subclass_wrapping_fetch2_does_not_turn_create_retries_on(
        server: HostileServer, make: Make, run: Run, flavour: str) -> None:
    # The check for ccxt's retry loop read the concrete class's fetch2: a user subclass wrapping it
    # (logging, metrics) hid the loop, and ccxt sent one create three times after two lost replies.
    base = type(make(server))
    if flavour == 'sync':
        class Wrapped(base):  # type: ignore[valid-type,misc]
            def fetch2(self, *args: Any, **kwargs: Any) -> Any:
                return super().fetch2(*args, **kwargs)
    else:
        class Wrapped(base):  # type: ignore[valid-type,misc,no-redef]
            async def fetch2(self, *args: Any, **kwargs: Any) -> Any:
                return await super().fetch2(*args, **kwargs)
    exchange = make(server, options=RETRIES)
    exchange.__class__ = Wrapped  # the same object, now of the user's subclass
    server.script(CREATE, drop(), drop())
    error = failure(run, lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, None,
                                                                      {'route': 'v1'}))
    assert isinstance(error, ccxt.NetworkError) and MAY in str(error)
    assert len(server.requests_to(CREATE)) == 1


@pytest.mark.parametrize('unified', [False, True], ids=['ccxt-create-order', 'package-create-order'])
def test_ccxt_own_create_order_on_the_algo_endpoint_is_never_resent(
        server: HostileServer, make: Make, run: Run, unified: bool) -> None:
    # The rule is per request, not per caller: ccxt's own create_order with a take-profit goes to
    # v5/algo/order (newer ccxt), which ccxt re-sent after lost replies when maxRetriesOnFailure was set.
    # With options['tpslUnified'] (the default) the package answers that call itself: sent once too.
    server.assets_mode = 1
    exchange = make(server, options={**RETRIES, 'tpslUnified': unified})
    server.script(V5_CREATE, drop(), drop())
    with contextlib.suppress(ccxt.BaseError):
        run(exchange.create_order(SYMBOL, 'market', 'sell', 1, None, {'takeProfitPrice': 100000}))
    if not server.requests_to(V5_CREATE):
        pytest.skip(f"ccxt {ccxt.__version__}'s create_order does not send a take-profit to v5/algo/order")
    assert len(server.requests_to(V5_CREATE)) == 1
