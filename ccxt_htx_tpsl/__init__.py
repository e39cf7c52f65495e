"""ccxt-htx-tpsl: cancel HTX isolated-margin TP/SL orders from ccxt, with per-id results.

``ccxt_htx_tpsl.htx`` is ``ccxt.htx`` plus ``cancel_isolated_tpsl_orders`` and the methods around
it; the async and pro classes live in ``ccxt_htx_tpsl.async_support`` and ``ccxt_htx_tpsl.pro``
(imported on demand, as in ccxt, so that importing this package costs no more than importing ccxt).
"""

from ._cancel import ERROR_CODE_STATUS
from ._core import MAX_IDS_PER_REQUEST
from ._sync import htx

__version__ = '0.1.0'
__all__ = ['ERROR_CODE_STATUS', 'MAX_IDS_PER_REQUEST', '__version__', 'htx']
