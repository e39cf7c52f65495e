"""The pro class: ``ccxt_htx_tpsl.pro.htx``, a drop-in for ``ccxt.pro.htx`` (websockets stay ccxt's)."""

from __future__ import annotations

from typing import Any

import ccxt.pro

from .async_support import AsyncTpslMixin, adopt_ccxt_throttler


class htx(AsyncTpslMixin, ccxt.pro.htx):
    """``ccxt.pro.htx`` plus the TP/SL order methods, as coroutines."""

    def __init__(self, config: dict[str, Any] = {}) -> None:
        super().__init__(config)
        adopt_ccxt_throttler(self)
        self._tpsl_scrub_logs((self.apiKey, self.secret))
