"""ccxt's own order methods, answered by the package's flows when the call is a USDT-M TP/SL one.

What this module may know: the flows (``_flows``) and what they may know; never the exchange
classes, which drive these flows like any other.

A bot written for ``ccxt.htx`` manages its TP/SL orders with ccxt's unified calls and a flag
(``create_order(..., {'stopLossPrice': p})``, ``cancel_order(id, symbol, {'stopLossTakeProfit':
True})``...). For such a call on a USDT-margined perpetual swap, :meth:`TpslUnifiedMixin._flow_unified`
runs the package's own flow (both API families, statuses HTX confirmed, one result per id, ``.orders``
on failure, never a second create). Any other call returns :data:`CCXT` before anything is sent,
and the driver hands it to ccxt's method unchanged: trigger and trailing orders, spot, inverse,
calls without a symbol, calls by client order id, and every call with ``options['tpslUnified']``
False.

Which flag ccxt reads in which method, and which margin mode it uses when none is given, is data
(:data:`FLAGS`, :data:`MARGIN_DEFAULT`): ccxt 4.5.90's own reading, with one deliberate difference
each where ccxt loses orders (docs/migration.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from ccxt.base.errors import BadRequest, BaseError, InvalidOrder, OrderNotFound

from . import _errors, _validate, protocol
from ._flows import TpslFlowsMixin
from ._model import LOAD_MARKETS, Flow, Json
from ._results import outcome


class _Ccxt:
    """The sentinel a unified flow returns when the call is ccxt's to answer (nothing was sent)."""

    def __repr__(self) -> str:
        return 'CCXT'


CCXT: Final = _Ccxt()

MARGINS: Final = ('cross', 'isolated')
ALL_KINDS: Final = 'stopLossTakeProfit'

# The flags each ccxt method reads to mean "a TP/SL order" (ccxt 4.5.90, htx.py): cancel_orders and
# cancel_all_orders read stopLossTakeProfit only; the others also stopLoss / takeProfit.
FLAGS: Final[dict[str, tuple[str, ...]]] = {
    'cancelOrder': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'cancelOrders': ('stopLossTakeProfit',),
    'cancelAllOrders': ('stopLossTakeProfit',),
    'fetchOrder': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'fetchOrders': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'fetchOpenOrders': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'fetchClosedOrders': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'fetchCanceledOrders': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
    'fetchCanceledAndClosedOrders': ('stopLossTakeProfit', 'stopLoss', 'takeProfit'),
}
# Any of these true makes the call a trigger or trailing order's: ccxt's, whatever else is set
# (ccxt tests trigger first, and so do we).
NOT_TPSL: Final = ('trigger', 'stop', 'trailing')
CCXT_FLAGS: Final = (*FLAGS['cancelOrder'], *NOT_TPSL)  # every boolean flag ccxt reads: removed before sending
# By client order id: ccxt's v5 request (the package's cancels and lookups go by order id).
CLIENT_IDS: Final = ('clientOrderId', 'client_order_id', 'algo_client_order_id', 'clientOrderIds',
                     'client_order_ids')
CLIENT_ID_METHODS: Final = ('cancelOrder', 'cancelOrders', 'fetchOrder')
# ccxt reads these to choose the market type (handle_market_type_and_params / handle_sub_type_and_params)
MARKET_TYPE_KEYS: Final = ('type', 'defaultType', 'subType', 'defaultSubType')

# The margin mode ccxt uses when neither params nor options name one: 'cross' where ccxt sends one
# (createOrder; the history: fetchContractOrders), None where it sends none (the v5 algo cancel,
# open list and lookup by id cover both margin modes): then the package looks in both.
MARGIN_DEFAULT: Final[dict[str, str | None]] = {
    'createOrder': 'cross',
    'fetchOrders': 'cross',
    'fetchClosedOrders': 'cross',
    'fetchCanceledOrders': 'cross',
    'fetchCanceledAndClosedOrders': 'cross',
    'cancelOrder': None,
    'cancelOrders': None,
    'cancelAllOrders': None,
    'fetchOrder': None,
    'fetchOpenOrders': None,
}
# ccxt reads its margin-mode options under this method's name (fetchContractOrders for the history)
MARGIN_OPTION_METHOD: Final[dict[str, str]] = {
    'fetchOrders': 'fetchContractOrders', 'fetchClosedOrders': 'fetchContractOrders',
    'fetchCanceledOrders': 'fetchContractOrders', 'fetchCanceledAndClosedOrders': 'fetchContractOrders',
}

# create_order: ccxt's names of the two trigger prices (ccxt also reads HTX's)
TP_PRICE: Final = ('takeProfitPrice', 'tp_trigger_price')
SL_PRICE: Final = ('stopLossPrice', 'sl_trigger_price')
TRIGGER_OR_TRAILING: Final = ('triggerPrice', 'stopPrice', 'trigger_price', 'trailingPercent', 'callback_rate')
# what ccxt's create_order reads and drops for a TP/SL order (it never sends them on one)
CREATE_DROPPED: Final = ('hedged', 'leverRate', 'lever_rate', 'leverage', 'reduceOnly', 'reduce_only')

# cancel_order: a per-id refusal is raised as ccxt does for a single order (ccxt's table: 1061
# OrderNotFound); any other code that leaves the order in place is an InvalidOrder.
CANCEL_REFUSAL: Final[dict[str, type[BaseError]]] = {protocol.ORDER_NOT_FOUND: OrderNotFound}


class TpslUnifiedMixin(TpslFlowsMixin):
    """ccxt's unified order methods on USDT-M TP/SL orders, as flows (driven by ``_sync`` / ``async_support``)."""

    def _tpsl_unified_takes(self, method: str, params: Any) -> bool:
        """Whether ``method`` with ``params`` is a TP/SL call the package answers (before any market is known)."""
        if self.options.get('tpslUnified', True) is False or not isinstance(params, dict):
            return False
        if any(params.get(flag) is True for flag in NOT_TPSL):
            return False
        if method == 'createOrder':
            if any(params.get(k) is not None for k in TRIGGER_OR_TRAILING):
                return False
            return any(params.get(k) is not None for k in (*TP_PRICE, *SL_PRICE))
        if method in CLIENT_ID_METHODS and any(params.get(k) is not None for k in CLIENT_IDS):
            return False
        if method == 'cancelOrder':  # ccxt: safe_bool_n, the first flag that is set decides
            return next((params[f] for f in FLAGS[method] if params.get(f) is not None), None) is True
        return any(params.get(flag) is True for flag in FLAGS[method])

    def _tpsl_unified_market(self, symbol: Any) -> Json | None:
        """The USDT-margined perpetual ``symbol`` names, else None (ccxt's: it raises its own errors)."""
        if not isinstance(symbol, str) or self.markets is None:
            return None
        try:
            market: Json = self.market(symbol)
        except BaseError:
            return None
        return market if market.get('swap') and market.get('linear') else None

    def _tpsl_unified_margins(self, method: str, params: Json, where: str, market: Json) -> tuple[str, ...]:
        """The margin modes to use: ``marginMode`` (or HTX's ``margin_mode``) in params; else, where ccxt
        sends one (:data:`MARGIN_DEFAULT` not None), ccxt's options for the method, else ccxt's default;
        where ccxt sends none, both. A market with one margin mode is asked in that one unless params
        name the other (then the package's ``NotSupported`` says so)."""
        given = [params.pop(key) for key in ('marginMode', 'margin_mode', 'defaultMarginMode') if key in params]
        given = [value for value in given if value is not None]
        if len(set(map(str, given))) > 1:
            raise BadRequest(f'{where} marginMode, margin_mode and defaultMarginMode disagree ({given!r:.80}); '
                             'nothing was sent')
        supported = self.safe_string(market.get('info'), 'support_margin_mode')
        if given:
            chosen = given[0]
        elif MARGIN_DEFAULT[method] is None:
            return (supported,) if supported in MARGINS else MARGINS
        else:
            mode, _ = self.handle_margin_mode_and_params(MARGIN_OPTION_METHOD.get(method, method), {})
            chosen = mode if mode is not None else MARGIN_DEFAULT[method]
            if supported in MARGINS:
                chosen = supported  # a default never asks a market for a margin mode it does not have
        if chosen not in MARGINS:
            raise BadRequest(f"{where} marginMode must be 'cross' or 'isolated', got {chosen!r:.40}")
        return (chosen,)

    def _flow_unified(self, method: str, symbol: Any, params: Any, *args: Any) -> Flow[Any]:
        """ccxt's ``method`` as a TP/SL flow, or :data:`CCXT` (nothing sent) when the call is ccxt's."""
        if not self._tpsl_unified_takes(method, params):
            return CCXT
        where = f'{self.id} {method}()'
        params = {key: value for key, value in params.items() if value is not None}  # as ccxt's safe_* read them
        yield LOAD_MARKETS
        market = self._tpsl_unified_market(symbol)
        if market is None:
            return CCXT
        until = params.pop('until', None)  # checked before anything of the package's is sent
        if until is not None:
            until = int(_validate.non_negative(until, 'until', where, integer=True))
        # ccxt reads (and removes) the market type; a call that names another type is ccxt's
        market_type, params = self.handle_market_type_and_params(method, market, params)
        sub_type, params = self.handle_sub_type_and_params(method, market, params)
        if market_type != 'swap' or sub_type != 'linear':
            return CCXT
        params = {key: value for key, value in params.items() if key not in MARKET_TYPE_KEYS}
        kind = next((flag for flag in FLAGS.get(method, ()) if params.get(flag) is True), ALL_KINDS)
        for flag in CCXT_FLAGS:
            if isinstance(params.get(flag), bool):
                params.pop(flag)
        margins = self._tpsl_unified_margins(method, params, where, market)
        symbol = market['symbol']
        if method == 'createOrder':
            order = yield from self._flow_unified_create(symbol, margins[0], params, where, *args)
            return order
        if method in ('cancelOrder', 'cancelOrders'):
            ids = [args[0]] if method == 'cancelOrder' else args[0]
            orders = yield from self._flow_unified_cancel(ids, symbol, params, margins)
            return self._tpsl_single_cancel(orders[0], where) if method == 'cancelOrder' else orders
        if method == 'cancelAllOrders':
            cancelled = yield from self._flow_each_margin(
                margins, lambda margin: self._flow_cancel_all(symbol, params, margin))
            return cancelled
        if method == 'fetchOrder':
            order = yield from self._flow_unified_fetch_one(args[0], symbol, params, margins, kind)
            return order
        since, limit = args
        params.pop('paginate', None)  # every page is read anyway
        orders = yield from self._flow_unified_listing(method, symbol, params, margins, kind, since, limit, until)
        return orders

    # -- create --------------------------------------------------------------------------------

    def _flow_unified_create(self, symbol: str, margin: str, params: Json, where: str, order_type: Any,
                             side: Any, amount: Any, price: Any) -> Flow[Any]:
        """``create_order`` with ``takeProfitPrice`` or ``stopLossPrice``: one TP/SL order on the position
        ``side`` closes. Both in one call would be two orders; ccxt sends only the stop-loss, this refuses."""
        take_profit = _first(params, TP_PRICE)
        stop_loss = _first(params, SL_PRICE)
        if isinstance(params.get('stopLoss'), dict) or isinstance(params.get('takeProfit'), dict):
            raise BadRequest(
                f'{where} a takeProfitPrice / stopLossPrice order with an attached stopLoss / takeProfit would be '
                'two TP/SL orders, and create_order returns one: nothing was sent. Call create_order once per '
                'price, or create_isolated_tpsl_orders / create_cross_tpsl_orders(symbol, side, amount, '
                'takeProfit, stopLoss) for both')
        if take_profit is not None and stop_loss is not None:
            raise BadRequest(
                f'{where} takeProfitPrice and stopLossPrice together are two TP/SL orders, and create_order '
                'returns one (ccxt would send only the stop-loss): nothing was sent. Call create_order once per '
                'price, or create_isolated_tpsl_orders / create_cross_tpsl_orders(symbol, side, amount, '
                'takeProfit, stopLoss) for both')
        for key in CREATE_DROPPED:
            params.pop(key, None)
        if params.get('postOnly') not in (None, False):
            raise BadRequest(f'{where} a TP/SL order cannot be postOnly; nothing was sent')
        params.pop('postOnly', None)
        time_in_force = params.pop('timeInForce', params.pop('time_in_force', None))
        if time_in_force is not None and str(time_in_force).lower() != 'gtc':
            raise BadRequest(f'{where} a TP/SL order takes no timeInForce but GTC, got {time_in_force!r:.40}; '
                             'nothing was sent')
        if order_type not in ('market', 'limit'):
            raise BadRequest(f"{where} type must be 'market' or 'limit' for a TP/SL order, got {order_type!r:.40}")
        leg: Json = {'triggerPrice': take_profit if stop_loss is None else stop_loss, 'type': order_type}
        if order_type == 'limit':
            leg['price'] = price  # ccxt: the price is ignored for market orders
        client_id = _first(params, CLIENT_IDS)
        if client_id is not None:
            leg['clientOrderId'] = client_id
        tp_leg, sl_leg = (leg, None) if stop_loss is None else (None, leg)
        created = yield from self._flow_create(symbol, side, amount, tp_leg, sl_leg, params, margin)
        return created[0]

    # -- cancel --------------------------------------------------------------------------------

    def _flow_unified_cancel(self, ids: Any, symbol: str, params: Json, margins: tuple[str, ...]) -> Flow[list[Any]]:
        """Cancel by id in the first margin mode; on the classic API (its cancels are per margin mode; v5's
        is for both) ids HTX does not know there (1061), or whose state stayed unknown, are tried in the
        other one. Raises (with every id in ``.orders``) when HTX refused a request as a whole, or while some
        id's state is still unknown."""
        failure: BaseError | None = None
        try:
            orders = yield from self._flow_cancel(ids, symbol, params, margins[0])
        except BaseError as error:
            found = _errors.orders(error)
            if found is None or len(margins) == 1 or self._tpsl_auto_family == protocol.V5:
                raise
            orders, failure = found, error
        if len(margins) == 1 or self._tpsl_auto_family == protocol.V5:
            return orders
        again_ids = [o['id'] for o in orders if _unknown(o) or outcome(o).code == protocol.ORDER_NOT_FOUND]
        if again_ids:
            try:
                again = yield from self._flow_cancel(again_ids, symbol, params, margins[1])
            except BaseError as error:
                again = _errors.orders(error) or []
                failure = failure or error
            second = {o['id']: o for o in again}
            orders = [_better(o, second.get(o['id'])) for o in orders]
        # raised as the package's cancel raises: a request HTX refused as a whole, or an id still unknown
        refused = failure is not None and _errors.htx_reply(failure) is not None
        if failure is not None and (refused or any(_unknown(o) for o in orders)):
            raise self._tpsl_scrub(_errors.attach(failure, orders=orders, htx_reply=_errors.htx_reply(failure)))
        return orders

    def _tpsl_single_cancel(self, order: Any, where: str) -> Any:
        """ccxt's ``cancel_order``: the order when HTX shows it cancelled, else the exception HTX's
        per-id code means (``OrderNotFound`` for 1061), carrying the order in ``.orders``."""
        if order['status'] == 'canceled':
            return order
        result = outcome(order)
        error_class = CANCEL_REFUSAL.get(result.code or '', InvalidOrder)
        state = f"it is {order['status']}" if order['status'] else 'HTX names no state'
        error = error_class(f'{where} HTX did not cancel TP/SL order {order["id"]} ({result.code}: {result.message}; '
                            f'{state})')
        raise self._tpsl_scrub(_errors.attach(error, orders=[order]))

    # -- fetch -----------------------------------------------------------------------------------

    def _flow_unified_fetch_one(self, order_id: Any, symbol: str, params: Json, margins: tuple[str, ...],
                                kind: str) -> Flow[Any]:
        """One TP/SL order by id, in each margin mode in turn; ``OrderNotFound`` when HTX shows it in none."""
        missing: OrderNotFound | None = None
        for margin in margins:
            try:
                order = yield from self._flow_fetch_one(order_id, symbol, params, margin)
            except OrderNotFound as error:
                missing = error
                continue
            if _of_kind(order, kind):
                return order
            raise OrderNotFound(f'{self.id} fetchOrder() TP/SL order {order["id"]} is not a {kind} order')
        assert missing is not None
        raise missing

    def _flow_unified_listing(self, method: str, symbol: str, params: Json, margins: tuple[str, ...], kind: str,
                              since: Any, limit: Any, until: int | None) -> Flow[list[Any]]:
        """The TP/SL orders a ccxt listing asks for, in every margin mode asked, of ``kind``, created no
        later than ``until``, then since/limit applied (an order listed open and then in history: once, finished)."""
        where = f'{self.id} {method}()'
        since = None if since is None else int(_validate.non_negative(since, 'since', where, integer=True))
        limit = None if limit is None else int(_validate.non_negative(limit, 'limit', where, integer=True))
        # a filter (kind, until) reads everything, then limits
        inner = limit if kind == ALL_KINDS and until is None else None
        orders: list[Any] = []
        if method in ('fetchOpenOrders', 'fetchOrders'):
            orders += yield from self._flow_each_margin(
                margins, lambda m: self._flow_list(symbol, since, inner, params, m))
        status = {'fetchClosedOrders': 'closed', 'fetchCanceledOrders': 'canceled'}.get(method)
        if method != 'fetchOpenOrders':
            orders += yield from self._flow_each_margin(
                margins, lambda m: self._flow_history(symbol, since, inner, params, m, status))
        by_id = {o['id']: o for o in orders}  # the history's reading last: it wins over the open list's
        chosen = [o for o in by_id.values() if _of_kind(o, kind)
                  and (until is None or o['timestamp'] is None or o['timestamp'] <= until)]
        return self._tpsl_since_limit_filter(chosen, since, limit, tail=since is None and method != 'fetchOpenOrders')

    def _flow_each_margin(self, margins: Iterable[str], flow: Any) -> Flow[list[Any]]:
        """``flow(margin)`` for each margin mode, concatenated; a failure in one does not stop the next,
        and the first is raised at the end carrying everything in ``.orders``."""
        found: list[Any] = []
        failure: BaseError | None = None
        for margin in margins:
            try:
                found += yield from flow(margin)
            except BaseError as error:
                found += _errors.orders(error) or []
                failure = failure or error
        if failure is not None:
            raise _errors.attach(failure, orders=found, htx_reply=_errors.htx_reply(failure))
        return found


def _first(params: Json, keys: tuple[str, ...]) -> Any:
    """The first of ``keys`` set in ``params`` (all of them removed)."""
    values = [params.pop(key, None) for key in keys]
    return next((value for value in values if value is not None), None)


def _unknown(order: Any) -> bool:
    """An id whose state HTX did not tell (its reply lost, and nowhere in HTX's lists)."""
    return bool(order['status'] is None and outcome(order).code is None)


def _better(first: Any, second: Any) -> Any:
    """What to report for an id tried in both margin modes: a state HTX shows wins; an unknown outcome
    in the second is unknown; HTX not knowing it in the second (1061) keeps the first's answer."""
    if second is None:
        return first
    if second['status'] is not None:
        return second
    if _unknown(second):
        return first if first['status'] is not None else second
    return first if outcome(second).code == protocol.ORDER_NOT_FOUND else second


def _of_kind(order: Any, kind: str) -> bool:
    """Whether ``order`` is of the kind a ccxt flag asks for (a combined TP/SL order is of both)."""
    if kind == 'stopLoss':
        return order.get('stopLossPrice') is not None or _v5_type(order) in ('sl', 'tpsl')
    if kind == 'takeProfit':
        return order.get('takeProfitPrice') is not None or _v5_type(order) in ('tp', 'tpsl')
    return True


def _v5_type(order: Any) -> str | None:
    info = order.get('info')
    return info.get('type') if isinstance(info, dict) else None
