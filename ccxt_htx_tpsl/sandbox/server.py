"""The aiohttp application: gateway faults, signature checks, rate limits, routes and records.

A request goes: fault injection (like a CDN in front of HTX) -> route -> for private endpoints,
signature v2 -> per key and endpoint rate limit -> (classic endpoints) the migrated-account check
-> the endpoint. Every reply, faulted or not, is recorded and carries the ``X-HTX-TPSL-Sandbox``
header so recordings say where they came from.

The successor route (``/v5/...``) is signed exactly like the classic one (ccxt's ``sign()`` takes
the same branch for ``['contract', 'private']``: the four auth parameters are signed, the JSON
array body is not). It has its own rate window (``V5_RATE_LIMIT``) and answers in the v5 envelope
(``{"code", "message", "data", "ts"}``), including injected ``err_code`` faults. Signature refusals
keep the classic ``err_code`` 403 envelope on both routes: they come from the gateway in front of
both (unconfirmed for v5).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from . import auth, contracts
from .endpoints import PRIVATE, V5_PRIVATE, Action, V5Action
from .errors import (
    INPUT_ERROR,
    MIGRATED_ACCOUNT,
    RATE_LIMITED,
    V5_OK,
    HtxError,
    Json,
    error_body,
    message_for,
    now_ms,
    ok_body,
    v5_error_body,
    v5_ok_body,
)
from .faults import Fault, FaultInjector, gateway_page
from .ratelimit import RateDecision, SlidingWindowLimiter
from .records import RequestLog, RequestRecord, order_ids_in
from .state import OrderBook

SANDBOX_HEADER = 'X-HTX-TPSL-Sandbox'
SANDBOX_HEADER_VALUE = 'ccxt_htx_tpsl.sandbox'
PRIVATE_PREFIX = '/linear-swap-api/v1/'
PUBLIC_RATE_LIMIT = (240, 3000)  # per IP, what HTX's public contract endpoints report
# v5/algo/cancel_orders, per key. UNCONFIRMED for this endpoint: ccxt declares it with cost 0.41679 at
# rateLimit 100 ms (24/s), which is HTX's documented trade-interface budget of 72 per 3 s per UID.
V5_RATE_LIMIT = (72, 3000)
V5_PREFIX = '/v5/'


@dataclass
class SandboxContext:
    """Everything the handlers share; owned by :class:`Sandbox`."""

    book: OrderBook
    credentials: Mapping[str, str]
    limiter: SlidingWindowLimiter
    max_skew_seconds: float
    reset_style: str = 'epoch'
    faults: FaultInjector = field(default_factory=FaultInjector)
    log: RequestLog = field(default_factory=RequestLog)
    public_limiter: SlidingWindowLimiter = field(
        default_factory=lambda: SlidingWindowLimiter(*PUBLIC_RATE_LIMIT))
    v5_limiter: SlidingWindowLimiter = field(default_factory=lambda: SlidingWindowLimiter(*V5_RATE_LIMIT))
    migrated: set[str] = field(default_factory=set)  # keys the classic private endpoints refuse
    migrated_error: tuple[int, str] = (MIGRATED_ACCOUNT, message_for(MIGRATED_ACCOUNT))
    stopping: asyncio.Event = field(default_factory=asyncio.Event)

    async def pause(self, seconds: float | None) -> None:
        """Sleep ``seconds``, cut short when the server stops."""
        if seconds:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), seconds)

    def rate_headers(self, decision: RateDecision) -> dict[str, str]:
        """The ``ratelimit-*`` headers of a decision, in the configured reset style."""
        return decision.headers(self.reset_style)


@dataclass
class _Note:
    """What a handler tells the recording middleware about its request."""

    arrival: float
    err_code: int | None = None


_NOTE: ContextVar[_Note] = ContextVar('htx_sandbox_request')


def _json(payload: Json, headers: Mapping[str, str] | None = None, status: int = 200) -> web.Response:
    note = _NOTE.get(None)
    if note is not None and payload.get('status') == 'error':
        note.err_code = payload.get('err_code')
    elif note is not None and 'status' not in payload and payload.get('code', V5_OK) != V5_OK:
        note.err_code = payload.get('code')  # the v5 envelope
    text = json.dumps(payload, ensure_ascii=False, separators=(',', ':'))
    return web.Response(text=text, status=status, headers=headers, content_type='application/json')


def _spring_error(request: web.Request, exc: web.HTTPException) -> web.Response:
    """HTX's gateway answer for unknown paths and wrong methods (a Spring Boot error body)."""
    stamp = datetime.now(UTC).isoformat(timespec='milliseconds')
    body = {'timestamp': stamp, 'status': exc.status, 'error': exc.reason, 'path': request.path}
    headers = {'Allow': exc.headers['Allow']} if 'Allow' in exc.headers else None
    return _json(body, headers, exc.status)


def _fault_reply(fault: Fault, v5: bool) -> web.Response:
    if fault.http_status is not None:
        headers = {'Server': 'cloudflare', 'CF-RAY': f'{time.time_ns() & 0xFFFFFFFFFFFF:x}-SANDBOX'}
        return web.Response(text=gateway_page(fault.http_status), status=fault.http_status,
                            headers=headers, content_type='text/html')
    body = v5_error_body if v5 else error_body
    return _json(body(fault.err_code or 0, fault.message))


def _endpoint(path: str) -> str:
    return path.rstrip('/').rsplit('/', 1)[-1]


async def _body_order_ids(request: web.Request) -> list[str]:
    try:
        return order_ids_in(await request.read())
    except web.HTTPException:  # e.g. a body over aiohttp's size limit
        return []


def _gateway(ctx: SandboxContext) -> Middleware:
    @web.middleware
    async def gateway(request: web.Request, handler: Handler) -> web.StreamResponse:
        note = _Note(time.monotonic())
        token = _NOTE.set(note)
        try:
            fault = ctx.faults.take(_endpoint(request.path))
            late = None
            if fault is not None and fault.replaces_reply:
                await ctx.pause(fault.delay)
                response: web.StreamResponse = _fault_reply(fault, request.path.startswith(V5_PREFIX))
            else:
                late = fault.delay if fault is not None else None
                try:
                    response = await handler(request)
                except web.HTTPException as exc:
                    response = _spring_error(request, exc)
        finally:
            _NOTE.reset(token)
        response.headers[SANDBOX_HEADER] = SANDBOX_HEADER_VALUE
        ctx.log.append(RequestRecord(
            note.arrival, request.method, request.path, request.query.get('AccessKeyId'),
            _endpoint(request.path), response.status, note.err_code, await _body_order_ids(request)))
        await ctx.pause(late)  # a slow reply: the request took effect, the answer comes late
        return response

    return gateway


async def _any_json_body(request: web.Request, empty: Any = None) -> Any:
    """The parsed JSON body (any type; ``empty`` for a blank one); 1030 when it is not JSON."""
    text = await request.text()
    if not text.strip():
        return empty
    try:
        return json.loads(text)
    except ValueError:
        raise HtxError(INPUT_ERROR) from None


async def _json_body(request: web.Request) -> Json:
    body = await _any_json_body(request, {})
    if not isinstance(body, dict):
        raise HtxError(INPUT_ERROR)
    return body


def _private(ctx: SandboxContext, endpoint: str, action: Action) -> Handler:
    """A classic private endpoint: a JSON object body, the status envelope, the migration check."""
    return _signed(ctx, endpoint, action, ctx.limiter, _json_body, ok_body, error_body, classic=True)


def _private_v5(ctx: SandboxContext, path: str, action: V5Action) -> Handler:
    """A v5 endpoint: any JSON body (arrays), the code envelope, its own rate window."""
    return _signed(ctx, path, action, ctx.v5_limiter, _any_json_body, v5_ok_body, v5_error_body, classic=False)


def _signed(
    ctx: SandboxContext,
    key: str,
    action: Callable[[OrderBook, str, Any], Any],
    limiter: SlidingWindowLimiter,
    read_body: Callable[[web.Request], Awaitable[Any]],
    ok: Callable[[Any], Json],
    error: Callable[..., Json],
    *,
    classic: bool,
) -> Handler:
    """Signature v2, then the per key and endpoint rate window, then the endpoint."""

    async def handle(request: web.Request) -> web.StreamResponse:
        arrival = _NOTE.get().arrival
        try:
            api_key = auth.verify(request.method, request.host, request.path, request.query.items(),
                                  ctx.credentials, time.time(), ctx.max_skew_seconds)
        except auth.AuthError as exc:  # the gateway's answer: classic shape on every route
            presented = limiter.peek((request.query.get('AccessKeyId'), key), arrival)
            return _json(error_body(exc.code, exc.msg), ctx.rate_headers(presented))
        decision = limiter.acquire((api_key, key), arrival)
        headers = ctx.rate_headers(decision)
        if not decision.allowed:
            return _json(error(RATE_LIMITED), headers)
        if classic and api_key in ctx.migrated:  # checked after the rate window: the request reached the API
            return _json(error_body(*ctx.migrated_error), headers)
        try:
            payload = ok(action(ctx.book, api_key, await read_body(request)))
        except HtxError as exc:
            payload = error(exc.code, exc.msg)
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


def build_app(ctx: SandboxContext) -> web.Application:
    """The sandbox's aiohttp application over ``ctx``."""
    app = web.Application(middlewares=[_gateway(ctx)])
    app.router.add_get('/api/v1/timestamp', _timestamp)
    app.router.add_get(PRIVATE_PREFIX + 'swap_contract_info', _contract_info(ctx))
    for endpoint, action in PRIVATE.items():
        app.router.add_post(PRIVATE_PREFIX + endpoint, _private(ctx, endpoint, action))
    for path, v5_action in V5_PRIVATE.items():
        app.router.add_post('/' + path, _private_v5(ctx, path, v5_action))
    return app
