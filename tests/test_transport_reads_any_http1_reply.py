"""Any valid HTTP/1.x reply reads as it does in plain ccxt, sync and async, while a TP/SL request keeps
its total deadline and its size cap (``_transport``).

The sync class used to read a TP/SL reply itself, under the socket: a reply that closes its
connection (``Connection: close``, or any HTTP/1.0 reply) raised a bare ``OSError: [Errno 9] Bad
file descriptor`` after HTX carried the request out. The transport now reads through requests' and
urllib3's public API only: a module-level check below keeps private attributes and socket calls out.
"""

from __future__ import annotations

import json
import pathlib
import re
import time
from collections.abc import Iterator
from typing import Any

import ccxt
import pytest

from .ccxt_checks import assert_ccxt_orders
from .conftest import Make, Run, ids
from .hostile import (
    CANCEL,
    CREATE,
    HostileServer,
    cancel_reply,
    chunked,
    compressed,
    huge,
    reply,
    trickle,
)

SYMBOL = 'BTC/USDT:USDT'
PACKAGE = pathlib.Path(__file__).resolve().parent.parent / 'ccxt_htx_tpsl'


def _cancel_everything(record: Any) -> Any:
    return cancel_reply(record.order_ids())


SHAPES = {
    'Connection: close': {'close_connections': True},
    'HTTP/1.0 with Content-Length': {'http10': True},
    'HTTP/1.0, body ends at the close': {'http10': True, 'http10_length': False},
}


@pytest.fixture(params=list(SHAPES))
def shaped(request: pytest.FixtureRequest) -> Iterator[HostileServer]:
    """A hostile HTX whose every reply (contract info and the TP/SL endpoints alike) has one shape."""
    with HostileServer(**SHAPES[request.param]) as hostile:
        yield hostile


def test_a_reply_that_closes_its_connection_reads_as_in_ccxt(shaped: HostileServer, make: Make, run: Run) -> None:
    exchange = make(shaped)
    for start in (0, 10, 20):  # the connection closes after every reply: each request opens a new one
        orders = run(exchange.cancel_isolated_tpsl_orders(ids(start, 3), SYMBOL))
        assert [o['status'] for o in orders] == ['canceled'] * 3
        assert_ccxt_orders(exchange, orders, SYMBOL)
    legs = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
    assert len(legs) == 2 and all(leg['id'] for leg in legs)
    assert len(shaped.requests_to(CREATE)) == 1


@pytest.mark.parametrize('shape', ['chunked', 'gzip', 'chunked, then Connection: close'])
def test_chunked_and_compressed_replies_read_as_in_ccxt(server: HostileServer, make: Make, run: Run,
                                                        shape: str) -> None:
    exchange = make(server)
    if shape == 'gzip':
        server.script(CANCEL, compressed(_cancel_everything))
    else:
        server.close_connections = shape.endswith('close')
        server.script(CANCEL, chunked(_cancel_everything, pieces=5))
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(100, 4), SYMBOL))
    assert [o['status'] for o in orders] == ['canceled'] * 4


def test_the_deadline_and_the_cap_hold_on_a_closing_connection(make: Make, run: Run) -> None:
    with HostileServer(close_connections=True) as hostile:
        exchange = make(hostile, timeout=1000)
        run(exchange.load_markets())
        body = cancel_reply(ids(200, 1))
        body['pad'] = ' ' * 200
        hostile.script(CANCEL, trickle(body, byte_every=0.05))  # about 13 s in all
        started = time.monotonic()
        with pytest.raises(ccxt.RequestTimeout) as timed_out:
            run(exchange.cancel_isolated_tpsl_orders(ids(200, 1), SYMBOL))
        assert time.monotonic() - started < 2.5
        assert [o['status'] for o in timed_out.value.orders] == [None]  # type: ignore[attr-defined]
        hostile.script(CANCEL, huge(8 * 2**20))
        with pytest.raises(ccxt.BadResponse):
            run(exchange.cancel_isolated_tpsl_orders(ids(210, 2), SYMBOL))


def test_a_reply_without_length_over_the_cap_is_refused(server: HostileServer, make: Make, run: Run) -> None:
    # chunked, so no Content-Length announces the size: the cap holds while the body is read
    exchange = make(server)
    server.script(CANCEL, chunked(lambda r: {**cancel_reply(r.order_ids()), 'pad': 'x' * (5 * 2**20)}, pieces=80))
    with pytest.raises(ccxt.BadResponse) as refused:
        run(exchange.cancel_isolated_tpsl_orders(ids(300, 2), SYMBOL))
    assert [o['status'] for o in refused.value.orders] == [None, None]  # type: ignore[attr-defined]
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(310, 2), SYMBOL))  # and the next request is read
    assert [o['status'] for o in orders] == ['canceled'] * 2


def test_a_plain_reply_still_reads(server: HostileServer, make: Make, run: Run) -> None:
    exchange = make(server)
    server.script(CANCEL, reply(json.loads(json.dumps(cancel_reply(ids(400, 1))))))
    assert [o['status'] for o in run(exchange.cancel_isolated_tpsl_orders(ids(400, 1), SYMBOL))] == ['canceled']


def _lines(paths: Any, banned: re.Pattern[str]) -> list[str]:
    return [f'{path.relative_to(PACKAGE)}:{n}: {line.strip()}' for path in sorted(paths)
            for n, line in enumerate(path.read_text().splitlines(), 1) if banned.search(line)]


def test_the_transport_uses_no_private_attribute_and_no_socket_call() -> None:
    # the whole package (the sandbox included), then the client's modules: no socket reached into at all
    assert _lines(PACKAGE.rglob('*.py'), re.compile(r'\._fp\b|raw\._connection|\.settimeout\(')) == []
    assert _lines(PACKAGE.glob('*.py'), re.compile(r'\.shutdown\(|\._content\b|_sock\b|\.sock\b')) == []


def test_a_create_whose_reply_is_lost_after_it_was_carried_out_is_a_network_error(
        shaped: HostileServer, make: Make, run: Run) -> None:
    exchange = make(shaped, options={'maxRetriesOnFailure': 3})
    run(exchange.load_markets())
    shaped.drop_replies(CREATE)  # HTX creates the legs, the answer never comes
    with pytest.raises(ccxt.NetworkError) as lost:
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
    assert 'fetch_open_isolated_tpsl_orders' in str(lost.value)  # how to check what HTX did
    assert [r.processed for r in shaped.requests_to(CREATE)] == [True]  # carried out, and never sent again
    shaped.drop_replies(CANCEL, count=None)
    with pytest.raises(ccxt.NetworkError) as cancel_lost:
        run(exchange.cancel_isolated_tpsl_orders(ids(500, 2), SYMBOL, {'maxRetriesOnFailure': 1}))
    assert [o['status'] for o in cancel_lost.value.orders] == [None, None]  # type: ignore[attr-defined]
    assert len(shaped.requests_to(CANCEL)) == 2 and all(r.processed for r in shaped.requests_to(CANCEL))


def test_a_request_whose_caller_gave_up_before_it_left_is_never_sent(server: HostileServer, make: Make, run: Run,
                                                                     flavour: str,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if flavour == 'async':
        pytest.skip('the sync transport sends on a helper thread; aiohttp sends on the caller\'s event loop')
    import threading

    from ccxt_htx_tpsl import _transport

    exchange = make(server, timeout=500)
    run(exchange.load_markets())
    late = threading.Event()

    def run_late(job: Any) -> None:  # a helper that starts after the caller's whole budget
        threading.Timer(0.8, lambda: (job(), late.set())).start()

    monkeypatch.setattr(_transport.HELPERS, 'run', run_late)
    with pytest.raises(ccxt.RequestTimeout):
        run(exchange.cancel_isolated_tpsl_orders(ids(600, 1), SYMBOL))
    assert late.wait(5)
    assert server.requests_to(CANCEL) == []  # abandoned before it left: not sent later behind the caller's back
