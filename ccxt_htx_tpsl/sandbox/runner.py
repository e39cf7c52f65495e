"""The :class:`Sandbox`: its lifecycle (background thread, asyncio, foreground) and test controls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from types import TracebackType
from typing import Any

from aiohttp import web

from .. import protocol
from . import contracts
from .accounts import CLASSIC_MODE, UNIFIED_MODE, UNIFIED_SINGLE_MODE, Accounts
from .contracts import Contract
from .errors import CLASSIC_REFUSAL, V5_REFUSAL
from .faults import Fault
from .latency import Latency
from .ratelimit import RESET_STYLES, Window
from .records import RequestLog, RequestRecord
from .server import (
    ASSET_MODE_KEYS,
    DEFAULT_MAX_BODY_BYTES,
    HANDLER_OPTIONS,
    GuardedRequestHandler,
    SandboxContext,
    build_app,
)
from .state import (
    ALGO_TYPES,
    DEFAULT_FIRE_FAILURE,
    POSITION_SIDES,
    SIDES,
    AlgoBook,
    AlgoLeg,
    AlgoSpec,
    OrderBook,
    check_choice,
    check_margin,
    default_trigger,
    price_text,
)
from .v5 import MAX_CLIENT_ID_LENGTH

DEMO_API_KEY = 'demo0000-sandbox0-htxtpsl0-00001'
DEMO_SECRET = 'demo0000-secret00-htxtpsl0-00001'
SHUTDOWN_TIMEOUT = 2.0  # seconds granted to in-flight requests on stop (delays are cut short)


def exchange_config(hostname: str, api_key: str = DEMO_API_KEY, secret: str = DEMO_SECRET) -> dict[str, Any]:
    """A ccxt config pointing ``ccxt.htx`` at ``hostname``; ``load_markets()`` then only calls
    ``swap_contract_info`` (linear markets only, no currencies)."""
    return {
        'apiKey': api_key,
        'secret': secret,
        'urls': {'hostnames': {'contract': hostname}, 'api': {'contract': 'http://{hostname}'}},
        'options': {'fetchMarkets': {'types': {'spot': False, 'linear': True, 'inverse': False}}},
        'has': {'fetchCurrencies': False},
    }


def _listen(host: str, port: int) -> socket.socket:
    """A bound (not yet listening) TCP socket; resolving here keeps asyncio's executor unused."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        if os.name == 'posix':
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class Sandbox:
    """An embedded HTX USDT-margined swap server for the classic and v5 TP/SL endpoints.

    ``start()`` serves from a background thread with its own event loop; ``start_async()`` serves
    inside the running loop; ``serve_forever()`` serves in the foreground until SIGINT/SIGTERM.
    State (orders, rate windows, faults, records) lives in memory.

    Accounts: each key of ``credentials`` belongs to a UID (``uids``; default: each key its own)
    and has an account mode (:data:`~.accounts.ACCOUNT_MODES`: ``account_mode`` for every key, overridden per
    key by ``account_modes`` or :meth:`set_account_mode`). A ``'classic'`` key may only use the
    classic ``/linear-swap-api/v1/swap_(cross_)tpsl_*`` endpoints, a ``'unified'`` or
    ``'unified-single'`` key only the v5 ones (``/v5/algo/order``, ``.../order/opens``,
    ``.../order/history``, ``.../cancel_orders``); ``GET /v5/account/asset_mode`` answers all.
    Finished orders show in the history endpoints; :meth:`set_mark_price` fires waiting ones. Orders belong to the UID,
    in two books that never mix (a classic ``order_id`` is no ``algo_id``).

    Rate limits, counted by arrival and per UID (every key of it): ``uid_trade_rate`` for every
    trade request and ``uid_read_rate`` for every read, plus ``rate_limit`` per
    ``rate_interval_ms`` per classic TP/SL endpoint, and ``v5_rate_limit=(n, ms)`` per v5 endpoint
    if given. A request passes only if each window has room; refused ones are not counted unless
    ``count_refused``. ``latency=(low, high)`` ms delays every request before it is counted and
    handled (``latency_seed`` makes the delays repeatable).

    Memory stays flat: :attr:`requests` keeps the last ``max_records``, each book the last
    ``max_closed_orders`` closed orders, the rate limiter only the current windows.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = '127.0.0.1',
        credentials: Mapping[str, str] | None = None,
        rate_limit: int = protocol.CLASSIC_TPSL_RATE[0],
        rate_interval_ms: int = protocol.CLASSIC_TPSL_RATE[1],
        max_skew_seconds: float = 300,
        *,
        account_mode: str = UNIFIED_MODE,
        account_modes: Mapping[str, str] | None = None,
        uids: Mapping[str, str | int] | None = None,
        uid_trade_rate: tuple[int, int] = protocol.UID_TRADE_RATE,
        uid_read_rate: tuple[int, int] = protocol.UID_READ_RATE,
        v5_rate_limit: tuple[int, int] | None = None,
        count_refused: bool = False,
        rate_reset: str = 'epoch',
        latency: tuple[float, float] | None = None,
        latency_seed: int | None = None,
        migrated_keys: Iterable[str] = (),
        migrated_error: tuple[int, str] | None = None,
        v5_refusal: tuple[int, str] | None = None,
        asset_mode_key: str = 'assets_mode',
        max_records: int = 10_000,
        max_closed_orders: int = 10_000,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        """See the class docstring; every argument is checked here (ValueError naming the choices).

        ``migrated_error`` is the ``(code, message)`` the classic endpoints answer a unified key
        (default ``protocol.CLASSIC_REFUSAL_FOR_UNIFIED``, 6023), ``v5_refusal`` what the v5 algo
        endpoints answer a classic key (default ``protocol.V5_REFUSAL_FOR_CLASSIC``, 4007, ASSUMED).
        ``asset_mode_key`` is the ``data`` key of ``GET /v5/account/asset_mode``: ``'assets_mode'``
        (HTX's doc example) or ``'asset_mode'`` (what every SDK reads). ``migrated_keys`` sets
        those keys to ``'unified'`` (an alias of ``account_modes``).
        """
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f'port must be 1-65535, or 0 for any free port; got {port!r}')
        if rate_reset not in RESET_STYLES:
            raise ValueError(f'rate_reset must be one of {RESET_STYLES}, got {rate_reset!r}')
        if asset_mode_key not in ASSET_MODE_KEYS:
            raise ValueError(f'asset_mode_key must be one of {list(ASSET_MODE_KEYS)}, got {asset_mode_key!r}')
        if max_body_bytes < 1:
            raise ValueError(f'max_body_bytes must be >= 1, got {max_body_bytes}')
        modes = {key: UNIFIED_MODE for key in migrated_keys}
        modes.update(account_modes or {})
        accounts = Accounts(credentials if credentials is not None else {DEMO_API_KEY: DEMO_SECRET},
                            uids=uids, default_mode=account_mode, modes=modes)
        Window('rate_limit', rate_limit, rate_interval_ms)  # raises ValueError when out of range
        self.host = host
        self._port = port
        self._ctx = SandboxContext(
            OrderBook(max_closed_orders),
            AlgoBook(max_closed_orders),
            accounts,
            max_skew_seconds,
            classic_rate=(rate_limit, rate_interval_ms),
            uid_trade_rate=_rate('uid_trade_rate', uid_trade_rate),
            uid_read_rate=_rate('uid_read_rate', uid_read_rate),
            v5_rate=_rate('v5_rate_limit', v5_rate_limit) if v5_rate_limit is not None else None,
            reset_style=rate_reset,
            count_refused=count_refused,
            latency=Latency(latency, latency_seed),
            migrated_error=_code_and_message('migrated_error', migrated_error, CLASSIC_REFUSAL),
            v5_refusal=_code_and_message('v5_refusal', v5_refusal, V5_REFUSAL),
            asset_mode_key=asset_mode_key,
            max_body_bytes=max_body_bytes,
            log=RequestLog(max_records),
            mark_price=self._mark_price_reply,
        )
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._listener: asyncio.Server | None = None
        self._bound_port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None  # set when the sandbox owns its loop
        self._thread: threading.Thread | None = None
        self._prices: dict[str, Decimal] = {}
        self._prices_lock = threading.Lock()

    # -- addresses ---------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one until started)."""
        port = self._bound_port if self._bound_port is not None else self._port
        if not port:
            raise RuntimeError('port 0 is chosen at start(): start the sandbox first')
        return port

    @property
    def hostname(self) -> str:
        """``host:port``, what ccxt signs as the host (``urls.hostnames.contract``)."""
        host = f'[{self.host}]' if ':' in self.host else self.host
        return f'{host}:{self.port}'

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f'http://{self.hostname}'

    def exchange_config(self, api_key: str = DEMO_API_KEY, secret: str = DEMO_SECRET) -> dict[str, Any]:
        """A ccxt config dict pointing ``ccxt.htx`` at this sandbox."""
        return exchange_config(self.hostname, api_key, secret)

    # -- lifecycle ---------------------------------------------------------------------------

    async def _open(self) -> None:
        if self._runner is not None:
            raise RuntimeError('the sandbox is already running')
        self._ctx.stopping = asyncio.Event()
        sock = _listen(self.host, self._port)
        runner = web.AppRunner(build_app(self._ctx), handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT,
                               **HANDLER_OPTIONS)
        loop = asyncio.get_running_loop()
        listener: asyncio.Server | None = None
        try:
            await runner.setup()
            manager = runner.server
            if manager is None:
                raise RuntimeError('aiohttp did not set up its server')
            # aiohttp's SockSite, with connection handlers that answer unparseable requests in JSON
            listener = await loop.create_server(
                lambda: GuardedRequestHandler(manager, loop=loop, **HANDLER_OPTIONS), sock=sock, backlog=128)
        except BaseException:
            if listener is not None:
                listener.close()
            await runner.cleanup()
            sock.close()
            raise
        self._runner, self._sock, self._listener = runner, sock, listener
        self._bound_port = sock.getsockname()[1]
        self._loop = loop

    async def _close(self) -> None:
        runner, sock, listener = self._runner, self._sock, self._listener
        if runner is None:
            return
        self._runner = self._sock = self._listener = None
        self._ctx.stopping.set()
        try:
            if listener is not None:
                listener.close()  # no new connections
            await runner.cleanup()  # closes the open ones, granting SHUTDOWN_TIMEOUT to requests in flight
            if listener is not None:
                await listener.wait_closed()
        finally:
            if sock is not None:
                sock.close()
            self._loop = self._halt = None

    async def start_async(self) -> Sandbox:
        """Serve inside the running event loop (no thread); returns self."""
        await self._open()
        return self

    async def stop_async(self) -> None:
        """Stop serving; idempotent. Also stops a sandbox started with :meth:`start`."""
        if self._thread is not None:
            await asyncio.to_thread(self.stop)
        else:
            await self._close()

    def start(self) -> Sandbox:
        """Serve from a background thread with its own event loop; returns self."""
        if self._loop is not None or self._thread is not None:
            raise RuntimeError('the sandbox is already running')
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run_thread, args=(ready, failure),
                                        name=f'htx-sandbox-{id(self):x}', daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def _run_thread(self, ready: threading.Event, failure: list[BaseException]) -> None:
        async def main() -> None:
            try:
                await self._open()
                self._halt = halt = asyncio.Event()
            except BaseException as exc:  # handed to start(), which re-raises it
                failure.append(exc)
                return
            finally:
                ready.set()
            try:
                await halt.wait()
            finally:
                await self._close()

        try:
            asyncio.run(main())
        finally:
            ready.set()

    def stop(self) -> None:
        """Stop serving and release the port, thread and loop; idempotent."""
        loop, halt, thread = self._loop, self._halt, self._thread
        if thread is not None:
            if halt is not None and loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop already finished
                    loop.call_soon_threadsafe(halt.set)
            if thread is not threading.current_thread():
                thread.join()
                self._thread = None
            return
        if loop is None:
            return
        if halt is not None:  # serve_forever(): let it shut down
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(halt.set)
            return
        if _running_loop() is loop:
            raise RuntimeError('started with start_async(): use `await sandbox.stop_async()`')
        asyncio.run_coroutine_threadsafe(self._close(), loop).result()

    def serve_forever(self, on_ready: Callable[[Sandbox], object] | None = None) -> None:
        """Serve in the foreground until KeyboardInterrupt or SIGTERM (or stop()), then stop.

        ``on_ready(self)`` runs once the port is bound (e.g. to print :attr:`url`).
        """

        async def main() -> None:
            await self._open()
            self._halt = halt = asyncio.Event()
            if on_ready is not None:
                on_ready(self)
            loop = asyncio.get_running_loop()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signal.SIGTERM, halt.set)
            try:
                await halt.wait()
            finally:
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(signal.SIGTERM)
                await self._close()

        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main())

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    async def __aenter__(self) -> Sandbox:
        return await self.start_async()

    async def __aexit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop_async()

    # -- accounts ------------------------------------------------------------------------------

    def account_mode(self, api_key: str) -> str:
        """The key's account mode, one of :data:`~.accounts.ACCOUNT_MODES`."""
        return self._ctx.accounts.mode(api_key)

    def set_account_mode(self, api_key: str, mode: str) -> None:
        """Switch a key to ``'classic'``, ``'unified'`` or ``'unified-single'`` (ValueError otherwise).

        Orders stay where they are: a classic order is still in the classic book, which the key
        can no longer reach once unified (HTX migrated only accounts without open orders).
        """
        self._ctx.accounts.set_mode(api_key, mode)

    def uid(self, api_key: str) -> str:
        """The UID (account) the key belongs to."""
        return self._ctx.accounts.uid(api_key)

    def migrate(self, *api_keys: str) -> None:
        """Alias: set these keys to ``'unified'`` (the classic endpoints then answer 6023)."""
        for key in api_keys:
            self.set_account_mode(key, UNIFIED_MODE)

    def unmigrate(self, *api_keys: str) -> None:
        """Alias: set these keys to ``'classic'`` (the v5 algo endpoints then answer 4007)."""
        for key in api_keys:
            self.set_account_mode(key, CLASSIC_MODE)

    @property
    def migrated_keys(self) -> frozenset[str]:
        """Alias: the known keys (credentials or set explicitly) in a unified mode."""
        return self._ctx.accounts.keys_in(UNIFIED_MODE, UNIFIED_SINGLE_MODE)

    # -- classic orders ---------------------------------------------------------------------------

    def add_tpsl_orders(
        self,
        contract_code: str,
        ids: Iterable[str] | None = None,
        count: int = 1,
        api_key: str = DEMO_API_KEY,
        direction: str = 'sell',
        tpsl_order_type: str = 'tp',
        status: int = 2,
        *,
        margin_mode: str = 'isolated',
        volume: float = 1,
        trigger_price: float | None = None,
    ) -> list[str]:
        """Seed classic TP/SL orders of ``api_key``'s UID directly (no HTTP) and return their ids.

        ``ids`` are 18-19 digit strings; without them ``count`` ids come from a per-sandbox counter
        starting at 1200000000000000001. These orders live in the classic book only: they are not
        v5 algo orders (see :meth:`add_algo_orders`). Raises ValueError for an unknown contract, a
        contract without that margin mode, a malformed or reused id, or an unknown choice.
        """
        return self._ctx.book.seed(
            self.uid(api_key), _contract(contract_code), margin_mode=margin_mode, ids=ids, count=count,
            direction=direction, tpsl_order_type=tpsl_order_type, status=status, volume=volume,
            trigger_price=trigger_price)

    def set_order_status(self, order_id: str, status: int) -> None:
        """Force a classic order's status (4 = executed, so a cancel answers 1063); KeyError if unknown."""
        self._ctx.book.set_status(str(order_id), status)

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The classic order in HTX's openorders item shape, or None."""
        return self._ctx.book.get(str(order_id))

    # -- v5 algo orders ---------------------------------------------------------------------------

    def add_algo_orders(
        self,
        contract_code: str,
        count: int = 1,
        *,
        type: str = 'tp',
        side: str = 'sell',
        position_side: str = 'long',
        margin_mode: str = 'isolated',
        state: str = 'active',
        api_key: str = DEMO_API_KEY,
        ids: Iterable[str] | None = None,
        client_order_ids: Iterable[str] | None = None,
        volume: int = 1,
        tp_trigger_price: float | str | None = None,
        sl_trigger_price: float | str | None = None,
    ) -> list[str]:
        """Seed v5 algo orders of ``api_key``'s UID directly (no HTTP) and return their ``algo_id``s.

        ``ids`` (19-digit strings; then ``count`` is ``len(ids)``) or ``count`` ids from a counter
        starting at 1500000000000000001 (> 2**53). ``type`` ``tp``, ``sl`` or ``tpsl`` (ASSUMED,
        protocol.V5_TPSL_TYPES: one order with both legs); market legs on the last price, trigger
        prices default to 10 % past the contract's reference price on the side where the leg fires
        for ``side``.
        ``client_order_ids`` (one per order) is what the v5 cancel accepts as ``algo_client_order_id``.
        ``state``: ``active``, ``effective``, ``canceled``, ``failed`` (or the sandbox-only
        ``canceling``). ValueError for an unknown contract or choice, a contract without that
        margin mode, a malformed or reused id.
        """
        contract = _contract(contract_code)
        check_choice('type', type, ALGO_TYPES)
        check_choice('side', side, SIDES)
        check_choice('position_side', position_side, POSITION_SIDES)
        check_margin(contract, margin_mode)
        if isinstance(volume, bool) or not isinstance(volume, int) or volume < 1:
            raise ValueError(f'volume must be a positive integer, got {volume!r}')
        wanted = [str(i) for i in ids] if ids is not None else None
        number = len(wanted) if wanted is not None else count
        if number < 0:
            raise ValueError(f'count must be >= 0, got {count}')
        clients: list[str | None] = [None] * number
        if client_order_ids is not None:
            given = [str(c) for c in client_order_ids]
            if len(given) != number or not all(0 < len(c) <= MAX_CLIENT_ID_LENGTH for c in given):
                raise ValueError(f'need one client order id of 1-{MAX_CLIENT_ID_LENGTH} characters per order '
                                 f'({number})')
            clients = list(given)

        def leg(kind: str, price: float | str | None) -> AlgoLeg | None:
            if type not in (kind, 'tpsl'):
                return None
            text = _price(f'{kind}_trigger_price', price) if price is not None else default_trigger(
                contract, side, kind)
            return AlgoLeg(text, '0', 'market', 'last')

        specs = [AlgoSpec(contract, type, side, position_side, margin_mode, volume, leg('tp', tp_trigger_price),
                          leg('sl', sl_trigger_price), None, client) for client in clients]
        return self._ctx.algo_book.seed(self.uid(api_key), specs, ids=wanted, state=state)

    def set_algo_state(self, algo_id: str, state: str) -> None:
        """Force an algo order's state (``effective`` = triggered, so a cancel answers 1063); KeyError if unknown."""
        self._ctx.algo_book.set_state(str(algo_id), state)

    def algo_order(self, algo_id: str) -> dict[str, Any] | None:
        """The algo order in the ``GET /v5/algo/order/opens`` item shape (any state), or None."""
        return self._ctx.algo_book.get(str(algo_id))

    def seed_open_orders(self, contract_code: str, count: int = 1, api_key: str = DEMO_API_KEY) -> list[str]:
        """Open TP orders where ``api_key`` can see them: the classic book for a classic key (isolated,
        ready), else the v5 algo book (isolated, active). What ``--seed CONTRACT:COUNT`` does."""
        if self.account_mode(api_key) == CLASSIC_MODE:
            return self.add_tpsl_orders(contract_code, count=count, api_key=api_key)
        return self.add_algo_orders(contract_code, count, api_key=api_key)

    # -- prices: firing TP/SL orders --------------------------------------------------------------

    def set_mark_price(
        self, contract: str, price: float | int | str | Decimal, *, fail: bool | tuple[int, str] = False,
    ) -> list[str]:
        """Move ``contract``'s price (a code like ``'BTC-USDT'`` or a unified symbol like
        ``'BTC/USDT:USDT'``) and fire every waiting TP/SL order it crosses, in both books and for
        every account; returns the ids that fired (classic ``order_id``s, then v5 ``algo_id``s).

        Crossing: an order closing a long (classic ``direction``, v5 ``side`` ``sell``) fires its TP
        when ``price >= trigger`` and its SL when ``price <= trigger``; closing a short (``buy``) the
        reverse (classic ``trigger_type`` ``ge``/``le``). Only waiting orders fire: classic status 2,
        v5 ``active``. The sandbox keeps one price per contract: last, mark and index triggers all
        read it. An order is not checked when it is placed, only when the price moves.

        A fired order leaves the open listings and shows in the history: classic status 4 with
        ``triggered_price``, ``relation_order_id`` (the id of the order it placed, from
        1100000000000000001) and ``update_time``; its waiting pair twin (``relation_tpsl_order_id``)
        is cancelled (status 6; UNCONFIRMED). v5: state ``effective`` with ``relation_order_id``
        (from 1600000000000000001), ``actual_volume``, ``actual_price``, ``actual_time``.

        ``fail=True`` makes every firing fail ("fired but refused"): classic status 5 with
        ``fail_code``/``fail_reason`` ``state.DEFAULT_FIRE_FAILURE`` (1048, UNCONFIRMED; or
        ``fail=(code, reason)``) and ``relation_order_id`` "-1", the twin left waiting; v5 state
        ``failed``. ValueError for an unknown contract or a price that is not a positive number.
        A sandbox in another process does this for ``POST /sandbox/mark_price`` (:mod:`.control`).
        """
        found = _contract(_contract_code(contract))
        number = Decimal(_price('price', price))
        failure: tuple[int, str] | None = None
        if isinstance(fail, tuple | list):
            if len(fail) != 2 or isinstance(fail[0], bool) or not isinstance(fail[0], int):
                raise ValueError(f'fail must be True, False or (fail_code, fail_reason), got {fail!r}')
            failure = (fail[0], str(fail[1]))
        elif fail:
            failure = DEFAULT_FIRE_FAILURE
        with self._prices_lock:
            self._prices[found.contract_code] = number
            fired = self._ctx.book.fire(found, float(number), failure)
            return fired + self._ctx.algo_book.fire(found, number, failure is not None)

    def _mark_price_reply(self, contract: str, price: str, fail: bool) -> dict[str, Any]:
        """``POST /sandbox/mark_price`` (:mod:`.control`): :meth:`set_mark_price`, and what it set."""
        fired = self.set_mark_price(contract, price, fail=fail)  # ValueError: the reply names what is wrong
        return {'contract': _contract(_contract_code(contract)).contract_code, 'price': _price('price', price),
                'fired': fired}

    def mark_price(self, contract: str) -> Decimal:
        """``contract``'s price: the last :meth:`set_mark_price`, else its reference price."""
        found = _contract(_contract_code(contract))
        with self._prices_lock:
            return self._prices.get(found.contract_code, Decimal(str(found.reference_price)))

    # -- faults and records -----------------------------------------------------------------------

    def inject(
        self,
        endpoint: str | None = 'swap_tpsl_cancel',
        *,
        times: int = 1,
        after: int = 0,
        err_code: int | None = None,
        err_msg: str | None = None,
        http_status: int | None = None,
        delay: float | None = None,
        drop: bool = False,
    ) -> None:
        """Fault the next calls to ``endpoint`` (last path segment; None = any).

        The v5 cancel's key is ``'cancel_orders'`` (``POST /v5/algo/cancel_orders``); its ``err_code``
        faults answer in the v5 envelope ``{"code", "message", "data": null, "ts"}``.

        Lets ``after`` calls through, then acts on ``times`` calls: ``err_code`` answers HTX's
        error JSON (HTTP 200), ``http_status`` a CDN-style HTML page; either changes no state and
        is sent ``delay`` seconds late if given. ``delay`` alone lets the request take effect and
        holds its normal reply back ``delay`` seconds (a client timeout that did cancel). ``drop``
        lets the request take effect, then closes the connection without its reply (a reply lost
        after HTX carried the request out).
        """
        self._ctx.faults.add(Fault(endpoint, times, after, err_code, err_msg, http_status, delay, drop))

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._ctx.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """The last ``max_records`` requests received, in arrival order (a snapshot)."""
        return self._ctx.log.snapshot()

    @property
    def request_total(self) -> int:
        """Requests received since the sandbox was built, including those no longer in :attr:`requests`."""
        return self._ctx.log.total

    def request_totals(self) -> dict[str, dict[str, int]]:
        """Running counts since the sandbox was built: by ``endpoint`` and by ``err_code`` (``'ok'``)."""
        return self._ctx.log.totals()

    def memory_stats(self) -> dict[str, int]:
        """What the sandbox holds, to check that a long run stays flat."""
        return {
            'records': len(self._ctx.log),
            'classic_orders': len(self._ctx.book),
            'classic_closed_orders': self._ctx.book.closed_count(),
            'algo_orders': len(self._ctx.algo_book),
            'algo_closed_orders': self._ctx.algo_book.closed_count(),
            'rate_windows': self._ctx.limiter.window_count(),
            'rate_arrivals': self._ctx.limiter.size(),
        }


def _contract(contract_code: str) -> Contract:
    contract = contracts.find(contract_code)
    if contract is None:
        known = [c.contract_code for c in contracts.CONTRACTS]
        raise ValueError(f'unknown contract {contract_code!r}; the sandbox lists {known}')
    return contract


def _contract_code(contract: str) -> str:
    """A contract code from a code or a unified symbol (``BTC/USDT:USDT`` -> ``BTC-USDT``,
    ``BTC/USDT:USDT-261225`` -> ``BTC-USDT-261225``)."""
    base, slash, rest = str(contract).partition('/')
    if not slash:
        return str(contract)
    quote, _, settle = rest.partition(':')
    expiry = settle.partition('-')[2]
    return '-'.join(part for part in (base, quote, expiry) if part)


def _price(name: str, value: float | str | Decimal) -> str:
    """A positive finite price as HTX's listing writes it, else ValueError."""
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        number = Decimal('NaN')
    if isinstance(value, bool) or not number.is_finite() or number <= 0:
        raise ValueError(f'{name} must be a positive number, got {value!r}')
    return price_text(number)


def _rate(name: str, rate: tuple[int, int]) -> tuple[int, int]:
    """``(requests, interval_ms)`` checked, else ValueError."""
    if not isinstance(rate, tuple | list) or len(rate) != 2:
        raise ValueError(f'{name} must be (requests, interval_ms), got {rate!r}')
    window = Window(name, int(rate[0]), int(rate[1]))
    return window.limit, window.interval_ms


def _code_and_message(name: str, value: tuple[int, str] | None, default: tuple[int, str]) -> tuple[int, str]:
    if value is None:
        return default
    if not isinstance(value, tuple | list) or len(value) != 2:
        raise ValueError(f'{name} must be (code, message), got {value!r}')
    return int(value[0]), str(value[1])


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
