"""ccxt's own order-structure test, run on the structures this package returns.

ccxt ships its unified-structure tests in the wheel: 4.5.65 and later in ``ccxt/test/exchange/base/``,
4.2.x in ``ccxt/test/base/``; wheels 4.3.55 to 4.5.64 ship none, and then the copy vendored from
ccxt 4.5.90 in ``tests/vendor`` runs instead (``SOURCE`` says which).
"""

from __future__ import annotations

from typing import Any

try:
    from ccxt.test.exchange.base.test_order import test_order as _ccxt_test_order

    SOURCE = 'ccxt.test.exchange.base.test_order'
except ImportError:  # ccxt before the test tree moved, or a wheel without it
    try:
        from ccxt.test.base.test_order import test_order as _ccxt_test_order

        SOURCE = 'ccxt.test.base.test_order'
    except ImportError:
        from .vendor.order import test_order as _ccxt_test_order

        SOURCE = 'tests.vendor.order (ccxt 4.5.90)'

__all__ = ['SOURCE', 'assert_ccxt_orders']


def assert_ccxt_orders(exchange: Any, orders: Any, symbol: str | None, method: str = 'tpsl') -> None:
    """Every item of ``orders`` passes ccxt's ``test_order`` (no property skipped)."""
    assert isinstance(orders, list), f'expected a list of order structures, got {type(orders).__name__}'
    now = exchange.milliseconds()
    for order in orders:
        _ccxt_test_order(exchange, {}, method, order, symbol, now)
