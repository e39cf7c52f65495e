"""The in-memory TP/SL order books, kept per account (UID); thread-safe, nothing persists.

Two books that never mix, one per API family:

- :class:`OrderBook`, the classic ``swap_(cross_)tpsl_*`` orders, by ``order_id``. Statuses are
  HTX's: 1 not active, 2 ready, 3 submitting, 4 submitted (executed), 5 submit failed,
  6 cancelled, 8 cancelled (order not found), 9 cancelling, 10 failed, 11 expired.
- :class:`AlgoBook`, the v5 algo orders (``/v5/algo/...``), by ``algo_id``, with states
  ``active``, ``effective`` (triggered), ``canceled``, ``failed`` and the sandbox-only
  ``canceling`` (no public source names a v5 cancelling state; it lets a test reach 1062).

A classic ``order_id`` is not an ``algo_id`` and the other way round (the id ranges differ too):
HTX migrated only accounts without open orders (April 2026 notice), so no id crosses over.

Each book keeps at most ``max_closed_orders`` closed orders (cancelled, executed, failed...); the
oldest closed one is forgotten first, and then answers 1061 like an unknown id, as HTX eventually
does. Open orders are never dropped. The kept closed orders are what the history endpoints list
(classic ``swap_(cross_)tpsl_hisorders``, v5 ``GET /v5/algo/order/history``).

A waiting order fires when the contract's price crosses its trigger (:meth:`OrderBook.fire`,
:meth:`AlgoBook.fire`, driven by ``Sandbox.set_mark_price``): it leaves the open listing and shows
in the history as triggered (classic status 4, v5 ``effective``) with the id of the order it
placed, or as failed (classic 5, v5 ``failed``). Positions are not modelled: a firing always
"places" its order unless told to fail.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Generic, TypeVar

from .. import protocol
from .contracts import CROSS, ISOLATED, Contract
from .errors import (
    ORDER_ALREADY_CANCELLED,
    ORDER_CANCELLING,
    ORDER_EXECUTED,
    ORDER_NOT_FOUND,
    V5_OK,
    V5_OK_MESSAGE,
    Json,
    message_for,
    now_ms,
)

MARGIN_MODES = (ISOLATED, CROSS)
_O = TypeVar('_O')  # an order kept in a book
DEFAULT_MAX_CLOSED_ORDERS = 10_000


class _ClosedOrders:
    """The ids of closed orders, oldest closed first, capped at ``limit``."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f'max_closed_orders must be >= 0, got {limit}')
        self.limit = limit
        self._ids: OrderedDict[str, None] = OrderedDict()

    def update(self, order_id: str, closed: bool) -> list[str]:
        """Note an order's new state; returns the ids to forget (the oldest closed over the cap)."""
        if not closed:
            self._ids.pop(order_id, None)
            return []
        self._ids[order_id] = None
        self._ids.move_to_end(order_id)
        purged = []
        while len(self._ids) > self.limit:
            purged.append(self._ids.popitem(last=False)[0])
        return purged

    def __len__(self) -> int:
        return len(self._ids)


# -- classic ----------------------------------------------------------------------------------------

STATUSES = frozenset({1, 2, 3, 4, 5, 6, 8, 9, 10, 11})
OPEN = frozenset({1, 2, 3})  # what swap_tpsl_openorders lists
CANCELLABLE = frozenset({1, 2})
CLOSED = frozenset({4, 5, 6, 8, 10, 11})  # final: kept up to max_closed_orders
CANCELLED = 6
# Why a cancel of an order in that status fails. HTX documents 1071 and 1063; 1062 for an order
# already being cancelled is from its error table; for failed/expired orders (5, 10, 11) the code is
# unconfirmed, so they answer 1063 like a triggered one.
CANCEL_REFUSAL = {
    3: ORDER_EXECUTED,
    4: ORDER_EXECUTED,
    5: ORDER_EXECUTED,
    6: ORDER_ALREADY_CANCELLED,
    8: ORDER_ALREADY_CANCELLED,
    9: ORDER_CANCELLING,
    10: ORDER_EXECUTED,
    11: ORDER_EXECUTED,
}
FIRST_ORDER_ID = 1_200_000_000_000_000_001  # > 2**53, like HTX's ids
FIRST_PLACED_ORDER_ID = 1_100_000_000_000_000_001
"""The ids of the orders a fired classic TP/SL places (its ``relation_order_id``): plain orders, a range
of their own (no TP/SL ever has one of these ids)."""
READY = 2  # the only classic status that waits for its trigger
TRIGGERED = 4  # "triggered, order submitted"
SUBMIT_FAILED = 5
NOT_TRIGGERED = protocol.NO_ORDER_PLACED  # relation_order_id of an order that placed none
# UNCONFIRMED (no source gives a TP/SL's fail_code): what a firing told to fail records by default.
# 1048 is HTX's "Insufficient close amount available." (USDT-M error table): the usual reason a
# TP/SL cannot place its closing order (the position is gone). Override per firing.
DEFAULT_FIRE_FAILURE = (1048, 'Insufficient close amount available.')
ORDER_ID = re.compile(r'[1-9]\d{17,18}')
DIRECTIONS = ('buy', 'sell')


def double_id(order_id: str) -> int:
    """A classic ``order_id`` as HTX's replies show it: a JSON number rounded through a double
    (vectors v1-tpsl-order-*-doc: ``795713650661638100`` beside ``order_id_str`` ``"795713650661638144"``);
    only ``order_id_str`` is exact, so a client that reads ``order_id`` fails against the sandbox too."""
    return int(Decimal(repr(float(order_id))))


TPSL_TYPES = ('tp', 'sl')


@dataclass
class TpslOrder:
    """One classic TP or SL order as HTX stores it."""

    order_id: str
    uid: str
    contract: Contract
    margin_mode: str
    direction: str  # the closing direction: sell closes a long, buy closes a short
    volume: float
    tpsl_order_type: str
    trigger_price: float
    order_price: float
    order_price_type: str
    status: int
    created_at: int
    relation_tpsl_order_id: str = '-1'
    update_time: int = 0  # 0: created_at
    canceled_at: int | None = None
    fail_code: int | None = None
    fail_reason: str | None = None
    triggered_price: float | None = None
    relation_order_id: str = NOT_TRIGGERED

    def fires_at(self, price: float) -> bool:
        """Whether a price crosses the trigger: ``ge`` fires at or above it, ``le`` at or below."""
        return price >= self.trigger_price if self.trigger_type == 'ge' else price <= self.trigger_price

    @property
    def trigger_type(self) -> str:
        """``ge`` when the order fires on a rise (TP of a long, SL of a short), else ``le``."""
        rises = (self.tpsl_order_type == 'tp') == (self.direction == 'sell')
        return 'ge' if rises else 'le'

    def _listed_fields(self) -> Json:
        """The fields an open-orders item and a history item begin with, in HTX's order."""
        return {
            'symbol': self.contract.symbol,
            'contract_code': self.contract.contract_code,
            'margin_mode': self.margin_mode,
            'margin_account': self.contract.contract_code if self.margin_mode == ISOLATED else 'USDT',
            'volume': self.volume,
            'order_type': 1,
            'tpsl_order_type': self.tpsl_order_type,
            'direction': self.direction,
            'order_id': double_id(self.order_id),
            'order_id_str': self.order_id,
            'order_source': 'api',
            'trigger_type': self.trigger_type,
            'trigger_price': self.trigger_price,
        }

    def to_htx(self) -> Json:
        """The ``swap_tpsl_openorders`` item (``order_id`` exact as a JSON integer)."""
        item: Json = {
            **self._listed_fields(),
            'order_price': self.order_price,
            'created_at': self.created_at,
            'order_price_type': self.order_price_type,
            'relation_tpsl_order_id': self.relation_tpsl_order_id,
            'status': self.status,
            'source_order_id': None,
            'trade_partition': 'USDT',
        }
        if self.margin_mode == CROSS:
            item.update(pair=self.contract.pair, business_type=self.contract.business_type,
                        contract_type=self.contract.contract_type)
        return item

    def to_history(self) -> Json:
        """The ``swap_(cross_)tpsl_hisorders`` item, key for key as the doc vectors
        v1-tpsl-hisorders-isolated-doc / -cross-doc (cross: ``contract_type``, ``business_type``, ``pair`` first).

        UNCONFIRMED (the vectors show a cancelled order only): ``canceled_at`` is null unless
        cancelled; a fired order has ``triggered_price`` and, when its order was placed, that order's
        id as ``relation_order_id``; a failed one has ``fail_code``/``fail_reason`` and ``relation_order_id`` "-1".
        """
        item: Json = {}
        if self.margin_mode == CROSS:
            item.update(contract_type=self.contract.contract_type, business_type=self.contract.business_type,
                        pair=self.contract.pair)
        item.update({
            **self._listed_fields(),
            'created_at': self.created_at,
            'order_price_type': self.order_price_type,
            'status': self.status,
            'source_order_id': None,
            'relation_tpsl_order_id': self.relation_tpsl_order_id,
            'canceled_at': self.canceled_at,
            'fail_code': self.fail_code,
            'fail_reason': self.fail_reason,
            'triggered_price': self.triggered_price,
            'relation_order_id': self.relation_order_id,
            'update_time': self.update_time or self.created_at,
            'order_price': self.order_price,
        })
        return item


@dataclass(frozen=True)
class Leg:
    """The TP or SL half of a ``swap_tpsl_order`` request."""

    tpsl_order_type: str
    trigger_price: float
    order_price: float
    order_price_type: str


@dataclass(frozen=True)
class CancelResult:
    """Per-id outcome of a cancel: ids cancelled, and ``(id, err_code)`` for the others."""

    successes: list[str]
    errors: list[tuple[str, int]]

    def to_htx(self) -> Json:
        """HTX's ``data``: ``errors`` list and ``successes`` as one comma-joined string."""
        return {
            'errors': [{'order_id': i, 'err_code': c, 'err_msg': message_for(c)} for i, c in self.errors],
            'successes': ','.join(self.successes),
        }


class _Book(Generic[_O]):
    """What both books share: orders by id under a lock, a bounded set of closed ones, an id counter."""

    what = 'order'

    def __init__(self, max_closed_orders: int, first_id: int) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, _O] = {}  # by id (ids are unique across accounts)
        self._closed = _ClosedOrders(max_closed_orders)
        self._next_id = first_id

    def __len__(self) -> int:
        with self._lock:
            return len(self._orders)

    def _new_id(self) -> str:
        while str(self._next_id) in self._orders:
            self._next_id += 1
        self._next_id += 1
        return str(self._next_id - 1)

    def _set(self, order: _O, value: Any) -> None:
        raise NotImplementedError

    def _force(self, order_id: str, value: Any) -> None:
        with self._lock:
            order = self._orders.get(order_id)
            if order is None:
                raise KeyError(f'no {self.what} {order_id} in the sandbox')
            self._set(order, value)

    def get(self, order_id: str) -> Json | None:
        """The stored order in HTX's listing item shape, or None."""
        with self._lock:
            order = self._orders.get(order_id)
            return order.to_htx() if order is not None else None  # type: ignore[attr-defined]

    def closed_count(self) -> int:
        """How many closed orders are kept."""
        with self._lock:
            return len(self._closed)


class OrderBook(_Book[TpslOrder]):
    """Classic TP/SL orders per account (UID), with a deterministic order-id counter."""

    what = 'classic TP/SL order'

    def __init__(self, max_closed_orders: int = DEFAULT_MAX_CLOSED_ORDERS) -> None:
        super().__init__(max_closed_orders, FIRST_ORDER_ID)
        self._next_placed_id = FIRST_PLACED_ORDER_ID

    def _store(self, order: TpslOrder) -> None:
        self._orders[order.order_id] = order
        self._note(order)

    def _set(self, order: TpslOrder, status: int) -> None:
        """A new status, stamped: ``update_time`` always, ``canceled_at`` when it becomes cancelled."""
        now = max(now_ms(), order.created_at)
        order.status = status
        order.update_time = now
        if status in (CANCELLED, 8) and order.canceled_at is None:
            order.canceled_at = now
        self._note(order)

    def _note(self, order: TpslOrder) -> None:
        for order_id in self._closed.update(order.order_id, order.status in CLOSED):
            self._orders.pop(order_id, None)

    def seed(
        self,
        uid: str,
        contract: Contract,
        *,
        margin_mode: str,
        ids: Iterable[str] | None,
        count: int,
        direction: str,
        tpsl_order_type: str,
        status: int,
        volume: float,
        trigger_price: float | None,
    ) -> list[str]:
        """Insert orders directly (no HTTP); see :meth:`Sandbox.add_tpsl_orders`."""
        check_choice('direction', direction, DIRECTIONS)
        check_choice('tpsl_order_type', tpsl_order_type, TPSL_TYPES)
        check_choice('status', status, sorted(STATUSES))
        check_margin(contract, margin_mode)
        wanted = [str(i) for i in ids] if ids is not None else None
        with self._lock:
            if wanted is not None:
                for order_id in wanted:
                    if not ORDER_ID.fullmatch(order_id):
                        raise ValueError(f'order id {order_id!r} is not an 18-19 digit integer')
                    if order_id in self._orders or wanted.count(order_id) > 1:
                        raise ValueError(f'order id {order_id} is already in use')
            order_ids = wanted if wanted is not None else [self._new_id() for _ in range(count)]
            price = trigger_price if trigger_price is not None else _default_trigger(
                contract, direction, tpsl_order_type)
            created = now_ms()
            for order_id in order_ids:
                self._store(TpslOrder(order_id, uid, contract, margin_mode, direction, float(volume),
                                      tpsl_order_type, price, 0.0, 'market', status, created))
        return order_ids

    def place(
        self, uid: str, contract: Contract, margin_mode: str, direction: str, volume: float, legs: list[Leg],
    ) -> dict[str, str]:
        """Create linked ready (status 2) orders, one per leg; returns ids by ``tp``/``sl``."""
        with self._lock:
            created = now_ms()
            placed = {
                leg.tpsl_order_type: TpslOrder(
                    self._new_id(), uid, contract, margin_mode, direction, volume, leg.tpsl_order_type,
                    leg.trigger_price, leg.order_price, leg.order_price_type, 2, created)
                for leg in legs
            }
            if len(placed) == 2:
                placed['tp'].relation_tpsl_order_id = placed['sl'].order_id
                placed['sl'].relation_tpsl_order_id = placed['tp'].order_id
            for order in placed.values():
                self._store(order)
        return {kind: order.order_id for kind, order in placed.items()}

    def open_orders(self, uid: str, contract: Contract, margin_mode: str, direction: str | None = None) -> list[Json]:
        """Open orders of that account, contract and margin mode, newest first."""
        with self._lock:
            found = [o for o in self._orders.values()
                     if self._owned(o, uid, contract, margin_mode) and o.status in OPEN
                     and direction in (None, o.direction)]
            found.sort(key=lambda o: (o.created_at, int(o.order_id)), reverse=True)
            return [o.to_htx() for o in found]

    def cancel(self, uid: str, contract: Contract, margin_mode: str, ids: list[str]) -> CancelResult:
        """Cancel each id in order; other accounts', contracts' and margin modes' orders count as nonexistent."""
        successes: list[str] = []
        errors: list[tuple[str, int]] = []
        with self._lock:
            for order_id in ids:
                order = self._orders.get(order_id)
                if order is None or not self._owned(order, uid, contract, margin_mode):
                    errors.append((order_id, ORDER_NOT_FOUND))
                elif order.status in CANCELLABLE:
                    self._set(order, CANCELLED)
                    successes.append(order_id)
                else:
                    errors.append((order_id, CANCEL_REFUSAL[order.status]))
        return CancelResult(successes, errors)

    def cancel_all(self, uid: str, contract: Contract, margin_mode: str, direction: str | None) -> CancelResult:
        """Cancel every cancellable order of that account and contract (optionally one direction)."""
        with self._lock:
            orders = [o for o in sorted(self._orders.values(), key=lambda o: int(o.order_id))
                      if self._owned(o, uid, contract, margin_mode) and o.status in CANCELLABLE
                      and direction in (None, o.direction)]
            for order in orders:
                self._set(order, CANCELLED)
        return CancelResult([o.order_id for o in orders], [])

    def set_status(self, order_id: str, status: int) -> None:
        """Force an order's status (e.g. 4 to make a cancel answer 1063)."""
        check_choice('status', status, sorted(STATUSES))
        self._force(order_id, status)

    def history(
        self, uid: str, contracts: Iterable[Contract], margin_mode: str, *, statuses: frozenset[int],
        since_ms: int, sort_by: str,
    ) -> list[Json]:
        """The account's finished orders in ``statuses`` on ``contracts`` created at or after
        ``since_ms``, newest first by ``sort_by`` (``created_at`` or ``update_time``), as history items."""
        wanted = set(contracts)
        with self._lock:
            found = [o for o in self._orders.values()
                     if o.uid == uid and o.contract in wanted and o.margin_mode == margin_mode
                     and o.status in statuses and o.created_at >= since_ms]
            if sort_by == 'update_time':
                found.sort(key=lambda o: (o.update_time or o.created_at, int(o.order_id)), reverse=True)
            else:
                found.sort(key=lambda o: (o.created_at, int(o.order_id)), reverse=True)
            return [o.to_history() for o in found]

    def fire(self, contract: Contract, price: float, failure: tuple[int, str] | None) -> list[str]:
        """Fire every ready (status 2) order on ``contract``, of every account, whose trigger ``price`` crosses.

        Each fires in id order: status 4 with ``triggered_price`` and a new ``relation_order_id`` (the
        order it placed), or, given ``failure`` ``(fail_code, fail_reason)``, status 5 with those and
        ``relation_order_id`` "-1". Returns the ids that fired (failed ones included).

        UNCONFIRMED (no source; HTX's pair semantics): when one leg of a TP/SL pair fires and places
        its order, its twin (``relation_tpsl_order_id``) still waiting is cancelled (status 6,
        ``canceled_at`` set): the closing order leaves the twin nothing to close. A failed firing
        leaves the twin waiting. A twin that crosses at the same price (impossible with sane
        triggers) is cancelled rather than fired, the lower id firing first.
        """
        fired: list[str] = []
        with self._lock:
            for order in sorted(self._orders.values(), key=lambda o: int(o.order_id)):
                if order.contract != contract or order.status != READY or not order.fires_at(price):
                    continue
                order.triggered_price = price
                if failure is None:
                    order.relation_order_id = str(self._next_placed_id)
                    self._next_placed_id += 1
                    self._set(order, TRIGGERED)
                else:
                    order.fail_code, order.fail_reason = failure
                    self._set(order, SUBMIT_FAILED)
                fired.append(order.order_id)
                twin = self._orders.get(order.relation_tpsl_order_id)
                if failure is None and twin is not None and twin.uid == order.uid and twin.status in CANCELLABLE:
                    self._set(twin, CANCELLED)
        return fired

    @staticmethod
    def _owned(order: TpslOrder, uid: str, contract: Contract, margin_mode: str) -> bool:
        return order.uid == uid and order.contract == contract and order.margin_mode == margin_mode


# -- v5 algo orders ------------------------------------------------------------------------------------

ALGO_TYPES = ('tp', 'sl', 'tpsl')
SIDES = ('buy', 'sell')
POSITION_SIDES = ('long', 'short', 'both')
LEG_TYPES = ('market', 'limit')
TRIGGER_PRICE_TYPES = ('last', 'mark', 'index')
ACTIVE = 'active'
ALGO_STATES = (ACTIVE, 'effective', 'canceled', 'failed', 'canceling')
ALGO_CLOSED = frozenset({'effective', 'canceled', 'failed'})
# ASSUMED (protocol.V5_ASSUMED_ITEM_CODES): the per-item failure codes of POST /v5/algo/cancel_orders
# are the classic ones. Only a per-item success has been observed.
ALGO_CANCEL_REFUSAL = {
    'canceled': ORDER_ALREADY_CANCELLED,  # 1071
    'effective': ORDER_EXECUTED,  # 1063: triggered
    'failed': ORDER_EXECUTED,  # 1063, like a classic failed (10) order
    'canceling': ORDER_CANCELLING,  # 1062
}
FIRST_ALGO_ID = 1_500_000_000_000_000_001  # 19 digits, > 2**53, apart from the classic ids
ALGO_ID = re.compile(r'[1-9]\d{18}')
FIRST_LIST_ID = 160_000_001  # the listing ``id``: a short number (observed "162173672"), never an algo_id
FIRST_PLACED_V5_ORDER_ID = 1_600_000_000_000_000_001
"""The ids of the orders a fired algo order places (its ``relation_order_id``), apart from every algo id."""
ALGO_FINISHED = ('effective', 'canceled', 'failed')  # what the history lists, in the SDK's words


@dataclass(frozen=True)
class AlgoLeg:
    """The TP or SL half of an algo order, as strings like HTX's listing."""

    trigger_price: str
    order_price: str  # "0" for a market leg
    type: str  # market | limit
    trigger_price_type: str  # last | mark | index


@dataclass
class AlgoOrder:
    """One v5 TP/SL algo order.

    ASSUMED (protocol.V5_TPSL_TYPES: only ``tp`` observed): a ``tpsl`` order is ONE order carrying both
    the ``tp_*`` and the ``sl_*`` legs, under one ``algo_id``.
    """

    algo_id: str
    list_id: int
    uid: str
    contract: Contract
    type: str
    side: str
    position_side: str
    margin_mode: str
    volume: int
    tp: AlgoLeg | None
    sl: AlgoLeg | None
    state: str
    created_time: int
    updated_time: int
    reduce_only: bool | None = None
    client_order_id: str | None = None
    relation_order_id: str | None = None  # set when it fired and placed an order
    actual_volume: int | None = None
    actual_price: str | None = None
    actual_time: int | None = None

    def fires_at(self, price: Decimal) -> str | None:
        """The leg (``tp``/``sl``) that ``price`` crosses, or None. Closing a long (``side`` sell) a TP
        fires at or above its trigger and an SL at or below; closing a short (buy) the reverse."""
        for kind, leg in (('tp', self.tp), ('sl', self.sl)):
            if leg is None:
                continue
            trigger = Decimal(leg.trigger_price)
            rises = (kind == 'tp') == (self.side == 'sell')
            if (price >= trigger) if rises else (price <= trigger):
                return kind
        return None

    def to_htx(self) -> Json:
        """The ``GET /v5/algo/order/opens`` item, shaped like the observed vector (values as strings);
        also the history and detail item, which add ``actual_volume``, ``actual_price``,
        ``actual_time`` and ``relation_order_id`` once the order fired and placed its order
        (SDK item model; their presence only then is UNCONFIRMED: the observed history items are
        cancelled ones, without them)."""
        item: Json = {
            'id': str(self.list_id),
            'volume': str(self.volume),
            'type': self.type,
            'state': self.state,
            'side': self.side,
            'algo_id': self.algo_id,
            'contract_code': self.contract.contract_code,
            'position_side': self.position_side,
            'margin_mode': self.margin_mode,
            'created_time': str(self.created_time),
            'updated_time': str(self.updated_time),
            'order_source': 'api',
        }
        for prefix, leg in (('tp', self.tp), ('sl', self.sl)):
            if leg is not None:
                item[f'{prefix}_trigger_price'] = leg.trigger_price
                item[f'{prefix}_order_price'] = leg.order_price
                item[f'{prefix}_type'] = leg.type
                item[f'{prefix}_trigger_price_type'] = leg.trigger_price_type
        if self.reduce_only is not None:
            item['reduce_only'] = self.reduce_only
        if self.client_order_id is not None:
            item['algo_client_order_id'] = self.client_order_id
        if self.relation_order_id is not None:
            item['actual_volume'] = str(self.actual_volume)
            item['actual_price'] = self.actual_price
            item['actual_time'] = str(self.actual_time)
            item['relation_order_id'] = self.relation_order_id
        return item


@dataclass(frozen=True)
class AlgoSpec:
    """A validated create request (see :func:`v5.create_algo_order`)."""

    contract: Contract
    type: str
    side: str
    position_side: str
    margin_mode: str
    volume: int
    tp: AlgoLeg | None
    sl: AlgoLeg | None
    reduce_only: bool | None = None
    client_order_id: str | None = None


@dataclass(frozen=True)
class AlgoCancel:
    """One item of a v5 cancel: the contract code and the id or client id to cancel."""

    contract_code: str
    algo_id: str | None
    client_order_id: str | None


@dataclass(frozen=True)
class AlgoOutcome:
    """The outcome of one v5 cancel item; ``code`` 200 when cancelled."""

    algo_id: str | None
    client_order_id: str | None
    code: int

    def to_htx(self) -> Json:
        """The ``data`` item, keys as observed: ``code``, ``message``, ``algo_id``, ``algo_client_order_id``.

        ASSUMED (protocol.V5_ASSUMED_ITEM_CODES): a failed item has the same keys with HTX's classic
        per-order code (1061, 1062, 1063, 1071) and message; no per-item failure has been published.
        """
        message = V5_OK_MESSAGE if self.code == V5_OK else message_for(self.code)
        return {'code': self.code, 'message': message, 'algo_id': self.algo_id,
                'algo_client_order_id': self.client_order_id}


@dataclass
class _Account:
    """One UID's algo orders: the active and the finished ones (by listing id) and the client-id index."""

    active: dict[int, AlgoOrder] = field(default_factory=dict)
    finished: dict[int, AlgoOrder] = field(default_factory=dict)  # effective, canceled, failed
    by_client_id: dict[str, list[str]] = field(default_factory=dict)
    orders: int = 0  # how many of its orders the book holds


class AlgoBook(_Book[AlgoOrder]):
    """v5 algo (TP/SL) orders per account (UID)."""

    what = 'v5 algo order'

    def __init__(self, max_closed_orders: int = DEFAULT_MAX_CLOSED_ORDERS) -> None:
        super().__init__(max_closed_orders, FIRST_ALGO_ID)
        self._accounts: dict[str, _Account] = {}
        self._next_list_id = FIRST_LIST_ID
        self._next_placed_id = FIRST_PLACED_V5_ORDER_ID

    def _insert(self, algo_id: str, uid: str, spec: AlgoSpec, state: str, now: int) -> AlgoOrder:
        order = AlgoOrder(algo_id, self._next_list_id, uid, spec.contract, spec.type, spec.side,
                          spec.position_side, spec.margin_mode, spec.volume, spec.tp, spec.sl, state, now, now,
                          spec.reduce_only, spec.client_order_id)
        self._next_list_id += 1
        self._orders[algo_id] = order
        account = self._accounts.setdefault(uid, _Account())
        account.orders += 1
        if spec.client_order_id is not None:
            account.by_client_id.setdefault(spec.client_order_id, []).append(algo_id)
        self._note(order)
        return order

    def _set(self, order: AlgoOrder, state: str) -> None:
        order.state = state
        order.updated_time = max(now_ms(), order.updated_time)
        self._note(order)

    def _note(self, order: AlgoOrder) -> None:
        account = self._accounts[order.uid]
        if order.state == ACTIVE:
            account.active[order.list_id] = order
        else:
            account.active.pop(order.list_id, None)
        if order.state in ALGO_CLOSED:
            account.finished[order.list_id] = order
        else:
            account.finished.pop(order.list_id, None)
        for algo_id in self._closed.update(order.algo_id, order.state in ALGO_CLOSED):
            self._forget(algo_id)

    def _forget(self, algo_id: str) -> None:
        order = self._orders.pop(algo_id, None)
        if order is None:
            return
        account = self._accounts[order.uid]
        account.active.pop(order.list_id, None)
        account.finished.pop(order.list_id, None)
        if order.client_order_id is not None:
            ids = account.by_client_id.get(order.client_order_id, [])
            if algo_id in ids:
                ids.remove(algo_id)
            if not ids:
                account.by_client_id.pop(order.client_order_id, None)
        account.orders -= 1
        if not account.orders:
            del self._accounts[order.uid]

    def create(self, uid: str, spec: AlgoSpec) -> AlgoOrder:
        """Place one active algo order; returns it."""
        with self._lock:
            return self._insert(self._new_id(), uid, spec, ACTIVE, now_ms())

    def seed(self, uid: str, specs: list[AlgoSpec], *, ids: list[str] | None, state: str) -> list[str]:
        """Insert orders directly (no HTTP); see :meth:`Sandbox.add_algo_orders`."""
        check_choice('state', state, ALGO_STATES)
        with self._lock:
            if ids is not None:
                for algo_id in ids:
                    if not ALGO_ID.fullmatch(algo_id):
                        raise ValueError(f'algo id {algo_id!r} is not a 19 digit integer')
                    if algo_id in self._orders or ids.count(algo_id) > 1:
                        raise ValueError(f'algo id {algo_id} is already in use')
            algo_ids = ids if ids is not None else [self._new_id() for _ in specs]
            now = now_ms()
            for algo_id, spec in zip(algo_ids, specs, strict=True):
                self._insert(algo_id, uid, spec, state, now)
        return algo_ids

    def opens(
        self, uid: str, *, contract: Contract | None, type: str | None, margin_mode: str | None,
        limit: int, cursor: int | None, direct: str,
    ) -> list[Json]:
        """One page of the account's active orders, newest (largest ``id``) first.

        Without ``cursor``: the newest ``limit``. ``direct='next'``: the newest ``limit`` strictly
        older than the cursor; ``'prev'``: the ``limit`` strictly newer ones nearest to it.
        """
        with self._lock:
            account = self._accounts.get(uid)
            found = [o for o in (account.active.values() if account else ())
                     if (contract is None or o.contract == contract) and type in (None, o.type)
                     and margin_mode in (None, o.margin_mode)]
            return [o.to_htx() for o in _page(found, limit, cursor, direct)]

    def history(
        self, uid: str, *, contract: Contract | None, type: str | None, margin_mode: str | None,
        states: frozenset[str], start_time: int | None, end_time: int | None,
        limit: int, cursor: int | None, direct: str,
    ) -> list[Json]:
        """One page of the account's finished orders in ``states``, created within
        [``start_time``, ``end_time``] (ms, either open), newest (largest ``id``) first; paged like :meth:`opens`."""
        with self._lock:
            account = self._accounts.get(uid)
            found = [o for o in (account.finished.values() if account else ())
                     if o.state in states and (contract is None or o.contract == contract)
                     and type in (None, o.type) and margin_mode in (None, o.margin_mode)
                     and (start_time is None or o.created_time >= start_time)
                     and (end_time is None or o.created_time <= end_time)]
            return [o.to_htx() for o in _page(found, limit, cursor, direct)]

    def detail(self, uid: str, algo_id: str | None, client_order_id: str | None,
               contract: Contract | None) -> Json | None:
        """The account's order with ``algo_id`` (else the newest with ``client_order_id``), in any
        state, optionally only on ``contract``; None when there is none."""
        with self._lock:
            if algo_id is not None:
                order = self._orders.get(algo_id)
                candidates = [order] if order is not None and order.uid == uid else []
            else:
                account = self._accounts.get(uid)
                ids = account.by_client_id.get(client_order_id or '', []) if account else []
                candidates = [self._orders[i] for i in ids if i in self._orders]
            found = [o for o in candidates if contract is None or o.contract == contract]
            best = max(found, key=lambda o: o.list_id, default=None)
            return best.to_htx() if best is not None else None

    def fire(self, contract: Contract, price: Decimal, fail: bool) -> list[str]:
        """Fire every active order on ``contract``, of every account, whose leg ``price`` crosses
        (:meth:`AlgoOrder.fires_at`), in ``algo_id`` order. Returns their ids.

        Fired: state ``effective``, ``relation_order_id`` a new id (the order placed),
        ``actual_volume`` its volume, ``actual_price`` its limit price for a limit leg, else
        ``price``, ``actual_time`` now. With ``fail``: state ``failed``, nothing placed.
        UNCONFIRMED: the SDK names these fields; what HTX fills in for a market order (the fill
        price?) is not published. A ``tpsl`` order is one order: the leg that fires ends it.
        """
        fired: list[str] = []
        with self._lock:
            for order in sorted(self._orders.values(), key=lambda o: int(o.algo_id)):
                kind = order.fires_at(price) if order.contract == contract and order.state == ACTIVE else None
                if kind is None:
                    continue
                if not fail:
                    leg = order.tp if kind == 'tp' else order.sl
                    assert leg is not None
                    order.relation_order_id = str(self._next_placed_id)
                    self._next_placed_id += 1
                    order.actual_volume = order.volume
                    order.actual_price = leg.order_price if leg.type == 'limit' else price_text(price)
                    order.actual_time = max(now_ms(), order.updated_time)
                self._set(order, 'failed' if fail else 'effective')
                fired.append(order.algo_id)
        return fired

    def cancel(self, uid: str, items: list[AlgoCancel]) -> list[AlgoOutcome]:
        """Cancel each item in order; ``algo_id`` wins over ``algo_client_order_id``.

        ASSUMED (protocol.V5_ASSUMED_ITEM_CODES): 1061 when no such order of this account exists on
        the item's contract (unknown id or contract, another UID's order, a classic order id, a
        forgotten closed order); 1071 already cancelled, 1063 triggered (``effective``) or failed,
        1062 being cancelled.
        """
        outcomes: list[AlgoOutcome] = []
        with self._lock:
            for item in items:
                order = self._find(uid, item)
                if order is None:
                    outcomes.append(AlgoOutcome(item.algo_id, item.client_order_id, ORDER_NOT_FOUND))
                elif order.state == ACTIVE:
                    self._set(order, 'canceled')
                    outcomes.append(AlgoOutcome(order.algo_id, order.client_order_id, V5_OK))
                else:
                    outcomes.append(AlgoOutcome(order.algo_id, order.client_order_id,
                                                ALGO_CANCEL_REFUSAL[order.state]))
        return outcomes

    def _find(self, uid: str, item: AlgoCancel) -> AlgoOrder | None:
        """The account's order on the item's contract with that algo id, else the newest with that client id."""
        def mine(order: AlgoOrder | None) -> bool:
            return order is not None and order.uid == uid and order.contract.contract_code == item.contract_code

        if item.algo_id is not None:
            order = self._orders.get(item.algo_id)
            return order if mine(order) else None
        account = self._accounts.get(uid)
        ids = account.by_client_id.get(item.client_order_id or '', []) if account else []
        matches = [self._orders[i] for i in ids if mine(self._orders.get(i))]
        return max(matches, key=lambda o: o.list_id, default=None)

    def set_state(self, algo_id: str, state: str) -> None:
        """Force an order's state (``effective`` makes a cancel answer 1063)."""
        check_choice('state', state, ALGO_STATES)
        self._force(algo_id, state)


def _page(found: list[AlgoOrder], limit: int, cursor: int | None, direct: str) -> list[AlgoOrder]:
    """The v5 cursor paging, newest first: without ``cursor`` the newest ``limit``; ``next``: the
    newest ``limit`` strictly older than it; ``prev``: the ``limit`` strictly newer ones nearest to it."""
    found = sorted(found, key=lambda o: o.list_id, reverse=True)
    if cursor is not None and direct == 'prev':
        return [o for o in found if o.list_id > cursor][-limit:]
    return [o for o in found if cursor is None or o.list_id < cursor][:limit]


def price_text(value: float | int | str | Decimal) -> str:
    """A price as HTX's listing writes it: plain decimal, no exponent, no trailing zeros."""
    return format(Decimal(str(value)).normalize(), 'f')


def _default_trigger(contract: Contract, direction: str, tpsl_order_type: str) -> float:
    """A trigger price on the side where a TP (SL) closing in ``direction`` fires."""
    rises = (tpsl_order_type == 'tp') == (direction == 'sell')
    digits = max(0, len(f'{contract.price_tick:f}'.rstrip('0').split('.')[1]))
    return round(contract.reference_price * (1.1 if rises else 0.9), digits)


def default_trigger(contract: Contract, side: str, kind: str) -> str:
    """:func:`_default_trigger` as a price text, for seeded algo orders."""
    return price_text(_default_trigger(contract, side, kind))


def check_margin(contract: Contract, margin_mode: str) -> None:
    """ValueError when ``margin_mode`` is unknown or ``contract`` has no such margin (for seeding)."""
    check_choice('margin_mode', margin_mode, MARGIN_MODES)
    if not contract.supports(margin_mode):
        raise ValueError(f'{contract.contract_code} has no {margin_mode} margin '
                         f'(support_margin_mode={contract.support_margin_mode!r})')


def check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    """ValueError naming the choices when ``value`` is not one of ``allowed``."""
    choices = list(allowed)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
