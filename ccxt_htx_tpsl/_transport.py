"""What the HTTP libraries do on their own that a TP/SL request must not.

- **Redirects**: a signed private request answered with a redirect is not followed (its signature
  would travel to another host). The sync class (``requests``) gets a response hook that keeps the
  3xx reply as the answer, which ``handle_errors`` turns into ``ExchangeError`` naming the target;
  the async class (``aiohttp``) gets a trace callback that raises that error before aiohttp follows.
- **Total deadline** (sync): ``requests`` applies ccxt's ``timeout`` to each read, so a server
  trickling a byte at a time keeps a call alive for ever. While a TP/SL request waits for its status
  line and headers, one watchdog thread shuts its socket down when ``timeout`` has passed; then the
  hook reads the body itself, one socket read at a time, each bounded by what is left:
  ``RequestTimeout`` either way. (aiohttp has a total timeout: ccxt sets it.)
- **Size**: no HTX TP/SL reply comes near :data:`MAX_REPLY_BYTES`; a larger one is refused with
  ``BadResponse`` while it is read (sync), or once read (async), and the request's outcome is unknown.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

from ccxt.base.errors import BadResponse, ExchangeError

from . import _endpoints

MAX_REPLY_BYTES = 4 * 2**20
"""The largest TP/SL reply read (4 MiB; a 100-order page is about 50 KB)."""
_CHUNK = 65536

NOT_FOLLOWED = 'X-Ccxt-Htx-Tpsl-Not-Followed'  # where a refused redirect's Location is kept


def _tpsl(method: str, url: str) -> bool:
    """Whether a request goes to one of the package's TP/SL endpoints (the size cap is theirs only)."""
    return _endpoints.from_url(url, method) is not None


def signed(url: str) -> bool:
    """Whether ``url`` carries an HTX signature (a private request)."""
    return 'Signature=' in url


def _keep_redirect(response: Any, *args: Any, **kwargs: Any) -> Any:
    """requests response hook: a signed request's redirect is kept as the answer, not followed."""
    if response.is_redirect and signed(response.request.url or ''):
        location = response.headers.pop('Location', None)
        response.headers[NOT_FOLLOWED] = location if location is not None else ''
    return response


def _socket_of(raw: Any) -> Any:
    connection = getattr(raw, '_connection', None) or getattr(raw, 'connection', None)
    sock = getattr(connection, 'sock', None)
    if sock is None:  # urllib3 1.x: through http.client's buffered socket file
        fp = getattr(getattr(raw, '_fp', None), 'fp', None)
        sock = getattr(getattr(fp, 'raw', None), '_sock', None)
    return sock if isinstance(sock, socket.socket) else None


def read_body(raw: Any, deadline: float, limit: int = MAX_REPLY_BYTES) -> bytes:
    """The body of ``raw`` (a urllib3 response), read by ``time.monotonic()`` ``deadline``, at most ``limit`` bytes."""
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import ReadTimeoutError

    sock = _socket_of(raw)
    read1 = getattr(raw, 'read1', None)  # urllib3 2: one socket read at a time; 1.26: read
    decode = True
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise requests.exceptions.ReadTimeout('the reply did not arrive within the timeout (total)')
            if sock is not None:
                sock.settimeout(left)
            try:  # decoded (gzip, deflate) as ccxt would read it: the limit applies to what is decoded
                if read1 is None:
                    chunk = raw.read(_CHUNK, decode_content=True)
                elif decode:
                    try:
                        chunk = read1(_CHUNK, decode_content=True)
                    except TypeError:  # a stand-in response (vcrpy's) without the keyword: already decoded
                        decode = False
                        chunk = read1(_CHUNK)
                else:
                    chunk = read1(_CHUNK)
            except (TimeoutError, ReadTimeoutError) as error:
                raise requests.exceptions.ReadTimeout(f'the reply did not arrive within the timeout: {error}') from None
            except (OSError, Urllib3Error) as error:
                raise requests.exceptions.ConnectionError(f'Connection broken: {error}') from None
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise BadResponse(f'a reply of more than {limit} bytes, which no HTX TP/SL reply is: not read')
            parts.append(chunk)
    except BaseException:
        raw.close()  # a half-read connection is never reused
        raise
    raw.release_conn()
    body = b''.join(parts)
    try:  # ccxt decodes a body it does not take for text with a strict utf-8 decode
        body.decode()
    except UnicodeDecodeError:
        raise BadResponse('a reply that is not UTF-8 text, which every HTX reply is') from None
    return body


def install_sync_transport(exchange: Any) -> None:
    """Add the hooks to the exchange's ``requests`` session (ccxt creates one per exchange)."""
    session = getattr(exchange, 'session', None)
    hooks = getattr(session, 'hooks', None)
    if not isinstance(hooks, dict):
        return
    owner = weakref.ref(exchange)

    def read_tpsl_reply(response: Any, *args: Any, **kwargs: Any) -> Any:
        request = response.request
        found = owner()
        if found is None or response.is_redirect or _endpoints.from_url(request.url or '', request.method) is None:
            return response
        elapsed = response.elapsed.total_seconds() if response.elapsed is not None else 0.0
        deadline = time.monotonic() + max(0.0, found.timeout / 1000 - elapsed)
        response._content = read_body(response.raw, deadline)
        response._content_consumed = True
        return response

    chain = hooks.setdefault('response', [])
    if not any(getattr(hook, '_ccxt_htx_tpsl', False) for hook in chain):
        read_tpsl_reply._ccxt_htx_tpsl = True  # type: ignore[attr-defined]
        chain.extend([_keep_redirect, read_tpsl_reply])
        install_header_deadline(session)


async def _refuse_redirect(session: Any, context: Any, params: Any) -> None:
    """aiohttp ``on_request_redirect``: runs before aiohttp follows; a signed request stops here."""
    url = str(params.url)
    if signed(url):
        location = params.response.headers.get('Location', '(no Location)')
        raise ExchangeError(f'htx {params.method} {url.split("?", 1)[0]}: answered HTTP {params.response.status} '
                            f'redirecting to {location}; a signed request is never sent on to another address')


async def _refuse_huge_reply(session: Any, context: Any, params: Any) -> None:
    """aiohttp ``on_request_end`` (headers read): a declared size over the limit is refused unread."""
    url = str(params.url)
    length = params.response.headers.get('Content-Length')
    if _tpsl(params.method, url) and length is not None and length.isdigit() and int(length) > MAX_REPLY_BYTES:
        params.response.close()
        raise BadResponse(f'a reply of {length} bytes, which no HTX TP/SL reply is: not read')


async def _refuse_huge_body(session: Any, context: Any, params: Any) -> None:
    """aiohttp ``on_response_chunk_received`` (the whole body, once read): refused over the limit."""
    if len(params.chunk) > MAX_REPLY_BYTES and _tpsl(params.method, str(params.url)):
        raise BadResponse(f'a reply of {len(params.chunk)} bytes, which no HTX TP/SL reply is: not used')


def install_async_transport(session: Any) -> None:
    """Add the redirect and size guards to ccxt's aiohttp session (once)."""
    configs = getattr(session, '_trace_configs', None)
    if not isinstance(configs, list) or any(getattr(c, '_ccxt_htx_tpsl', False) for c in configs):
        return
    import aiohttp

    config = aiohttp.TraceConfig()
    config.on_request_redirect.append(_refuse_redirect)
    config.on_request_end.append(_refuse_huge_reply)
    config.on_response_chunk_received.append(_refuse_huge_body)
    config._ccxt_htx_tpsl = True  # type: ignore[attr-defined]
    config.freeze()
    configs.append(config)


# -- the header phase of a sync TP/SL request: a watchdog ------------------------------------------

_local = threading.local()


class Deadline:
    """The total deadline of one sync request (``time.monotonic()``), and whether it fired."""

    __slots__ = ('at', 'done', 'fired', 'sock')

    def __init__(self, at: float) -> None:
        self.at = at
        self.sock: socket.socket | None = None
        self.done = False
        self.fired = False

    def fire(self) -> None:
        if self.done:
            return
        self.fired = True
        if self.sock is not None:
            with contextlib.suppress(OSError):
                self.sock.shutdown(socket.SHUT_RDWR)  # the blocked read returns at once


class _Watchdog:
    """One daemon thread for the process, asleep until the earliest armed deadline."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []
        self._wake = threading.Condition(threading.Lock())
        self._order = itertools.count()
        self._armed = math.inf
        self._started = False

    def arm(self, deadline: Deadline) -> None:
        with self._wake:
            while self._heap and self._heap[0][2].done:
                heapq.heappop(self._heap)
            heapq.heappush(self._heap, (deadline.at, next(self._order), deadline))
            if not self._started:
                self._started = True
                threading.Thread(target=self._run, name='ccxt-htx-tpsl-deadline', daemon=True).start()
            if deadline.at < self._armed:
                self._armed = deadline.at
                self._wake.notify()

    def _run(self) -> None:
        with self._wake:
            while True:
                while self._heap and self._heap[0][2].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._armed = math.inf
                    self._wake.wait()
                    continue
                at = self._heap[0][0]
                left = at - time.monotonic()
                if left > 0:
                    self._armed = at
                    self._wake.wait(left)
                    continue
                heapq.heappop(self._heap)[2].fire()

    def after_fork(self) -> None:
        self.__init__()  # type: ignore[misc]  # the thread does not survive a fork


WATCHDOG = _Watchdog()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=WATCHDOG.after_fork)


@contextlib.contextmanager
def total_deadline(seconds: float) -> Iterator[Deadline]:
    """While a TP/SL request is sent on this thread: its status line and headers must come within ``seconds``."""
    deadline = Deadline(time.monotonic() + max(0.0, seconds))
    _local.deadline = deadline
    try:
        yield deadline
    finally:
        deadline.done = True
        _local.deadline = None


class _DeadlineConnection:
    """Hands the socket to the current request's deadline just before the status line is read."""

    sock: Any

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        deadline: Deadline | None = getattr(_local, 'deadline', None)
        if deadline is None or deadline.done:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        deadline.sock = self.sock
        WATCHDOG.arm(deadline)
        if time.monotonic() >= deadline.at:
            deadline.fire()
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


def _pool_classes() -> dict[str, type]:
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    http = type('DeadlineHTTPConnection', (_DeadlineConnection, HTTPConnection), {})
    https = type('DeadlineHTTPSConnection', (_DeadlineConnection, HTTPSConnection), {})
    return {'http': type('DeadlineHTTPConnectionPool', (HTTPConnectionPool,), {'ConnectionCls': http}),
            'https': type('DeadlineHTTPSConnectionPool', (HTTPSConnectionPool,), {'ConnectionCls': https})}


def install_header_deadline(session: Any) -> None:
    """Let the session's adapters hand their sockets to the watchdog (a no-op outside TP/SL requests)."""
    classes = _pool_classes()
    for adapter in getattr(session, 'adapters', {}).values():
        manager = getattr(adapter, 'poolmanager', None)
        if manager is not None and isinstance(getattr(manager, 'pool_classes_by_scheme', None), dict):
            manager.pool_classes_by_scheme = dict(classes)
