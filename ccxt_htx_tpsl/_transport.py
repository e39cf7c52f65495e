"""What the HTTP libraries do on their own that a TP/SL request must not.

- **Redirects**: a signed private request answered with a redirect is not followed (its signature
  would travel to another host). The sync class (``requests``) gets a response hook that keeps the
  3xx reply as the answer, which ``handle_errors`` turns into ``ExchangeError`` naming the target;
  the async class (``aiohttp``) gets a trace callback that raises that error before aiohttp follows.
- **Total deadline** (sync): ``requests`` applies ccxt's ``timeout`` to each read, so a server
  trickling a byte at a time keeps a call alive for ever. A :class:`TpslAdapter`, mounted in front of
  the session's adapters, sends a TP/SL request on a helper thread (the wrapped adapter's ``send``,
  then requests' own ``Response.content``) and waits for the whole reply at most ``timeout``:
  ``RequestTimeout`` after that, whatever phase the request is in; the helper stops reading at its
  next chunk and closes the connection. (aiohttp has a total timeout: ccxt sets it.)
- **Size**: no HTX TP/SL reply comes near :data:`MAX_REPLY_BYTES`; a larger one is refused with
  ``BadResponse`` while it is read (sync), or once read (async), and the request's outcome is unknown.

Replies are read through the libraries' public API only (urllib3's ``read1``, ``release_conn``,
``close``; requests' adapters, hooks and ``Response.content``; aiohttp's trace configs), never under
them: any reply a plain ccxt reads (``Connection: close``, HTTP/1.0, chunked, compressed, without
``Content-Length``) reads the same. The guards are module-level objects that hold no exchange, so a
pickled or deep-copied exchange keeps every one.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from ccxt.base.errors import BadResponse, ExchangeError
from requests.adapters import BaseAdapter

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


class _Call:
    """One sync TP/SL request, between the caller (who waits at most its budget) and the thread that sends it."""

    __slots__ = ('abandoned', 'deadline', 'done', 'error', 'lock', 'response')

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline  # time.monotonic()
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.abandoned = False  # the caller gave up: whatever arrives now is closed unread
        self.response: Any = None
        self.error: BaseException | None = None

    def over(self) -> bool:
        return self.abandoned or time.monotonic() >= self.deadline


class _Helpers:
    """The threads that send sync TP/SL requests: one per request in flight, each kept a while for the
    next one (a thread stuck on a hostile server is simply not idle; the caller never waits for it)."""

    IDLE_SECONDS = 30.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._idle: list[queue.SimpleQueue[Callable[[], None]]] = []

    def run(self, job: Callable[[], None]) -> None:
        """Run ``job`` (which handles its own errors) on an idle helper, or on a new one."""
        with self._lock:
            inbox = self._idle.pop() if self._idle else None
        if inbox is None:
            inbox = queue.SimpleQueue()
            threading.Thread(target=self._serve, args=(inbox,), name='ccxt-htx-tpsl-request', daemon=True).start()
        inbox.put(job)

    def _serve(self, inbox: queue.SimpleQueue[Callable[[], None]]) -> None:
        while True:
            try:
                job = inbox.get(timeout=self.IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    if inbox in self._idle:  # else a job is being handed over right now
                        self._idle.remove(inbox)
                        return
                continue
            job()
            with self._lock:
                self._idle.append(inbox)

    def after_fork(self) -> None:
        self.__init__()  # type: ignore[misc]  # the threads do not survive a fork


HELPERS = _Helpers()
if hasattr(os, 'register_at_fork'):
    os.register_at_fork(after_in_child=HELPERS.after_fork)


class _CappedBody:
    """A urllib3 response whose body requests reads (``stream``, as ``Response.content`` does) at most
    :data:`MAX_REPLY_BYTES` decoded bytes, one read at a time, until the request's deadline; any other
    attribute is the urllib3 response's own."""

    def __init__(self, raw: Any, call: _Call) -> None:
        self.__dict__['_raw_reply'] = raw
        self.__dict__['_tpsl_call'] = call

    def __getattr__(self, name: str) -> Any:
        if '_raw_reply' not in self.__dict__:
            raise AttributeError(name)
        return getattr(self.__dict__['_raw_reply'], name)

    def stream(self, amt: int | None = None, decode_content: bool | None = None) -> Iterator[bytes]:
        body = read_body(self.__dict__['_raw_reply'], self.__dict__['_tpsl_call'])
        if body:
            yield body


def read_body(raw: Any, call: _Call, limit: int = MAX_REPLY_BYTES) -> bytes:
    """The body of ``raw`` (a urllib3 response), decoded as ccxt reads it (gzip, deflate), at most
    ``limit`` bytes, read while ``call`` is not over (its deadline is checked between reads)."""
    import requests
    from urllib3.exceptions import HTTPError as Urllib3Error
    from urllib3.exceptions import ReadTimeoutError

    read1 = getattr(raw, 'read1', None)  # urllib3 2: returns after one read of the connection
    decode = True
    parts: list[bytes] = []
    size = 0
    try:
        while True:
            if call.over():
                raise requests.exceptions.ReadTimeout('the reply did not arrive within the timeout (total)')
            try:
                if read1 is None:  # urllib3 1.26: a read returns when its amount came (the caller's wait is bounded)
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
            except (OSError, Urllib3Error) as error:  # the outcome is unknown: ccxt's NetworkError
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


def _budget(timeout: Any) -> float | None:
    """The total budget (s) of a request from requests' ``timeout``: ccxt passes one number (its
    ``timeout`` / 1000); of a ``(connect, read)`` pair, the larger. None: no limit, as requests."""
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    numbers = [float(t) for t in parts if isinstance(t, int | float) and not isinstance(t, bool)]
    return max(numbers) if numbers else None


class TpslAdapter(BaseAdapter):
    """A requests transport adapter in front of the session's own (``session.mount``): a TP/SL request is
    sent by the wrapped adapter on a helper thread, and its body read there through :class:`_CappedBody`,
    while the caller waits at most ``timeout`` in all (ccxt's ``timeout``: requests applies it to each
    read, so a server trickling a byte at a time could hold a call for ever). If the reply is not
    complete by then the caller gets ``ReadTimeout`` (ccxt: ``RequestTimeout``) and the helper closes
    whatever arrives later unread. Any other request goes to the wrapped adapter as it is.

    Module-level and holding nothing but the wrapped adapter, it pickles and deep-copies with the session.
    """

    def __init__(self, inner: Any) -> None:
        super().__init__()
        self.inner = inner

    def send(self, request: Any, stream: bool = False, timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: Any = None) -> Any:
        import requests

        kwargs = {'timeout': timeout, 'verify': verify, 'cert': cert, 'proxies': proxies}
        budget = _budget(timeout)
        if budget is None or not _tpsl(request.method or '', request.url or ''):
            return self.inner.send(request, stream=stream, **kwargs)
        call = _Call(time.monotonic() + budget)
        HELPERS.run(lambda: self._send(call, request, kwargs))
        try:
            call.done.wait(budget)
        finally:  # also on Ctrl-C: whatever arrives later is closed unread
            with call.lock:
                call.abandoned = not call.done.is_set()
        if call.abandoned:
            raise requests.exceptions.ReadTimeout(f'no complete reply within the timeout ({budget:g} s in all)',
                                                  request=request)
        if call.error is not None:
            raise call.error
        return call.response

    def _send(self, call: _Call, request: Any, kwargs: dict[str, Any]) -> None:
        import requests

        response = error = None
        try:
            if call.over():  # the caller gave up before this helper started: the request is never sent
                raise requests.exceptions.ConnectTimeout('not sent: no helper within the timeout', request=request)
            response = self.inner.send(request, stream=True, **kwargs)
            response.raw = _CappedBody(response.raw, call)
            response.content  # noqa: B018  (read now, on this thread, within the deadline)
        except BaseException as failure:  # handed to the caller
            error = failure
        with call.lock:
            if call.abandoned:
                if response is not None:
                    response.close()
            else:
                call.response, call.error = response, error
            call.done.set()

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:  # e.g. max_retries, poolmanager: the wrapped adapter's
        if name == 'inner':
            raise AttributeError(name)
        return getattr(self.inner, name)


def install_sync_transport(exchange: Any) -> None:
    """Put the guards on the exchange's ``requests`` session (ccxt creates one per exchange): the redirect
    hook and, in front of each mounted adapter, a :class:`TpslAdapter`. Both are module-level objects that
    hold no reference to the exchange, so a pickled or deep-copied exchange keeps them."""
    session: Any = getattr(exchange, 'session', None)
    hooks = getattr(session, 'hooks', None)
    adapters = getattr(session, 'adapters', None)
    if not isinstance(hooks, dict) or not isinstance(adapters, dict) or not hasattr(session, 'mount'):
        return
    chain = hooks.setdefault('response', [])
    if _keep_redirect not in chain:
        chain.append(_keep_redirect)
    for prefix, adapter in list(adapters.items()):
        if not isinstance(adapter, TpslAdapter):
            session.mount(prefix, TpslAdapter(adapter))


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
    configs = getattr(session, 'trace_configs', None)  # aiohttp >= 3.9: the session's own list
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
