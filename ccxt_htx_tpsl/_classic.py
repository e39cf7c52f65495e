"""The classic family (``/linear-swap-api/v1/...``): its requests and how to read its replies.

What this module may know: ``_model``, ``_family`` (the :class:`Host` it gets), ``_endpoints`` and
``protocol``; never the exchange classes or the flows.

Envelope: ``{"status": "ok", "data": ..., "ts"}``, or ``{"status": "error", "err_code", "err_msg",
"ts"}`` for a refusal. Order ids are ``order_id`` (``order_id_str`` exact where HTX also sends a
number that lost precision). Cancels answer per id inside an ok reply: ``data.errors`` (one item per
refused id) and ``data.successes`` (one comma-joined string).
"""

from __future__ import annotations

from typing import Any

from ccxt.base.errors import BadResponse

from . import _endpoints, protocol
from ._family import Host
from ._model import Call, Created, CreateSpec, IdResult, Json, Leg, Page, now_ms, positive, safe_timestamp, side


def succeeded_ids(data: Json) -> list[str]:
    """The ids of a classic reply's ``successes`` (a comma-joined string; a list tolerated)."""
    successes = data.get('successes')
    if isinstance(successes, str):
        return [part.strip() for part in successes.split(',') if part.strip()]
    if isinstance(successes, list):
        return [str(s).strip() for s in successes if isinstance(s, str | int) and not isinstance(s, bool)]
    return []


def _whole(value: Any, default: int | None) -> int | None:
    """A page number from HTX's reply: a whole number (int, or digits as text), else ``default``
    (ccxt's safe_integer raises on an infinite float before 4.5)."""
    if isinstance(value, bool) or value is None:
        return default
    if isinstance(value, float):
        return int(value) if value.is_integer() else default
    if isinstance(value, int):
        return value
    code = protocol.code_of(value)
    return int(code) if code is not None else default


class Classic:
    """The classic TP/SL endpoints, isolated (``swap_tpsl_*``) and cross (``swap_cross_tpsl_*``)."""

    name = protocol.CLASSIC
    max_cancel_ids = protocol.CLASSIC_MAX_CANCEL_IDS
    max_pages = protocol.CLASSIC_MAX_PAGES

    @staticmethod
    def refusal_code(reply: Any) -> str | None:
        if isinstance(reply, dict) and reply.get('status') == 'error':
            return protocol.code_of(reply.get('err_code', reply.get('err-code'))) or '?'
        return None

    # -- cancel by id ------------------------------------------------------------------------

    def cancel_call(self, market: Json, margin: str, ids: list[str], params: Json) -> Call:
        endpoint = _endpoints.CLASSIC_CANCEL[margin]
        body = {'contract_code': market['id'], 'order_id': ','.join(ids)}
        if params:
            body.update(params)
        return Call(endpoint.attr, endpoint.key, body)

    def cancel_outcomes(self, ex: Host, ids: list[str], reply: Any) -> dict[str, IdResult] | None:
        # {"status": "ok", "data": {"errors": [{"order_id": "795713650661638145", "err_code": 1061,
        #   "err_msg": "This order doesnt exist."}], "successes": "795713650661638144"}, "ts": 1609754722004}
        if not isinstance(reply, dict) or reply.get('status') != 'ok' or not isinstance(reply.get('data'), dict):
            return None
        data = reply['data']
        wanted = set(ids)
        found: dict[str, IdResult] = {}
        errors = data.get('errors')
        for item in errors if isinstance(errors, list) else ():
            order_id = ex.safe_string(item, 'order_id') if isinstance(item, dict) else None
            if order_id in wanted:
                code = protocol.code_of(item.get('err_code'))
                found[order_id] = IdResult(protocol.CANCEL_CODE_STATUS.get(code or ''), item, code)
        for order_id in succeeded_ids(data):
            if order_id in wanted:  # a success wins over an error item for the same id
                found[order_id] = IdResult('canceled', order_id)
        return found

    @staticmethod
    def refused_info(order_id: str, code: str | None, message: Any) -> Json:
        return {'order_id': order_id, 'err_code': code, 'err_msg': message}

    @staticmethod
    def unknown_info(order_id: str, error: str, message: str) -> Json:
        return {'order_id': order_id, 'error': error, 'err_msg': message}

    # -- create ------------------------------------------------------------------------------

    def create_calls(self, market: Json, spec: CreateSpec, params: Json) -> list[tuple[Call, list[Leg]]]:
        # one request for both legs; HTX links them (relation_tpsl_order_id)
        endpoint = _endpoints.CLASSIC_ORDER[spec.margin]
        body: Json = {'contract_code': market['id'], 'direction': spec.side, 'volume': spec.amount}
        for leg in spec.legs:
            body[leg.kind + '_trigger_price'] = leg.trigger
            body[leg.kind + '_order_price_type'] = leg.price_type
            if leg.price is not None:
                body[leg.kind + '_order_price'] = leg.price
        body.update(params)
        return [(Call(endpoint.attr, endpoint.key, body), spec.legs)]

    def created_orders(self, ex: Host, market: Json, spec: CreateSpec, legs: list[Leg], reply: Any) -> Created:
        # {"status": "ok", "data": {"tp_order": {"order_id": 795713650661638100,
        #   "order_id_str": "795713650661638144"}, "sl_order": {...}}, "ts": 1609754517975}
        data = reply.get('data') if isinstance(reply, dict) else None
        if not isinstance(data, dict):
            return Created([], list(legs), f'{ex.id} unexpected reply to a TP/SL create: {reply!r:.300}')
        orders, missing = [], []
        for leg in legs:
            item = data.get(leg.kind + '_order')
            order_id = ex.safe_string_2(item, 'order_id_str', 'order_id') if isinstance(item, dict) else None
            if order_id is None:
                missing.append(leg)
            else:
                orders.append(ex._tpsl_new_order(market, spec, leg, order_id, None, item))
        if missing:  # the legs HTX confirmed are reported; the others' fate is unknown
            return Created(orders, missing, f'{ex.id} the reply to a TP/SL create names no '
                                            f"{' or '.join(leg.kind + '_order' for leg in missing)} id: {reply!r:.300}")
        return Created(orders)

    # -- list --------------------------------------------------------------------------------

    def list_call(self, market: Json, margin: str, cursor: Any, params: Json) -> Call:
        endpoint = _endpoints.CLASSIC_OPEN[margin]
        body = {'contract_code': market['id'], 'page_index': cursor or 1, 'page_size': protocol.CLASSIC_PAGE_SIZE}
        if params:
            body.update(params)
        return Call(endpoint.attr, endpoint.key, body)

    def history_call(self, market: Json, margin: str, cursor: Any, params: Json, since: int | None,
                     status: str | None, recent: bool = False) -> Call:
        # doc example: {"contract_code": "BTC-USDT", "status": 0, "create_date": 30, "page_index": 1,
        #   "page_size": 50, "sort_by": "created_at"}; every finished state, filtered by the flow
        endpoint = _endpoints.CLASSIC_HISTORY[margin]
        days = protocol.CLASSIC_HISTORY_MAX_DAYS
        if since is not None:
            days = min(days, max(1, -(-(now_ms() - since) // 86_400_000)))  # whole days back to since
        body: Json = {'contract_code': market['id'], 'status': protocol.CLASSIC_HISTORY_ALL, 'create_date': days,
                      'page_index': cursor or 1, 'page_size': protocol.CLASSIC_HISTORY_PAGE_SIZE,
                      'sort_by': 'update_time' if recent else 'created_at'}
        if params:
            body.update(params)
        return Call(endpoint.attr, endpoint.key, body)

    def list_page(self, ex: Host, reply: Any, cursor: Any, request: Any) -> Page:
        # {"status": "ok", "data": {"orders": [...], "total_page": 4, "current_page": 1, "total_size": 4}}
        data = reply.get('data') if isinstance(reply, dict) and reply.get('status') == 'ok' else None
        orders = data.get('orders') if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(orders, list):  # only HTX's envelope is a page
            raise BadResponse(f'{ex.id} unexpected reply to a TP/SL listing: {reply!r:.300}')
        asked = cursor or 1
        page = _whole(data.get('current_page'), asked)
        pages = _whole(data.get('total_page'), page)
        if not orders or page is None or pages is None or page >= pages:
            return Page(orders)
        if page != asked:  # a server repeating a page would make paging endless
            raise BadResponse(f'{ex.id} TP/SL listing: asked for page {asked}, got page {page} of {pages}: '
                              'paging makes no progress')
        return Page(orders, asked + 1)

    def listed_order(self, ex: Host, item: Any, market: Json, margin: str) -> Json | None:
        # {"contract_code": "BTC-USDT", "margin_mode": "isolated", "volume": 1, "direction": "buy",
        #  "order_id_str": "795715396674895872", "tpsl_order_type": "tp", "trigger_type": "le",
        #  "trigger_price": 27000, "order_price": 0, "order_price_type": "optimal_5", "status": 2,
        #  "created_at": 1609754934244, "relation_tpsl_order_id": "795715396674895873"}
        if not isinstance(item, dict):
            return None
        kind = ex.safe_string(item, 'tpsl_order_type')
        order_id = ex.safe_string_2(item, 'order_id_str', 'order_id')
        if order_id is None or ex.safe_string(item, 'contract_code', market['id']) != market['id']:
            return None
        price_type = ex.safe_string(item, 'order_price_type')
        trigger = positive(ex.safe_number(item, 'trigger_price'))
        order: Json = ex._tpsl_order({
            'info': item,
            'id': order_id,
            'timestamp': safe_timestamp(item.get('created_at')),
            'lastUpdateTimestamp': safe_timestamp(item.get('update_time')),  # history items only (doc)
            'type': 'limit' if price_type == 'limit' else 'market',
            'side': side(ex.safe_string(item, 'direction')),
            'amount': positive(ex.safe_number(item, 'volume')),
            'price': positive(ex.safe_number(item, 'order_price')) if price_type == 'limit' else None,
            'triggerPrice': trigger,
            'takeProfitPrice': trigger if kind == 'tp' else None,
            'stopLossPrice': trigger if kind == 'sl' else None,
            'reduceOnly': True,
            'status': protocol.CLASSIC_STATUS.get(ex.safe_string(item, 'status') or ''),
        }, market)
        return order

    # -- cancel all --------------------------------------------------------------------------

    def cancel_all_call(self, market: Json, margin: str, side: str | None, params: Json) -> Call | None:
        endpoint = _endpoints.CLASSIC_CANCEL_ALL[margin]
        body: Json = {'contract_code': market['id']}
        if side is not None:
            body['direction'] = side
        body.update(params)
        return Call(endpoint.attr, endpoint.key, body)

    def cancel_all_named(self, ex: Host, reply: Any) -> list[str] | None:
        # same reply as a cancel: {"status": "ok", "data": {"errors": [], "successes": "1,2,3"}}
        if not isinstance(reply, dict) or reply.get('status') != 'ok' or not isinstance(reply.get('data'), dict):
            return None
        data = reply['data']
        errors = data.get('errors')  # doc examples: always there, [] when none failed
        if not isinstance(data.get('successes'), str | list) or not isinstance(errors, list):
            return None  # HTX always names both: without them the reply says nothing
        failed = [ex.safe_string(item, 'order_id') for item in errors if isinstance(item, dict)]
        return list(dict.fromkeys([*succeeded_ids(data), *(i for i in failed if i)]))


CLASSIC = Classic()
