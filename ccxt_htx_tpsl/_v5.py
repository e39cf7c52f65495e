"""The v5 family (unified account, ``/v5/algo/...``): its requests and how to read its replies.

Envelope: ``{"code": 200, "message": "Success", "data": ..., "ts"}``; any other ``code`` is a
refusal. TP/SL orders are "algo" orders: the id create returns and cancel takes is ``algo_id``
(listings also carry an ``id``, a different, short number). Observed live (see
``tests/data/htx-real-replies.json``): create ``type: "tp"`` answered by a list of
``{algo_id, algo_client_order_id}``; cancel answered by one item per order with its own ``code``
and ``message``; open orders as a bare list. Unconfirmed, from SDKs only: the ``sl`` and ``tpsl``
types, the per-item failure codes (``protocol.V5_ASSUMED_ITEM_CODES``), the batch limit
(``protocol.V5_MAX_CANCEL_ITEMS``) and paging by ``from``/``limit``/``direct``.

What this module may know: ``_model``, ``_family`` (the :class:`Host` it gets), ``_endpoints`` and
``protocol``; never the exchange classes or the flows.
"""

from __future__ import annotations

from typing import Any

from ccxt.base.errors import BadResponse

from . import _endpoints, protocol
from ._family import Host
from ._model import Call, Created, CreateSpec, IdResult, Json, Leg, Page, positive, safe_timestamp, side


def _paged(query: Json, cursor: Any, params: Json) -> Json:
    """A listing query from ``cursor`` on (the last item's ``id``: SDK paging), with the caller's fields."""
    if cursor is not None:
        query['from'] = cursor
        query['direct'] = 'next'
    if params:
        query.update(params)
    return query


# the closing side -> the position it closes (hedge mode); one-way accounts send position_side 'both'
POSITION_SIDE = {'sell': 'long', 'buy': 'short'}


class V5:
    """The v5 algo-order endpoints; one code path for isolated and cross (``margin_mode``)."""

    name = protocol.V5
    max_cancel_ids = protocol.V5_MAX_CANCEL_ITEMS
    max_pages = protocol.V5_MAX_PAGES

    @staticmethod
    def refusal_code(reply: Any) -> str | None:
        if isinstance(reply, dict) and 'status' not in reply and 'code' in reply:
            code = protocol.code_of(reply.get('code'))
            return None if code == protocol.OK_CODE else code or '?'
        return None

    # -- cancel by id ------------------------------------------------------------------------

    def cancel_call(self, market: Json, margin: str, ids: list[str], params: Json) -> Call:
        # a JSON array, one item per order (observed); the cancel carries no margin mode
        endpoint = _endpoints.V5_CANCEL
        code = market['id']
        body = [dict({'contract_code': code, 'algo_id': i}, **params) if params else
                {'contract_code': code, 'algo_id': i} for i in ids]
        return Call(endpoint.attr, endpoint.key, body)

    def cancel_outcomes(self, ex: Host, ids: list[str], reply: Any) -> dict[str, IdResult] | None:
        # {"code": 200, "message": "Success", "data": [{"code": 200, "message": "Success",
        #   "algo_id": "1512871666507657216", "algo_client_order_id": null}], "ts": 1780741641296}
        if not isinstance(reply, dict) or protocol.code_of(reply.get('code')) != protocol.OK_CODE:
            return None
        data = reply.get('data')
        if not isinstance(data, list):
            return None
        wanted = set(ids)
        found: dict[str, IdResult] = {}
        for item in data:  # one pass: linear in the reply's size
            if not isinstance(item, dict):
                continue
            order_id = ex.safe_string(item, 'algo_id')
            if order_id not in wanted:
                continue
            code = protocol.code_of(item.get('code'))
            if code == protocol.OK_CODE:
                found[order_id] = IdResult('canceled', item)
            elif order_id not in found or found[order_id].status != 'canceled':
                found[order_id] = IdResult(protocol.CANCEL_CODE_STATUS.get(code or ''), item, code)
        return found

    @staticmethod
    def refused_info(order_id: str, code: str | None, message: Any) -> Json:
        return {'algo_id': order_id, 'code': code, 'message': message}

    @staticmethod
    def unknown_info(order_id: str, error: str, message: str) -> Json:
        return {'algo_id': order_id, 'error': error, 'message': message}

    # -- create ------------------------------------------------------------------------------

    def create_calls(self, market: Json, spec: CreateSpec, params: Json) -> list[tuple[Call, list[Leg]]]:
        # One algo order per leg, each its own id, so that a refused leg never hides the other
        # one's outcome. type 'tp' is observed live; 'sl' is from SDKs only (unconfirmed).
        endpoint = _endpoints.V5_ORDER
        calls = []
        for leg in spec.legs:
            body: Json = {
                'contract_code': market['id'],
                'margin_mode': spec.margin,
                'position_side': spec.position_side or POSITION_SIDE[spec.side],
                'side': spec.side,
                'type': leg.kind,
                'volume': str(spec.amount),
                leg.kind + '_trigger_price': leg.trigger,
                leg.kind + '_type': 'limit' if leg.price_type == 'limit' else 'market',
            }
            if leg.price is not None:
                body[leg.kind + '_order_price'] = leg.price
            if leg.client_id is not None:
                body['algo_client_order_id'] = leg.client_id
            body.update(params)
            calls.append((Call(endpoint.attr, endpoint.key, body), [leg]))
        return calls

    def created_orders(self, ex: Host, market: Json, spec: CreateSpec, legs: list[Leg], reply: Any) -> Created:
        # {"code": 200, "message": "Success", "data": [{"algo_id": "1512871666507657216",
        #   "algo_client_order_id": null}], "ts": 1780738313102}
        data = reply.get('data') if isinstance(reply, dict) else None
        if isinstance(data, dict):  # tolerated: one object instead of a list
            data = [data]
        acks = [item for item in data if isinstance(item, dict) and ex.safe_string(item, 'algo_id')] \
            if isinstance(data, list) else []
        if len(acks) != len(legs):
            return Created([], list(legs), f'{ex.id} unexpected reply to a TP/SL create: {reply!r:.300}')
        return Created([ex._tpsl_new_order(market, spec, leg, str(ex.safe_string(ack, 'algo_id')),
                                           ex.safe_string(ack, 'algo_client_order_id'), ack)
                        for leg, ack in zip(legs, acks, strict=True)])

    # -- list --------------------------------------------------------------------------------

    def list_call(self, market: Json, margin: str, cursor: Any, params: Json) -> Call:
        endpoint = _endpoints.V5_OPENS
        query: Json = {'contract_code': market['id'], 'limit': protocol.V5_PAGE_LIMIT}
        return Call(endpoint.attr, endpoint.key, _paged(query, cursor, params))

    def history_call(self, market: Json, margin: str, cursor: Any, params: Json, since: int | None,
                     status: str | None, recent: bool = False) -> Call:
        # SDK readings (no request published): contract_code, margin_mode, states, start_time, from,
        # limit, direct; ccxt sends limit, margin_mode, contract_code, type and states (htx-protocol.md)
        endpoint = _endpoints.V5_HISTORY
        query: Json = {'contract_code': market['id'], 'margin_mode': margin,
                       'states': protocol.V5_HISTORY_STATES[status], 'limit': protocol.V5_PAGE_LIMIT}
        if since is not None:
            query['start_time'] = since
        return Call(endpoint.attr, endpoint.key, _paged(query, cursor, params))

    def list_page(self, ex: Host, reply: Any, cursor: Any, request: Any) -> Page:
        # {"code": 200, "message": "Success", "data": [{"id": "162173672", "algo_id": "...", ...}]}:
        # a bare list, no total and no cursor; the next page starts after the last item's id
        # Only HTX's envelope with a list is a page: HTML, an empty body, null, [] or a reply without
        # ``data`` says nothing about the orders (an empty page is ``"data": []``, observed).
        data = reply.get('data') if isinstance(reply, dict) else None
        if not isinstance(data, list) or protocol.code_of(reply.get('code')) != protocol.OK_CODE:
            raise BadResponse(f'{ex.id} unexpected reply to a TP/SL listing: {reply!r:.300}')
        limit = ex.safe_integer(request, 'limit', protocol.V5_PAGE_LIMIT)
        if not data or limit is None or len(data) < limit:
            return Page(data)
        last = data[-1]
        next_cursor = ex.safe_string(last, 'id') if isinstance(last, dict) else None
        if next_cursor is None or next_cursor == cursor:
            raise BadResponse(f'{ex.id} TP/SL listing: a full page without a usable last id '
                              f'({next_cursor!r:.40}): paging makes no progress')
        return Page(data, next_cursor)

    def listed_order(self, ex: Host, item: Any, market: Json, margin: str) -> Json | None:
        # {"id": "162173672", "volume": "1", "type": "tp", "state": "active", "side": "sell",
        #  "algo_id": "1512871666507657216", "contract_code": "BTC-USDT", "position_side": "long",
        #  "margin_mode": "cross", "created_time": "1780738313091", "updated_time": "1780738313187",
        #  "order_source": "api", "tp_trigger_price": "101000", "tp_order_price": "0",
        #  "tp_type": "market", "tp_trigger_price_type": "last"}
        if not isinstance(item, dict):
            return None
        kind = ex.safe_string(item, 'type')
        order_id = ex.safe_string(item, 'algo_id')
        if (kind not in protocol.V5_TPSL_TYPES or order_id is None
                or ex.safe_string(item, 'margin_mode', margin) != margin
                or ex.safe_string(item, 'contract_code', market['id']) != market['id']):
            return None
        take_profit = positive(ex.safe_number(item, 'tp_trigger_price')) if kind in ('tp', 'tpsl') else None
        stop_loss = positive(ex.safe_number(item, 'sl_trigger_price')) if kind in ('sl', 'tpsl') else None
        prefix = 'sl' if kind == 'sl' else 'tp'
        limit = ex.safe_string(item, prefix + '_type') == 'limit'
        order: Json = ex._tpsl_order({
            'info': item,
            'id': order_id,
            'clientOrderId': ex.safe_string(item, 'algo_client_order_id'),
            'timestamp': safe_timestamp(item.get('created_time')),
            'lastUpdateTimestamp': safe_timestamp(item.get('updated_time')),
            'type': 'limit' if limit else 'market',
            'side': side(ex.safe_string(item, 'side')),
            'amount': positive(ex.safe_number(item, 'volume')),
            'price': positive(ex.safe_number(item, prefix + '_order_price')) if limit else None,
            'triggerPrice': take_profit if kind == 'tp' else stop_loss if kind == 'sl' else None,
            'takeProfitPrice': take_profit,
            'stopLossPrice': stop_loss,
            'reduceOnly': True,
            'status': protocol.V5_STATE_STATUS.get(ex.safe_string(item, 'state') or ''),
        }, market)
        return order

    # -- cancel all: v5 has no algo cancel-all; the shared flow lists, then cancels ----------

    def cancel_all_call(self, market: Json, margin: str, side: str | None, params: Json) -> Call | None:
        return None

    def cancel_all_named(self, ex: Host, reply: Any) -> list[str] | None:
        return None


V5_FAMILY = V5()
