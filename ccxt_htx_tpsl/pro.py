"""The pro class: ``ccxt_htx_tpsl.pro.htx``, a drop-in for ``ccxt.pro.htx`` (websockets stay ccxt's)."""

from __future__ import annotations

import ccxt.pro

from .async_support import AsyncTpslCancelMixin


class htx(AsyncTpslCancelMixin, ccxt.pro.htx):
    """``ccxt.pro.htx`` plus :meth:`cancel_isolated_tpsl_orders` (a coroutine)."""
