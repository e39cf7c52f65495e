"""The private TP/SL endpoints as pure functions of (order book, API key, JSON body) -> ``data``.

Top-level failures raise :class:`HtxError`. Choices where HTX's behaviour is not documented:
a missing required field answers 1066 ("<field> cannot be empty."), a malformed value 1067
("Illegal parameter <field>."), a non-integer ``volume`` 1030 (HTX's FAQ), and an isolated
endpoint called for a contract without isolated margin (a cross-only perpetual, or a dated
future) answers 1014 like an unknown contract: HTX's isolated system does not list such
contracts. The cross endpoints answer 1348 for an isolated-only contract (HTX's own code).

The successor route ``POST /v5/algo/cancel_orders`` (:func:`cancel_algo_orders`) takes a JSON array,
one ``{"contract_code", "algo_id" | "algo_client_order_id"}`` per order (ccxt's htx.py and
gocryptotrader send an array; HTX.Net sends one object, unconfirmed whether HTX accepts that: the
sandbox refuses it with 1030). Sandbox choices, all unconfirmed: at most ``MAX_ALGO_CANCEL`` items
(1052 above), a malformed request is refused as a whole (1030 not an array / an item not an
object, 1066 a missing field, 1067 a field that is not a string or number), while an unknown
contract (1014) or order (1061) fails only its item; ``algo_id`` wins over ``algo_client_order_id``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

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
)
from .state import DIRECTIONS, AlgoCancel, Leg, OrderBook

Action = Callable[[OrderBook, str, Json], Any]
V5Action = Callable[[OrderBook, str, Any], Any]  # v5 bodies may be arrays

MAX_CANCEL_IDS = 10
# Items per v5/algo/cancel_orders request. UNCONFIRMED: HTX's limit was not found in public sources;
# 10 is the classic swap_tpsl_cancel limit and the documented v5/trade/cancel_batch_orders limit.
MAX_ALGO_CANCEL = 10
MAX_PAGE_SIZE = 50
DEFAULT_PAGE_SIZE = 20
PRICE_TYPES = ('market', 'limit', 'optimal_5', 'optimal_10', 'optimal_20')
TRADE_TYPES: dict[int, str | None] = {0: None, 3: 'buy', 4: 'sell'}  # 3 closes shorts, 4 longs


def _empty(name: str) -> HtxError:
    return HtxError(PARAM_EMPTY, f'{name} cannot be empty.')


def _illegal(name: str) -> HtxError:
    return HtxError(PARAM_ILLEGAL, f'Illegal parameter {name}.')


def _text(body: Json, name: str) -> str | None:
    value = body.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _illegal(name)
    return str(value).strip() or None


def _number(body: Json, name: str) -> float | None:
    text = _text(body, name)
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise _illegal(name) from None
    if not math.isfinite(value) or value <= 0:
        raise _illegal(name)
    return value


def _integer(body: Json, name: str, default: int) -> int:
    text = _text(body, name)
    if text is None:
        return default
    try:
        return int(text)
    except ValueError:
        raise _illegal(name) from None


def _direction(body: Json, required: bool) -> str | None:
    direction = _text(body, 'direction')
    if direction is None and required:
        raise _empty('direction')
    if direction is not None and direction not in DIRECTIONS:
        raise _illegal('direction')
    return direction


def _contract(body: Json, margin_mode: str) -> Contract:
    """The contract named by ``contract_code`` (cross: or ``pair`` + ``contract_type``)."""
    code = _text(body, 'contract_code')
    pair, contract_type = _text(body, 'pair'), _text(body, 'contract_type')
    contract: Contract | None
    if code is not None:
        contract = contracts.find(code)
    elif margin_mode == CROSS and pair and contract_type:
        contract = contracts.find_by_pair(pair, contract_type)
    else:
        raise _empty('contract_code')
    if contract is None or (margin_mode == ISOLATED and not contract.supports(ISOLATED)):
        raise HtxError(CONTRACT_NOT_FOUND)
    if not contract.supports(margin_mode):
        raise HtxError(NO_CROSS_MARGIN)
    return contract


def _order_ids(body: Json) -> list[str]:
    text = _text(body, 'order_id')
    ids = [part.strip() for part in (text or '').split(',') if part.strip()]
    if not ids:
        raise _empty('order_id')
    if len(ids) > MAX_CANCEL_IDS:
        raise HtxError(BATCH_TOO_LARGE)
    return ids


def place_tpsl(book: OrderBook, api_key: str, body: Json) -> Json:
    """``swap_tpsl_order``: a TP and/or SL order on an isolated position (not modelled)."""
    contract = _contract(body, ISOLATED)
    direction = _direction(body, required=True)
    volume = _number(body, 'volume')
    if volume is None:
        raise _empty('volume')
    if not volume.is_integer():
        raise HtxError(INPUT_ERROR)
    legs = []
    for kind in ('tp', 'sl'):
        trigger = _number(body, f'{kind}_trigger_price')
        if trigger is None:
            continue
        price_type = _text(body, f'{kind}_order_price_type') or 'market'
        if price_type not in PRICE_TYPES:
            raise HtxError(BAD_PRICE_TYPE)
        price = _number(body, f'{kind}_order_price')
        if price_type == 'limit' and price is None:
            raise _empty(f'{kind}_order_price')
        legs.append(Leg(kind, trigger, price if price_type == 'limit' and price else 0.0, price_type))
    if not legs:
        raise _empty('tp_trigger_price and sl_trigger_price')
    placed = book.place(api_key, contract, ISOLATED, str(direction), volume, legs)

    def ref(order_id: str | None) -> Json | None:
        return None if order_id is None else {'order_id': int(order_id), 'order_id_str': order_id}

    return {'tp_order': ref(placed.get('tp')), 'sl_order': ref(placed.get('sl'))}


def open_orders(book: OrderBook, api_key: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_openorders``: one page of open (status 1-3) orders, newest first."""
    contract = _contract(body, margin_mode)
    page_index = _integer(body, 'page_index', 1)
    page_size = _integer(body, 'page_size', DEFAULT_PAGE_SIZE)
    trade_type = _integer(body, 'trade_type', 0)
    if page_index < 1:
        raise _illegal('page_index')
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise _illegal('page_size')
    if trade_type not in TRADE_TYPES:
        raise _illegal('trade_type')
    orders = book.open_orders(api_key, contract, margin_mode, TRADE_TYPES[trade_type])
    start = (page_index - 1) * page_size
    return {
        'orders': orders[start:start + page_size],
        'total_page': math.ceil(len(orders) / page_size),
        'current_page': page_index,
        'total_size': len(orders),
    }


def cancel(book: OrderBook, api_key: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_cancel``: per-id outcomes in ``data.errors`` / ``data.successes``."""
    contract = _contract(body, margin_mode)
    return book.cancel(api_key, contract, margin_mode, _order_ids(body)).to_htx()


def cancel_all(book: OrderBook, api_key: str, body: Json, margin_mode: str = ISOLATED) -> Json:
    """``swap_tpsl_cancelall``: every open order of the contract; 1051 when there is none."""
    contract = _contract(body, margin_mode)
    result = book.cancel_all(api_key, contract, margin_mode, _direction(body, required=False))
    if not result.successes:
        raise HtxError(NO_ORDERS_TO_CANCEL)
    return result.to_htx()


def _algo_item(item: Any) -> AlgoCancel:
    if not isinstance(item, dict):
        raise HtxError(INPUT_ERROR)
    code = _text(item, 'contract_code')
    if code is None:
        raise _empty('contract_code')
    algo_id, client_id = _text(item, 'algo_id'), _text(item, 'algo_client_order_id')
    if algo_id is None and client_id is None:
        raise _empty('algo_id')
    return AlgoCancel(contracts.find(code), algo_id, client_id)


def cancel_algo_orders(book: OrderBook, api_key: str, body: Any) -> list[Json]:
    """``v5/algo/cancel_orders``: one ``data`` item per request item, in request order."""
    if not isinstance(body, list):
        raise HtxError(INPUT_ERROR)
    if not body:
        raise _empty('algo_id')
    if len(body) > MAX_ALGO_CANCEL:
        raise HtxError(BATCH_TOO_LARGE)
    items = [_algo_item(item) for item in body]
    return [outcome.to_htx() for outcome in book.cancel_algo(api_key, items)]


PRIVATE: dict[str, Action] = {
    'swap_tpsl_order': place_tpsl,
    'swap_tpsl_openorders': open_orders,
    'swap_tpsl_cancel': cancel,
    'swap_tpsl_cancelall': cancel_all,
    'swap_cross_tpsl_openorders': partial(open_orders, margin_mode=CROSS),
    'swap_cross_tpsl_cancel': partial(cancel, margin_mode=CROSS),
    'swap_cross_tpsl_cancelall': partial(cancel_all, margin_mode=CROSS),
}

# successor (v5) routes by path under the host root; the fault and record key is the last segment
V5_PRIVATE: dict[str, V5Action] = {
    'v5/algo/cancel_orders': cancel_algo_orders,
}
