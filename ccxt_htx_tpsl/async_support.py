"""The async class: ``ccxt_htx_tpsl.async_support.htx``, a drop-in for ``ccxt.async_support.htx``.

The same flows as the sync class (``_flows.py``), sent with ``await``: the requests of one step
(e.g. the chunks of a cancel) concurrently, each paced by its HTX windows.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

import aiohttp
import aiohttp.http_exceptions
import ccxt.async_support

from . import _endpoints
from ._core import wall_ms
from ._model import Attempt, Call, Flow, LoadMarkets, Pause, Retry, T
from ._transport import install_async_transport
from ._unified import CCXT, TpslUnifiedMixin


class AsyncTpslMixin(TpslUnifiedMixin):
    """The awaiting half, shared by the async and the pro class. Each method is a coroutine
    with the arguments, result and exceptions of the sync method of the same name
    (:class:`ccxt_htx_tpsl.htx`)."""

    # aiohttp's classes for a connection broken mid-reply (see _errors.broken_connection)
    _tpsl_broken_connection = (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError, aiohttp.ClientOSError,
                               aiohttp.http_exceptions.ContentLengthError,
                               aiohttp.http_exceptions.TransferEncodingError, ConnectionError)

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

    async def fetch_isolated_tpsl_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """One isolated TP/SL order by id, open or finished (see the sync method)."""
        return await self._tpsl_run(self._flow_fetch_one(id, symbol, params, 'isolated'))

    async def fetch_cross_tpsl_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """One cross TP/SL order by id, open or finished (see the sync method)."""
        return await self._tpsl_run(self._flow_fetch_one(id, symbol, params, 'cross'))

    async def fetch_closed_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """The isolated TP/SL orders of a contract that fired (see the sync method)."""
        return await self._tpsl_run(self._flow_history(symbol, since, limit, params, 'isolated', 'closed'))

    async def fetch_closed_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """The cross TP/SL orders of a contract that fired (see the sync method)."""
        return await self._tpsl_run(self._flow_history(symbol, since, limit, params, 'cross', 'closed'))

    async def fetch_canceled_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """The isolated TP/SL orders of a contract that were cancelled or not placed (see the sync method)."""
        return await self._tpsl_run(self._flow_history(symbol, since, limit, params, 'isolated', 'canceled'))

    async def fetch_canceled_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """The cross TP/SL orders of a contract that were cancelled or not placed (see the sync method)."""
        return await self._tpsl_run(self._flow_history(symbol, since, limit, params, 'cross', 'canceled'))

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

    # -- ccxt's unified calls: a USDT-M TP/SL call is the package's (``_unified``), any other ccxt's ------

    async def create_order(self, symbol: str, type: Any, side: Any, amount: Any, price: Any = None,
                           params: dict[str, Any] = {}) -> Any:
        """ccxt's ``create_order``; a TP/SL order with ``takeProfitPrice`` / ``stopLossPrice`` (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('createOrder', symbol, params, type, side, amount, price))
        return await super().create_order(symbol, type, side, amount, price, params) if answer is CCXT else answer

    async def cancel_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_order``; a TP/SL cancel with ``stopLossTakeProfit`` (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('cancelOrder', symbol, params, id))
        return await super().cancel_order(id, symbol, params) if answer is CCXT else answer

    async def cancel_orders(self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_orders``; TP/SL cancels with ``stopLossTakeProfit`` (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('cancelOrders', symbol, params, ids))
        return await super().cancel_orders(ids, symbol, params) if answer is CCXT else answer

    async def cancel_all_orders(self, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_all_orders``; every TP/SL order with ``stopLossTakeProfit`` (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('cancelAllOrders', symbol, params))
        return await super().cancel_all_orders(symbol, params) if answer is CCXT else answer

    async def fetch_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_order``; a TP/SL order with a TP/SL flag (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('fetchOrder', symbol, params, id))
        return await super().fetch_order(id, symbol, params) if answer is CCXT else answer

    async def fetch_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                           params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_orders``; TP/SL orders with a TP/SL flag (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('fetchOrders', symbol, params, since, limit))
        return await super().fetch_orders(symbol, since, limit, params) if answer is CCXT else answer

    async def fetch_open_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                                params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_open_orders``; open TP/SL orders with a TP/SL flag (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('fetchOpenOrders', symbol, params, since, limit))
        return await super().fetch_open_orders(symbol, since, limit, params) if answer is CCXT else answer

    async def fetch_closed_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                                  params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_closed_orders``; fired TP/SL orders with a TP/SL flag (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('fetchClosedOrders', symbol, params, since, limit))
        return await super().fetch_closed_orders(symbol, since, limit, params) if answer is CCXT else answer

    async def fetch_canceled_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                                    params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_canceled_orders``; cancelled TP/SL orders with a TP/SL flag (see the sync method)."""
        answer = await self._tpsl_run(self._flow_unified('fetchCanceledOrders', symbol, params, since, limit))
        return await super().fetch_canceled_orders(symbol, since, limit, params) if answer is CCXT else answer

    async def fetch_canceled_and_closed_orders(self, symbol: str | None = None, since: Any = None,
                                               limit: Any = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_canceled_and_closed_orders``; finished TP/SL orders with a TP/SL flag (see sync)."""
        answer = await self._tpsl_run(
            self._flow_unified('fetchCanceledAndClosedOrders', symbol, params, since, limit))
        if answer is CCXT:
            return await super().fetch_canceled_and_closed_orders(symbol, since, limit, params)
        return answer

    # -- sending -----------------------------------------------------------------------------

    async def _tpsl_run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` to its result: the calls of one step concurrently; the flow is closed whatever happens."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, LoadMarkets):
                    await self.load_markets()
                    step = flow.send([])
                elif isinstance(step, Pause):
                    await self.sleep(step.ms)
                    step = flow.send([])
                elif len(step.calls) == 1:
                    step = flow.send([await self._tpsl_call(step.calls[0], step.retry)])
                else:
                    step = flow.send(list(await asyncio.gather(*(self._tpsl_call(call, step.retry)
                                                                 for call in step.calls))))
        except StopIteration as done:
            result: T = done.value
            return result
        except ccxt.BaseError as error:
            raise self._tpsl_scrub(error) from error.__cause__  # the cause kept, as plain ccxt's, scrubbed
        finally:
            flow.close()

    async def _tpsl_call(self, call: Call, retry: Retry | None) -> list[Attempt]:
        """Every attempt at one request (re-sent as ``_tpsl_resend`` says), each classified.

        Concurrent calls on a fresh exchange share one asset-mode question (route 'auto' asks once)."""
        if call.path != _endpoints.ASSET_MODE.key:
            return await self._tpsl_attempts(call, retry)
        loop = asyncio.get_running_loop()
        asking: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Future[list[Attempt]]] = \
            self.__dict__.setdefault('_tpsl_asking', weakref.WeakKeyDictionary())
        shared = asking.get(loop)
        if shared is None or shared.done():
            shared = asking[loop] = asyncio.ensure_future(self._tpsl_attempts(call, retry))
        return list(await asyncio.shield(shared))  # one caller giving up does not cancel the others' answer

    async def _tpsl_attempts(self, call: Call, retry: Retry | None) -> list[Attempt]:
        attempts: list[Attempt] = []
        body = self._tpsl_body(call)
        endpoint = getattr(self, call.endpoint)
        while (delay := self._tpsl_resend(call, retry, attempts)) is not None:
            if delay:
                await self.sleep(delay)
            try:
                with self._tpsl_own_request():
                    attempts.append(self._tpsl_attempt(await endpoint(body)))
            except ccxt.BaseError as error:
                attempts.append(self._tpsl_attempt(error))
            finally:
                self._tpsl_settle_ticket()
        return attempts

    async def fetch2(self, *args: Any, **kwargs: Any) -> Any:
        """ccxt's request (create guard: ``_core``); an exception it raises carries no credential,
        whichever ccxt method sent it (its message quotes the signed URL)."""
        try:
            return await super().fetch2(*args, **kwargs)
        except ccxt.BaseError as error:
            raise self._tpsl_scrub(error) from error.__cause__

    async def throttle(self, cost: Any = None) -> Any:
        """ccxt's throttle, except that a TP/SL request waits for its own HTX windows only."""
        return await self._tpsl_gate(cost, None)

    async def _tpsl_gate(self, cost: Any, ccxt_throttler: Any) -> Any:
        """Wait for every HTX window the request counts in, holding their locks (in a fixed order, so
        two endpoints sharing the UID budget never race for its slot); re-read the clock after every
        sleep and mark the send without awaiting in between, so a blocked event loop cannot produce
        a burst. A cancelled task releases the locks and leaves nothing behind."""
        key = self._tpsl_take_pending()
        if key is None:
            return await (ccxt_throttler(cost) if ccxt_throttler is not None else super().throttle(cost))
        pacer = self._tpsl_pacer
        loop = asyncio.get_running_loop()
        held: list[asyncio.Lock] = []
        try:
            for window in pacer.keys(key):
                lock = self._tpsl_lock(loop, window)
                await lock.acquire()
                held.append(lock)
            give_up = loop.time() + pacer.patience(key) / 1000  # a skewed clock cannot stall the caller
            while (wait := pacer.wait(key, wall_ms())) > 0 and (left := give_up - loop.time()) > 0:
                await asyncio.sleep(min(wait / 1000, left))
            self._tpsl_mark_sent(key)
        finally:
            for lock in reversed(held):
                lock.release()
        return None

    def _tpsl_lock(self, loop: asyncio.AbstractEventLoop, window: str) -> asyncio.Lock:
        """The lock of one pacing window, per event loop (an asyncio lock belongs to one loop)."""
        per_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = \
            self.__dict__.setdefault('_tpsl_locks', weakref.WeakKeyDictionary())
        locks = per_loop.setdefault(loop, {})
        lock = locks.get(window)
        if lock is None:
            lock = locks[window] = asyncio.Lock()
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
        # a plain reference (a cycle the collector handles), so that the exchange pickles and copies
        # with its gate, as ccxt's own class does
        object.__setattr__(self, '_exchange', exchange)
        object.__setattr__(self, '_throttler', throttler)

    def __call__(self, cost: Any = None) -> Any:
        return self._exchange._tpsl_gate(cost, self._throttler)

    def __getattr__(self, name: str) -> Any:
        if name.startswith('__') or name in ('_exchange', '_throttler'):  # copy and pickle probe these
            raise AttributeError(name)
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
