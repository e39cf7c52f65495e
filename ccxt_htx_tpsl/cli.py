"""The ``htx-tpsl`` command: run the sandbox, cancel TP/SL orders, or watch a demo.

``htx-tpsl cancel`` talks to HTX when credentials are given (``--api-key/--secret`` or
``HTX_API_KEY``/``HTX_SECRET``) and to an embedded sandbox otherwise, and says which. Credentials
are never printed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO
from urllib.parse import urlsplit

import ccxt

from . import __version__, _validate
from ._secrets import Scrubber
from ._sync import htx
from .protocol import CLASSIC_MAX_CANCEL_IDS as MAX_IDS_PER_REQUEST
from .sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config

HOSTS = ('api.hbdm.vn', 'api.hbdm.com')


def scrub(text: str) -> str:
    return Scrubber().text(text)


def chunked(ids: list[str], size: int = MAX_IDS_PER_REQUEST) -> list[list[str]]:
    return [ids[i:i + size] for i in range(0, len(ids), size)]
EXIT_ALL_CANCELED, EXIT_SOME_NOT_CANCELED, EXIT_ERROR = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``htx-tpsl`` and ``python -m ccxt_htx_tpsl``; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='htx-tpsl',
        description='Cancel HTX isolated-margin take-profit / stop-loss orders (USDT-margined swaps).',
    )
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__} (ccxt {ccxt.__version__})')
    commands = parser.add_subparsers(dest='command', required=True)

    sandbox = commands.add_parser('sandbox', help='run the embedded HTX sandbox in the foreground')
    sandbox.add_argument('--port', type=int, default=8080, help='port on 127.0.0.1 (0: any free port; default 8080)')
    sandbox.set_defaults(run=_run_sandbox)

    cancel = commands.add_parser(
        'cancel', help='cancel isolated TP/SL orders by id',
        description='Cancel isolated TP/SL orders. With credentials, on HTX; without, on an embedded sandbox.',
    )
    cancel.add_argument('symbol', help="unified symbol ('BTC/USDT:USDT') or contract code ('BTC-USDT')")
    cancel.add_argument('ids', nargs='+', metavar='ID', help='order ids (also comma-joined)')
    cancel.add_argument('--api-key', help='HTX API key (default: $HTX_API_KEY; never sent to --url)')
    cancel.add_argument('--secret', help='HTX secret (default: $HTX_SECRET; never sent to --url)')
    cancel.add_argument('--host', choices=HOSTS, default=HOSTS[0], help='HTX contract host (default %(default)s)')
    cancel.add_argument('--sandbox', action='store_true', help='use an embedded sandbox even if credentials are set')
    cancel.add_argument('--cross', action='store_true', help='cross-margin TP/SL orders (default: isolated)')
    cancel.add_argument('--route', choices=('v1', 'v5'), help="'v5': HTX's successor API (default: the classic v1)")
    cancel.add_argument('--url', help="send to this base URL instead, e.g. a running 'htx-tpsl sandbox' "
                        '(http://127.0.0.1:8080), with the sandbox demo credentials unless --api-key and '
                        '--secret are given (the HTX_* environment is not used)')
    _output_options(cancel)
    cancel.set_defaults(run=_run_cancel)

    demo = commands.add_parser('demo', help='place TP/SL orders in a sandbox and cancel them with per-id results')
    demo.add_argument('--orders', type=int, default=36, help='TP/SL orders to place (default %(default)s)')
    _output_options(demo)
    demo.set_defaults(run=_run_demo)
    return parser


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument('--json', action='store_true', help='print the per-id results as JSON')
    parser.add_argument('--no-progress', action='store_true', help='no progress bar on stderr')


def _run_sandbox(args: argparse.Namespace) -> int:
    def ready(server: Sandbox) -> None:
        print(f'HTX sandbox on {server.url}')
        print(f'  api key: {DEMO_API_KEY}')  # the sandbox's public demo credentials, not HTX's
        print(f'  secret:  {DEMO_SECRET}')
        print('  ccxt config: ccxt_htx_tpsl.sandbox.exchange_config(' + repr(server.hostname) + ')')
        print('Ctrl-C stops it.', flush=True)

    Sandbox(port=args.port).serve_forever(on_ready=ready)
    return EXIT_ALL_CANCELED


def _run_cancel(args: argparse.Namespace) -> int:
    if args.url:
        url = urlsplit(args.url)
        if url.scheme not in ('http', 'https') or not url.netloc:
            print(f'error: --url must look like http://127.0.0.1:8080, got {args.url!r}', file=sys.stderr)
            return EXIT_ERROR
        config = exchange_config(url.netloc, args.api_key or DEMO_API_KEY, args.secret or DEMO_SECRET)
        config['urls']['api']['contract'] = url.scheme + '://{hostname}'
        _note(f'cancelling on {url.scheme}://{url.netloc}.')
        return _exit_status(*_cancel(htx(config), args.symbol, args.ids, args))
    api_key = args.api_key or os.environ.get('HTX_API_KEY')  # the environment's keys go to HTX only
    secret = args.secret or os.environ.get('HTX_SECRET')
    if args.sandbox or not (api_key and secret):
        reason = '--sandbox given' if args.sandbox else 'no HTX_API_KEY/HTX_SECRET'
        with Sandbox(port=0) as server:
            _note(f'{reason}: using an embedded sandbox at {server.url}; nothing is sent to HTX.')
            return _exit_status(*_cancel(htx(exchange_config(server.hostname)), args.symbol, args.ids, args))
    exchange = htx(htx_config(api_key, secret, args.host))
    _note(f'cancelling on HTX ({args.host}).')
    return _exit_status(*_cancel(exchange, args.symbol, args.ids, args))


def htx_config(api_key: str, secret: str, host: str = HOSTS[0]) -> dict[str, Any]:
    """ccxt config for HTX itself: the contract host, and markets loaded from the linear list only."""
    return {
        'apiKey': api_key,
        'secret': secret,
        'urls': {'hostnames': {'contract': host}},
        'options': {'fetchMarkets': {'types': {'spot': False, 'linear': True, 'inverse': False}}},
        'has': {'fetchCurrencies': False},
    }


def _run_demo(args: argparse.Namespace) -> int:
    with Sandbox(port=0) as server:
        _note(f'demo: an embedded HTX sandbox at {server.url} (no keys, nothing sent to HTX).')
        placed = server.add_tpsl_orders('BTC-USDT', count=max(args.orders, 1))
        already = server.add_tpsl_orders('BTC-USDT', count=2, status=6)  # cancelled earlier
        executed = server.add_tpsl_orders('BTC-USDT', count=1, status=4)  # triggered already
        unknown = [str(int(placed[-1]) + 10_000 + i) for i in range(3)]
        ids = placed[:5] + already + unknown[:1] + placed[5:] + executed + unknown[1:]
        _note(f'placed {len(placed)} TP/SL orders on BTC-USDT; cancelling them together with '
              f'{len(already)} already cancelled, {len(executed)} executed and {len(unknown)} unknown ids '
              f'in one call ({len(ids)} ids, {-(-len(ids) // MAX_IDS_PER_REQUEST)} signed requests at <= 5/s).')
        orders, error = _cancel(htx(exchange_config(server.hostname)), 'BTC/USDT:USDT', ids, args)
        expected = dict.fromkeys(placed + already, 'canceled') | dict.fromkeys(executed, 'closed')
        expected |= dict.fromkeys(unknown, 'failed')
        as_expected = error is None and {o['id']: o['status'] for o in orders} == expected
        _note('demo: every id reported as expected.' if as_expected else 'demo: unexpected outcome, see above.')
        return EXIT_ALL_CANCELED if as_expected else EXIT_SOME_NOT_CANCELED


def _cancel(
    exchange: Any, symbol: str, raw_ids: Sequence[str], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], BaseException | None]:
    """Cancel in batches of 10 so that a progress bar can follow; print one line per id."""
    ids = [part.strip() for raw in raw_ids for part in raw.split(',')]
    orders: list[dict[str, Any]] = []
    error: BaseException | None = None
    try:
        margin = 'cross' if getattr(args, 'cross', False) else 'isolated'
        cancel = exchange.cancel_cross_tpsl_orders if margin == 'cross' else exchange.cancel_isolated_tpsl_orders
        params = {'route': args.route} if getattr(args, 'route', None) else {}
        distinct = _validate.order_ids(ids, 'htx-tpsl cancel')
        exchange.load_markets()
        batches = chunked(distinct)
        progress = _Progress(len(distinct), enabled=not args.no_progress and len(batches) > 1)
        for batch in batches:
            try:
                orders += cancel(batch, symbol, params)
            except ccxt.BaseError as failed:
                error = error or failed
                orders += getattr(failed, 'orders', [])
            progress.advance(len(batch))
        progress.close()
    except ccxt.BaseError as failed:
        error = failed
    if orders:
        _print_orders(orders, args.json, sys.stdout)
        counts = Counter(str(order['status']) for order in orders)
        _note(f'{len(orders)} ids: ' + ', '.join(f'{n} {status}' for status, n in counts.most_common()) + '.')
    if error is not None:
        print(f'error: {type(error).__name__}: {scrub(str(error))}', file=sys.stderr)
    return orders, error


def _exit_status(orders: list[dict[str, Any]], error: BaseException | None) -> int:
    if error is not None and not orders:
        return EXIT_ERROR
    if error is None and all(order['status'] == 'canceled' for order in orders):
        return EXIT_ALL_CANCELED
    return EXIT_SOME_NOT_CANCELED


def _print_orders(orders: list[dict[str, Any]], as_json: bool, out: TextIO) -> None:
    rows = [_row(order) for order in orders]
    if as_json:
        json.dump(rows, out, indent=2)
        out.write('\n')
        return
    headers = ('id', 'status', 'code', 'message')
    table = [headers, *((r['id'], str(r['status']), str(r['code'] or ''), r['message'] or '') for r in rows)]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)]
        out.write('  '.join([*cells, row[3]]) + '\n')


def _row(order: dict[str, Any]) -> dict[str, Any]:
    info = order['info'] if isinstance(order['info'], dict) else {}
    code = info.get('err_code', info.get('code'))  # classic and v5 spellings
    code = None if str(code) == '200' else code  # v5's per-item success
    message = info.get('err_msg') or (info.get('message') if code is not None else None)
    if not message:
        message = '' if order['status'] == 'canceled' else info.get('error')
    return {'id': order['id'], 'symbol': order['symbol'], 'status': order['status'], 'code': code, 'message': message}


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


class _Progress:
    """A one-line progress bar on stderr, drawn only on a terminal."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done = total, 0
        self.enabled = enabled and sys.stderr.isatty()

    def advance(self, count: int) -> None:
        self.done += count
        if self.enabled:
            filled = 30 * self.done // self.total
            sys.stderr.write(f'\r[{"#" * filled}{"." * (30 - filled)}] {self.done}/{self.total} ids')
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write('\n')
