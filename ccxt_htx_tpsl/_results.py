"""ccxt order structures for what HTX answered, and HTX's per-id code read the same way on both families.

What this module may know: ``_model`` and ``protocol``. :class:`TpslResultsMixin` is mixed into the
exchange classes; its two order builders are what a family's :class:`~ccxt_htx_tpsl._family.Host` offers.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any, NamedTuple

from . import protocol
from ._model import RECONCILED, CreateSpec, IdResult, Json, Leg

if TYPE_CHECKING:
    _Base = Any
else:
    _Base = object

class _CodeMessage(NamedTuple):
    code: str | None
    message: str | None


class Outcome(_CodeMessage):
    """HTX's code and message for one order (``code`` None: cancelled or fine, or no answer): a
    ``(code, message)`` pair. Also, as attributes outside the pair: ``placed``, the id of the order
    a fired TP/SL placed (from history and fetch by id), else None; ``reconciled``, True when the
    reply about this order was lost and its state is what HTX showed when asked afterwards."""

    placed: str | None
    reconciled: bool

    def __new__(cls, code: str | None, message: str | None, placed: str | None = None,
                reconciled: bool = False) -> Outcome:
        self = super().__new__(cls, code, message)
        self.placed = placed
        self.reconciled = reconciled
        return self

    def __repr__(self) -> str:
        extra = f', placed={self.placed!r}' if self.placed is not None else ''
        extra += ', reconciled=True' if self.reconciled else ''
        return f'Outcome(code={self.code!r}, message={self.message!r}{extra})'


def outcome(order: dict[str, Any]) -> Outcome:
    """HTX's per-id code and message of an order, on either API family.

    ``order['info']`` is HTX's own item, in its family's spelling: classic ``err_code`` /
    ``err_msg``, v5 ``code`` / ``message`` (200 meaning cancelled). This reads both. For an id
    whose request HTX refused as a whole, it is that refusal's code; for an id with no answer
    from HTX (``status`` None, ``code`` None) the message says what went wrong. For a finished
    TP/SL from history: a fired one that HTX could not place carries its ``fail_code`` /
    ``fail_reason`` (classic doc; the v5 spelling is unconfirmed, read the same), and a fired one
    the id of the order it placed (``relation_order_id``).
    """
    info = order.get('info') if isinstance(order, dict) else None
    if not isinstance(info, dict):
        return Outcome(None, None)
    if 'err_code' in info or 'err_msg' in info:
        code, message = info.get('err_code'), info.get('err_msg')
    elif info.get('fail_code') is not None or info.get('fail_reason') is not None:
        code, message = info.get('fail_code'), info.get('fail_reason')
    else:
        code, message = info.get('code'), info.get('message')
    code = protocol.code_of(code)
    placed = info.get('relation_order_id')
    placed = str(placed) if isinstance(placed, str | int) and not isinstance(placed, bool) else None
    if placed in (protocol.NO_ORDER_PLACED, '', '0'):
        placed = None
    reconciled = info.get(RECONCILED) is True
    if code == protocol.OK_CODE:
        return Outcome(None, None, placed, reconciled)
    return Outcome(code, None if message is None else str(message), placed, reconciled)


class TpslResultsMixin(_Base):
    """Builds the order structures; mixed into the exchange classes."""

    def _tpsl_order(self, fields: dict[str, Any], market: Json) -> Any:
        """ccxt's ``safe_order`` on ``fields`` in ``market``."""
        fields['symbol'] = market['symbol']
        return self.safe_order(fields, market)

    def _tpsl_new_order(self, market: Json, spec: CreateSpec, leg: Leg, order_id: str, client_id: str | None,
                        info: Any) -> Any:
        """The order structure of one leg HTX just created."""
        trigger = self.parse_number(leg.trigger)
        limit = leg.price_type == 'limit'
        return self._tpsl_order({
            'info': info,
            'id': order_id,
            'clientOrderId': client_id,
            'type': 'limit' if limit else 'market',
            'side': spec.side,
            'amount': self.parse_number(str(spec.amount)),
            'price': self.parse_number(leg.price) if limit and leg.price is not None else None,
            'triggerPrice': trigger,
            'takeProfitPrice': trigger if leg.kind == 'tp' else None,
            'stopLossPrice': trigger if leg.kind == 'sl' else None,
            'reduceOnly': True,
            'status': 'open',
        }, market)

    def _tpsl_outcome_orders(self, market: Json, ids: list[str], outcomes: dict[str, IdResult]) -> list[Any]:
        """One order structure per id, in ``ids``' order, from each id's :class:`IdResult`.

        ``safe_order`` runs once per distinct status, not once per id: each order is a copy of that
        template with its own ``id`` and ``info`` (and fresh lists and dicts), which is what
        ``safe_order`` would have returned for it.
        """
        templates: dict[str | None, tuple[dict[str, Any], tuple[str, ...]]] = {}
        orders = []
        for order_id in ids:
            result = outcomes[order_id]
            entry = templates.get(result.status)
            if entry is None:
                template = self.safe_order({'id': order_id, 'status': result.status, 'symbol': market['symbol'],
                                            'info': {}}, market)
                mutable = tuple(k for k, v in template.items() if k != 'info' and isinstance(v, list | dict))
                entry = templates[result.status] = (template, mutable)
            template, mutable = entry
            order = template.copy()
            order['id'] = order_id
            order['info'] = result.info  # replies and errors are scrubbed where they arrive (handle_errors, fetch)
            for key in mutable:
                order[key] = copy.deepcopy(template[key])
            orders.append(order)
        return orders
