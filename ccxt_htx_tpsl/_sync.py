"""The sync class: ``ccxt_htx_tpsl.htx``, a drop-in for ``ccxt.htx``.

Every method runs a flow from ``_flows.py``; this module only sends (one request after another)
and waits. The async twin, ``async_support.py``, differs only there.
"""

from __future__ import annotations

import http.client
import time
from typing import Any

import ccxt
import requests
import urllib3

from ._core import wall_ms
from ._model import Attempt, Call, Flow, LoadMarkets, Pause, Retry, T
from ._transport import install_sync_transport
from ._unified import CCXT, TpslUnifiedMixin


class htx(TpslUnifiedMixin, ccxt.htx):
    """``ccxt.htx`` plus take-profit / stop-loss order methods for USDT-margined swaps, on both of
    HTX's API families (classic and v5, chosen automatically)."""

    # requests' and urllib3's classes for a connection broken mid-reply (see _errors.broken_connection)
    _tpsl_broken_connection = (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError,
                               http.client.IncompleteRead, ConnectionError)

    def __init__(self, config: dict[str, Any] = {}) -> None:
        super().__init__(config)
        install_sync_transport(self)
        self._tpsl_scrub_logs((self.apiKey, self.secret))

    def cancel_isolated_tpsl_orders(
        self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}
    ) -> list[Any]:
        """
        cancel isolated-margin take-profit / stop-loss orders, reporting every id's outcome

        https://www.htx.com/en-us/opend/newApiPages/?id=8cb87bc0-77b5-11ed-9966-0242ac110003

        :param str[]|str|int ids: order ids (str or int), one id, or a comma-joined string; duplicates are folded
        :param str symbol: unified symbol ('BTC/USDT:USDT') or contract code ('BTC-USDT') of a USDT-margined perpetual
        :param dict [params]: extra parameters merged into every request
        :param str [params.route]: 'auto' (default: the account's API family, asked once), 'v5' or 'v1'
        :param int [params.maxRetriesOnFailure]: re-send a request that failed in a way that may pass (ccxt's option)
        :param int [params.maxRetriesOnFailureDelay]: milliseconds to wait before such a re-send
        :param int [params.resendRateLimited]: re-send a request HTX refused with 1032 this often (default 3)
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per distinct id, in the
            caller's order, ``status`` 'canceled', 'closed', 'open' or None (no state confirmed by HTX)
        """
        return self._tpsl_run(self._flow_cancel(ids, symbol, params, 'isolated'))

    def cancel_cross_tpsl_orders(self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> list[Any]:
        """
        cancel cross-margin take-profit / stop-loss orders; the same contract as :meth:`cancel_isolated_tpsl_orders`

        HTX: (POST /linear-swap-api/v1/swap_cross_tpsl_cancel, POST /v5/algo/cancel_orders)

        :param str[]|str|int ids: order ids (str or int), one id, or a comma-joined string
        :param str symbol: unified symbol or contract code of a USDT-margined swap or future with cross margin
        :param dict [params]: extra parameters merged into every request
        :param str [params.route]: 'auto' (default), 'v5' or 'v1'
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per distinct id
        """
        return self._tpsl_run(self._flow_cancel(ids, symbol, params, 'cross'))

    def create_isolated_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        set a take-profit and/or a stop-loss on an isolated-margin position; never sent twice

        HTX: (POST /linear-swap-api/v1/swap_tpsl_order, POST /v5/algo/order)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param str side: the closing direction: 'sell' for a long position, 'buy' for a short one
        :param int amount: number of contracts
        :param float|dict [takeProfit]: trigger price, or {'triggerPrice', 'price', 'type', 'clientOrderId'}
        :param float|dict [stopLoss]: trigger price, or {'triggerPrice', 'price', 'type', 'clientOrderId'}
        :param dict [params]: HTX fields; 'route' as for the cancels; v5: 'position_side' (default: the position
            ``side`` closes, 'long' for 'sell'; 'both' for one-way accounts)
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per leg created
        """
        return self._tpsl_run(self._flow_create(symbol, side, amount, takeProfit, stopLoss, params, 'isolated'))

    def create_cross_tpsl_orders(
        self, symbol: str, side: str, amount: Any, takeProfit: Any = None, stopLoss: Any = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        set a take-profit and/or a stop-loss on a cross-margin position; see :meth:`create_isolated_tpsl_orders`

        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param str side: the closing direction: 'sell' for a long position, 'buy' for a short one
        :param int amount: number of contracts
        :param float|dict [takeProfit]: trigger price, or {'triggerPrice', 'price', 'type', 'clientOrderId'}
        :param float|dict [stopLoss]: trigger price, or {'triggerPrice', 'price', 'type', 'clientOrderId'}
        :param dict [params]: HTX fields and 'route'
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per leg created
        """
        return self._tpsl_run(self._flow_create(symbol, side, amount, takeProfit, stopLoss, params, 'cross'))

    def fetch_open_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch every open isolated-margin TP/SL order of a contract, all pages (take-profit, stop-loss and combined)

        HTX: (POST /linear-swap-api/v1/swap_tpsl_openorders, GET /v5/algo/order/opens)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param int [since]: earliest creation time in ms
        :param int [limit]: the most orders to return
        :param dict [params]: HTX fields, e.g. trade_type (classic); 'route' as for the cancels
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_list(symbol, since, limit, params, 'isolated'))

    def fetch_open_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch every open cross-margin TP/SL order of a contract; see :meth:`fetch_open_isolated_tpsl_orders`

        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param int [since]: earliest creation time in ms
        :param int [limit]: the most orders to return
        :param dict [params]: HTX fields and 'route'
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_list(symbol, since, limit, params, 'cross'))

    def fetch_isolated_tpsl_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """
        fetch one isolated-margin TP/SL order by id, open or finished: waiting ('open'), fired ('closed'),
        cancelled or fired but not placed ('canceled'); ``OrderNotFound`` when HTX shows it nowhere

        HTX: (the open list, then the history: POST /linear-swap-api/v1/swap_tpsl_hisorders,
        GET /v5/algo/order/history)

        :param str|int id: the order id (classic ``order_id_str``, v5 ``algo_id``)
        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param dict [params]: HTX fields; 'route' as for the cancels
        :returns dict: an `order structure <https://docs.ccxt.com/?id=order-structure>`;
            ``ccxt_htx_tpsl.outcome(order)`` gives a fired order's placed order id (``.placed``) or the code
            HTX could not place it with
        """
        return self._tpsl_run(self._flow_fetch_one(id, symbol, params, 'isolated'))

    def fetch_cross_tpsl_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """
        fetch one cross-margin TP/SL order by id, open or finished; see :meth:`fetch_isolated_tpsl_order`

        :param str|int id: the order id
        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param dict [params]: HTX fields and 'route'
        :returns dict: an `order structure <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_fetch_one(id, symbol, params, 'cross'))

    def fetch_closed_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch the isolated-margin TP/SL orders of a contract that fired (status 'closed'), oldest first

        HTX: (POST /linear-swap-api/v1/swap_tpsl_hisorders, GET /v5/algo/order/history)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param int [since]: earliest creation time in ms (classic history reaches back 90 days)
        :param int [limit]: the most orders to return; without ``since``, the newest ones
        :param dict [params]: HTX fields; 'route' as for the cancels
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_history(symbol, since, limit, params, 'isolated', 'closed'))

    def fetch_closed_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch the cross-margin TP/SL orders of a contract that fired; see :meth:`fetch_closed_isolated_tpsl_orders`

        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param int [since]: earliest creation time in ms
        :param int [limit]: the most orders to return
        :param dict [params]: HTX fields and 'route'
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_history(symbol, since, limit, params, 'cross', 'closed'))

    def fetch_canceled_isolated_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch the isolated-margin TP/SL orders of a contract that were cancelled, or fired but could not be
        placed (status 'canceled'; ``ccxt_htx_tpsl.outcome(order)`` gives HTX's fail code), oldest first

        HTX: (POST /linear-swap-api/v1/swap_tpsl_hisorders, GET /v5/algo/order/history)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param int [since]: earliest creation time in ms (classic history reaches back 90 days)
        :param int [limit]: the most orders to return; without ``since``, the newest ones
        :param dict [params]: HTX fields; 'route' as for the cancels
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_history(symbol, since, limit, params, 'isolated', 'canceled'))

    def fetch_canceled_cross_tpsl_orders(
        self, symbol: str | None = None, since: int | None = None, limit: int | None = None,
        params: dict[str, Any] = {},
    ) -> list[Any]:
        """
        fetch the cross-margin TP/SL orders of a contract that were cancelled; see
        :meth:`fetch_canceled_isolated_tpsl_orders`

        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param int [since]: earliest creation time in ms
        :param int [limit]: the most orders to return
        :param dict [params]: HTX fields and 'route'
        :returns dict[]: a list of `order structures <https://docs.ccxt.com/?id=order-structure>`
        """
        return self._tpsl_run(self._flow_history(symbol, since, limit, params, 'cross', 'canceled'))

    def cancel_all_isolated_tpsl_orders(self, symbol: str | None = None, params: dict[str, Any] = {}) -> list[Any]:
        """
        cancel every open isolated-margin TP/SL order of a contract, or of one side

        HTX: (POST /linear-swap-api/v1/swap_tpsl_cancelall; v5 lists, then cancels)

        :param str symbol: unified symbol or contract code of a USDT-margined perpetual
        :param dict [params]: extra parameters; 'route' as for the cancels
        :param str [params.side]: only orders of this direction, 'buy' or 'sell'
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per id HTX names; [] only
            when HTX said there is nothing to cancel
        """
        return self._tpsl_run(self._flow_cancel_all(symbol, params, 'isolated'))

    def cancel_all_cross_tpsl_orders(self, symbol: str | None = None, params: dict[str, Any] = {}) -> list[Any]:
        """
        cancel every open cross-margin TP/SL order of a contract or side; see :meth:`cancel_all_isolated_tpsl_orders`

        :param str symbol: unified symbol or contract code of a USDT-margined contract with cross margin
        :param dict [params]: extra parameters; 'route'; 'side'
        :returns dict[]: one `order structure <https://docs.ccxt.com/?id=order-structure>` per id HTX names
        """
        return self._tpsl_run(self._flow_cancel_all(symbol, params, 'cross'))

    def fetch_tpsl_route(self, params: dict[str, Any] = {}) -> str:
        """
        the API family the TP/SL methods use for this account: 'v1' (classic) or 'v5' (unified)

        With route 'auto' (the default) this asks HTX once per exchange (GET /v5/account/asset_mode) and
        remembers the answer; if HTX refuses the question, the methods use 'v1' for that call and ask again
        next time, and so does this. An explicit route ('v1' or 'v5', in params or options) is returned as it is.

        :param dict [params]: 'route' as for the TP/SL methods
        :returns str: 'v1' or 'v5'
        """
        route: str = self._tpsl_run(self._flow_route(params))
        return route

    # -- ccxt's unified calls: a USDT-M TP/SL call is the package's (``_unified``), any other ccxt's ------

    def create_order(self, symbol: str, type: Any, side: Any, amount: Any, price: Any = None,
                     params: dict[str, Any] = {}) -> Any:
        """ccxt's ``create_order``; with ``takeProfitPrice`` or ``stopLossPrice`` on a USDT-margined swap,
        one TP/SL order on the position ``side`` closes, never sent twice (docs/migration.md)."""
        answer = self._tpsl_run(self._flow_unified('createOrder', symbol, params, type, side, amount, price))
        return super().create_order(symbol, type, side, amount, price, params) if answer is CCXT else answer

    def cancel_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_order``; with ``stopLossTakeProfit`` (``stopLoss``, ``takeProfit``) on a
        USDT-margined swap, the package's cancel: the order if HTX cancelled it, else HTX's reason raised."""
        answer = self._tpsl_run(self._flow_unified('cancelOrder', symbol, params, id))
        return super().cancel_order(id, symbol, params) if answer is CCXT else answer

    def cancel_orders(self, ids: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_orders``; with ``stopLossTakeProfit``: one order structure per id, as HTX answered."""
        answer = self._tpsl_run(self._flow_unified('cancelOrders', symbol, params, ids))
        return super().cancel_orders(ids, symbol, params) if answer is CCXT else answer

    def cancel_all_orders(self, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``cancel_all_orders``; with ``stopLossTakeProfit``: every open TP/SL order of the swap."""
        answer = self._tpsl_run(self._flow_unified('cancelAllOrders', symbol, params))
        return super().cancel_all_orders(symbol, params) if answer is CCXT else answer

    def fetch_order(self, id: Any, symbol: str | None = None, params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_order``; with a TP/SL flag: the order open or finished, else ``OrderNotFound``."""
        answer = self._tpsl_run(self._flow_unified('fetchOrder', symbol, params, id))
        return super().fetch_order(id, symbol, params) if answer is CCXT else answer

    def fetch_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                     params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_orders``; with a TP/SL flag: open and finished TP/SL orders."""
        answer = self._tpsl_run(self._flow_unified('fetchOrders', symbol, params, since, limit))
        return super().fetch_orders(symbol, since, limit, params) if answer is CCXT else answer

    def fetch_open_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                          params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_open_orders``; with a TP/SL flag: every open TP/SL order (tp, sl and combined)."""
        answer = self._tpsl_run(self._flow_unified('fetchOpenOrders', symbol, params, since, limit))
        return super().fetch_open_orders(symbol, since, limit, params) if answer is CCXT else answer

    def fetch_closed_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                            params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_closed_orders``; with a TP/SL flag: the TP/SL orders that fired."""
        answer = self._tpsl_run(self._flow_unified('fetchClosedOrders', symbol, params, since, limit))
        return super().fetch_closed_orders(symbol, since, limit, params) if answer is CCXT else answer

    def fetch_canceled_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                              params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_canceled_orders``; with a TP/SL flag: cancelled TP/SL orders (and fired but not placed)."""
        answer = self._tpsl_run(self._flow_unified('fetchCanceledOrders', symbol, params, since, limit))
        return super().fetch_canceled_orders(symbol, since, limit, params) if answer is CCXT else answer

    def fetch_canceled_and_closed_orders(self, symbol: str | None = None, since: Any = None, limit: Any = None,
                                         params: dict[str, Any] = {}) -> Any:
        """ccxt's ``fetch_canceled_and_closed_orders``; with a TP/SL flag: every finished TP/SL order."""
        answer = self._tpsl_run(self._flow_unified('fetchCanceledAndClosedOrders', symbol, params, since, limit))
        return super().fetch_canceled_and_closed_orders(symbol, since, limit, params) if answer is CCXT else answer

    # -- sending -----------------------------------------------------------------------------

    def _tpsl_run(self, flow: Flow[T]) -> T:
        """Drive ``flow`` to its result: each step performed in turn; the flow is closed whatever happens."""
        try:
            step = next(flow)
            while True:
                if isinstance(step, LoadMarkets):
                    self.load_markets()
                    step = flow.send([])
                elif isinstance(step, Pause):
                    self.sleep(step.ms)
                    step = flow.send([])
                else:
                    step = flow.send([self._tpsl_call(call, step.retry) for call in step.calls])
        except StopIteration as done:
            result: T = done.value
            return result
        except ccxt.BaseError as error:
            raise self._tpsl_scrub(error) from error.__cause__  # the cause kept, as plain ccxt's, scrubbed
        finally:
            flow.close()

    def _tpsl_call(self, call: Call, retry: Retry | None) -> list[Attempt]:
        """Every attempt at one request (re-sent as ``_tpsl_resend`` says), each classified."""
        attempts: list[Attempt] = []
        body = self._tpsl_body(call)
        endpoint = getattr(self, call.endpoint)
        while (delay := self._tpsl_resend(call, retry, attempts)) is not None:
            if delay:
                self.sleep(delay)
            try:
                with self._tpsl_own_request():
                    attempts.append(self._tpsl_attempt(endpoint(body)))
            except ccxt.BaseError as error:
                attempts.append(self._tpsl_attempt(error))
            finally:
                self._tpsl_settle_ticket()
        return attempts

    def fetch2(self, *args: Any, **kwargs: Any) -> Any:
        """ccxt's request (create guard: ``_core``); an exception it raises carries no credential,
        whichever ccxt method sent it (its message quotes the signed URL)."""
        try:
            return super().fetch2(*args, **kwargs)
        except ccxt.BaseError as error:
            raise self._tpsl_scrub(error) from error.__cause__

    def throttle(self, cost: Any = None) -> Any:
        """ccxt's throttle, except that a TP/SL request waits for its own HTX windows only."""
        key = self._tpsl_take_pending()
        if key is None:
            return super().throttle(cost)
        pacer = self._tpsl_pacer
        give_up = time.monotonic() + pacer.patience(key) / 1000  # a skewed clock cannot stall the caller
        while (wait := pacer.wait(key, wall_ms())) > 0 and (left := give_up - time.monotonic()) > 0:
            time.sleep(min(wait / 1000, left))
        self._tpsl_mark_sent(key)
        return None
