"""The lifecycle around the cancel: create, list and cancel-all isolated TP/SL orders.

Request building and reply parsing only; the sync and async classes send.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ccxt.base.errors import ArgumentsRequired, BadRequest, BadResponse

from ._cancel import TpslCancelMixin, succeeded_ids

PAGE_SIZE = 50  # HTX's maximum for swap_tpsl_openorders
MAX_PAGES = 200  # 10,000 orders: a guard against paging that never ends

# swap_tpsl_openorders `status` → ccxt order status
HTX_TPSL_STATUS: dict[str, str] = {
    '1': 'open',  # not active yet
    '2': 'open',  # ready, waiting for its trigger
    '3': 'open',  # triggered, order being submitted
    '4': 'closed',  # triggered, order submitted
    '5': 'rejected',  # submit failed
    '6': 'canceled',
    '8': 'canceled',  # cancelled, order not found
    '9': 'open',  # being cancelled
    '10': 'rejected',  # failed
    '11': 'expired',
}


_MAX_NUMBER = Decimal(2**63 - 1)


def _decimal(value: Any) -> Decimal | None:
    """A finite number given as int, float or str, within 1e±30; None for anything else (bool included).

    The magnitude bound keeps '1e9999999' from being expanded into a huge integer or string.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number.adjusted()) <= 30 else None


class TpslLifecycleMixin(TpslCancelMixin):
    """The I/O-free half of create / fetch-open / cancel-all for isolated TP/SL orders."""

    # -- create ------------------------------------------------------------------------------

    def _tpsl_create_request(
        self, symbol: Any, side: Any, amount: Any, takeProfit: Any, stopLoss: Any, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The market and the swap_tpsl_order body; markets must be loaded."""
        where = f'{self.id} createIsolatedTpslOrders()'
        if symbol is None:
            raise ArgumentsRequired(where + ' requires a symbol argument')
        if takeProfit is None and stopLoss is None:
            raise ArgumentsRequired(where + ' requires a takeProfit or a stopLoss trigger price, or both')
        if side not in ('buy', 'sell'):
            raise BadRequest(f"{where} side must be 'buy' or 'sell' (the closing direction), got {side!r:.40}")
        if 'maxRetriesOnFailure' in params:
            raise BadRequest(f'{where} is not retried: after a lost reply a retry could place the orders twice; '
                             'list the open orders to see what was placed')
        market = self._tpsl_market(symbol, 'isolated', 'createIsolatedTpslOrders')
        volume = _decimal(amount)
        if volume is None:
            got = f'{type(amount).__name__} {amount!r:.40}'
            raise BadRequest(f'{where} amount must be a number of contracts, got {got}')
        if volume != volume.to_integral_value():
            raise BadRequest(f'{where} amount is a whole number of contracts, got {amount!r:.40}')
        if volume <= 0 or volume > _MAX_NUMBER:
            raise BadRequest(f'{where} amount must be positive and below 2**63, got {amount!r:.40}')
        request: dict[str, Any] = {'contract_code': market['id'], 'direction': side, 'volume': int(volume)}
        for prefix, price in (('tp', takeProfit), ('sl', stopLoss)):
            if price is None:
                continue
            number = _decimal(price)
            if number is None or not 0 < number < _MAX_NUMBER:
                raise BadRequest(f'{where} {prefix} trigger price must be a positive number, got {price!r:.40}')
            request[prefix + '_trigger_price'] = self.price_to_precision(market['symbol'], str(number))
        return market, self.extend(request, params)

    def _tpsl_parse_created(self, market: dict[str, Any], request: dict[str, Any], reply: Any) -> list[dict[str, Any]]:
        """One order structure per leg HTX created (take-profit first)."""
        data = reply.get('data') if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            raise BadResponse(f'{self.id} createIsolatedTpslOrders() unexpected reply: {reply!r:.300}')
        orders = []
        for prefix, leg, price_key in (('tp', 'tp_order', 'takeProfitPrice'), ('sl', 'sl_order', 'stopLossPrice')):
            item = data.get(leg)
            if not isinstance(item, dict):
                continue
            price_type = request.get(prefix + '_order_price_type', 'market')
            trigger = self.safe_number(request, prefix + '_trigger_price')
            orders.append(self.safe_order({
                'info': item,
                'id': self.safe_string_2(item, 'order_id_str', 'order_id'),
                'symbol': market['symbol'],
                'type': 'limit' if price_type == 'limit' else 'market',
                'side': request['direction'],
                'amount': request['volume'],
                'price': self.safe_number(request, prefix + '_order_price') if price_type == 'limit' else None,
                'triggerPrice': trigger,
                price_key: trigger,
                'reduceOnly': True,
                'status': 'open',
            }, market))
        return orders

    # -- fetch open --------------------------------------------------------------------------

    def _tpsl_open_orders_request(self, symbol: Any, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
        if symbol is None:
            raise ArgumentsRequired(f'{self.id} fetchOpenIsolatedTpslOrders() requires a symbol argument')
        market = self._tpsl_market(symbol, 'isolated', 'fetchOpenIsolatedTpslOrders')
        return market, self.extend({'contract_code': market['id'], 'page_index': 1, 'page_size': PAGE_SIZE}, params)

    def _tpsl_open_orders_page(self, reply: Any, request: dict[str, Any]) -> tuple[list[Any], dict[str, Any] | None]:
        """The raw orders of one page and the request for the next page (None after the last)."""
        data = reply.get('data') if isinstance(reply, dict) else None
        if not isinstance(data, dict) or not isinstance(data.get('orders', []), list):
            raise BadResponse(f'{self.id} fetchOpenIsolatedTpslOrders() unexpected reply: {reply!r:.300}')
        orders = data.get('orders', [])
        page = self.safe_integer(data, 'current_page', request['page_index'])
        pages = self.safe_integer(data, 'total_page', page)
        if not orders or page >= pages:
            return orders, None
        if page >= MAX_PAGES:
            raise BadResponse(f'{self.id} fetchOpenIsolatedTpslOrders() paging did not end after {MAX_PAGES} pages '
                              f'of {request["page_size"]}: {pages} pages reported')
        return orders, self.extend(request, {'page_index': page + 1})

    def _tpsl_parse_open_orders(
        self, raw: list[Any], market: dict[str, Any], since: Any, limit: Any
    ) -> list[dict[str, Any]]:
        orders = [self._tpsl_parse_order(item, market) for item in raw if isinstance(item, dict)]
        return list(self.filter_by_since_limit(self.sort_by(orders, 'timestamp'), since, limit))

    def _tpsl_parse_order(self, item: dict[str, Any], market: dict[str, Any]) -> Any:
        """A swap_tpsl_openorders item as a ccxt order structure."""
        price_type = self.safe_string(item, 'order_price_type')
        trigger = self.safe_number(item, 'trigger_price')
        kind = self.safe_string(item, 'tpsl_order_type')
        return self.safe_order({
            'info': item,
            'id': self.safe_string_2(item, 'order_id_str', 'order_id'),
            'symbol': self.safe_symbol(self.safe_string(item, 'contract_code'), market),
            'timestamp': self.safe_integer(item, 'created_at'),
            'type': 'limit' if price_type == 'limit' else 'market',
            'side': self.safe_string(item, 'direction'),
            'amount': self.safe_number(item, 'volume'),
            'price': self.safe_number(item, 'order_price') if price_type == 'limit' else None,
            'triggerPrice': trigger,
            'takeProfitPrice': trigger if kind == 'tp' else None,
            'stopLossPrice': trigger if kind == 'sl' else None,
            'reduceOnly': True,
            'status': HTX_TPSL_STATUS.get(self.safe_string(item, 'status') or ''),
        }, market)

    # -- cancel all --------------------------------------------------------------------------

    def _tpsl_cancel_all_request(
        self, symbol: Any, params: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if symbol is None:
            raise ArgumentsRequired(f'{self.id} cancelAllIsolatedTpslOrders() requires a symbol argument')
        market = self._tpsl_market(symbol, 'isolated', 'cancelAllIsolatedTpslOrders')
        side, params = self.handle_param_string(params, 'side')
        request: dict[str, Any] = {'contract_code': market['id']}
        if side is not None:
            if side not in ('buy', 'sell'):
                where = f'{self.id} cancelAllIsolatedTpslOrders()'
                raise BadRequest(f"{where} side must be 'buy' or 'sell', got {side!r:.40}")
            request['direction'] = side
        return market, self.extend(request, params)

    def _tpsl_parse_cancel_all(self, market: dict[str, Any], reply: Any) -> list[dict[str, Any]]:
        """One order structure per id HTX names; [] when there was nothing to cancel (1051)."""
        if isinstance(reply, dict) and reply.get('status') == 'error':
            return []  # handle_errors lets only 1051 through on this endpoint
        data = reply.get('data') if isinstance(reply, dict) else None
        named: list[str] = []
        if isinstance(data, dict):
            errors = data.get('errors')
            error_ids = [self.safe_string(item, 'order_id') for item in errors if isinstance(item, dict)] \
                if isinstance(errors, list) else []
            named = list(dict.fromkeys(i for i in [s.strip() for s in succeeded_ids(data)] + error_ids if i))
        parsed = self._tpsl_parse_reply(named, reply)  # the ids HTX names, read as a cancel's
        if parsed is None:  # not an "ok" reply with data
            raise BadResponse(f'{self.id} cancelAllIsolatedTpslOrders() unexpected reply: {reply!r:.300}')
        return [self.safe_order(self.extend(parsed[i], {'symbol': market['symbol']})) for i in named]
