"""The in-memory TP/SL order book, kept per API key; thread-safe, nothing persists.

Order statuses are HTX's: 1 not active, 2 ready, 3 submitting, 4 submitted (executed),
5 submit failed, 6 cancelled, 8 cancelled (order not found), 9 cancelling, 10 failed, 11 expired.

The same book serves the classic endpoints (by ``order_id``, one margin mode per endpoint) and the
successor ``v5/algo/cancel_orders`` (by ``algo_id`` = the same id, or by ``algo_client_order_id``;
either margin mode). That HTX's v1 TP/SL order ids are valid v5 ``algo_id`` values is unconfirmed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from .contracts import CROSS, ISOLATED, Contract
from .errors import (
    CONTRACT_NOT_FOUND,
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

STATUSES = frozenset({1, 2, 3, 4, 5, 6, 8, 9, 10, 11})
OPEN = frozenset({1, 2, 3})  # what swap_tpsl_openorders lists
CANCELLABLE = frozenset({1, 2})
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
ORDER_ID = re.compile(r'[1-9]\d{17,18}')
DIRECTIONS = ('buy', 'sell')
TPSL_TYPES = ('tp', 'sl')


@dataclass
class TpslOrder:
    """One TP or SL order as HTX stores it."""

    order_id: str
    api_key: str
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
    algo_client_order_id: str | None = None  # only the v5 API knows client ids for TP/SL orders

    @property
    def trigger_type(self) -> str:
        """``ge`` when the order fires on a rise (TP of a long, SL of a short), else ``le``."""
        rises = (self.tpsl_order_type == 'tp') == (self.direction == 'sell')
        return 'ge' if rises else 'le'

    def to_htx(self) -> Json:
        """The ``swap_tpsl_openorders`` item (``order_id`` exact as a JSON integer)."""
        item: Json = {
            'symbol': self.contract.symbol,
            'contract_code': self.contract.contract_code,
            'margin_mode': self.margin_mode,
            'margin_account': self.contract.contract_code if self.margin_mode == ISOLATED else 'USDT',
            'volume': self.volume,
            'order_type': 1,
            'tpsl_order_type': self.tpsl_order_type,
            'direction': self.direction,
            'order_id': int(self.order_id),
            'order_id_str': self.order_id,
            'order_source': 'api',
            'trigger_type': self.trigger_type,
            'trigger_price': self.trigger_price,
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


@dataclass(frozen=True)
class Leg:
    """The TP or SL half of a ``swap_tpsl_order`` request."""

    tpsl_order_type: str
    trigger_price: float
    order_price: float
    order_price_type: str


@dataclass(frozen=True)
class AlgoCancel:
    """One item of a v5 cancel: the contract (None when unknown) and the id or client id to cancel."""

    contract: Contract | None
    algo_id: str | None
    algo_client_order_id: str | None


@dataclass(frozen=True)
class AlgoOutcome:
    """The outcome of one v5 cancel item; ``code`` 200 when cancelled."""

    algo_id: str | None
    algo_client_order_id: str | None
    code: int

    def to_htx(self) -> Json:
        """The ``data`` item: ``code`` 200 and "Success", or HTX's code and message."""
        message = V5_OK_MESSAGE if self.code == V5_OK else message_for(self.code)
        return {'algo_id': self.algo_id, 'algo_client_order_id': self.algo_client_order_id, 'code': self.code,
                'message': message}


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


class OrderBook:
    """TP/SL orders per API key, with a deterministic order-id counter."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._orders: dict[str, TpslOrder] = {}  # by order id (ids are unique across keys)
        self._next_id = FIRST_ORDER_ID

    def _new_id(self) -> str:
        while str(self._next_id) in self._orders:
            self._next_id += 1
        self._next_id += 1
        return str(self._next_id - 1)

    def seed(
        self,
        api_key: str,
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
        client_order_ids: Iterable[str] | None = None,
    ) -> list[str]:
        """Insert orders directly (no HTTP); see :meth:`Sandbox.add_tpsl_orders`."""
        _check_choice('margin_mode', margin_mode, (ISOLATED, CROSS))
        _check_choice('direction', direction, DIRECTIONS)
        _check_choice('tpsl_order_type', tpsl_order_type, TPSL_TYPES)
        _check_choice('status', status, sorted(STATUSES))
        if not contract.supports(margin_mode):
            raise ValueError(f'{contract.contract_code} has no {margin_mode} margin '
                             f'(support_margin_mode={contract.support_margin_mode!r})')
        wanted = [str(i) for i in ids] if ids is not None else None
        with self._lock:
            if wanted is not None:
                for order_id in wanted:
                    if not ORDER_ID.fullmatch(order_id):
                        raise ValueError(f'order id {order_id!r} is not an 18-19 digit integer')
                    if order_id in self._orders or wanted.count(order_id) > 1:
                        raise ValueError(f'order id {order_id} is already in use')
            order_ids = wanted if wanted is not None else [self._new_id() for _ in range(count)]
            clients: list[str | None] = [None] * len(order_ids)
            if client_order_ids is not None:
                clients = [str(c) for c in client_order_ids]
                if len(clients) != len(order_ids) or not all(clients):
                    raise ValueError(f'need one non-empty client order id per order ({len(order_ids)})')
            price = trigger_price if trigger_price is not None else _default_trigger(
                contract, direction, tpsl_order_type)
            created = now_ms()
            for order_id, client_id in zip(order_ids, clients, strict=True):
                self._orders[order_id] = TpslOrder(
                    order_id, api_key, contract, margin_mode, direction, float(volume), tpsl_order_type,
                    price, 0.0, 'market', status, created, algo_client_order_id=client_id)
        return order_ids

    def place(
        self, api_key: str, contract: Contract, margin_mode: str, direction: str, volume: float,
        legs: list[Leg],
    ) -> dict[str, str]:
        """Create linked ready (status 2) orders, one per leg; returns ids by ``tp``/``sl``."""
        with self._lock:
            created = now_ms()
            placed = {
                leg.tpsl_order_type: TpslOrder(
                    self._new_id(), api_key, contract, margin_mode, direction, volume, leg.tpsl_order_type,
                    leg.trigger_price, leg.order_price, leg.order_price_type, 2, created)
                for leg in legs
            }
            if len(placed) == 2:
                placed['tp'].relation_tpsl_order_id = placed['sl'].order_id
                placed['sl'].relation_tpsl_order_id = placed['tp'].order_id
            for order in placed.values():
                self._orders[order.order_id] = order
        return {kind: order.order_id for kind, order in placed.items()}

    def open_orders(
        self, api_key: str, contract: Contract, margin_mode: str, direction: str | None = None
    ) -> list[Json]:
        """Open orders of that key, contract and margin mode, newest first."""
        with self._lock:
            found = [o for o in self._orders.values()
                     if self._owned(o, api_key, contract, margin_mode) and o.status in OPEN
                     and direction in (None, o.direction)]
            found.sort(key=lambda o: (o.created_at, int(o.order_id)), reverse=True)
            return [o.to_htx() for o in found]

    def cancel(self, api_key: str, contract: Contract, margin_mode: str, ids: list[str]) -> CancelResult:
        """Cancel each id in order; other keys' and contracts' orders count as nonexistent."""
        successes: list[str] = []
        errors: list[tuple[str, int]] = []
        with self._lock:
            for order_id in ids:
                order = self._orders.get(order_id)
                if order is None or not self._owned(order, api_key, contract, margin_mode):
                    errors.append((order_id, ORDER_NOT_FOUND))
                elif order.status in CANCELLABLE:
                    order.status = CANCELLED
                    successes.append(order_id)
                else:
                    errors.append((order_id, CANCEL_REFUSAL[order.status]))
        return CancelResult(successes, errors)

    def cancel_algo(self, api_key: str, items: list[AlgoCancel]) -> list[AlgoOutcome]:
        """v5: cancel each item in order, either margin mode; ``algo_id`` wins over the client id.

        An unknown contract answers 1014 for its item; an order of another key or contract, or a
        client id matching nothing, 1061; refusals as for the classic cancel (1071, 1063, 1062).
        """
        outcomes: list[AlgoOutcome] = []
        with self._lock:
            for item in items:
                if item.contract is None:
                    outcomes.append(AlgoOutcome(item.algo_id, item.algo_client_order_id, CONTRACT_NOT_FOUND))
                    continue
                order = self._find_algo(api_key, item)
                if order is None:
                    outcomes.append(AlgoOutcome(item.algo_id, item.algo_client_order_id, ORDER_NOT_FOUND))
                    continue
                # HTX's one public cancel sample echoes the algo id as the client id when none was given
                client_id = order.algo_client_order_id or order.order_id
                if order.status in CANCELLABLE:
                    order.status = CANCELLED
                    outcomes.append(AlgoOutcome(order.order_id, client_id, V5_OK))
                else:
                    outcomes.append(AlgoOutcome(order.order_id, client_id, CANCEL_REFUSAL[order.status]))
        return outcomes

    def _find_algo(self, api_key: str, item: AlgoCancel) -> TpslOrder | None:
        """The key's order on the item's contract with that algo id, else the newest with that client id."""
        def mine(o: TpslOrder) -> bool:
            return o.api_key == api_key and o.contract == item.contract

        if item.algo_id is not None:
            order = self._orders.get(item.algo_id)
            return order if order is not None and mine(order) else None
        matches = [o for o in self._orders.values() if mine(o) and o.algo_client_order_id == item.algo_client_order_id]
        return max(matches, key=lambda o: (o.created_at, int(o.order_id)), default=None)

    def cancel_all(
        self, api_key: str, contract: Contract, margin_mode: str, direction: str | None
    ) -> CancelResult:
        """Cancel every cancellable order of that key and contract (optionally one direction)."""
        with self._lock:
            ids = [o.order_id for o in sorted(self._orders.values(), key=lambda o: int(o.order_id))
                   if self._owned(o, api_key, contract, margin_mode) and o.status in CANCELLABLE
                   and direction in (None, o.direction)]
            for order_id in ids:
                self._orders[order_id].status = CANCELLED
        return CancelResult(ids, [])

    def set_status(self, order_id: str, status: int) -> None:
        """Force an order's status (e.g. 4 to make a cancel answer 1063)."""
        _check_choice('status', status, sorted(STATUSES))
        with self._lock:
            if order_id not in self._orders:
                raise KeyError(f'no order {order_id} in the sandbox')
            self._orders[order_id].status = status

    def get(self, order_id: str) -> Json | None:
        """The stored order in HTX's openorders item shape, or None."""
        with self._lock:
            order = self._orders.get(order_id)
            return order.to_htx() if order is not None else None

    @staticmethod
    def _owned(order: TpslOrder, api_key: str, contract: Contract, margin_mode: str) -> bool:
        return (order.api_key == api_key and order.contract == contract
                and order.margin_mode == margin_mode)


def _default_trigger(contract: Contract, direction: str, tpsl_order_type: str) -> float:
    rises = (tpsl_order_type == 'tp') == (direction == 'sell')
    digits = max(0, len(f'{contract.price_tick:f}'.rstrip('0').split('.')[1]))
    return round(contract.reference_price * (1.1 if rises else 0.9), digits)


def _check_choice(name: str, value: object, allowed: Iterable[object]) -> None:
    choices = list(allowed)
    if value not in choices:
        raise ValueError(f'{name} must be one of {choices}, got {value!r}')
