"""A bot that manages its take-profit / stop-loss orders with ccxt's unified calls only, checked
against the sandbox's own book after every step.

Run it on the package's class (the default) or on plain ccxt, sync or async, against an embedded
sandbox with a unified (v5) or a classic account:

    python examples/unified_bot.py                          # ccxt_htx_tpsl.htx, unified account
    python examples/unified_bot.py --account-mode classic --async
    python examples/unified_bot.py --plain-ccxt             # ccxt.htx: what ccxt gets wrong

Every line says what the bot asked, what it was told, what the sandbox's book shows, and whether
the two agree. Exit 0 when every answer was true, 1 otherwise. The bot is the same code for every
class: only ``--plain-ccxt`` / ``--async`` change which class answers.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ccxt
import ccxt.async_support

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, Sandbox

SYMBOL = 'BTC/USDT:USDT'
TPSL = {'stopLossTakeProfit': True}
UNKNOWN = '1300000000000000009'  # an id HTX knows nowhere


@dataclass
class Check:
    step: str
    told: str  # what the exchange class answered (or raised)
    truth: str  # what the sandbox's book shows
    ok: bool


def book_status(sandbox: Sandbox, order_id: Any) -> str | None:
    """What the sandbox's book says about an order: 'open', 'closed' (fired), 'canceled', or None (unknown)."""
    if not isinstance(order_id, str):
        return None
    classic = sandbox.order(order_id)
    if classic is not None:
        return protocol.CLASSIC_STATUS.get(str(classic['status']))
    algo = sandbox.algo_order(order_id)
    return None if algo is None else protocol.V5_STATE_STATUS.get(algo['state'])


def open_ids(sandbox: Sandbox, ids: list[str]) -> set[str]:
    return {i for i in ids if book_status(sandbox, i) == 'open'}


def attempt(call: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return call(), None
    except ccxt.BaseError as error:
        return None, error


def said(value: Any, error: BaseException | None) -> str:
    if error is not None:
        return f'raised {type(error).__name__}'
    if isinstance(value, dict):
        return f"{value.get('id')} {value.get('status')}"
    if isinstance(value, list):
        return ', '.join(f"{o.get('id')} {o.get('status')}" if isinstance(o, dict) else repr(o) for o in value) or '[]'
    return repr(value)


def place_elsewhere(sandbox: Sandbox, kind: str, price: float, side: str) -> str:
    """An order placed without the bot's class (as on HTX's web site), when its create_order failed:
    the later steps still have orders to work on."""
    if sandbox.account_mode(DEMO_API_KEY) == 'classic':
        return sandbox.add_tpsl_orders('BTC-USDT', count=1, direction=side, tpsl_order_type=kind,
                                       margin_mode='cross', trigger_price=price)[0]
    return sandbox.add_algo_orders('BTC-USDT', 1, type=kind, side=side, margin_mode='cross',
                                   position_side='long' if side == 'sell' else 'short',
                                   **{f'{kind}_trigger_price': price})[0]


def create(call: Callable[..., Any], sandbox: Sandbox, side: str, name: str, price: float) -> tuple[Any, Any, str]:
    """``create_order`` with one trigger price: (what it returned, what it raised, the id of an order on the book)."""
    order, error = attempt(lambda: call('create_order', SYMBOL, 'market', side, 1, None, {name: price}))
    order_id = order.get('id') if isinstance(order, dict) else None
    if book_status(sandbox, order_id) is None:
        order_id = place_elsewhere(sandbox, 'sl' if name == 'stopLossPrice' else 'tp', price, side)
    return order, error, order_id


def bot(call: Callable[..., Any], sandbox: Sandbox) -> list[Check]:
    """The bot: ``call(name, *args)`` runs the exchange method ``name`` and returns its result."""
    checks: list[Check] = []
    made: list[str] = []

    def check(step: str, told: str, truth: str, ok: bool) -> None:
        checks.append(Check(step, told, truth, ok))

    # 1-2. a stop-loss and a take-profit on a long position (each closes it: side 'sell'); when a
    # create fails, the order is placed elsewhere so that every later step still has work to do
    for name, price in (('stopLossPrice', 50000), ('takeProfitPrice', 150000)):
        order, error, order_id = create(call, sandbox, 'sell', name, price)
        made.append(order_id)
        check(f'create_order {name}={price}', said(order, error), f'book: {order_id} {book_status(sandbox, order_id)}',
              error is None and order.get('id') == order_id)
    stop_loss, take_profit = made

    # 3. both prices in one call: two orders, or a clear refusal and none; never one of them silently
    before = len(sandbox.requests)
    both, error = attempt(lambda: call('create_order', SYMBOL, 'market', 'sell', 1, None,
                                       {'stopLossPrice': 45000, 'takeProfitPrice': 160000}))
    both_id = both.get('id') if isinstance(both, dict) else None
    if both_id and book_status(sandbox, both_id):
        made.append(both_id)
    check('create_order with both prices', said(both, error),
          f'book: {both_id} {book_status(sandbox, both_id)}; requests sent {len(sandbox.requests) - before}',
          error is not None and both_id is None and not any(r.endpoint.endswith('order') for r in
                                                             sandbox.requests[before:]))

    # 4. list every open TP/SL
    listed, error = attempt(lambda: call('fetch_open_orders', SYMBOL, None, None, TPSL))
    shown = {o.get('id') for o in listed or []}
    check('fetch_open_orders stopLossTakeProfit', said(listed, error), f'book open: {sorted(open_ids(sandbox, made))}',
          error is None and shown == open_ids(sandbox, made))

    # 5. cancel one
    cancelled, error = attempt(lambda: call('cancel_order', take_profit, SYMBOL, TPSL))
    status = book_status(sandbox, take_profit)
    check('cancel_order take-profit', said(cancelled, error), f'book: {take_profit} {status}',
          error is None and status == 'canceled' and cancelled.get('status') == 'canceled')

    # 6. cancel many, an unknown id among them
    _, _, extra_id = create(call, sandbox, 'buy', 'stopLossPrice', 170000)
    made.append(extra_id)
    results, error = attempt(lambda: call('cancel_orders', [extra_id, UNKNOWN], SYMBOL, TPSL))
    told = {o.get('id'): o.get('status') for o in results if isinstance(o, dict)} if isinstance(results, list) else {}
    true = error is None and told.get(extra_id) == 'canceled' == book_status(sandbox, extra_id) \
        and told.get(UNKNOWN) != 'canceled'
    check('cancel_orders [new stop-loss, unknown id]', said(results, error),
          f'book: {extra_id} {book_status(sandbox, extra_id)}, {UNKNOWN} unknown', true)

    # 7. cancel an id HTX does not know: ccxt's convention is OrderNotFound
    gone, error = attempt(lambda: call('cancel_order', UNKNOWN, SYMBOL, TPSL))
    check('cancel_order unknown id', said(gone, error), 'book: no such order', isinstance(error, ccxt.OrderNotFound))

    # 8. the price falls through the stop-loss: it fires; then fetch the fired and the cancelled one
    sandbox.set_mark_price('BTC-USDT', 49000)
    for order_id, label in ((stop_loss, 'fired stop-loss'), (take_profit, 'cancelled take-profit')):
        fetched, error = attempt(lambda i=order_id: call('fetch_order', i, SYMBOL, TPSL))
        status = book_status(sandbox, order_id)
        check(f'fetch_order {label}', said(fetched, error), f'book: {order_id} {status}',
              error is None and status is not None and fetched.get('status') == status)
    closed, error = attempt(lambda: call('fetch_closed_orders', SYMBOL, None, None, TPSL))
    check('fetch_closed_orders', said(closed, error), f'book: {stop_loss} closed',
          error is None and isinstance(closed, list) and stop_loss in {o.get('id') for o in closed})

    # 9. cancel every TP/SL left
    for price in (40000, 41000):
        made.append(create(call, sandbox, 'sell', 'stopLossPrice', price)[2])
    all_cancelled, error = attempt(lambda: call('cancel_all_orders', SYMBOL, TPSL))
    left = open_ids(sandbox, made)
    check('cancel_all_orders', said(all_cancelled, error), f'book open after: {sorted(left)}',
          error is None and not left and isinstance(all_cancelled, list)
          and all(isinstance(o, dict) and o.get('status') == 'canceled' for o in all_cancelled))
    return checks


def run(account_mode: str = 'unified', use_async: bool = False, plain_ccxt: bool = False) -> list[Check]:
    """Start a sandbox, build the class asked for, run the bot, close everything."""
    with Sandbox(account_mode=account_mode) as sandbox:
        if use_async:
            cls = ccxt.async_support.htx if plain_ccxt else ccxt_htx_tpsl.async_support.htx
            exchange = cls(sandbox.exchange_config())
            loop = asyncio.new_event_loop()
            try:
                return bot(lambda name, *args: loop.run_until_complete(getattr(exchange, name)(*args)), sandbox)
            finally:
                loop.run_until_complete(exchange.close())
                loop.close()
        exchange = (ccxt.htx if plain_ccxt else ccxt_htx_tpsl.htx)(sandbox.exchange_config())
        return bot(lambda name, *args: getattr(exchange, name)(*args), sandbox)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--account-mode', choices=('unified', 'classic'), default='unified')
    parser.add_argument('--async', dest='use_async', action='store_true', help='the async class')
    parser.add_argument('--plain-ccxt', action='store_true', help='ccxt.htx instead of ccxt_htx_tpsl.htx')
    args = parser.parse_args(argv)
    checks = run(args.account_mode, args.use_async, args.plain_ccxt)
    name = ('ccxt' if args.plain_ccxt else 'ccxt_htx_tpsl') + ('.async_support' if args.use_async else '') + '.htx'
    print(f'{name} on a {args.account_mode} account (ccxt {ccxt.__version__}):')
    for c in checks:
        print(f"  {'true ' if c.ok else 'WRONG'}  {c.step}: told {c.told} | {c.truth}")
    wrong = sum(not c.ok for c in checks)
    print(f'{len(checks) - wrong} of {len(checks)} answers true')
    return 1 if wrong else 0


if __name__ == '__main__':
    sys.exit(main())
