"""``python -m ccxt_htx_tpsl.sandbox``: serve a sandbox in the foreground until Ctrl-C / SIGTERM."""

from __future__ import annotations

import argparse
import json
import sys

from . import ACCOUNT_MODES, DEMO_API_KEY, DEMO_SECRET, Sandbox, contracts, parse_latency


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 1-65535, or 0 for any free one."""
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f'port must be 1-65535 (or 0 for any free port), got {text!r}')
    return port


def latency_range(text: str) -> tuple[float, float]:
    """An argparse type for :func:`parse_latency` (``LOW-HIGH`` or ``MS``, milliseconds)."""
    try:
        return parse_latency(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def seed_spec(text: str) -> tuple[str, int]:
    """An argparse type: ``CONTRACT:COUNT`` (COUNT defaults to 1) naming a listed contract."""
    code, _, count = text.partition(':')
    known = [c.contract_code for c in contracts.CONTRACTS]
    if contracts.find(code) is None:
        raise argparse.ArgumentTypeError(f'unknown contract {code!r} in {text!r}; the sandbox lists {known}')
    if count and not (count.isdigit() and 0 < int(count) <= 10_000):
        raise argparse.ArgumentTypeError(f'COUNT must be 1-10000, got {text!r}')
    return code, int(count or 1)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m ccxt_htx_tpsl.sandbox``."""
    parser = argparse.ArgumentParser(prog='python -m ccxt_htx_tpsl.sandbox', description=__doc__)
    parser.add_argument('--host', default='127.0.0.1', help='interface to listen on (default 127.0.0.1)')
    parser.add_argument('--port', type=port_number, default=0, help='0 (default) picks a free port')
    parser.add_argument('--account-mode', choices=ACCOUNT_MODES, default='unified',
                        help='the demo key\'s account mode (default unified: the v5 endpoints)')
    parser.add_argument('--latency', type=latency_range, metavar='LO-HI', default=None,
                        help='simulated one-way latency in ms, uniform in LO-HI (e.g. 20-120)')
    parser.add_argument('--seed', metavar='CONTRACT:COUNT', type=seed_spec, action='append', default=[],
                        help='seed COUNT open TP orders for the demo key, in the book its account mode uses '
                             '(classic: swap_tpsl_*, else v5 algo orders), e.g. BTC-USDT:3')
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, print the ccxt config, serve until interrupted; 2 when it cannot listen."""
    args = build_parser().parse_args(argv)

    def announce(sandbox: Sandbox) -> None:
        for code, count in args.seed:
            print('seeded', code, sandbox.seed_open_orders(code, count), flush=True)
        print(sandbox.url, json.dumps(sandbox.exchange_config(DEMO_API_KEY, DEMO_SECRET)), flush=True)

    sandbox = Sandbox(port=args.port, host=args.host, account_mode=args.account_mode, latency=args.latency)
    try:
        sandbox.serve_forever(on_ready=announce)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f'python -m ccxt_htx_tpsl.sandbox: cannot listen on {args.host}:{args.port}: {reason}',
              file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
