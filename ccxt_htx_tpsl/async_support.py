"""The async class: ``ccxt_htx_tpsl.async_support.htx``, a drop-in for ``ccxt.async_support.htx``.

The sync twin is ``_sync.py``: the same shared steps, with ``await`` where a request is sent.
Chunks of a cancel are sent concurrently; ccxt's rate limiter spaces them to HTX's 5 requests/s.
"""

from __future__ import annotations

import asyncio
from typing import Any

import ccxt.async_support

from ._cancel import CancelPlan
from ._core import scrubbed
from ._lifecycle import TpslLifecycleMixin


class AsyncTpslMixin(TpslLifecycleMixin):
    """The awaiting half, shared by the async and the pro class. Each method is a coroutine
    with the arguments, result and exceptions of the sync method of the same name
    (:class:`ccxt_htx_tpsl.htx`)."""

    async def cancel_isolated_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel isolated TP/SL orders, one order structure per distinct id (see the sync method)."""
        return await self._tpsl_cancel(ids, symbol, params, 'isolated')

    async def cancel_cross_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel cross-margin TP/SL orders, one order structure per distinct id (see the sync method)."""
        return await self._tpsl_cancel(ids, symbol, params, 'cross')

    async def create_isolated_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Set a take-profit and/or a stop-loss on an isolated position, one order per leg (see the sync method)."""
        await self.load_markets()
        market, request = self._tpsl_create_request(symbol, side, amount, takeProfit, stopLoss, params)
        reply = await self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_order', request)
        return self._tpsl_parse_created(market, request, reply)

    async def fetch_open_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """Every open isolated TP/SL order of a contract, all pages (see the sync method)."""
        await self.load_markets()
        market, request = self._tpsl_open_orders_request(symbol, params)
        raw: list[Any] = []
        page: dict[str, Any] | None = request
        while page is not None:
            reply = await self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_openorders', page)
            orders, page = self._tpsl_open_orders_page(reply, page)
            raw += orders
        return self._tpsl_parse_open_orders(raw, market, since, limit)

    async def cancel_all_isolated_tpsl_orders(
        self, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """Cancel every isolated TP/SL order of a contract, or of one side (see the sync method)."""
        await self.load_markets()
        market, request = self._tpsl_cancel_all_request(symbol, params)
        reply = await self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_cancelall', request)
        return self._tpsl_parse_cancel_all(market, reply)

    async def _tpsl_cancel(self, ids: Any, symbol: Any, params: dict[str, Any], margin: str) -> list[Any]:
        plan = self._tpsl_prepare(ids, symbol, params, margin)
        await self.load_markets()
        self._tpsl_plan(plan)
        outcomes = await asyncio.gather(*(self._tpsl_send(plan, request) for request in plan.requests))
        return self._tpsl_result(plan, outcomes)

    async def _tpsl_request(self, endpoint: str, request: Any) -> Any:
        """One request of create / list / cancel-all; ccxt's errors re-raised without credentials."""
        try:
            return await getattr(self, endpoint)(request)
        except ccxt.BaseError as error:
            raise scrubbed(error) from None

    async def _tpsl_send(self, plan: CancelPlan, request: Any) -> list[Any]:
        attempts: list[Any] = []
        while (delay := self._tpsl_next_attempt(plan, attempts)) is not None:
            if delay:
                await self.sleep(delay)
            self._tpsl_credit_idle_time()
            try:
                attempts.append(await getattr(self, plan.route.endpoint)(request))
            except ccxt.BaseError as error:
                attempts.append(error)
        return attempts

    def _tpsl_credit_idle_time(self) -> None:
        """Let ccxt's async throttler count the time it sat idle, never more than it owes.

        ccxt's leaky bucket refills only while its loop runs, so the first request after a pause
        still waits the full cost of the previous one (100 ms after load_markets, 205 ms after a
        cancel). Crediting the idle time, capped at zero tokens (no burst: ccxt's capacity of 1
        would let a sixth request into one second), keeps every gap at or above the cost.
        """
        throttler = getattr(self, 'throttler', None)
        if not self.enableRateLimit or throttler is None or throttler.running:
            return
        config = throttler.config
        if config.get('algorithm') != 'leakyBucket':
            return
        idle = max(0, self.milliseconds() - self.lastRestRequestTimestamp)
        config['tokens'] = min(0, config['tokens'] + idle * config['refillRate'])


class htx(AsyncTpslMixin, ccxt.async_support.htx):
    """``ccxt.async_support.htx`` plus the isolated TP/SL order methods, as coroutines."""
