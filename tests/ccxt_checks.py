"""ccxt's own order-structure test, run on the structures this package returns.

ccxt ships its unified-structure tests in the wheel; 4.5.x keeps them in
``ccxt/test/exchange/base/``, older wheels (4.2.x) in ``ccxt/test/base/``.
"""

from __future__ import annotations

from typing import Any

try:
    from ccxt.test.exchange.base.test_order import test_order as _ccxt_test_order
except ImportError:  # ccxt before the test tree moved
    from ccxt.test.base.test_order import test_order as _ccxt_test_order

__all__ = ['assert_ccxt_orders']


def assert_ccxt_orders(exchange: Any, orders: Any, symbol: str | None, method: str = 'tpsl') -> None:
    """Every item of ``orders`` passes ccxt's ``test_order`` (no property skipped)."""
    assert isinstance(orders, list), f'expected a list of order structures, got {type(orders).__name__}'
    now = exchange.milliseconds()
    for order in orders:
        _ccxt_test_order(exchange, {}, method, order, symbol, now)
