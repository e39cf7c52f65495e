"""The v5 algo (TP/SL) endpoints as pure functions of (algo book, UID, payload) -> ``data``.

``payload`` is the JSON body of a POST (an object for create, an array for cancel) or the query of
a GET (auth parameters removed). Top-level failures raise :class:`HtxError`, answered in the v5
envelope ``{"code", "message", "data": null, "ts"}``. Like the classic endpoints, a missing
required field answers 1066, a malformed value 1067 ("Illegal parameter <field>."); the v5 codes
for these are not published (ccxt#28884 quotes a v5 1067), so they are the sandbox's choice.

ASSUMED, each with what it rests on:

- ``type`` ``tpsl`` creates ONE algo order carrying both the ``tp_*`` and ``sl_*`` fields (one
  ``algo_id``); only ``tp`` has been observed (``protocol.V5_TPSL_TYPES``); ``sl``, ``tpsl`` and the
  fields ``tp_type``, ``*_trigger_price_type``, ``reduce_only``, ``algo_client_order_id`` come from
  SDKs only. Any other ``type`` (``trailing_stop`` too: the sandbox does not model it) answers
  1067 "Illegal parameter type.";
- an unknown contract answers 1014, ``isolated`` on a cross-only contract 1014 and
  ``cross`` on an isolated-only one 1348, like the classic endpoints;
- the per-item failure codes of a cancel are the classic ones (``protocol.V5_ASSUMED_ITEM_CODES``):
  1061 not found (unknown id or contract, another UID's order, a classic order id, a forgotten
  closed order), 1071 already cancelled, 1063 triggered (``effective``) or failed, 1062 cancelling;
- at most ``protocol.V5_MAX_CANCEL_ITEMS`` items per cancel (1052 above); a malformed cancel is
  refused whole (1030 not an array or an item not an object, 1066 empty or a field missing, 1067 a
  field that is not a string or number);
- a classic account calling these endpoints gets 4007 in the v5 envelope with ``msg``
  (``protocol.V5_REFUSAL_FOR_CLASSIC``, checked in :mod:`.server`);
- ``algo_client_order_id`` is at most :data:`MAX_CLIENT_ID_LENGTH` characters (1067 above) and is
  not checked for uniqueness; a cancel by client id hits the newest order with it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from .. import protocol
from . import contracts
from .contracts import CROSS, ISOLATED, Contract
from .endpoints import empty_field, illegal_field, text_field
from .errors import (
    BATCH_TOO_LARGE,
    CONTRACT_NOT_FOUND,
    INPUT_ERROR,
    NO_CROSS_MARGIN,
    ORDER_NOT_FOUND,
    PARAM_ILLEGAL,
    HtxError,
    Json,
)
from .state import (
    ALGO_TYPES,
    LEG_TYPES,
    MARGIN_MODES,
    POSITION_SIDES,
    SIDES,
    TRIGGER_PRICE_TYPES,
    AlgoBook,
    AlgoCancel,
    AlgoLeg,
    AlgoSpec,
    price_text,
)

V5Action = Callable[[AlgoBook, str, Any], Any]

V5_DEFAULT_PAGE_LIMIT: Final = 10
"""SDK: the default ``limit`` of ``GET /v5/algo/order/opens`` (sandbox constant; protocol.py has only the max)."""
LISTED_TYPES: Final = (*ALGO_TYPES, 'trailing_stop')
"""``type`` filters the opens listing accepts (observed: ``tp``, ``trailing_stop``; no trailing order is listed)."""
DIRECTS: Final = ('next', 'prev')
DETAIL_NOT_FOUND: Final = ORDER_NOT_FOUND
"""UNCONFIRMED: what ``GET /v5/algo/order`` answers for an id the account does not have (no reply published)."""
MAX_CLIENT_ID_LENGTH: Final = 64
"""ASSUMED: the longest ``algo_client_order_id`` (no public limit; keeps the book's memory bounded)."""
_MAX_PRICE_CHARS = 32
_TRUE = ('true', '1')
_FALSE = ('false', '0')


def _choice(payload: Mapping[str, Any], name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    value = text_field(payload, name)
    if value is None:
        return default
    if value not in choices:
        raise illegal_field(name)
    return value


def _required(payload: Mapping[str, Any], name: str, choices: tuple[str, ...]) -> str:
    value = _choice(payload, name, choices)
    if value is None:
        raise empty_field(name)
    return value


def _price(body: Json, name: str) -> str | None:
    text = text_field(body, name)
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise illegal_field(name) from None
    if not value.is_finite() or value <= 0 or len(text) > _MAX_PRICE_CHARS:
        raise illegal_field(name)
    return price_text(value)


def _volume(body: Json) -> int:
    text = text_field(body, 'volume')
    if text is None:
        raise empty_field('volume')
    try:
        value = float(text)
    except ValueError:
        raise illegal_field('volume') from None
    if not math.isfinite(value) or value <= 0:
        raise illegal_field('volume')
    if not value.is_integer():
        raise HtxError(INPUT_ERROR)  # HTX's FAQ: a fractional volume is an input error
    return int(value)


def _leg(body: Json, prefix: str) -> AlgoLeg:
    trigger = _price(body, f'{prefix}_trigger_price')
    if trigger is None:
        raise empty_field(f'{prefix}_trigger_price')
    leg_type = _choice(body, f'{prefix}_type', LEG_TYPES, 'market') or 'market'
    price = _price(body, f'{prefix}_order_price')
    if leg_type == 'limit' and price is None:
        raise empty_field(f'{prefix}_order_price')
    trigger_type = _choice(body, f'{prefix}_trigger_price_type', TRIGGER_PRICE_TYPES, 'last') or 'last'
    # observed: a market leg lists tp_order_price "0" whatever was sent
    return AlgoLeg(trigger, price if leg_type == 'limit' and price else '0', leg_type, trigger_type)


def _reduce_only(body: Json) -> bool | None:
    value = body.get('reduce_only')
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int) else None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise illegal_field('reduce_only')


def _client_id(body: Json) -> str | None:
    value = text_field(body, 'algo_client_order_id')
    if value is not None and (isinstance(body.get('algo_client_order_id'), float)
                              or len(value) > MAX_CLIENT_ID_LENGTH):
        raise illegal_field('algo_client_order_id')
    return value


def _contract(code: str | None, margin_mode: str | None) -> Contract:
    """The listed contract; 1014 when unknown (or without isolated margin, like the classic isolated
    endpoints), 1348 for cross on an isolated-only contract."""
    if code is None:
        raise empty_field('contract_code')
    contract = contracts.find(code)
    if contract is None or (margin_mode == ISOLATED and not contract.supports(ISOLATED)):
        raise HtxError(CONTRACT_NOT_FOUND)
    if margin_mode == CROSS and not contract.supports(CROSS):
        raise HtxError(NO_CROSS_MARGIN)
    return contract


def algo_spec(body: Any) -> AlgoSpec:
    """Validate a ``POST /v5/algo/order`` body (unknown extra fields, e.g. ccxt's ``channel_code``, are ignored)."""
    if not isinstance(body, dict):
        raise HtxError(INPUT_ERROR)
    code = text_field(body, 'contract_code')
    if code is None:
        raise empty_field('contract_code')
    kind = text_field(body, 'type')
    if kind is None:
        raise empty_field('type')
    if kind not in ALGO_TYPES:
        raise HtxError(PARAM_ILLEGAL, 'Illegal parameter type.')
    side = _required(body, 'side', SIDES)
    position_side = _required(body, 'position_side', POSITION_SIDES)
    margin_mode = _required(body, 'margin_mode', MARGIN_MODES)
    contract = _contract(code, margin_mode)
    volume = _volume(body)
    tp = _leg(body, 'tp') if kind in ('tp', 'tpsl') else None
    sl = _leg(body, 'sl') if kind in ('sl', 'tpsl') else None
    return AlgoSpec(contract, kind, side, position_side, margin_mode, volume, tp, sl,
                    _reduce_only(body), _client_id(body))


def create_algo_order(book: AlgoBook, uid: str, body: Any) -> list[Json]:
    """``POST /v5/algo/order``: one active order; ``data`` is a LIST with one ack (observed)."""
    order = book.create(uid, algo_spec(body))
    return [{'algo_id': order.algo_id, 'algo_client_order_id': order.client_order_id}]


def _integer(query: Mapping[str, Any], name: str) -> int | None:
    text = text_field(query, name)
    if text is None:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise illegal_field(name)
    return int(text)


def open_algo_orders(book: AlgoBook, uid: str, query: Mapping[str, Any]) -> list[Json]:
    """``GET /v5/algo/order/opens``: active orders newest first, ``data`` a bare list (observed).

    Filters ``contract_code`` (1014 when unknown), ``type``, ``margin_mode``; paging ``limit``
    (default :data:`V5_DEFAULT_PAGE_LIMIT`, at most ``protocol.V5_PAGE_LIMIT``, 1067 otherwise),
    ``from`` (an item ``id``) and ``direct`` (``next``: older than ``from``; ``prev``: newer).
    """
    code = text_field(query, 'contract_code')
    contract = _contract(code, None) if code is not None else None
    kind = _choice(query, 'type', LISTED_TYPES)
    margin_mode = _choice(query, 'margin_mode', MARGIN_MODES)
    limit, cursor, direct = _paging(query)
    return book.opens(uid, contract=contract, type=kind, margin_mode=margin_mode, limit=limit,
                      cursor=cursor, direct=direct)


def _paging(query: Mapping[str, Any]) -> tuple[int, int | None, str]:
    """``limit`` (default :data:`V5_DEFAULT_PAGE_LIMIT`, 1 to ``protocol.V5_PAGE_LIMIT``), ``from``, ``direct``."""
    limit = _integer(query, 'limit')
    if limit is None:
        limit = V5_DEFAULT_PAGE_LIMIT
    if not 1 <= limit <= protocol.V5_PAGE_LIMIT:
        raise illegal_field('limit')
    cursor = _integer(query, 'from')
    direct = _choice(query, 'direct', DIRECTS, 'next') or 'next'
    return limit, cursor, direct


def _states(query: Mapping[str, Any]) -> frozenset[str]:
    """``states`` (comma-joined; HTX.Net sends ``state``): final states only, 1067 otherwise; all when absent."""
    name = 'states' if text_field(query, 'states') is not None else 'state'
    text = text_field(query, name)
    if text is None:
        return frozenset(protocol.V5_FINISHED_STATES)
    parts = frozenset(part.strip() for part in text.split(','))
    if not parts <= frozenset(protocol.V5_FINISHED_STATES):
        raise illegal_field(name)
    return parts


def algo_order_history(book: AlgoBook, uid: str, query: Mapping[str, Any]) -> list[Json]:
    """``GET /v5/algo/order/history``: finished (``effective``, ``canceled``, ``failed``) orders, newest
    first, ``data`` a bare list of items shaped like the opens listing's (observed:
    v5-algo-history-tp-canceled, v5-algo-history-tp-states-canceled).

    Filters as the opens listing (``contract_code``, ``type``, ``margin_mode``) plus ``states``
    (also ``state``), ``start_time`` and ``end_time`` (ms, on ``created_time``: UNCONFIRMED which
    time HTX filters on); paging ``limit``, ``from``, ``direct`` as the opens listing. An open
    state (``active``) in ``states`` answers 1067 (UNCONFIRMED).
    """
    code = text_field(query, 'contract_code')
    contract = _contract(code, None) if code is not None else None
    kind = _choice(query, 'type', LISTED_TYPES)
    margin_mode = _choice(query, 'margin_mode', MARGIN_MODES)
    states = _states(query)
    start_time, end_time = _integer(query, 'start_time'), _integer(query, 'end_time')
    limit, cursor, direct = _paging(query)
    return book.history(uid, contract=contract, type=kind, margin_mode=margin_mode, states=states,
                        start_time=start_time, end_time=end_time, limit=limit, cursor=cursor, direct=direct)


def algo_order_detail(book: AlgoBook, uid: str, query: Mapping[str, Any]) -> list[Json]:
    """``GET /v5/algo/order``: one order of the account in any state, by ``algo_id`` (else the newest
    with ``algo_client_order_id``); ``data`` a LIST with its item (observed: v5-algo-detail-tp, queried
    with ``algo_id`` and ``type``). Optional ``contract_code`` and ``type`` must match it.

    UNCONFIRMED: neither id answers 1066 ``algo_id cannot be empty.``; no such order of this account
    answers :data:`DETAIL_NOT_FOUND` (1061, the v5 envelope) rather than an empty list.
    """
    algo_id, client_id = text_field(query, 'algo_id'), text_field(query, 'algo_client_order_id')
    if algo_id is None and client_id is None:
        raise empty_field('algo_id')
    code = text_field(query, 'contract_code')
    contract = _contract(code, None) if code is not None else None
    kind = _choice(query, 'type', LISTED_TYPES)
    item = book.detail(uid, algo_id, client_id, contract)
    if item is None or kind not in (None, item['type']):
        raise HtxError(DETAIL_NOT_FOUND)
    return [item]


def _cancel_item(item: Any) -> AlgoCancel:
    if not isinstance(item, dict):
        raise HtxError(INPUT_ERROR)
    code = text_field(item, 'contract_code')
    if code is None:
        raise empty_field('contract_code')
    algo_id, client_id = text_field(item, 'algo_id'), text_field(item, 'algo_client_order_id')
    if algo_id is None and client_id is None:
        raise empty_field('algo_id')
    return AlgoCancel(code, algo_id, client_id)


def cancel_algo_orders(book: AlgoBook, uid: str, body: Any) -> list[Json]:
    """``POST /v5/algo/cancel_orders``: one ``data`` item per request item, in request order.

    The body is a JSON array of ``{"contract_code", "algo_id" | "algo_client_order_id"}`` (observed
    through ccxt). See the module docstring for the ASSUMED limits and per-item codes.
    """
    if not isinstance(body, list):
        raise HtxError(INPUT_ERROR)
    if not body:
        raise empty_field('algo_id')
    if len(body) > protocol.V5_MAX_CANCEL_ITEMS:
        raise HtxError(BATCH_TOO_LARGE)
    items = [_cancel_item(item) for item in body]
    return [outcome.to_htx() for outcome in book.cancel(uid, items)]


V5_PRIVATE: dict[tuple[str, str], tuple[V5Action, bool]] = {
    ('POST', 'v5/algo/order'): (create_algo_order, False),
    ('GET', 'v5/algo/order/opens'): (open_algo_orders, True),
    ('POST', 'v5/algo/cancel_orders'): (cancel_algo_orders, False),
    ('GET', 'v5/algo/order'): (algo_order_detail, True),
    ('GET', 'v5/algo/order/history'): (algo_order_history, True),
}
"""v5 algo endpoints by (method, path under the host root) -> (action, is a read). The fault and
record key is the path's last segment: ``order`` (create and detail), ``opens``, ``history``,
``cancel_orders``."""
