"""``python -m ccxt_htx_tpsl.sandbox``: serve a sandbox in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import json

from . import DEMO_API_KEY, DEMO_SECRET, Sandbox


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, print the ccxt config, serve until interrupted."""
    parser = argparse.ArgumentParser(prog='python -m ccxt_htx_tpsl.sandbox', description=__doc__)
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=0, help='0 picks a free port')
    parser.add_argument('--seed', metavar='CONTRACT:COUNT', action='append', default=[],
                        help='seed COUNT ready isolated TP orders for the demo key, e.g. BTC-USDT:3')
    args = parser.parse_args(argv)

    def announce(sandbox: Sandbox) -> None:
        for spec in args.seed:
            code, _, count = spec.partition(':')
            print('seeded', code, sandbox.add_tpsl_orders(code, count=int(count or 1)), flush=True)
        print(sandbox.url, json.dumps(sandbox.exchange_config(DEMO_API_KEY, DEMO_SECRET)), flush=True)

    Sandbox(port=args.port, host=args.host).serve_forever(on_ready=announce)

if __name__ == '__main__':
    main()
