"""A TP/SL reply reads as plain ccxt reads it (compressed, trickled, echoing the request URL, through a proxy
URL), within the timeout; sync and async, hostile server."""

from __future__ import annotations

import time
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl._endpoints import from_url

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run, ids
from .hostile import (
    API_KEY,
    CANCEL,
    SECRET,
    HostileServer,
    cancel_reply,
    compressed,
    reply,
    secret_variants,
    signatures,
    trickle_headers,
)

SYMBOL = 'BTC/USDT:USDT'


@pytest.mark.parametrize('encoding', ['gzip', 'deflate'])
def test_compressed_replies_are_read_as_ccxt_reads_them(server: HostileServer, make: Make, run: Run,
                                                          encoding: str) -> None:
    exchange = make(server)
    server.script(CANCEL, compressed(lambda r: cancel_reply(r.order_ids()), encoding))
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(100, 2), SYMBOL))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']
    assert_ccxt_orders(exchange, orders, SYMBOL)


def test_trickled_headers_end_at_the_timeout(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server, timeout=1500)
    run(exchange.load_markets())
    server.script(CANCEL, trickle_headers(byte_every=0.3, seconds=15))
    started = time.monotonic()
    with pytest.raises(ccxt.RequestTimeout) as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(500, 2), SYMBOL))
    assert time.monotonic() - started < 5
    assert [o['status'] for o in raised.value.orders] == [None, None]  # type: ignore[attr-defined]


def test_an_echoed_url_in_a_per_id_message_never_reaches_the_caller(server: HostileServer, make: Make,
                                                                       run: Run) -> None:
    exchange = make(server)

    def echo(record: Any) -> Any:
        return cancel_reply(errors=[(i, 1061, f'no such order for {record.url}') for i in record.order_ids()])

    server.script(CANCEL, reply(echo))
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(600, 2), SYMBOL))
    assert [ccxt_htx_tpsl.outcome(o).code for o in orders] == ['1061', '1061']
    text = repr(orders) + repr([ccxt_htx_tpsl.outcome(o) for o in orders])
    leaked = [s for s in secret_variants(API_KEY, SECRET, *signatures(server.requests)) if s in text]
    assert leaked == []
    assert_ccxt_orders(exchange, orders, SYMBOL)


def test_a_proxy_url_still_reaches_the_tpsl_error_handling() -> None:
    target = 'https%3A%2F%2Fapi.hbdm.vn%2Flinear-swap-api%2Fv1%2Fswap_tpsl_cancel%3FAccessKeyId%3Dx'
    found = from_url('https://proxy.example/?url=' + target, 'POST')
    assert found is not None and found.path == 'linear-swap-api/v1/swap_tpsl_cancel'
    opens = from_url('https://proxy.example/?url=https%3A%2F%2Fh%2Fv5%2Falgo%2Forder%2Fopens%3Fa%3Db', 'GET')
    assert opens is not None and opens.path == 'v5/algo/order/opens'
    assert from_url('https://api.hbdm.vn/v5/algo/order?algo_id=1', 'GET') is None  # ccxt's own fetch_order
