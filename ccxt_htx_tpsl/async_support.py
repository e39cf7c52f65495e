"""The async class: ``ccxt_htx_tpsl.async_support.htx``, a drop-in for ``ccxt.async_support.htx``.

The same flows as the sync class (``_flows.py``), sent with ``await``: the requests of one step
(e.g. the chunks of a cancel) concurrently, each paced by its HTX windows.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import ccxt.async_support

from ._core import wall_ms
from ._family import Call
from ._flows import LOAD_MARKETS, Flow, T, TpslFlowsMixin
from ._transport import install_async_transport


class AsyncTpslMixin(TpslFlowsMixin):
    """The awaiting half, shared by the async and the pro class. Each method is a coroutine
    with the arguments, result and exceptions of the sync method of the same name
    (:class:`ccxt_htx_tpsl.htx`)."""

    async def cancel_isolated_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel isolated TP/SL orders, one order structure per distinct id (see the sync method)."""
        return await self._tpsl_run(self._flow_cancel(ids, symbol, params, 'isolated'))

    async def cancel_cross_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel cross-margin TP/SL orders, one order structure per distinct id (see the sync method)."""
        return await self._tpsl_run(self._flow_cancel(ids, symbol, params, 'cross'))

    async def create_isolated_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Set a take-profit and/or a stop-loss on an isolated position, one order per leg (see the sync method)."""
        return await self._tpsl_run(self._flow_create(symbol, side, amount, takeProfit, stopLoss, params, 'isolated'))

    async def create_cross_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Set a take-profit and/or a stop-loss on a cross position, one order per leg (see the sync method)."""
        return await self._tpsl_run(self._flow_create(symbol, side, amount, takeProfit, stopLoss, params, 'cross'))

    async def fetch_open_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Every open isolated TP/SL order of a contract, all pages (see the sync method)."""
        return await self._tpsl_run(self._flow_list(symbol, since, limit, params, 'isolated'))

    async def fetch_open_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Every open cross TP/SL order of a contract, all pages (see the sync method)."""
        return await self._tpsl_run(self._flow_list(symbol, since, limit, params, 'cross'))

    async def cancel_all_isolated_tpsl_orders(
        self, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel every open isolated TP/SL order of a contract, or of one side (see the sync method)."""
        return await self._tpsl_run(self._flow_cancel_all(symbol, params, 'isolated'))

    async def cancel_all_cross_tpsl_orders(
        self, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel every open cross TP/SL order of a contract, or of one side (see the sync method)."""
        return await self._tpsl_run(self._flow_cancel_all(symbol, params, 'cross'))

    async def fetch_tpsl_route(self, params: dict[str, Any] = {}) -> str:
        """The API family the TP/SL methods use for this account, 'v1' or 'v5' (see the sync method)."""
        route: str = await self._tpsl_run(self._flow_route(params))
        return route

    # -- sending -----------------------------------------------------------------------------

    async def _tpsl_run(self, flow: Flow[T]) -> T:
        try:
            step = next(flow)
            while True:
                if step == LOAD_MARKETS:
                    await self.load_markets()
                    step = flow.send(None)
                elif len(step) == 1:
                    step = flow.send([await self._tpsl_call(step[0])])
                else:
                    step = flow.send(list(await asyncio.gather(*(self._tpsl_call(call) for call in step))))
        except StopIteration as done:
            result: T = done.value
            return result
        except ccxt.BaseError as error:
            raise self._tpsl_scrub(error) from None

    async def _tpsl_call(self, call: Call) -> list[Any]:
        """Every attempt at one request (re-sent as ``_tpsl_next_delay`` says): replies or ccxt errors."""
        attempts: list[Any] = []
        self._tpsl_prepare_call(call)
        endpoint = getattr(self, call.endpoint)
        while (delay := self._tpsl_next_delay(call, attempts)) is not None:
            if delay:
                await self.sleep(delay)
            try:
                attempts.append(await endpoint(call.body))
            except ccxt.BaseError as error:
                attempts.append(self._tpsl_attempt_error(error))
            finally:
                self._tpsl_settle_ticket()
        return attempts

    async def throttle(self, cost: Any = None) -> Any:
        """ccxt's throttle, except that a TP/SL request waits for its own HTX windows only."""
        return await self._tpsl_gate(cost, None)

    async def _tpsl_gate(self, cost: Any, ccxt_throttler: Any) -> Any:
        """One waiter per endpoint at a time (a FIFO lock, released if the task is cancelled), which
        re-reads the clock after every sleep and marks the send without awaiting in between: a
        blocked event loop or an abandoned call cannot produce a burst or leave slots behind."""
        key = self._tpsl_take_pending()
        if key is None:
            return await (ccxt_throttler(cost) if ccxt_throttler is not None else super().throttle(cost))
        pacer = self._tpsl_pacer
        async with self._tpsl_lock(key):
            for _ in range(3):
                wait = pacer.wait(key, wall_ms())
                if wait <= 0:
                    break
                await asyncio.sleep(wait / 1000)
            self._tpsl_mark_sent(key)
        return None

    def _tpsl_lock(self, key: str) -> asyncio.Lock:
        locks: dict[str, asyncio.Lock] = self.__dict__.setdefault('_tpsl_locks', {})
        lock = locks.get(key)
        if lock is None:
            lock = locks[key] = asyncio.Lock()
        return lock

    def open(self, *args: Any, **kwargs: Any) -> Any:
        """ccxt's open(); its aiohttp session then never follows a signed request's redirect."""
        result = super().open(*args, **kwargs)
        install_async_transport(self.session)
        return result


class _ThrottleGate:
    """ccxt before 4.4.62 keeps its async throttler in the instance attribute ``throttle``, which hides
    the class's hook: this stands in its place, sending TP/SL requests through the package's pacing
    and the others to ccxt's throttler (attributes such as ``loop`` are ccxt's throttler's)."""

    def __init__(self, exchange: Any, throttler: Any) -> None:
        object.__setattr__(self, '_exchange', weakref.ref(exchange))
        object.__setattr__(self, '_throttler', throttler)

    def __call__(self, cost: Any = None) -> Any:
        return self._exchange()._tpsl_gate(cost, self._throttler)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._throttler, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._throttler, name, value)


def adopt_ccxt_throttler(exchange: Any) -> None:
    """Put the gate in place of ccxt 4.2.x's instance-level throttler (nothing to do on newer ccxt)."""
    found = exchange.__dict__.get('throttle')
    if found is not None and not isinstance(found, _ThrottleGate):
        exchange.__dict__['throttle'] = _ThrottleGate(exchange, found)


class htx(AsyncTpslMixin, ccxt.async_support.htx):
    """``ccxt.async_support.htx`` plus the TP/SL order methods, as coroutines."""

    def __init__(self, config: dict[str, Any] = {}) -> None:
        super().__init__(config)
        adopt_ccxt_throttler(self)
        self._tpsl_scrub_logs((self.apiKey, self.secret))
