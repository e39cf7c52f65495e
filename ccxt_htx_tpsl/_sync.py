"""The sync class: ``ccxt_htx_tpsl.htx``, a drop-in for ``ccxt.htx``.

Every method is: validate and build (shared, ``_cancel.py`` / ``_lifecycle.py``), send, parse
(shared). The async twin in ``async_support.py`` differs only in its ``await``s.
"""

from __future__ import annotations

from typing import Any

import ccxt

from ._cancel import CancelPlan
from ._core import scrubbed
from ._lifecycle import TpslLifecycleMixin


class htx(TpslLifecycleMixin, ccxt.htx):
    """``ccxt.htx`` plus isolated TP/SL order methods, led by :meth:`cancel_isolated_tpsl_orders`."""

    def cancel_isolated_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """
        cancel isolated-margin take-profit / stop-loss orders, reporting every id's outcome

        https://www.htx.com/en-us/opend/newApiPages/?id=8cb87bc0-77b5-11ed-9966-0242ac110003

        :param str[]|str|int ids: order ids (str or int), one id, or a comma-joined string; duplicates are folded
        :param str symbol: unified symbol ('BTC/USDT:USDT') or contract code ('BTC-USDT') of a USDT-margined perpetual
        :param dict [params]: extra parameters merged into every request body
        :param str [params.route]: 'v1' (default, the classic endpoint) or 'v5' (HTX's successor API)
        :param int [params.maxRetriesOnFailure]: re-send a request that failed in a way that may pass (ccxt's option)
        :param int [params.maxRetriesOnFailureDelay]: milliseconds to wait before such a re-send
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per distinct id, in the
            caller's order, ``status`` 'canceled', 'failed', 'closed' or None (unknown)
        """
        return self._tpsl_cancel(ids, symbol, params, 'isolated')

    def cancel_cross_tpsl_orders(self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> list[Any]:
        """
        cancel cross-margin take-profit / stop-loss orders; the same contract as :meth:`cancel_isolated_tpsl_orders`

        https://huobiapi.github.io/docs/usdt_swap/v1/en/ (POST /linear-swap-api/v1/swap_cross_tpsl_cancel)

        :param str[]|str|int ids: order ids (str or int), one id, or a comma-joined string
        :param str symbol: unified symbol or contract code of a USDT-margined swap or future with cross margin
        :param dict [params]: extra parameters merged into every request body
        :param str [params.route]: 'v1' (default, the classic endpoint) or 'v5' (HTX's successor API)
        :param int [params.maxRetriesOnFailure]: re-send a request that failed in a way that may pass (ccxt's option)
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per distinct id
        """
        return self._tpsl_cancel(ids, symbol, params, 'cross')

    def create_isolated_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        set a take-profit and/or a stop-loss on an isolated-margin position

        https://huobiapi.github.io/docs/usdt_swap/v1/en/ (POST /linear-swap-api/v1/swap_tpsl_order)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param str side: the closing direction: 'sell' for a long position, 'buy' for a short one
        :param int amount: number of contracts
        :param float [takeProfit]: take-profit trigger price
        :param float [stopLoss]: stop-loss trigger price
        :param dict [params]: HTX fields, e.g. tp_order_price, tp_order_price_type ('limit', 'optimal_5'...)
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per leg created
        """
        self.load_markets()
        market, request = self._tpsl_create_request(symbol, side, amount, takeProfit, stopLoss, params)
        reply = self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_order', request)
        return self._tpsl_parse_created(market, request, reply)

    def fetch_open_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch every open isolated-margin TP/SL order of a contract, all pages

        https://huobiapi.github.io/docs/usdt_swap/v1/en/ (POST /linear-swap-api/v1/swap_tpsl_openorders)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param int [since]: earliest creation time in ms
        :param int [limit]: the most orders to return
        :param dict [params]: HTX fields, e.g. trade_type
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        self.load_markets()
        market, request = self._tpsl_open_orders_request(symbol, params)
        raw: list[Any] = []
        page: dict[str, Any] | None = request
        while page is not None:
            reply = self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_openorders', page)
            orders, page = self._tpsl_open_orders_page(reply, page)
            raw += orders
        return self._tpsl_parse_open_orders(raw, market, since, limit)

    def cancel_all_isolated_tpsl_orders(self, symbol: str | None = None, params: dict[str, Any] = {}) -> list[Any]:
        """
        cancel every isolated-margin TP/SL order of a contract, or of one side

        https://huobiapi.github.io/docs/usdt_swap/v1/en/ (POST /linear-swap-api/v1/swap_tpsl_cancelall)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param dict [params]: extra parameters
        :param str [params.side]: only orders of this direction, 'buy' or 'sell'
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per id HTX names
        """
        self.load_markets()
        market, request = self._tpsl_cancel_all_request(symbol, params)
        reply = self._tpsl_request('contract_private_post_linear_swap_api_v1_swap_tpsl_cancelall', request)
        return self._tpsl_parse_cancel_all(market, reply)

    def _tpsl_cancel(self, ids: Any, symbol: Any, params: dict[str, Any], margin: str) -> list[Any]:
        plan = self._tpsl_prepare(ids, symbol, params, margin)
        self.load_markets()
        self._tpsl_plan(plan)
        return self._tpsl_result(plan, [self._tpsl_send(plan, request) for request in plan.requests])

    def _tpsl_request(self, endpoint: str, request: Any) -> Any:
        """One request of create / list / cancel-all; ccxt's errors re-raised without credentials."""
        try:
            return getattr(self, endpoint)(request)
        except ccxt.BaseError as error:
            raise scrubbed(error) from None

    def _tpsl_send(self, plan: CancelPlan, request: Any) -> list[Any]:
        attempts: list[Any] = []
        while (delay := self._tpsl_next_attempt(plan, attempts)) is not None:
            if delay:
                self.sleep(delay)
            try:
                attempts.append(getattr(self, plan.route.endpoint)(request))
            except ccxt.BaseError as error:
                attempts.append(error)
        return attempts

