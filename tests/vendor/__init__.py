"""ccxt's order-structure test, vendored (see order.py)."""
