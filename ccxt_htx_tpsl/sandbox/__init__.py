"""An embedded HTX USDT-margined swap sandbox for the TP/SL endpoints (HTX has no testnet).

    from ccxt_htx_tpsl.sandbox import Sandbox, DEMO_API_KEY, DEMO_SECRET

    with Sandbox() as sb:                       # 127.0.0.1, any free port
        exchange = ccxt.htx(sb.exchange_config())
        ids = sb.add_tpsl_orders('BTC-USDT', count=3)
        sb.inject('swap_tpsl_cancel', err_code=1032)
        sb.migrate(DEMO_API_KEY)                # classic endpoints now refuse the key (1510)
        sb.inject('cancel_orders', err_code=1004)  # POST /v5/algo/cancel_orders

Speaks HTX's protocol for ``swap_contract_info``, ``/api/v1/timestamp``, the isolated (and
cross) ``swap_tpsl_*`` endpoints and the successor ``POST /v5/algo/cancel_orders``, with
signature v2 checks, HTX's rate limits, migrated accounts and fault injection.
``python -m ccxt_htx_tpsl.sandbox`` serves one in the foreground.
"""

from .records import RequestRecord
from .runner import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config
from .server import SANDBOX_HEADER

__all__ = ['DEMO_API_KEY', 'DEMO_SECRET', 'SANDBOX_HEADER', 'RequestRecord', 'Sandbox', 'exchange_config']
