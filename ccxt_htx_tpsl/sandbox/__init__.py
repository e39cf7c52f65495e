"""An embedded HTX USDT-margined swap sandbox for the TP/SL endpoints (HTX has no testnet).

    import ccxt_htx_tpsl
    from ccxt_htx_tpsl.sandbox import Sandbox, DEMO_API_KEY

    with Sandbox() as sb:                          # 127.0.0.1, any free port; keys are 'unified'
        exchange = ccxt_htx_tpsl.htx(sb.exchange_config())   # or ccxt.htx: ccxt 4.5.59+ declares v5
        algo_ids = sb.add_algo_orders('BTC-USDT', count=3)          # v5 algo orders
        exchange.contract_private_post_v5_algo_cancel_orders(
            [{'contract_code': 'BTC-USDT', 'algo_id': i} for i in algo_ids])
        sb.set_account_mode(DEMO_API_KEY, 'classic')                # now the classic endpoints work
        ids = sb.add_tpsl_orders('BTC-USDT', count=3)               # classic orders: another book
        sb.inject('swap_tpsl_cancel', err_code=1032)

It plays HTX in 2026: accounts are ``classic`` (``/linear-swap-api/v1/swap_(cross_)tpsl_*``) or
``unified``/``unified-single`` (``/v5/algo/order``, ``/v5/algo/order/opens``,
``/v5/algo/order/history``, ``/v5/algo/cancel_orders``), each refused by the other family;
``GET /v5/account/asset_mode`` tells them apart. ``Sandbox.set_mark_price`` moves a contract's price
and fires the TP/SL orders it crosses, which then show in the history endpoints (from another
process: ``POST /sandbox/mark_price``, the sandbox's own control endpoint). With signature v2
checks, HTX's per-UID and per-endpoint rate limits, simulated latency, fault injection and bounded
memory. ``python -m ccxt_htx_tpsl.sandbox`` serves one in the foreground.
"""

from .accounts import ACCOUNT_MODES, ASSET_MODES
from .latency import parse_latency
from .records import RequestRecord
from .runner import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config
from .server import SANDBOX_HEADER

__all__ = ['ACCOUNT_MODES', 'ASSET_MODES', 'DEMO_API_KEY', 'DEMO_SECRET', 'SANDBOX_HEADER', 'RequestRecord',
           'Sandbox', 'exchange_config', 'parse_latency']
