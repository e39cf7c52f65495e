"""The classic private TP/SL endpoints as pure functions of (order book, UID, JSON body) -> ``data``.

Top-level failures raise :class:`HtxError`. Choices where HTX's behaviour is not documented:
a missing required field answers 1066 ("<field> cannot be empty."), a malformed value 1067
("Illegal parameter <field>."), a non-integer ``volume`` 1030 (HTX's FAQ), and an isolated
endpoint called for a contract without isolated margin (a cross-only perpetual, or a dated
future) answers 1014 like an unknown contract: HTX's isolated system does not list such
contracts. The cross endpoints answer 1348 for an isolated-only contract (HTX's own code).

These endpoints only ever see the classic book; the v5 algo endpoints are in :mod:`.v5`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from .. import protocol
from . import contracts
from .contracts import CROSS, ISOLATED, Contract
from .errors import (
    BAD_PRICE_TYPE,
    BATCH_TOO_LARGE,
    CONTRACT_NOT_FOUND,
    INPUT_ERROR,
    NO_CROSS_MARGIN,
    NO_ORDERS_TO_CANCEL,
    PARAM_EMPTY,
    PARAM_ILLEGAL,
    HtxError,
    Json,
    now_ms,
)
from .state import CLOSED, DIRECTIONS, Leg, OrderBook, double_id

Action = Callable[[OrderBook, str, Json], Any]

MAX_CANCEL_IDS = protocol.CLASSIC_MAX_CANCEL_IDS
MAX_PAGE_SIZE = protocol.CLASSIC_PAGE_SIZE
DEFAULT_PAGE_SIZE = 20
PRICE_TYPES = ('market', 'limit', 'optimal_5', 'optimal_10', 'optimal_20')
_DAY_MS = 86_400_000
TRADE_TYPES: dict[int, str | None] = {0: None, 3: 'buy', 4: 'sell'}  # 3 closes shorts, 4 longs


def empty_field(name: str) -> HtxError:
    """1066: '<name> cannot be empty.'"""
    return HtxError(PARAM_EMPTY, f'{name} cannot be empty.')


def illegal_field(name: str) -> HtxError:
    """1067: 'Illegal parameter <name>.'"""
    return HtxError(PARAM_ILLEGAL, f'Illegal parameter {name}.')


def text_field(body: Mapping[str, Any], name: str) -> str | None:
    """A scalar field as stripped text (None when absent or blank); 1067 for a list, object or bool."""
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise illegal_field(name)
    return str(value).strip() or None


def _number(body: Json, name: str) -> float | None:
    text = text_field(body, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise illegal_field(name) from None
    if not math.isfinite(value) or value <= 0:
        raise illegal_field(name)
    return value


def _integer(body: Json, name: str, default: int) -> int:
    text = text_field(body, name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise illegal_field(name) from None


def _direction(body: Json, required: bool) -> str | None:
    direction = text_field(body, 'direction')
    if direction is None and required:
        raise empty_field('direction')
    if direction is not None and direction not in DIRECTIONS:
        raise illegal_field('direction')
    return direction


def _contract(body: Json, margin_mode: str) -> Contract:
    """The contract named by ``contract_code`` (cross: or ``pair`` + ``contract_type``)."""
    code = text_field(body, 'contract_code')
    pair, contract_type = text_field(body, 'pair'), text_field(body, 'contract_type')
    contract: Contract | None
    if code is not None:
        contract = contracts.find(code)
    elif margin_mode == CROSS and pair and contract_type:
        contract = contracts.find_by_pair(pair, contract_type)
    else:
        raise empty_field('contract_code')
    if contract is None or (margin_mode == ISOLATED and not contract.supports(ISOLATED)):
        raise HtxError(CONTRACT_NOT_FOUND)
    if not contract.supports(margin_mode):
        raise HtxError(NO_CROSS_MARGIN)
    return contract


def _order_ids(body: Json) -> list[str]:
    text = text_field(body, 'order_id')
    ids = [part.strip() for part in (text or '').split(',') if part.strip()]
    if not ids:
        raise empty_field('order_id')
    if len(ids) > MAX_CANCEL_IDS:
        raise HtxError(BATCH_TOO_LARGE)
    return ids


def _page(orders: list[Json], page_index: int, page_size: int) -> Json:
    """One page of a classic listing, in HTX's paging envelope (open orders and history alike)."""
    start = (page_index - 1) * page_size
    return {
        'orders': orders[start:start + page_size],
        'total_page': math.ceil(len(orders) / page_size),
        'current_page': page_index,
        'total_size': len(orders),
    }


def place_tpsl(book: OrderBook, uid: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_(cross_)tpsl_order``: a TP and/or SL order on a position (not modelled)."""
    contract = _contract(body, margin_mode)
    direction = _direction(body, required=True)
    volume = _number(body, 'volume')
    if volume is None:
        raise empty_field('volume')
    if not volume.is_integer():
        raise HtxError(INPUT_ERROR)
    legs = []
    for kind in ('tp', 'sl'):
        trigger = _number(body, f'{kind}_trigger_price')
        if trigger is None:
            continue
        price_type = text_field(body, f'{kind}_order_price_type') or 'market'
        if price_type not in PRICE_TYPES:
            raise HtxError(BAD_PRICE_TYPE)
        price = _number(body, f'{kind}_order_price')
        if price_type == 'limit' and price is None:
            raise empty_field(f'{kind}_order_price')
        legs.append(Leg(kind, trigger, price if price_type == 'limit' and price else 0.0, price_type))
    if not legs:
        raise empty_field('tp_trigger_price and sl_trigger_price')
    placed = book.place(uid, contract, margin_mode, str(direction), volume, legs)

    def ref(order_id: str | None) -> Json | None:
        return None if order_id is None else {'order_id': double_id(order_id), 'order_id_str': order_id}

    return {'tp_order': ref(placed.get('tp')), 'sl_order': ref(placed.get('sl'))}


def open_orders(book: OrderBook, uid: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_openorders``: one page of open (status 1-3) orders, newest first."""
    contract = _contract(body, margin_mode)
    page_index = _integer(body, 'page_index', 1)
    page_size = _integer(body, 'page_size', DEFAULT_PAGE_SIZE)
    trade_type = _integer(body, 'trade_type', 0)
    if page_index < 1:
        raise illegal_field('page_index')
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise illegal_field('page_size')
    if trade_type not in TRADE_TYPES:
        raise illegal_field('trade_type')
    orders = book.open_orders(uid, contract, margin_mode, TRADE_TYPES[trade_type])
    return _page(orders, page_index, page_size)


HISTORY_SORTS = ('created_at', 'update_time')


def _history_contracts(body: Json, margin_mode: str) -> list[Contract]:
    """``contract_code``; on the cross endpoint, or ``pair`` (every cross contract of the pair, or
    the one of ``contract_type`` if given; UNCONFIRMED: the doc example sends both)."""
    pair = text_field(body, 'pair')
    if text_field(body, 'contract_code') is not None or margin_mode == ISOLATED or pair is None:
        return [_contract(body, margin_mode)]
    contract_type = text_field(body, 'contract_type')
    found = [c for c in contracts.CONTRACTS
             if c.pair == pair and c.supports(CROSS) and contract_type in (None, c.contract_type)]
    if not found:
        raise HtxError(CONTRACT_NOT_FOUND)
    return found


def _history_statuses(body: Json) -> frozenset[int]:
    """``status``: '0' (every final status, 8 and 10 included) or comma-joined 4, 5, 6, 11; 1066 / 1067."""
    text = text_field(body, 'status')
    if text is None:
        raise empty_field('status')
    parts = [part.strip() for part in text.split(',')]
    if any(part not in (protocol.CLASSIC_HISTORY_ALL, *protocol.CLASSIC_HISTORY_STATUSES) for part in parts):
        raise illegal_field('status')
    if protocol.CLASSIC_HISTORY_ALL in parts:
        return CLOSED
    return frozenset(int(part) for part in parts)


def history(book: OrderBook, uid: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_(cross_)tpsl_hisorders``: one page of finished orders, newest first (doc vectors
    v1-tpsl-hisorders-*). Required ``contract_code`` (cross: or ``pair``), ``status``,
    ``create_date`` (days back, 1 to ``protocol.CLASSIC_HISTORY_MAX_DAYS``: 1067 otherwise,
    UNCONFIRMED code); optional ``page_index``, ``page_size`` (default 20, at most 50),
    ``sort_by`` (``created_at``, the default, or ``update_time``: newest first)."""
    found = _history_contracts(body, margin_mode)
    statuses = _history_statuses(body)
    days = text_field(body, 'create_date')
    if days is None:
        raise empty_field('create_date')
    if not days.isdigit() or not 1 <= int(days) <= protocol.CLASSIC_HISTORY_MAX_DAYS:
        raise illegal_field('create_date')
    page_index = _integer(body, 'page_index', 1)
    page_size = _integer(body, 'page_size', protocol.CLASSIC_HISTORY_DEFAULT_PAGE_SIZE)
    if page_index < 1:
        raise illegal_field('page_index')
    if not 1 <= page_size <= protocol.CLASSIC_HISTORY_PAGE_SIZE:
        raise illegal_field('page_size')
    sort_by = text_field(body, 'sort_by') or HISTORY_SORTS[0]
    if sort_by not in HISTORY_SORTS:
        raise illegal_field('sort_by')
    since = now_ms() - int(days) * _DAY_MS
    orders = book.history(uid, found, margin_mode, statuses=statuses, since_ms=since, sort_by=sort_by)
    return _page(orders, page_index, page_size)


def cancel(book: OrderBook, uid: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_cancel``: per-id outcomes in ``data.errors`` / ``data.successes``."""
    contract = _contract(body, margin_mode)
    return book.cancel(uid, contract, margin_mode, _order_ids(body)).to_htx()


def cancel_all(book: OrderBook, uid: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_cancelall``: every open order of the contract; 1051 when there is none."""
    contract = _contract(body, margin_mode)
    result = book.cancel_all(uid, contract, margin_mode, _direction(body, required=False))
    if not result.successes:
        raise HtxError(NO_ORDERS_TO_CANCEL)
    return result.to_htx()


PRIVATE: dict[str, Action] = {
    'swap_tpsl_order': place_tpsl,
    'swap_cross_tpsl_order': partial(place_tpsl, margin_mode=CROSS),
    'swap_tpsl_openorders': open_orders,
    'swap_tpsl_cancel': cancel,
    'swap_tpsl_cancelall': cancel_all,
    'swap_cross_tpsl_openorders': partial(open_orders, margin_mode=CROSS),
    'swap_cross_tpsl_cancel': partial(cancel, margin_mode=CROSS),
    'swap_cross_tpsl_cancelall': partial(cancel_all, margin_mode=CROSS),
    'swap_tpsl_hisorders': history,
    'swap_cross_tpsl_hisorders': partial(history, margin_mode=CROSS),
}
"""Classic private endpoints by name (the path under ``/linear-swap-api/v1/``)."""
READS = frozenset({'swap_tpsl_openorders', 'swap_cross_tpsl_openorders', 'swap_tpsl_hisorders',
                   'swap_cross_tpsl_hisorders'})
"""The classic endpoints that count against the UID read budget; the others are trade requests."""
