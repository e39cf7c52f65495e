"""An exchange pickles and deep-copies as ccxt's own ``htx`` does, and the copy keeps every guard of the
transport (``_transport``): the total deadline, the 4 MiB cap, the redirect refusal.

Before: the sync class installed a local closure as a requests hook (pickling failed, so the exchange
could not be handed to a multiprocessing worker), and that hook held a weak reference to the
original exchange: a deep copy whose original was gone read a trickling reply for 24 s with
``timeout=1500`` and had no size cap.
"""

from __future__ import annotations

import copy
import gc
import json
import pickle
import time
from collections.abc import Callable
from typing import Any

import ccxt
import ccxt.async_support
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support

from .conftest import Run, ids
from .hostile import CANCEL, HostileServer, cancel_reply, huge, redirect, trickle
from .hostile import config as hostile_config

SYMBOL = 'BTC/USDT:USDT'
COPIES: dict[str, Callable[[Any], Any]] = {
    'pickle': lambda exchange: pickle.loads(pickle.dumps(exchange)),
    'deepcopy': copy.deepcopy,
}


def _classes(flavour: str) -> tuple[Any, Any]:
    if flavour == 'sync':
        return ccxt_htx_tpsl.htx, ccxt.htx
    return ccxt_htx_tpsl.async_support.htx, ccxt.async_support.htx


@pytest.mark.parametrize('how', list(COPIES))
def test_the_exchange_copies_as_ccxts_own_does(flavour: str, how: str) -> None:
    ours, theirs = _classes(flavour)
    config = {'apiKey': 'k', 'secret': 's', 'timeout': 1500}
    try:
        COPIES[how](theirs(config))
    except Exception as error:  # ccxt's own class does not copy: neither need ours
        pytest.skip(f'{theirs.__name__} does not {how} either: {error!r:.100}')
    clone = COPIES[how](ours(config))
    assert type(clone) is ours and clone.timeout == 1500 and clone.apiKey == 'k'


@pytest.mark.parametrize('how', list(COPIES))
def test_a_copy_keeps_the_deadline_the_cap_and_the_redirect_refusal(server: HostileServer, flavour: str, run: Run,
                                                                    how: str) -> None:
    cls, _ = _classes(flavour)
    original = cls({**hostile_config(server.hostname), 'timeout': 1500})
    clone = COPIES[how](original)
    del original
    gc.collect()  # the copy stands alone
    try:
        run(clone.load_markets())
        body = cancel_reply(ids(100, 1))
        body['pad'] = ' ' * (240 - len(json.dumps(body)))
        server.script(CANCEL, trickle(body, byte_every=0.1))  # 24 s in all
        started = time.monotonic()
        with pytest.raises(ccxt.RequestTimeout):
            run(clone.cancel_isolated_tpsl_orders(ids(100, 1), SYMBOL))
        assert time.monotonic() - started < 4
        server.script(CANCEL, huge(8 * 2**20))
        with pytest.raises(ccxt.BadResponse):
            run(clone.cancel_isolated_tpsl_orders(ids(110, 2), SYMBOL))
        with HostileServer() as elsewhere:
            server.script(CANCEL, redirect(307, lambda r: f'{elsewhere.url}/moved?{r.query}'))
            with pytest.raises(ccxt.ExchangeError):
                run(clone.cancel_isolated_tpsl_orders(ids(120, 2), SYMBOL))
            assert elsewhere.requests == []
        orders = run(clone.cancel_isolated_tpsl_orders(ids(130, 2), SYMBOL))
        assert [o['status'] for o in orders] == ['canceled', 'canceled']
    finally:
        if flavour == 'async':
            run(clone.close())
