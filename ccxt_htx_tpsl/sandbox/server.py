"""The aiohttp application: latency, gateway faults, signature checks, rate limits, routes, records.

A request goes: simulated network latency (it *arrives* after the delay) -> fault injection (like a
CDN in front of HTX) -> route -> for private endpoints: signature v2 -> every rate window that
applies (:meth:`SandboxContext.windows`) -> the account-family check -> the body -> the endpoint.
Every reply carries the ``X-HTX-TPSL-Sandbox`` header and is recorded, except the sandbox's own
control endpoint (:mod:`.control`, ``POST /sandbox/mark_price``), which skips all of the above.

Two API families, each with its own envelope (:mod:`.errors`) and its own order book:

- classic ``POST /linear-swap-api/v1/swap_(cross_)tpsl_*``: an account in a unified mode gets
  ``protocol.CLASSIC_REFUSAL_FOR_UNIFIED`` (6023, observed) after the rate check;
- v5 ``POST /v5/algo/order``, ``GET /v5/algo/order``, ``GET /v5/algo/order/opens``,
  ``GET /v5/algo/order/history``, ``POST /v5/algo/cancel_orders``:
  a classic account gets ``protocol.V5_REFUSAL_FOR_CLASSIC`` (4007, ASSUMED) after the rate check;
  ``GET /v5/account/asset_mode`` answers every account.

Both are signed alike (ccxt's ``sign()`` takes the same branch for ``['contract', 'private']``: the
four auth parameters and, for a GET, the request parameters are signed, a JSON body is not).
Signature refusals keep the classic ``err_code`` 403 envelope on both families: they come from the
gateway in front of both (ASSUMED for v5). Anything else that reaches a path or method the sandbox
does not serve answers HTTP 404 (as HTX's gateway does) with ``errors.NOT_IMPLEMENTED`` (ASSUMED,
protocol.INPUT_ERROR) in the path's envelope, and an unexpected failure answers 1000
(protocol.SYSTEM_ERROR): never a success, an HTML page or a plain-text 500. No reply or log line
carries the query string (``AccessKeyId``, ``Signature``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from .. import protocol
from . import auth, contracts
from .accounts import ASSET_MODES, Accounts, family_of
from .control import CONTROL_ROUTES, MARK_PRICE_PATH, MarkPrice, mark_price_handler
from .endpoints import PRIVATE, READS, Action
from .errors import (
    CLASSIC_ENVELOPE,
    CLASSIC_REFUSAL,
    INPUT_ERROR,
    NOT_FOUND_STATUS,
    NOT_IMPLEMENTED,
    RATE_LIMITED,
    SYSTEM_ERROR,
    V5_ENVELOPE,
    V5_OK,
    V5_REFUSAL,
    HtxError,
    Json,
    envelope_for,
    error_body,
    error_in,
    now_ms,
    ok_body,
    v5_error_body,
    v5_ok_body,
)
from .faults import Fault, FaultInjector, gateway_page
from .latency import Latency
from .ratelimit import RateDecision, RateLimiter, SlidingWindowLimiter, Window
from .records import RequestLog, RequestRecord, order_ids_in
from .state import AlgoBook, OrderBook
from .v5 import V5_PRIVATE, V5Action


class RedactCredentials(logging.Filter):
    """Masks ``AccessKeyId`` and ``Signature`` values in a record's message and traceback."""

    PATTERN = re.compile(r'(AccessKeyId|Signature)(=|%3D)[^&\s\'"\\]*', re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.PATTERN.sub(r'\1\2***', record.getMessage()), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.PATTERN.sub(r'\1\2***', record.exc_text)
        record.exc_info = None  # formatters print exc_text, now redacted
        return True


logger = logging.getLogger('ccxt_htx_tpsl.sandbox')
"""The sandbox's own log: unexpected failures (method and path only)."""
http_logger = logging.getLogger('ccxt_htx_tpsl.sandbox.http')
"""aiohttp's connection-level errors (e.g. a request line it cannot parse), credentials masked."""
for _logger in (logger, http_logger):
    _logger.addFilter(RedactCredentials())

SANDBOX_HEADER = 'X-HTX-TPSL-Sandbox'
SANDBOX_HEADER_VALUE = 'ccxt_htx_tpsl.sandbox'
PRIVATE_PREFIX = '/linear-swap-api/v1/'
PUBLIC_RATE_LIMIT = (240, 3000)  # per IP, what HTX's public contract endpoints report
ASSET_MODE_PATH = 'v5/account/asset_mode'
ASSET_MODE_KEYS = protocol.ASSET_MODE_KEYS
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
_MAX_PATH_IN_MESSAGE = 200


@dataclass
class SandboxContext:
    """Everything the handlers share; owned by :class:`Sandbox`."""

    book: OrderBook
    algo_book: AlgoBook
    accounts: Accounts
    max_skew_seconds: float
    classic_rate: tuple[int, int] = protocol.CLASSIC_TPSL_RATE
    uid_trade_rate: tuple[int, int] = protocol.UID_TRADE_RATE
    uid_read_rate: tuple[int, int] = protocol.UID_READ_RATE
    v5_rate: tuple[int, int] | None = None
    reset_style: str = 'epoch'
    count_refused: bool = False
    latency: Latency = field(default_factory=lambda: Latency(None))
    migrated_error: tuple[int, str] = CLASSIC_REFUSAL
    v5_refusal: tuple[int, str] = V5_REFUSAL
    asset_mode_key: str = 'assets_mode'
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    faults: FaultInjector = field(default_factory=FaultInjector)
    log: RequestLog = field(default_factory=RequestLog)
    mark_price: MarkPrice | None = None  # POST /sandbox/mark_price (control.py), served when set
    limiter: RateLimiter = field(init=False)
    public_limiter: SlidingWindowLimiter = field(init=False)
    uid_trade: Window = field(init=False)
    uid_read: Window = field(init=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.count_refused)
        self.public_limiter = SlidingWindowLimiter(*PUBLIC_RATE_LIMIT, count_refused=self.count_refused)
        self.uid_trade = Window('uid-trade', *self.uid_trade_rate)
        self.uid_read = Window('uid-read', *self.uid_read_rate)
        Window('classic', *self.classic_rate)  # validates
        if self.v5_rate is not None:
            Window('v5', *self.v5_rate)

    def endpoint_window(self, family: str, endpoint: str) -> Window | None:
        """The per-endpoint window of a private endpoint (classic TP/SL always; v5 when ``v5_rate``)."""
        if family == protocol.CLASSIC:
            return Window(f'v1:{endpoint}', *self.classic_rate)
        return Window(f'v5:{endpoint}', *self.v5_rate) if self.v5_rate is not None else None

    def windows(self, route: Route, uid: str) -> list[tuple[Window, Hashable]]:
        """Every window a request of ``uid`` to ``route`` is counted in, the per-endpoint one first."""
        budget = self.uid_read if route.read else self.uid_trade
        found: list[tuple[Window, Hashable]] = [(budget, uid)]
        if route.window is not None:
            found.insert(0, (route.window, uid))
        return found

    async def pause(self, seconds: float | None) -> None:
        """Sleep ``seconds``, cut short when the server stops."""
        if seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), seconds)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        """The ``ratelimit-*`` headers of a decision, in the configured reset style."""
        return decision.headers(self.reset_style)


@dataclass(frozen=True)
class Caller:
    """The account behind a signed request."""

    api_key: str
    uid: str
    mode: str


Run = Callable[[SandboxContext, Caller, Any], Json]


@dataclass(frozen=True)
class Route:
    """A private endpoint: its family (envelope, account check), budget, window, input and action."""

    family: str  # protocol.CLASSIC or protocol.V5
    endpoint: str  # the fault and record key: the last path segment
    read: bool  # counted against the UID read budget (else the trade budget)
    window: Window | None  # its own per-endpoint window, if any
    payload: Callable[[web.Request, int], Awaitable[Any]]
    run: Run
    family_checked: bool = True

    @property
    def envelope(self) -> str:
        return CLASSIC_ENVELOPE if self.family == protocol.CLASSIC else V5_ENVELOPE


@dataclass
class _Note:
    """What a handler tells the recording middleware about its request."""

    arrival: float
    latency_ms: float = 0.0
    err_code: int | None = None
    uid: str | None = None
    mode: str | None = None


_NOTE: ContextVar[_Note] = ContextVar('htx_sandbox_request')


def _json(payload: Json, headers: Mapping[str, str] | None = None, status: int = 200) -> web.Response:
    note = _NOTE.get(None)
    if note is not None and payload.get('status') == 'error':
        note.err_code = payload.get('err_code')
    elif note is not None and 'status' not in payload and payload.get('code', V5_OK) != V5_OK:
        note.err_code = payload.get('code')  # the v5 envelope
    text = json.dumps(payload, ensure_ascii=False, separators=(',', ':'))
    return web.Response(text=text, status=status, headers=headers, content_type='application/json')


def _fault_reply(fault: Fault, envelope: str) -> web.Response:
    if fault.http_status is not None:
        headers = {'Server': 'cloudflare', 'CF-RAY': f'{time.time_ns() & 0xFFFFFFFFFFFF:x}-SANDBOX'}
        return web.Response(text=gateway_page(fault.http_status), status=fault.http_status,
                            headers=headers, content_type='text/html')
    return _json(error_in(envelope, fault.err_code or 0, fault.message))


def not_implemented_message(method: str, path: str) -> str:
    """The answer text for a path or method the sandbox does not serve (never the query string).

    Sent with HTTP ``errors.NOT_FOUND_STATUS`` (404) and ``errors.NOT_IMPLEMENTED`` in the path's
    envelope: HTX's gateway answers unknown paths with a 404; its body is UNCONFIRMED.
    """
    shown = path if len(path) <= _MAX_PATH_IN_MESSAGE else path[:_MAX_PATH_IN_MESSAGE] + '...'
    return f'not implemented by the sandbox: {method} {shown}'


def _unrouted(request: web.Request, exc: web.HTTPException) -> web.Response:
    """HTX's error JSON in the path's envelope, for what routing or aiohttp refused: HTTP 404 for a
    path or method the sandbox does not serve (never a success), else HTTP 200."""
    envelope = envelope_for(request.path)
    if exc.status in (404, 405):
        return _json(error_in(envelope, NOT_IMPLEMENTED, not_implemented_message(request.method, request.path)),
                     status=NOT_FOUND_STATUS)
    return _json(error_in(envelope, INPUT_ERROR if exc.status < 500 else SYSTEM_ERROR))


def _endpoint(path: str) -> str:
    return path.rstrip('/').rsplit('/', 1)[-1]


async def _body_order_ids(request: web.Request) -> list[str]:
    if request.method != 'POST':
        return []
    try:
        return order_ids_in(await request.read())
    except Exception:  # e.g. a body over the size limit, a dropped connection
        return []


def _gateway(ctx: SandboxContext) -> Middleware:
    @web.middleware
    async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
        if ctx.mark_price is not None and (request.method, request.path) in CONTROL_ROUTES:
            control = await handler(request)  # the harness, not HTX traffic: no latency, fault or record
            control.headers[SANDBOX_HEADER] = SANDBOX_HEADER_VALUE
            return control
        delay_ms = ctx.latency.draw_ms()
        if delay_ms:
            await ctx.pause(delay_ms / 1000)  # the network: the request arrives (and is counted) after it
        note = _Note(time.monotonic(), delay_ms)
        token = _NOTE.set(note)
        late: float | None = None
        drop = False
        try:
            fault = ctx.faults.take(_endpoint(request.path))
            if fault is not None and fault.replaces_reply:
                await ctx.pause(fault.delay)
                response: web.StreamResponse = _fault_reply(fault, envelope_for(request.path))
            else:
                late = fault.delay if fault is not None else None
                drop = fault is not None and fault.drop
                try:
                    response = await handler(request)
                except web.HTTPException as exc:
                    response = _unrouted(request, exc)
        except Exception:  # a bug anywhere above: HTX's 1000, never aiohttp's plain-text 500
            logger.exception('sandbox: unexpected error answering %s %s', request.method, request.path)
            response = _json(error_in(envelope_for(request.path), SYSTEM_ERROR))
        finally:
            _NOTE.reset(token)
        response.headers[SANDBOX_HEADER] = SANDBOX_HEADER_VALUE
        ctx.log.append(RequestRecord(
            note.arrival, request.method, request.path, request.query.get('AccessKeyId'),
            _endpoint(request.path), response.status, note.err_code, await _body_order_ids(request),
            note.uid, note.mode, delay_ms))
        await ctx.pause(late)  # a slow reply: the request took effect, the answer comes late
        if drop and request.transport is not None:  # the request took effect; its answer is lost
            request.transport.close()
            await asyncio.sleep(0.5)  # aiohttp sees the connection gone and sends nothing
        return response

    return gateway


async def _json_payload(request: web.Request, max_bytes: int, empty: Any = None) -> Any:
    """The parsed JSON body (``empty`` when blank); 1030 when over the size limit, not UTF-8 or not JSON."""
    try:
        raw = await request.read()
    except web.HTTPException:  # HTTPRequestEntityTooLarge: over client_max_size
        raise HtxError(INPUT_ERROR) from None
    if len(raw) > max_bytes:
        raise HtxError(INPUT_ERROR)
    try:
        text = raw.decode('utf-8')
        return json.loads(text) if text.strip() else empty
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise HtxError(INPUT_ERROR) from None


async def _object_payload(request: web.Request, max_bytes: int) -> Json:
    body = await _json_payload(request, max_bytes, {})
    if not isinstance(body, dict):
        raise HtxError(INPUT_ERROR)
    return body


async def _query_payload(request: web.Request, max_bytes: int) -> Json:
    """A GET's parameters without the four auth parameters and the signature."""
    return {k: v for k, v in request.query.items() if k not in auth.REQUIRED}


def _classic_run(action: Action) -> Run:
    def run(ctx: SandboxContext, caller: Caller, payload: Any) -> Json:
        return ok_body(action(ctx.book, caller.uid, payload))

    return run


def _v5_run(action: V5Action) -> Run:
    def run(ctx: SandboxContext, caller: Caller, payload: Any) -> Json:
        return v5_ok_body(action(ctx.algo_book, caller.uid, payload))

    return run


def _asset_mode(ctx: SandboxContext, caller: Caller, payload: Any) -> Json:
    """``GET /v5/account/asset_mode``, shaped like HTX's doc example: ``msg``, ``data.assets_mode``
    (``Sandbox(asset_mode_key='asset_mode')`` for what every SDK reads; which one is live is unconfirmed)."""
    return v5_ok_body({ctx.asset_mode_key: ASSET_MODES[caller.mode]}, message_key='msg')


def _private(ctx: SandboxContext, route: Route) -> Handler:
    """Signature v2, then every rate window, then the account family, then the endpoint."""

    async def handle(request: web.Request) -> web.StreamResponse:
        note = _NOTE.get()
        try:
            api_key = auth.verify(request.method, request.host, request.path, request.query.items(),
                                  ctx.accounts.credentials, time.time(), ctx.max_skew_seconds)
        except auth.AuthError as exc:  # the gateway's answer: classic shape on every route
            uid = ctx.accounts.uid(request.query.get('AccessKeyId') or '')
            presented = ctx.limiter.peek(ctx.windows(route, uid), note.arrival)
            return _json(error_body(exc.code, exc.msg), ctx.rate_headers(presented))
        caller = Caller(api_key, ctx.accounts.uid(api_key), ctx.accounts.mode(api_key))
        note.uid, note.mode = caller.uid, caller.mode
        decision = ctx.limiter.acquire(ctx.windows(route, caller.uid), note.arrival)
        headers = ctx.rate_headers(decision)
        if not decision.allowed:
            return _json(error_in(route.envelope, RATE_LIMITED), headers)
        family = family_of(caller.mode)
        if route.family == protocol.CLASSIC and family != protocol.CLASSIC:
            return _json(error_body(*ctx.migrated_error), headers)
        if route.family == protocol.V5 and route.family_checked and family == protocol.CLASSIC:
            return _json(v5_error_body(*ctx.v5_refusal, message_key='msg'), headers)
        try:
            payload = route.run(ctx, caller, await route.payload(request, ctx.max_body_bytes))
        except HtxError as exc:
            payload = error_in(route.envelope, exc.code, exc.msg)
        except Exception:
            logger.exception('sandbox: unexpected error answering %s %s', request.method, request.path)
            payload = error_in(route.envelope, SYSTEM_ERROR)
        return _json(payload, headers)

    return handle


def _contract_info(ctx: SandboxContext) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        decision = ctx.public_limiter.acquire(request.remote, _NOTE.get().arrival)
        headers = ctx.rate_headers(decision)
        if not decision.allowed:
            return _json(error_body(RATE_LIMITED), headers)
        try:
            return _json(ok_body(contracts.contract_info(request.query)), headers)
        except HtxError as exc:
            return _json(error_body(exc.code, exc.msg), headers)

    return handle


async def _timestamp(request: web.Request) -> web.StreamResponse:
    return _json({'status': 'ok', 'ts': now_ms()})


def routes(ctx: SandboxContext) -> dict[tuple[str, str], Route]:
    """Every private route by (method, path)."""
    found: dict[tuple[str, str], Route] = {}
    for endpoint, action in PRIVATE.items():
        found['POST', PRIVATE_PREFIX + endpoint] = Route(
            protocol.CLASSIC, endpoint, endpoint in READS, ctx.endpoint_window(protocol.CLASSIC, endpoint),
            _object_payload, _classic_run(action))
    for (method, path), (v5_action, read) in V5_PRIVATE.items():
        endpoint = _endpoint(path)
        found[method, '/' + path] = Route(
            protocol.V5, endpoint, read, ctx.endpoint_window(protocol.V5, endpoint),
            _query_payload if method == 'GET' else _json_payload, _v5_run(v5_action))
    endpoint = _endpoint(ASSET_MODE_PATH)
    found['GET', '/' + ASSET_MODE_PATH] = Route(
        protocol.V5, endpoint, True, ctx.endpoint_window(protocol.V5, endpoint), _query_payload, _asset_mode,
        family_checked=False)
    return found


class GuardedRequestHandler(web.RequestHandler):
    """aiohttp's connection handler, answering what never reaches the application (a request line or
    headers it cannot parse, a failure outside the middleware) with HTX's error JSON instead of a
    plain-text page that would echo the request line, query string included."""

    def handle_error(self, request: web.BaseRequest, status: int = 500, exc: BaseException | None = None,
                     message: str | None = None) -> web.StreamResponse:
        super().handle_error(request, status, exc, message)  # logs through http_logger (masked); may raise
        code = SYSTEM_ERROR if status >= 500 else INPUT_ERROR
        text = json.dumps(error_body(code), separators=(',', ':'))
        response = web.Response(status=status, text=text, content_type='application/json',
                                headers={SANDBOX_HEADER: SANDBOX_HEADER_VALUE})
        response.force_close()
        return response


HANDLER_OPTIONS: dict[str, Any] = {'access_log': None, 'logger': http_logger}
"""What every connection handler is built with: no access log, the masking logger."""


def build_app(ctx: SandboxContext) -> web.Application:
    """The sandbox's aiohttp application over ``ctx``."""
    # aiohttp refuses bodies over client_max_size while reading them; the handler answers 1030
    app = web.Application(middlewares=[_gateway(ctx)], client_max_size=ctx.max_body_bytes)
    app.router.add_get('/api/v1/timestamp', _timestamp)
    app.router.add_get(PRIVATE_PREFIX + 'swap_contract_info', _contract_info(ctx))
    for (method, path), route in routes(ctx).items():
        app.router.add_route(method, path, _private(ctx, route))
    if ctx.mark_price is not None:
        app.router.add_post(MARK_PRICE_PATH, mark_price_handler(ctx.mark_price))
    return app
