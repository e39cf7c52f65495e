"""The pro class: ``ccxt_htx_tpsl.pro.htx``, a drop-in for ``ccxt.pro.htx`` (websockets stay ccxt's)."""

from __future__ import annotations

import ccxt.pro

from .async_support import AsyncTpslMixin


class htx(AsyncTpslMixin, ccxt.pro.htx):
    """``ccxt.pro.htx`` plus the isolated TP/SL order methods, as coroutines."""
