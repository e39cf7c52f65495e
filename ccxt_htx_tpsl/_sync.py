"""The sync class: ``ccxt_htx_tpsl.htx``, a drop-in for ``ccxt.htx``."""

from __future__ import annotations

from typing import Any

import ccxt

from ._core import CancelPlan, TpslCancelMixin


class htx(TpslCancelMixin, ccxt.htx):
    """``ccxt.htx`` plus :meth:`cancel_isolated_tpsl_orders`."""

    def cancel_isolated_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """
        cancel isolated-margin take-profit / stop-loss orders, reporting every id's outcome

        https://www.htx.com/en-us/opend/newApiPages/?id=8cb87bc0-77b5-11ed-9966-0242ac110003

        :param str[]|str|int ids: order ids (str or int), one id, or a comma-joined string; duplicates are folded
        :param str symbol: unified symbol ('BTC/USDT:USDT') or contract code ('BTC-USDT') of a USDT-margined perpetual
        :param dict [params]: extra parameters merged into every request body
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per distinct id, in the
            caller's order, ``status`` 'canceled', 'failed', 'closed' or None (unknown)
        """
        order_ids, market_symbol = self._tpsl_check_arguments(ids, symbol)
        self.load_markets()
        plan = self._tpsl_plan(order_ids, market_symbol, params)
        return self._tpsl_result(plan, [self._tpsl_send(plan, request) for request in plan.requests])

    def _tpsl_send(self, plan: CancelPlan, request: dict[str, Any]) -> list[Any]:
        attempts: list[Any] = []
        while (delay := self._tpsl_next_attempt(plan, attempts)) is not None:
            if delay:
                self.sleep(delay)
            try:
                attempts.append(self.contract_private_post_linear_swap_api_v1_swap_tpsl_cancel(request))
            except ccxt.BaseError as error:
                attempts.append(error)
        return attempts
