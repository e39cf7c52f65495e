"""Lost replies, reconciled: figures, not a pass/fail test (exit 0; 2 for a bad command line).

    python bench/lost_replies.py            # 1,000 ids per class and 100 v5 creates (about 1 minute)
    python bench/lost_replies.py --ids 200  # a shorter run

1. Cancels: a classic sandbox (HTX's 5 requests/s per endpoint) holds N open TP/SL orders; it carries
   out every cancel request but drops the reply of one in ten (``Sandbox.inject(..., drop=True)``).
   Per class: ids left without a state (goal 0), ids whose reported state differs from the sandbox's
   book (goal 0), lookups per lost reply (at most 3 by design), and wall / bound, where bound is
   (cancel requests - 1) / 5 s.
2. Creates: a unified (v5) sandbox drops one create reply in ten after creating the order; 100
   single-leg creates: orders created, duplicates, legs the caller was told "may exist" (goal 100, 0, 0).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import ccxt

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import Sandbox

SYMBOL = 'BTC/USDT:USDT'
LOOKUPS = ('swap_tpsl_openorders', 'swap_tpsl_hisorders', 'opens', 'history')


def drop_every_tenth(sandbox: Sandbox, endpoint: str, requests: int) -> int:
    """Faults that let requests 10, 20, ... take effect and drop their replies; how many."""
    drops = requests // 10
    for k in range(drops):
        sandbox.inject(endpoint, after=10 * k + 9, drop=True)  # each counts calls from now
    return drops


def cancels(flavour: str, count: int) -> dict[str, Any]:
    with Sandbox(account_mode='classic') as sandbox:
        order_ids = sandbox.add_tpsl_orders('BTC-USDT', count=count)
        requests = -(-count // protocol.CLASSIC_MAX_CANCEL_IDS)
        drops = drop_every_tenth(sandbox, 'swap_tpsl_cancel', requests)
        config = sandbox.exchange_config()
        started = time.monotonic()
        if flavour == 'sync':
            exchange = ccxt_htx_tpsl.htx(config)
            exchange.load_markets()
            started = time.monotonic()
            try:
                orders = exchange.cancel_isolated_tpsl_orders(order_ids, SYMBOL)
                raised = None
            except ccxt.BaseError as error:
                orders, raised = error.orders, type(error).__name__  # type: ignore[attr-defined]
        else:
            async def run() -> tuple[list[Any], str | None]:
                exchange = ccxt_htx_tpsl.async_support.htx(config)
                nonlocal started
                try:
                    await exchange.load_markets()
                    started = time.monotonic()
                    try:
                        return await exchange.cancel_isolated_tpsl_orders(order_ids, SYMBOL), None
                    except ccxt.BaseError as error:
                        return error.orders, type(error).__name__  # type: ignore[attr-defined]
                finally:
                    await exchange.close()
            orders, raised = asyncio.run(run())
        wall = time.monotonic() - started
        book = {i: protocol.CLASSIC_STATUS.get(str((sandbox.order(i) or {}).get('status'))) for i in order_ids}
        lookups = len([r for r in sandbox.requests if r.endpoint in LOOKUPS])
    bound = (requests - 1) / 5
    return {
        'class': flavour, 'ids': count, 'cancel requests': requests, 'replies dropped': drops,
        'ids left None': sum(o['status'] is None for o in orders),
        'states unlike the book': sum(o['status'] != book[o['id']] for o in orders),
        'reconciled ids': sum(ccxt_htx_tpsl.outcome(o).reconciled for o in orders),
        'lookups per lost reply': round(lookups / drops, 2) if drops else 0.0,
        'raised': raised or '-',
        'wall / bound': round(wall / bound, 3) if bound else 0.0,
    }


def creates(count: int) -> dict[str, Any]:
    with Sandbox(account_mode='unified') as sandbox:
        drops = drop_every_tenth(sandbox, 'order', count)
        exchange = ccxt_htx_tpsl.htx(sandbox.exchange_config())
        exchange.load_markets()
        told_may_exist = created_ids = 0
        ids: list[str] = []
        for i in range(count):
            try:
                legs = exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000 + i)
                ids += [leg['id'] for leg in legs]
                created_ids += len(legs)
            except ccxt.BaseError:
                told_may_exist += 1
        listed = exchange.fetch_open_isolated_tpsl_orders(SYMBOL)
        sent = len([r for r in sandbox.requests if r.endpoint == 'order'])
    triggers = [o['takeProfitPrice'] for o in listed]
    return {
        'creates': count, 'replies dropped': drops, 'create requests sent': sent,
        'orders on HTX': len(listed), 'duplicates': len(triggers) - len(set(triggers)),
        'legs returned': created_ids, 'told "may exist"': told_may_exist,
        'returned ids all on HTX': set(ids) <= {o['id'] for o in listed},
    }


def table(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    cells = [keys, *[[str(row[k]) for k in keys] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(keys))]
    lines = ['  '.join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return '\n'.join([lines[0], '-' * len(lines[0]), *lines[1:]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--ids', type=int, default=1000, help='ids to cancel per class (default 1000)')
    parser.add_argument('--creates', type=int, default=100, help='v5 creates (default 100)')
    args = parser.parse_args()
    if args.ids < 10 or args.creates < 10:
        parser.error('--ids and --creates: at least 10')
    started = time.monotonic()
    print('1. Cancels, one reply in ten dropped after the sandbox carried the request out (classic, 5/s)')
    print(table([cancels(flavour, args.ids) for flavour in ('sync', 'async')]))
    print()
    print('2. v5 creates, one reply in ten dropped after the order was created')
    print(table([creates(args.creates)]))
    print(f'\nmeasured run time: {time.monotonic() - started:.1f} s')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
