"""ccxt-htx-tpsl: HTX take-profit / stop-loss orders from ccxt, on both of HTX's API families, with per-id results.

``ccxt_htx_tpsl.htx`` is ``ccxt.htx`` plus create, list, cancel and cancel-all of TP/SL orders on
USDT-margined swaps (isolated and cross margin); the async and pro classes live in
``ccxt_htx_tpsl.async_support`` and ``ccxt_htx_tpsl.pro`` (imported on demand, as in ccxt, so that
importing this package costs no more than importing ccxt). ``outcome(order)`` reads HTX's per-id
code and message the same way on both API families.
"""

from ._results import Outcome, outcome
from ._sync import htx
from .protocol import CANCEL_CODE_STATUS, CLASSIC_MAX_CANCEL_IDS

MAX_IDS_PER_REQUEST = CLASSIC_MAX_CANCEL_IDS
__version__ = '0.2.0'
__all__ = ['CANCEL_CODE_STATUS', 'MAX_IDS_PER_REQUEST', 'Outcome', '__version__', 'htx', 'outcome']
