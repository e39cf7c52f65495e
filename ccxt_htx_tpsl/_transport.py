"""What the HTTP libraries do on their own that a TP/SL request must not.

- **Redirects**: a signed private request answered with a redirect is not followed (its signature
  would travel to another host). The sync class (``requests``) gets a response hook that keeps the
  3xx reply as the answer, which ``handle_errors`` turns into ``ExchangeError`` naming the target;
  the async class (``aiohttp``) gets a trace callback that raises that error before aiohttp follows.
- **Total deadline** (sync): ``requests`` applies ccxt's ``timeout`` to each read, so a server
  trickling a byte at a time keeps a call alive for ever. The hook reads a TP/SL reply's body
  itself, one socket read at a time, each bounded by what is left of ``timeout`` since the request
  was sent: ``RequestTimeout`` when it runs out. (aiohttp has a total timeout: ccxt sets it.)
- **Size**: no HTX TP/SL reply comes near :data:`MAX_REPLY_BYTES`; a larger one is refused with
  ``BadResponse`` while it is read (sync), or once read (async), and the request's outcome is unknown.
"""

from __future__ import annotations

import socket
import time
import weakref
from typing import Any

from ccxt.base.errors import BadResponse, ExchangeError

from . import _endpoints

MAX_REPLY_BYTES = 4 * 2**20
"""The largest TP/SL reply read (4 MiB; a 100-order page is about 50 KB)."""
_CHUNK = 65536

NOT_FOLLOWED = 'X-Ccxt-Htx-Tpsl-Not-Followed'  # where a refused redirect's Location is kept


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
    read = getattr(raw, 'read1', None) or raw.read
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise requests.exceptions.ReadTimeout('the reply did not arrive within the timeout (total)')
            if sock is not None:
                sock.settimeout(left)
            try:
                chunk = read(_CHUNK)
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
    if signed(url) and length is not None and length.isdigit() and int(length) > MAX_REPLY_BYTES:
        params.response.close()
        raise BadResponse(f'a reply of {length} bytes, which no HTX TP/SL reply is: not read')


async def _refuse_huge_body(session: Any, context: Any, params: Any) -> None:
    """aiohttp ``on_response_chunk_received`` (the whole body, once read): refused over the limit."""
    if signed(str(params.url)) and len(params.chunk) > MAX_REPLY_BYTES:
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
