"""A hostile HTX for the tests: a tiny aiohttp server that answers what each test scripts.

    with HostileServer() as server:
        server.script(CANCEL, drop(), reply(cancel_reply(['1300000000000000001'])))
        exchange = ccxt_htx_tpsl.htx(config(server.hostname))
        ...
        server.requests_to(CANCEL)    # what arrived, when (time.monotonic()), with what

It speaks just enough HTX for ccxt: ``swap_contract_info`` (two contracts, both margin modes),
``/api/v1/timestamp``, ``GET /v5/account/asset_mode`` (a classic account unless told otherwise),
and the TP/SL endpoints of both families (classic ``swap_(cross_)tpsl_*``, v5 ``/v5/algo/...``).
No signature is checked. Every request is recorded. Each path has a queue of scripted actions
(taken first) and a default action (used when the queue is empty); an action is a coroutine
``(request, record) -> response``: ``reply``, ``drop`` (the server did it, the answer is lost),
``then_drop`` (any action carried out, its answer lost), ``reset``, ``trickle``, ``chunked``,
``redirect``, ``status``, ``garbage``, ``huge``, ``echo_url_in_err_msg``, ``later``.

Options that shape every reply of the server, whatever the action (set them on the constructor or
as attributes at any time): ``close_connections`` (``Connection: close`` on HTTP/1.1: the server
closes the connection after each reply), ``http10`` (HTTP/1.0 replies, the connection closed after
each; ``http10_length=False``: without ``Content-Length``, the body ends where the connection does).
``server.drop_replies(path, count)`` carries out the next ``count`` requests to ``path`` as scripted
(or by default) and then drops each connection unanswered: the request was done, its answer is lost.

This server is the tests' own, separate from the package's sandbox (``ccxt_htx_tpsl.sandbox``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import socket
import struct
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web

from ccxt_htx_tpsl.sandbox.ratelimit import peak_in_window

# -- paths --------------------------------------------------------------------------------------

CLASSIC = '/linear-swap-api/v1/'
CONTRACT_INFO = CLASSIC + 'swap_contract_info'
TIMESTAMP = '/api/v1/timestamp'
ASSET_MODE = '/v5/account/asset_mode'
CANCEL = CLASSIC + 'swap_tpsl_cancel'
CROSS_CANCEL = CLASSIC + 'swap_cross_tpsl_cancel'
CANCEL_ALL = CLASSIC + 'swap_tpsl_cancelall'
CROSS_CANCEL_ALL = CLASSIC + 'swap_cross_tpsl_cancelall'
CREATE = CLASSIC + 'swap_tpsl_order'
CROSS_CREATE = CLASSIC + 'swap_cross_tpsl_order'
OPEN_ORDERS = CLASSIC + 'swap_tpsl_openorders'
CROSS_OPEN_ORDERS = CLASSIC + 'swap_cross_tpsl_openorders'
HISTORY = CLASSIC + 'swap_tpsl_hisorders'
CROSS_HISTORY = CLASSIC + 'swap_cross_tpsl_hisorders'
V5_CREATE = '/v5/algo/order'
V5_OPEN_ORDERS = '/v5/algo/order/opens'
V5_CANCEL = '/v5/algo/cancel_orders'
V5_HISTORY = '/v5/algo/order/history'
TPSL_PATHS = frozenset({CANCEL, CROSS_CANCEL, CANCEL_ALL, CROSS_CANCEL_ALL, CREATE, CROSS_CREATE, OPEN_ORDERS,
                        CROSS_OPEN_ORDERS, HISTORY, CROSS_HISTORY, V5_CREATE, V5_OPEN_ORDERS, V5_CANCEL, V5_HISTORY})
"""Every private TP/SL endpoint (asset_mode excluded)."""

API_KEY = 'hostileK-ey000000-4e5f6a7b-0c1d2'
SECRET = 'hostileS-ecret000-8a9b0c1d-2e3f4'


def config(hostname: str, api_key: str = API_KEY, secret: str = SECRET) -> dict[str, Any]:
    """A ccxt config pointing ``htx`` at ``hostname``; load_markets() then only asks swap_contract_info."""
    return {
        'apiKey': api_key,
        'secret': secret,
        'timeout': 5000,
        'urls': {'hostnames': {'contract': hostname}, 'api': {'contract': 'http://{hostname}'}},
        'options': {'fetchMarkets': {'types': {'spot': False, 'linear': True, 'inverse': False}}},
        'has': {'fetchCurrencies': False},
    }


# -- records ------------------------------------------------------------------------------------


@dataclass
class Record:
    """One request as it arrived: ``t`` is ``time.monotonic()`` when its handler started."""

    t: float
    method: str
    path: str
    query: str  # the raw query string, as received (still percent-encoded)
    body: bytes
    url: str  # scheme, host and raw path with query, as received
    processed: bool = False  # the scripted action "did" the request (a dropped reply still did)

    @property
    def params(self) -> dict[str, str]:
        """The query, decoded."""
        return dict(parse_qsl(self.query, keep_blank_values=True))

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def order_ids(self) -> list[str]:
        """The ids a cancel asked for (classic ``order_id``, v5 ``algo_id`` items)."""
        body = self.json
        if isinstance(body, dict):
            return [i for i in str(body.get('order_id', '')).split(',') if i]
        if isinstance(body, list):
            return [str(item.get('algo_id')) for item in body if isinstance(item, dict)]
        return []


Action = Callable[[web.Request, Record], Awaitable[web.StreamResponse]]


def now_ms() -> int:
    return int(time.time() * 1000)


# -- replies ------------------------------------------------------------------------------------


def classic_ok(data: Any) -> dict[str, Any]:
    return {'status': 'ok', 'data': data, 'ts': now_ms()}


def classic_error(code: int, message: str) -> dict[str, Any]:
    return {'status': 'error', 'err_code': code, 'err_msg': message, 'ts': now_ms()}


def v5_ok(data: Any) -> dict[str, Any]:
    return {'code': 200, 'message': 'Success', 'data': data, 'ts': now_ms()}


def v5_error(code: int, message: str) -> dict[str, Any]:
    return {'code': code, 'message': message, 'data': None, 'ts': now_ms()}


def cancel_reply(successes: Iterable[str] = (), errors: Iterable[tuple[str, int, str]] = ()) -> dict[str, Any]:
    """A classic cancel reply: ``errors`` are ``(order_id, err_code, err_msg)``."""
    return classic_ok({
        'errors': [{'order_id': i, 'err_code': c, 'err_msg': m} for i, c, m in errors],
        'successes': ','.join(successes),
    })


def v5_cancel_reply(items: Iterable[tuple[str, int, str]]) -> dict[str, Any]:
    """A v5 cancel reply, one item ``(algo_id, code, message)`` per order."""
    return v5_ok([{'code': c, 'message': m, 'algo_id': i, 'algo_client_order_id': None} for i, c, m in items])


def open_order(order_id: str, contract_code: str = 'BTC-USDT', status: int = 2) -> dict[str, Any]:
    """A classic ``swap_tpsl_openorders`` item."""
    return {
        'symbol': contract_code.split('-')[0], 'contract_code': contract_code, 'margin_mode': 'isolated',
        'margin_account': contract_code, 'volume': 1, 'order_type': 1, 'direction': 'sell',
        'order_id': int(order_id), 'order_id_str': order_id, 'order_source': 'api', 'trigger_type': 'ge',
        'trigger_price': 100000, 'order_price': 0, 'created_at': now_ms() - 60_000, 'order_price_type': 'market',
        'status': status, 'tpsl_order_type': 'tp', 'source_order_id': None, 'relation_tpsl_order_id': '-1',
        'trade_partition': 'USDT',
    }


def open_orders_page(orders: list[dict[str, Any]], current_page: int, total_page: int,
                     total_size: int | None = None) -> dict[str, Any]:
    return classic_ok({
        'orders': orders, 'current_page': current_page, 'total_page': total_page,
        'total_size': len(orders) if total_size is None else total_size,
    })


def v5_open_order(algo_id: str, index: int, contract_code: str = 'BTC-USDT') -> dict[str, Any]:
    """A v5 ``/v5/algo/order/opens`` item (shape observed, see htx-real-replies.json)."""
    created = now_ms() - 60_000
    return {
        'id': str(162173672 + index), 'volume': '1', 'type': 'tp', 'state': 'active', 'side': 'sell',
        'algo_id': algo_id, 'contract_code': contract_code, 'position_side': 'long', 'margin_mode': 'isolated',
        'created_time': str(created), 'updated_time': str(created), 'order_source': 'api',
        'tp_trigger_price': '101000', 'tp_order_price': '0', 'tp_type': 'market', 'tp_trigger_price_type': 'last',
    }


# -- actions ------------------------------------------------------------------------------------


def _respond(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=status, body=json.dumps(payload).encode(), content_type='application/json',
                        headers=headers)


def reply(payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Action:
    """Answer JSON; ``payload`` may be a function of the :class:`Record` (a reply built per request)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        record.processed = True
        body = payload(record) if callable(payload) else payload
        return _respond(body, status, headers)

    return act


async def _hang_up(request: web.Request, rst: bool) -> web.StreamResponse:
    """Close the connection without answering (``rst``: a TCP reset rather than a clean close)."""
    transport = request.transport
    if transport is not None:
        if rst:
            sock = transport.get_extra_info('socket')
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            transport.abort()
        else:
            transport.close()
    await asyncio.sleep(1)  # the server cancels the handler when it sees the connection gone
    return web.Response()  # not sent: the connection is closed


def drop() -> Action:
    """A lost reply: the request is carried out (``processed``), then the connection closes unanswered."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        record.processed = True
        return await _hang_up(request, rst=False)

    return act


reply_after_processing_then_drop = drop


def reset() -> Action:
    """A connection reset (TCP RST) before anything is done."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        return await _hang_up(request, rst=True)

    return act


def reset_mid_body(payload: Any) -> Action:
    """Send the headers and half of ``payload``'s JSON, then reset the connection (nothing done)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        body = json.dumps(payload(record) if callable(payload) else payload).encode()
        response = web.StreamResponse(headers={'Content-Type': 'application/json'})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 2])
        await asyncio.sleep(0.05)
        return await _hang_up(request, rst=True)

    return act


def trickle(payload: Any, byte_every: float = 0.1) -> Action:
    """Announce the whole body, then send it one byte every ``byte_every`` seconds."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        record.processed = True
        body = payload if isinstance(payload, bytes) else json.dumps(payload(record) if callable(payload)
                                                                      else payload).encode()
        response = web.StreamResponse(headers={'Content-Type': 'application/json'})
        response.content_length = len(body)
        await response.prepare(request)
        with contextlib.suppress(ConnectionError, RuntimeError):
            for index in range(len(body)):
                await response.write(body[index:index + 1])
                await asyncio.sleep(byte_every)
        return response

    return act


def compressed(payload: Any, encoding: str = 'gzip') -> Action:
    """The reply compressed (``Content-Encoding: gzip`` or ``deflate``), as HTTP servers do when asked."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        import zlib

        record.processed = True
        body = json.dumps(payload(record) if callable(payload) else payload).encode()
        packed = zlib.compress(body) if encoding == 'deflate' else __import__('gzip').compress(body)
        return web.Response(body=packed, headers={'Content-Type': 'application/json', 'Content-Encoding': encoding})

    return act


def trickle_headers(byte_every: float = 0.5, seconds: float = 20) -> Action:
    """Accept the request, then send the status line and headers one byte every ``byte_every`` seconds."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        transport = request.transport
        head = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Padding: ' + b'x' * 200
        deadline = time.monotonic() + seconds
        with contextlib.suppress(ConnectionError, RuntimeError, AttributeError):
            for index in range(len(head)):
                if transport is None or transport.is_closing() or time.monotonic() > deadline:
                    break
                transport.write(head[index:index + 1])
                await asyncio.sleep(byte_every)
        if transport is not None:
            transport.close()
        return web.Response()  # never sent: the connection is closed

    return act


def chunked(payload: Any, pieces: int = 3) -> Action:
    """The reply in ``Transfer-Encoding: chunked``, written in ``pieces`` parts (no ``Content-Length``)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        record.processed = True
        body = json.dumps(payload(record) if callable(payload) else payload).encode()
        response = web.StreamResponse(headers={'Content-Type': 'application/json'})
        response.enable_chunked_encoding()
        await response.prepare(request)
        step = max(1, -(-len(body) // pieces))
        for start in range(0, len(body), step):
            await response.write(body[start:start + step])
            await asyncio.sleep(0.01)
        await response.write_eof()
        return response

    return act


def then_drop(action: Action) -> Action:
    """``action`` carried out (its effects happen: ids are made, the request is ``processed``), then the
    connection closes without its answer: the reply is lost after HTX did the request."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        response = await action(request, record)
        record.processed = True
        if not response.prepared:  # an answer not yet on the wire is never sent
            return await _hang_up(request, rst=False)
        return response  # an action that already answered (or hung up) itself

    return act


def later(seconds: float, action: Action) -> Action:
    """``action``, ``seconds`` after the request arrived."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        await asyncio.sleep(seconds)
        return await action(request, record)

    return act


def redirect(code: int, location: str | Callable[[Record], str]) -> Action:
    """A redirect; ``location`` may be a function of the :class:`Record` (e.g. to carry its query)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        target = location(record) if callable(location) else location
        return web.Response(status=code, headers={'Location': target}, text='moved')

    return act


def status(code: int, html: str = '<html><body><h1>502 Bad Gateway</h1>cloudflare</body></html>') -> Action:
    """An error page from a gateway in front of HTX (nothing done)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        return web.Response(status=code, text=html, content_type='text/html')

    return act


def garbage(body: bytes, content_type: str = 'application/json') -> Action:
    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        return web.Response(status=200, body=body, content_type=content_type)

    return act


def huge(size: int = 10 * 2**20, successes: bool = True) -> Action:
    """A syntactically valid classic "ok" reply of ``size`` bytes (padding in an extra field) that, if
    read, would cancel every requested id: a client must refuse it for its size."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        record.processed = True
        head = json.dumps(cancel_reply(record.order_ids() if successes else []))[:-1] + ', "pad": "'
        tail = '"}'
        body = (head + 'x' * max(0, size - len(head) - len(tail)) + tail).encode()
        return web.Response(status=200, body=body, content_type='application/json')

    return act


def echo_url_in_err_msg(code: int = 1004) -> Action:
    """A refusal whose message echoes the request URL raw, percent-encoded once and twice, decoded,
    and the raw query (an HTX-side bug or a proxy's error page would do the same)."""

    async def act(request: web.Request, record: Record) -> web.StreamResponse:
        url = record.url
        message = (f'System busy for {url} (quoted {quote(url, safe="")}) (twice {quote(quote(url, safe=""), safe="")})'
                   f' (decoded {unquote(url)}) (query {record.query})')
        if record.path.startswith('/v5/'):
            return _respond(v5_error(code, message))
        return _respond(classic_error(code, message))

    return act


# -- default behaviour ----------------------------------------------------------------------------

_CONTRACTS = (('BTC-USDT', 0.001, 0.1), ('ETH-USDT', 0.01, 0.01))


def _contract_info() -> list[dict[str, Any]]:
    return [{
        'symbol': code.split('-')[0], 'contract_code': code, 'contract_size': size, 'price_tick': tick,
        'delivery_date': '', 'delivery_time': '', 'create_date': '20201021', 'contract_status': 1,
        'settlement_date': str((now_ms() // 28_800_000 + 1) * 28_800_000), 'support_margin_mode': 'all',
        'business_type': 'swap', 'pair': code, 'contract_type': 'swap', 'trade_partition': 'USDT',
        'settlement_period': '8',
    } for code, size, tick in _CONTRACTS]


class _Ids:
    """Fresh 19-digit order ids."""

    def __init__(self, start: int = 1_400_000_000_000_000_001) -> None:
        self._next = start
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            self._next += 1
            return str(self._next - 1)


def _defaults(server: HostileServer) -> dict[str, Action]:
    new_id = server.new_id

    def created(record: Record) -> Any:
        body = record.json or {}
        return classic_ok({
            'tp_order': {'order_id': 0, 'order_id_str': new_id()} if 'tp_trigger_price' in body else None,
            'sl_order': {'order_id': 0, 'order_id_str': new_id()} if 'sl_trigger_price' in body else None,
        })

    cancel_everything = reply(lambda record: cancel_reply(record.order_ids()))
    nothing_to_cancel = reply(classic_error(1051, 'No orders to cancel.'))
    no_open_orders = reply(open_orders_page([], 1, 0))
    return {
        CONTRACT_INFO: reply(lambda record: classic_ok(_contract_info())),
        TIMESTAMP: reply(lambda record: {'status': 'ok', 'ts': now_ms()}),
        ASSET_MODE: reply(lambda record: {'code': 200, 'msg': 'Success',
                                          'data': {'assets_mode': server.assets_mode}, 'ts': now_ms()}),
        CANCEL: cancel_everything,
        CROSS_CANCEL: cancel_everything,
        CANCEL_ALL: nothing_to_cancel,
        CROSS_CANCEL_ALL: nothing_to_cancel,
        CREATE: reply(created),
        CROSS_CREATE: reply(created),
        OPEN_ORDERS: no_open_orders,
        CROSS_OPEN_ORDERS: no_open_orders,
        HISTORY: no_open_orders,  # the same envelope and paging (doc example)
        CROSS_HISTORY: no_open_orders,
        V5_HISTORY: reply(v5_ok([])),
        V5_CREATE: reply(lambda record: v5_ok([{'algo_id': new_id(), 'algo_client_order_id': None}])),
        V5_OPEN_ORDERS: reply(v5_ok([])),
        V5_CANCEL: reply(lambda record: v5_cancel_reply((i, 200, 'Success') for i in record.order_ids())),
    }


async def _not_found(request: web.Request, record: Record) -> web.StreamResponse:
    return web.Response(status=404, text='<html><body>404 Not Found</body></html>', content_type='text/html')


# -- the server ---------------------------------------------------------------------------------


@dataclass
class _State:
    scripts: dict[str, deque[Action]] = field(default_factory=lambda: defaultdict(deque))
    defaults: dict[str, Action] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    drops: dict[str, int | None] = field(default_factory=dict)  # path -> replies left to drop (None: all)
    lock: threading.Lock = field(default_factory=threading.Lock)


class HostileServer:
    """The server, on 127.0.0.1 (any free port), served from a background thread; a context manager."""

    def __init__(self, host: str = '127.0.0.1', assets_mode: int = 0, close_connections: bool = False,
                 http10: bool = False, http10_length: bool = True) -> None:
        self.host = host
        self.assets_mode = assets_mode
        self.close_connections = close_connections  # every reply says Connection: close and closes it
        self.http10 = http10  # every reply is HTTP/1.0 (the connection closes after it)
        self.http10_length = http10_length  # HTTP/1.0 with Content-Length (False: the body ends at the close)
        self.new_id = _Ids()
        self._state = _State()
        self._state.defaults.update(_defaults(self))
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    # -- addresses

    @property
    def hostname(self) -> str:
        """``host:port``: what ccxt's ``urls.hostnames.contract`` takes."""
        if self._port is None:
            raise RuntimeError('start the server first')
        return f'{self.host}:{self._port}'

    @property
    def url(self) -> str:
        return f'http://{self.hostname}'

    # -- scripting

    def script(self, path: str, *actions: Action) -> HostileServer:
        """Queue ``actions`` for the next requests to ``path``, one each, in order."""
        with self._state.lock:
            self._state.scripts[path].extend(actions)
        return self

    def default(self, path: str, action: Action) -> HostileServer:
        """What ``path`` does once its queue is empty."""
        with self._state.lock:
            self._state.defaults[path] = action
        return self

    def drop_replies(self, *paths: str, count: int | None = 1) -> HostileServer:
        """Carry out the next ``count`` requests to each of ``paths`` as usual (scripted or default action),
        then drop each connection without the answer (``None``: every request, until ``count`` is set again)."""
        with self._state.lock:
            for path in paths:
                self._state.drops[path] = count
        return self

    # -- records

    @property
    def requests(self) -> list[Record]:
        """Every request so far, in arrival order (a snapshot)."""
        with self._state.lock:
            return list(self._state.records)

    def requests_to(self, *paths: str) -> list[Record]:
        return [r for r in self.requests if r.path in paths]

    def tpsl_requests(self) -> list[Record]:
        """The requests to any private TP/SL endpoint."""
        return [r for r in self.requests if r.path in TPSL_PATHS]

    def wait_for(self, count: int, *paths: str, timeout: float = 5.0) -> list[Record]:
        """Block until ``count`` requests reached ``paths`` (or ``timeout``); return them."""
        deadline = time.monotonic() + timeout
        while len(found := self.requests_to(*paths)) < count and time.monotonic() < deadline:
            time.sleep(0.005)
        return found

    # -- serving

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        body = await request.read()
        record = Record(arrived, request.method, request.path, request.query_string, body,
                        f'{request.scheme}://{request.host}{request.raw_path}')
        with self._state.lock:
            self._state.records.append(record)
            queue = self._state.scripts.get(request.path)
            action = queue.popleft() if queue else self._state.defaults.get(request.path, _not_found)
            if request.path in self._state.drops:
                left = self._state.drops[request.path]
                if left is None or left > 0:
                    action = then_drop(action)
                    if left is not None:
                        self._state.drops[request.path] = left - 1
        response = await action(request, record)
        if response.prepared or request.transport is None or request.transport.is_closing():
            return response  # already answered (a stream) or hung up: nothing to shape
        if self.http10:
            return await self._http10(request, response)
        if self.close_connections:
            response.force_close()  # HTTP/1.1 "Connection: close", then the server closes it
        return response

    async def _http10(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        """Write ``response`` as an HTTP/1.0 reply straight to the connection, then close it."""
        body = response.body if isinstance(response, web.Response) and isinstance(response.body, bytes) else b''
        skip = {'content-length', 'transfer-encoding', 'connection', 'date', 'server'}
        lines = [f'HTTP/1.0 {response.status} {response.reason}']
        lines += [f'{name}: {value}' for name, value in response.headers.items() if name.lower() not in skip]
        if self.http10_length:
            lines.append(f'Content-Length: {len(body)}')
        transport = request.transport
        if transport is not None:
            transport.write(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body)
            transport.close()  # after the buffered reply is written
        await asyncio.sleep(1)  # the server cancels the handler when it sees the connection gone
        return web.Response()  # not sent: the connection is closed

    async def _open(self) -> web.AppRunner:
        app = web.Application(client_max_size=2**30)
        app.router.add_route('*', '/{tail:.*}', self._handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=0.5,
                               handler_cancellation=True)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        site = web.SockSite(runner, sock)
        await site.start()
        self._port = sock.getsockname()[1]
        return runner

    def start(self) -> HostileServer:
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                runner = await self._open()
                self._loop, self._halt = asyncio.get_running_loop(), asyncio.Event()
            except BaseException as exc:  # re-raised by start()
                failure.append(exc)
                return
            finally:
                ready.set()
            try:
                await self._halt.wait()
            finally:
                await runner.cleanup()

        self._thread = threading.Thread(target=lambda: asyncio.run(main()), name='hostile-htx', daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, halt, thread = self._loop, self._halt, self._thread
        if loop is not None and halt is not None:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(halt.set)
        if thread is not None:
            thread.join(10)
        self._loop = self._halt = self._thread = None

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# -- helpers for assertions ----------------------------------------------------------------------


def max_in_window(records: list[Record], window: float = 1.0) -> int:
    """The most requests that arrived within any ``window`` seconds (half-open: ``t`` to ``t + window``)."""
    return peak_in_window((r.t for r in records), window)


def secret_variants(*secrets: str) -> set[str]:
    """Each secret raw, percent-encoded once and twice, with upper- and lower-case hex."""
    variants: set[str] = set()
    for secret in secrets:
        once = quote(secret, safe='')
        twice = quote(once, safe='')
        for text in (secret, once, twice):
            variants.add(text)
            variants.add(_lower_hex(text))
    return {v for v in variants if v}


def _lower_hex(text: str) -> str:
    return re.sub(r'%[0-9A-F]{2}', lambda match: match.group(0).lower(), text)


def signatures(records: Iterable[Record]) -> list[str]:
    """The (decoded) signatures the client sent."""
    return [s for r in records if (s := r.params.get('Signature'))]
