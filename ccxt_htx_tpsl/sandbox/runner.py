"""The :class:`Sandbox`: its lifecycle (background thread, asyncio, foreground) and test controls."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from types import TracebackType
from typing import Any

from aiohttp import web

from . import contracts
from .faults import Fault
from .ratelimit import RESET_STYLES, SlidingWindowLimiter
from .records import RequestRecord
from .server import V5_RATE_LIMIT, SandboxContext, build_app
from .state import OrderBook

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
    """An embedded HTX USDT-margined swap server for the isolated (and cross) TP/SL endpoints.

    ``start()`` serves from a background thread with its own event loop; ``start_async()`` serves
    inside the running loop; ``serve_forever()`` serves in the foreground until SIGINT/SIGTERM.
    State (orders, rate windows, faults, records) lives in memory, per API key.

    Besides the classic ``/linear-swap-api/v1/swap_(cross_)tpsl_*`` endpoints it serves HTX's
    successor ``POST /v5/algo/cancel_orders`` over the same order book (an order's id is its
    ``algo_id``). ``rate_limit``/``rate_interval_ms`` set the classic per key and endpoint window,
    ``v5_rate_limit``/``v5_rate_interval_ms`` the v5 one. Keys in ``migrated_keys`` (or passed to
    :meth:`migrate`) are accounts moved to HTX's new system: every classic private endpoint
    answers them ``migrated_error`` (default 1510, see ``errors.MIGRATED_ACCOUNT``; unconfirmed),
    while the v5 route keeps working.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = '127.0.0.1',
        credentials: Mapping[str, str] | None = None,
        rate_limit: int = 5,
        rate_interval_ms: int = 1000,
        max_skew_seconds: float = 300,
        *,
        rate_reset: str = 'epoch',
        v5_rate_limit: int = V5_RATE_LIMIT[0],
        v5_rate_interval_ms: int = V5_RATE_LIMIT[1],
        migrated_keys: Iterable[str] = (),
        migrated_error: tuple[int, str] | None = None,
    ) -> None:
        if rate_reset not in RESET_STYLES:
            raise ValueError(f'rate_reset must be one of {RESET_STYLES}, got {rate_reset!r}')
        self.host = host
        self._port = port
        self._ctx = SandboxContext(
            OrderBook(),
            dict(credentials if credentials is not None else {DEMO_API_KEY: DEMO_SECRET}),
            SlidingWindowLimiter(rate_limit, rate_interval_ms),
            max_skew_seconds,
            rate_reset,
            v5_limiter=SlidingWindowLimiter(v5_rate_limit, v5_rate_interval_ms),
            migrated=set(migrated_keys),
        )
        if migrated_error is not None:
            self._ctx.migrated_error = (int(migrated_error[0]), str(migrated_error[1]))
        self._runner: web.AppRunner | None = None
        self._sock: socket.socket | None = None
        self._bound_port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._halt: asyncio.Event | None = None  # set when the sandbox owns its loop
        self._thread: threading.Thread | None = None

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
        runner = web.AppRunner(build_app(self._ctx), handle_signals=False, access_log=None,
                               shutdown_timeout=SHUTDOWN_TIMEOUT)
        try:
            await runner.setup()
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            sock.close()
            raise
        self._runner, self._sock = runner, sock
        self._bound_port = sock.getsockname()[1]
        self._loop = asyncio.get_running_loop()

    async def _close(self) -> None:
        runner, sock = self._runner, self._sock
        if runner is None:
            return
        self._runner = self._sock = None
        self._ctx.stopping.set()
        try:
            await runner.cleanup()
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

    # -- state and faults --------------------------------------------------------------------

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
        client_order_ids: Iterable[str] | None = None,
    ) -> list[str]:
        """Seed orders directly (no HTTP) and return their ids (also their v5 ``algo_id``).

        ``ids`` are 18-19 digit strings; without them ``count`` ids come from a per-sandbox counter
        starting at 1200000000000000001. ``client_order_ids`` (one per order) are what the v5 cancel
        accepts as ``algo_client_order_id``. Raises ValueError for an unknown contract, a contract
        without that margin mode, a malformed or reused id, or an unknown choice.
        """
        contract = contracts.find(contract_code)
        if contract is None:
            known = [c.contract_code for c in contracts.CONTRACTS]
            raise ValueError(f'unknown contract {contract_code!r}; the sandbox lists {known}')
        return self._ctx.book.seed(
            api_key, contract, margin_mode=margin_mode, ids=ids, count=count, direction=direction,
            tpsl_order_type=tpsl_order_type, status=status, volume=volume, trigger_price=trigger_price,
            client_order_ids=client_order_ids)

    def set_order_status(self, order_id: str, status: int) -> None:
        """Force a stored order's status (4 = executed, so a cancel answers 1063); KeyError if unknown."""
        self._ctx.book.set_status(str(order_id), status)

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The stored order in HTX's openorders item shape, or None."""
        return self._ctx.book.get(str(order_id))

    def migrate(self, *api_keys: str) -> None:
        """Mark keys as migrated to HTX's new USDT-M system: the classic private endpoints refuse them."""
        self._ctx.migrated.update(api_keys)

    def unmigrate(self, *api_keys: str) -> None:
        """Undo :meth:`migrate` for these keys."""
        self._ctx.migrated.difference_update(api_keys)

    @property
    def migrated_keys(self) -> frozenset[str]:
        """The keys currently marked as migrated."""
        return frozenset(self._ctx.migrated)

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
    ) -> None:
        """Fault the next calls to ``endpoint`` (last path segment; None = any).

        The v5 cancel's key is ``'cancel_orders'`` (``POST /v5/algo/cancel_orders``); its ``err_code``
        faults answer in the v5 envelope ``{"code", "message", "data": null, "ts"}``.

        Lets ``after`` calls through, then acts on ``times`` calls: ``err_code`` answers HTX's
        error JSON (HTTP 200), ``http_status`` a CDN-style HTML page; either changes no state and
        is sent ``delay`` seconds late if given. ``delay`` alone lets the request take effect and
        holds its normal reply back ``delay`` seconds (a client timeout that did cancel).
        """
        self._ctx.faults.add(Fault(endpoint, times, after, err_code, err_msg, http_status, delay))

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        self._ctx.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far, in arrival order (a snapshot)."""
        return self._ctx.log.snapshot()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
