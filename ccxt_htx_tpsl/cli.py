"""The ``htx-tpsl`` command (also ``python -m ccxt_htx_tpsl``).

::

    htx-tpsl cancel SYMBOL ID [ID ...]   cancel TP/SL orders by id, per-id outcome (exit 0/1/2/130)
    htx-tpsl cancel-all SYMBOL           cancel every open TP/SL order of a contract (or side), per-id outcome
    htx-tpsl list SYMBOL                 the open TP/SL orders of a contract, or the finished ones (--history)
    htx-tpsl doctor                      read-only: asset mode, what route 'auto' picks, both listings
    htx-tpsl demo                        place, list and cancel TP/SL orders on an embedded sandbox
    htx-tpsl sandbox                     serve the embedded HTX sandbox in the foreground
    htx-tpsl mark-price --url URL CONTRACT PRICE   move a running sandbox's price, firing what it crosses
    htx-tpsl --version

Where ``cancel``, ``cancel-all``, ``list`` and ``doctor`` go: ``--sandbox``, an embedded sandbox;
``--url``, that server (with ``--api-key/--secret`` if given, else the sandbox demo keys; the
``HTX_*`` environment is never sent there); else HTX (``--host``), with ``--api-key/--secret`` or
``HTX_API_KEY``/``HTX_SECRET``. Without any of these, ``cancel``, ``cancel-all`` and ``list`` refuse
with exit 2 rather than guess (an empty throwaway sandbox would read like an answer from HTX), and
``doctor`` checks an embedded sandbox and says so. ``demo`` never places anything outside its own embedded
sandbox: given credentials (or ``--url``), it runs the read-only ``doctor`` checks instead, unless
``--sandbox`` forces the demo.

With ``--json``, stdout holds exactly one JSON document, ``{"error": {...}}`` when the call failed.
Progress (rate, ETA) is drawn on stderr when stderr is a terminal.

No credential is ever printed: not in results, errors or tracebacks, and argparse's error messages
never repeat a value from the command line. The cancelling, pacing and reply parsing are the
library's; this module only chooses the target, sends batches of 10 ids and prints.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import signal
import socket
import sys
import threading
import time
import traceback
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NoReturn
from urllib.parse import SplitResult, urlsplit

import ccxt

from . import __version__, _validate, protocol
from ._ratestore import describe_store
from ._results import outcome
from ._secrets import Scrubber
from ._sync import htx
from .sandbox import (
    ACCOUNT_MODES,
    DEMO_API_KEY,
    DEMO_SECRET,
    SANDBOX_HEADER,
    Sandbox,
    contracts,
    exchange_config,
    parse_latency,
)
from .sandbox.control import MARK_PRICE_PATH
from .sandbox.server import SANDBOX_HEADER_VALUE

HOSTS = ('api.hbdm.vn', 'api.hbdm.com')
ROUTES = protocol.ROUTES  # 'auto', 'v5', 'v1'
DEFAULT_SYMBOL = 'BTC/USDT:USDT'
BATCH = protocol.CLASSIC_MAX_CANCEL_IDS  # ids per library call, so that a progress bar can follow
TABLE_SAMPLE = 10  # rows the demo shows without --verbose
EXIT_OK, EXIT_NOT_ALL, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_UNANSWERED = 1  # list, mark-price: asked, but no usable answer (no reply, a bad one, HTX's own failure)
# a refusal of the whole request that the next request would get as well: stop sending
STOP_AFTER = (ccxt.AuthenticationError, ccxt.PermissionDenied, ccxt.NotSupported)
UNCONFIRMED, NOT_SENT = 'unconfirmed', 'not sent'  # how the table shows status None, an id never sent
TROUBLESHOOTING = 'docs/troubleshooting.md'  # every error line names its section there
SEED_IDS_SHOWN = 10  # `sandbox --seed N` lists the ids in its banner up to this many (else --ids FILE)


class UsageError(Exception):
    """A mistake in the command line: one line on stderr, exit 2, nothing sent."""

    def __init__(self, message: str, see: str = 'usage-errors') -> None:
        super().__init__(message)
        self.see = see  # the section of docs/troubleshooting.md


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``htx-tpsl`` and ``python -m ccxt_htx_tpsl``; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(argv)
    except _ArgumentError as failed:
        failed.parser.print_usage(sys.stderr)
        message = _without_values(failed.message, argv)
        _note(f'{failed.parser.prog}: error: {message}')
        options = argv[:argv.index('--')] if '--' in argv else argv
        if '--json' in options:
            Output([], as_json=True).error('UsageError', message, EXIT_ERROR, 'usage-errors')
        return EXIT_ERROR
    out = Output(_secrets_in(args), as_json=bool(getattr(args, 'json', False)))
    try:
        return int(args.run(args, out))
    except UsageError as mistake:
        out.note(f'error: {mistake} {_see(mistake.see)}')
        out.error('UsageError', str(mistake), EXIT_ERROR, mistake.see)
        return EXIT_ERROR
    except KeyboardInterrupt:
        out.note('interrupted.')
        out.error('KeyboardInterrupt', 'interrupted', EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    except ccxt.BaseError as failed:  # outside a cancel (the demo's create or list): HTX's reason, one line
        out.note('error: ' + _reason(failed))
        out.error_of(failed, EXIT_ERROR)
        return EXIT_ERROR
    except Exception as bug:  # one scrubbed line (a scrubbed traceback with --verbose), never a raw traceback
        if getattr(args, 'verbose', False):
            out.note(''.join(traceback.format_exception(bug)).rstrip())
        out.note(f'error: unexpected {type(bug).__name__}: {_one_line(str(bug))}')
        out.error(type(bug).__name__, 'unexpected: ' + _one_line(str(bug)), EXIT_ERROR)
        return EXIT_ERROR


# -- output ----------------------------------------------------------------------------------


class Output:
    """stdout for results, stderr for everything else; every line scrubbed of the credentials.

    With ``--json`` (``as_json``), stdout gets exactly one JSON document: the result, or an error
    object (:meth:`error`) when the call failed before one was printed.
    """

    def __init__(self, secrets: Sequence[str], as_json: bool = False) -> None:
        self.scrubber = Scrubber(secrets)
        self.as_json = as_json
        self.printed_json = False

    def out(self, text: str) -> None:
        sys.stdout.write(_without_userinfo(self.scrubber.text(text)) + '\n')
        sys.stdout.flush()

    def note(self, text: str) -> None:
        _note(_without_userinfo(self.scrubber.text(text)))

    def json(self, value: Any) -> None:
        if not self.printed_json:  # one document, whatever happens next
            self.printed_json = True
            self.out(json.dumps(value, indent=2, ensure_ascii=False))

    def error(self, kind: str, message: str, exit_status: int, see: str | None = None, **extra: Any) -> None:
        """With ``--json``: ``{"error": {"type", "message", "exit_status", "see", ...}}`` on stdout, once."""
        if self.as_json:
            detail = {'type': kind, 'message': message, 'exit_status': exit_status,
                      'see': f'{TROUBLESHOOTING}#{see}' if see else None}
            self.json({'error': {**detail, **{k: v for k, v in extra.items() if k != 'results'}},
                       **({'results': extra['results']} if 'results' in extra else {})})

    def error_of(self, failed: BaseException, exit_status: int, route: str | None = None, **extra: Any) -> None:
        if self.as_json:
            code, _ = _error_code(failed)
            self.error(type(failed).__name__, _reason(failed, route, see=False).partition(': ')[2], exit_status,
                       _anchor(failed), code=code, cause=_network_cause(failed), **extra)


def _note(text: str) -> None:
    """A line on stderr, above the progress line if one is drawn (which is then drawn again below it)."""
    with _LIVE_LOCK:
        if _LIVE:
            sys.stderr.write('\r\x1b[K')
        print(text, file=sys.stderr, flush=True)
        if _LIVE:
            _LIVE[-1].redraw()


_USERINFO = re.compile(r'(?<=//)[^\s/@]+@')


def _without_userinfo(text: str) -> str:
    """``scheme://user:pass@host`` as ``scheme://host``: whatever a message quotes, never a URL's user info."""
    return _USERINFO.sub('', text)


def _one_line(text: str, limit: int = 400) -> str:
    flat = ' '.join(str(text).split())
    return flat if len(flat) <= limit else flat[:limit - 3] + '...'


# -- the command line ------------------------------------------------------------------------


class _ArgumentError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


class _Parser(argparse.ArgumentParser):
    """argparse, except that errors are raised to :func:`main`, which prints them without values."""

    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(self, message)


COMMAND_NAMES = frozenset({'demo', 'doctor', 'sandbox', 'cancel', 'cancel-all', 'list', 'mark-price'})
_OPTION_NAME = re.compile(r'--[A-Za-z][A-Za-z0-9-]*|-[A-Za-z]')


def _without_values(message: str, argv: Sequence[str]) -> str:
    """argparse's message with every value from the command line (it may be a secret) as ``***``.

    Option names stay (``unrecognized arguments: --secrt ***``); anything else the user typed,
    including the part after ``=`` in ``--name=value``, is replaced wherever it stands as a word.
    """
    values = set()
    for token in argv:
        if token in COMMAND_NAMES:  # the command's own name is no value the user chose
            continue
        name, equals, value = token.partition('=')
        if equals and _OPTION_NAME.fullmatch(name):
            values.add(value)
        elif not _OPTION_NAME.fullmatch(token):
            values.add(token)
    for value in sorted(filter(None, values), key=len, reverse=True):
        message = re.sub(r'(?<![^\s\'"=,(\[])' + re.escape(value) + r'(?![^\s\'",)\]])', '***', message)
    return message


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= 65535):
        raise argparse.ArgumentTypeError('must be a port number, 0-65535 (0: any free port)')
    return int(text)


def _count(limit: int, low: int = 0) -> Callable[[str], int]:
    def count(text: str) -> int:
        if not (text.isascii() and text.isdigit() and low <= int(text) <= limit):
            raise argparse.ArgumentTypeError(f'must be a whole number, {low}-{limit}')
        return int(text)
    return count


def _milliseconds(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 0 < int(text) <= 600_000):
        raise argparse.ArgumentTypeError('must be milliseconds, 1-600000')
    return int(text)


def _latency(text: str) -> tuple[float, float]:
    try:
        return parse_latency(text)
    except ValueError:
        raise argparse.ArgumentTypeError('must be LO-HI or MS in milliseconds, e.g. 20-120') from None


def _since(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) <= 15):
        raise argparse.ArgumentTypeError('must be a time in milliseconds since 1970, e.g. 1767225600000')
    return int(text)


def _positive_price(text: str) -> str:
    """A positive decimal number, kept as typed (the sandbox reads it as text, as HTX writes prices)."""
    if not re.fullmatch(r'(?:[0-9]+\.?[0-9]*|\.[0-9]+)', text) or not any(c in '123456789' for c in text):
        raise argparse.ArgumentTypeError('must be a positive number, e.g. 99000 or 0.52')
    return text


def _url(text: str) -> SplitResult:
    url = urlsplit(text)
    try:
        _ = url.port  # raises ValueError for a port out of range
    except ValueError:
        url = urlsplit('')
    if url.scheme not in ('http', 'https') or not url.hostname or url.path not in ('', '/'):
        raise argparse.ArgumentTypeError('must look like http://127.0.0.1:8080')
    return url


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog='htx-tpsl', description='HTX take-profit / stop-loss orders (USDT-margined swaps): '
                     'list them, cancel them with per-id outcomes, check an account, or try it all on an embedded '
                     'sandbox.')
    parser.add_argument('--version', action='version', version=f'%(prog)s {__version__} (ccxt {ccxt.__version__})')
    commands = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')

    cancel = commands.add_parser(
        'cancel', help='cancel TP/SL orders by id and report every id',
        description='Cancel TP/SL orders, in batches of 10 ids, on HTX (with credentials), a server (--url) or an '
                    'embedded sandbox (--sandbox). Exit 0: every id cancelled; 1: some id not; 2: nothing could be '
                    'done (no credentials and neither --sandbox nor --url included); 130: interrupted (the outcome '
                    'of every id known so far is printed).')
    _contract_options(cancel)
    cancel.add_argument('ids', nargs='+', metavar='ID', help='order ids (also comma-joined); duplicates are folded')
    _target_options(cancel, sandbox=True, sandbox_help='cancel on an embedded sandbox (without HTX credentials, '
                    '--sandbox or --url is required: cancel never guesses where to send)')
    cancel.add_argument('--json', action='store_true', help='print the per-id results as JSON')
    cancel.add_argument('--no-progress', action='store_true', help='no progress bar on a terminal')
    cancel.add_argument('--verbose', action='store_true', help='a line per batch on stderr')
    cancel.set_defaults(run=_run_cancel)

    cancel_all = commands.add_parser(
        'cancel-all', help='cancel every open TP/SL order of a contract (or of one side) and report every id',
        description="Cancel every open TP/SL order of a contract, or of one side, in one library call (classic: "
                    "HTX's own cancel-all; v5: listed, then cancelled by id), on HTX (with credentials), a server "
                    '(--url) or an embedded sandbox (--sandbox). Exit 0: every id HTX named cancelled, or HTX said '
                    'there was nothing to cancel; 1: some id not cancelled, or the call failed after per-id results '
                    '(those are printed); 2: nothing could be done (no credentials and neither --sandbox nor --url '
                    'included); 130: interrupted (the outcome is unknown: list the open orders to see).')
    _contract_options(cancel_all)
    cancel_all.add_argument('--side', choices=('buy', 'sell'),
                            help="only the orders of this side ('sell' closes a long, 'buy' a short; default both)")
    _target_options(cancel_all, sandbox=True, sandbox_help='cancel on an embedded sandbox (without HTX credentials, '
                    '--sandbox or --url is required: cancel-all never guesses where to send)')
    cancel_all.add_argument('--json', action='store_true', help='print the per-id results as JSON')
    cancel_all.set_defaults(run=_run_cancel_all)

    listing = commands.add_parser(
        'list', help='list the open TP/SL orders of a contract, or the finished ones (--history)',
        description='List the TP/SL orders of a contract, oldest first, on HTX (with credentials), a server (--url) '
                    'or an embedded sandbox (--sandbox): the open ones, or with --history the finished ones (closed: '
                    'fired, with the id of the order it placed; canceled: cancelled, or fired and not placed, with '
                    "HTX's fail code). Exit 0: listed (none included); 1: HTX could not be asked or its reply was "
                    'bad; 2: nothing could be done (a usage error, no credentials and neither --sandbox nor --url, '
                    'credentials refused, an unknown symbol, a --route the account does not use); 130: interrupted.')
    _contract_options(listing)
    listing.add_argument('--history', action='store_true',
                         help='the finished TP/SL orders instead of the open ones (classic: the last 90 days)')
    listing.add_argument('--status', choices=('closed', 'canceled'),
                         help='with --history: only the fired ones (closed) or only the cancelled ones (canceled); '
                              'default both')
    listing.add_argument('--since', type=_since, metavar='MS',
                         help='only orders created at or after this time, in milliseconds since 1970')
    listing.add_argument('--limit', type=_count(1_000_000, low=1), metavar='N',
                         help='at most N orders: the newest N (with --since: the oldest N since then)')
    _target_options(listing, sandbox=True, sandbox_help='list on an embedded sandbox, which starts empty (without HTX '
                    'credentials, --sandbox or --url is required: list never guesses where to ask)')
    listing.add_argument('--json', action='store_true', help='print the orders as JSON')
    listing.set_defaults(run=_run_list)

    doctor = commands.add_parser(
        'doctor', help="read-only checks: asset mode, the route 'auto' picks, both TP/SL listings",
        description='Read-only. Exit 0: healthy; 1: a problem found; 2: usage or credentials refused.')
    doctor.add_argument('--symbol', default=DEFAULT_SYMBOL, help='symbol to list TP/SL orders of (default %(default)s)')
    _target_options(doctor, sandbox=True)
    doctor.add_argument('--json', action='store_true', help='print the report as JSON')
    doctor.set_defaults(run=_run_doctor)

    demo = commands.add_parser(
        'demo', help='create, list and cancel TP/SL orders on an embedded sandbox (read-only doctor with keys)',
        description='On an embedded sandbox: create TP/SL orders, list them, cancel them in one call with '
                    'already-cancelled, executed and unknown ids, check every outcome (exit 0, else 1). With '
                    'credentials (or --url) it places nothing and runs the read-only doctor checks instead, '
                    'unless --sandbox is given.')
    demo.add_argument('--account-mode', choices=ACCOUNT_MODES, default='unified',
                      help="the sandbox account's mode (default %(default)s: the v5 API; classic: the v1 API)")
    demo.add_argument('--orders', type=_count(200), default=16, metavar='N',
                      help='TP/SL orders to create, in take-profit/stop-loss pairs (default %(default)s)')
    _target_options(demo, sandbox=True, sandbox_help='run the demo on an embedded sandbox even with credentials '
                    '(they are ignored)')
    demo.add_argument('--json', action='store_true', help='print the full per-id list as JSON')
    demo.add_argument('--verbose', action='store_true', help='print every id, not a sample of 10')
    demo.set_defaults(run=_run_demo)

    sandbox = commands.add_parser(
        'sandbox', help='serve the embedded HTX sandbox in the foreground',
        description='Serve the embedded HTX sandbox until Ctrl-C or SIGTERM. `htx-tpsl mark-price --url URL CONTRACT '
                    "PRICE` moves its prices from another shell (POST /sandbox/mark_price, the sandbox's own control "
                    'endpoint), firing the TP/SL orders they cross.')
    sandbox.add_argument('--port', type=_port, default=8080, help='port (default %(default)s; 0: any free port)')
    sandbox.add_argument('--host', default='127.0.0.1', help='interface to listen on (default %(default)s)')
    sandbox.add_argument('--account-mode', choices=ACCOUNT_MODES, default='unified',
                         help="the demo key's account mode (default %(default)s: the v5 API; classic: the v1 API)")
    sandbox.add_argument('--seed', type=_seed, default=('BTC-USDT', 0), metavar='[CONTRACT:]N',
                         help="place N open TP/SL orders for the demo key (on BTC-USDT unless CONTRACT: is given; "
                              "in its account mode's book)")
    sandbox.add_argument('--ids', metavar='FILE', help=f'write the seeded ids to FILE, one a line (\'-\': stdout); '
                         f'the banner lists them only up to {SEED_IDS_SHOWN}')
    sandbox.add_argument('--latency', type=_latency, metavar='LO-HI', help='simulated latency per request, in ms')
    sandbox.set_defaults(run=_run_sandbox)

    mark = commands.add_parser(
        'mark-price', help="move a running sandbox's price and fire the TP/SL orders it crosses",
        description="Move a contract's price in a running `htx-tpsl sandbox` and fire every waiting TP/SL order it "
                    'crosses, of every account, in both books: what Sandbox.set_mark_price does, sent to the '
                    "sandbox's own control endpoint POST /sandbox/mark_price (HTX has no such thing). Prints the ids "
                    'that fired, one a line. Exit 0: the price moved (whether or not anything fired); 1: no sandbox '
                    'answered at --url, or its reply was bad; 2: a usage error, or the sandbox refused (an unknown '
                    'contract, a bad price), nothing moved.')
    mark.add_argument('contract', metavar='CONTRACT',
                      help="contract code ('BTC-USDT') or unified symbol ('BTC/USDT:USDT')")
    mark.add_argument('price', metavar='PRICE', type=_positive_price,
                      help='the new price; the sandbox keeps one price per contract, which last, mark and index '
                           'triggers all read')
    mark.add_argument('--url', type=_url, required=True,
                      help='the running sandbox, as its banner shows it (e.g. http://127.0.0.1:8080)')
    mark.add_argument('--fail', action='store_true',
                      help='every order that fires fails to place its order (classic status 5 with fail code 1048, '
                           'v5 state failed): history lists them as canceled')
    mark.add_argument('--timeout', type=_milliseconds, metavar='MS',
                      help='how long to wait for the sandbox (default 10000)')
    mark.add_argument('--json', action='store_true',
                      help='print the sandbox\'s answer as JSON: {"contract", "price", "fired"}')
    mark.set_defaults(run=_run_mark_price)
    return parser


def _contract_options(parser: argparse.ArgumentParser) -> None:
    """Which TP/SL orders and through which API family: SYMBOL, --cross, --route (cancel, cancel-all, list)."""
    parser.add_argument('symbol', metavar='SYMBOL',
                        help="unified symbol ('BTC/USDT:USDT') or contract code ('BTC-USDT')")
    parser.add_argument('--cross', action='store_true', help='cross-margin TP/SL orders (default: isolated)')
    parser.add_argument('--route', choices=ROUTES, default=protocol.AUTO,
                        help="HTX API family: 'auto' (default: ask HTX), 'v5' (unified account) or 'v1' (classic)")


def _target_options(parser: argparse.ArgumentParser, sandbox: bool,
                    sandbox_help: str = 'use an embedded sandbox, even with credentials') -> None:
    parser.add_argument('--api-key', help='HTX API key (default: $HTX_API_KEY)')
    parser.add_argument('--secret', help='HTX secret (default: $HTX_SECRET)')
    parser.add_argument('--url', type=_url, help='use this server instead of HTX, e.g. a running `htx-tpsl sandbox` '
                        '(http://127.0.0.1:8080); credentials: --api-key/--secret, else the sandbox demo keys '
                        '(never $HTX_API_KEY/$HTX_SECRET)')
    if sandbox:
        parser.add_argument('--sandbox', action='store_true', help=sandbox_help)
    parser.add_argument('--host', choices=HOSTS, default=HOSTS[0], help='HTX contract host (default %(default)s)')
    parser.add_argument('--timeout', type=_milliseconds, metavar='MS', help="ccxt's request timeout (default 10000)")
    parser.add_argument('--rate-store', metavar='URL', default=os.environ.get('HTX_TPSL_RATE_STORE'),
                        help="share HTX's rate windows with other processes: sqlite:///PATH or redis://HOST:PORT/DB "
                             "(options['tpslRateStore']; default: $HTX_TPSL_RATE_STORE, else in-process pacing)")


# -- credentials and where to send -----------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    secret: str = field(repr=False)


def _secrets_in(args: argparse.Namespace) -> list[str]:
    """Everything the output must never show: keys and secrets from any source, a URL's user info."""
    found = [getattr(args, 'api_key', None), getattr(args, 'secret', None),
             os.environ.get('HTX_API_KEY'), os.environ.get('HTX_SECRET')]
    url: SplitResult | None = getattr(args, 'url', None)
    if url is not None and '@' in url.netloc:
        found += [url.netloc.rpartition('@')[0], url.username, url.password]
    return [s for s in found if s]


def _credentials(args: argparse.Namespace) -> Credentials | None:
    """``--api-key/--secret``, each defaulting to its environment variable; both or neither."""
    key = args.api_key or os.environ.get('HTX_API_KEY') or None
    secret = args.secret or os.environ.get('HTX_SECRET') or None
    if key and not secret:
        given = '--api-key' if args.api_key else 'HTX_API_KEY'
        raise UsageError(f'the secret is missing: {given} is set but neither --secret nor HTX_SECRET is; '
                         'nothing was sent', 'credentials')
    if secret and not key:
        given = '--secret' if args.secret else 'HTX_SECRET'
        raise UsageError(f'the API key is missing: {given} is set but neither --api-key nor HTX_API_KEY is; '
                         'nothing was sent', 'credentials')
    if args.url is not None and bool(args.api_key) != bool(args.secret):
        raise UsageError('with --url give both --api-key and --secret, or neither (the sandbox demo keys; '
                         'HTX_API_KEY/HTX_SECRET are never sent to --url); nothing was sent', 'credentials')
    return Credentials(key, secret) if key and secret else None


def htx_config(api_key: str, secret: str, host: str = HOSTS[0]) -> dict[str, Any]:
    """ccxt config for HTX itself: the contract host, and markets loaded from the linear list only."""
    return {
        'apiKey': api_key,
        'secret': secret,
        'urls': {'hostnames': {'contract': host}},
        'options': {'fetchMarkets': {'types': {'spot': False, 'linear': True, 'inverse': False}}},
        'has': {'fetchCurrencies': False},
    }


def _url_config(url: SplitResult, args: argparse.Namespace) -> dict[str, Any]:
    """ccxt config for ``--url``: its host and port only (user info is dropped, never sent or shown)."""
    host = f'[{url.hostname}]' if ':' in (url.hostname or '') else str(url.hostname)
    hostname = f'{host}:{url.port}' if url.port is not None else host
    if args.api_key and args.secret:
        config = exchange_config(hostname, args.api_key, args.secret)
    else:
        config = exchange_config(hostname)
    config['urls']['api']['contract'] = url.scheme + '://{hostname}'
    return config


@dataclass(frozen=True)
class Target:
    """What a command talks to: the exchange, where that is (for the user), and which kind of place."""

    exchange: Any
    where: str
    kind: str  # 'htx', 'url' (a server given with --url) or 'embedded' (a sandbox in this process)


NO_CREDENTIALS = ('no HTX credentials: set HTX_API_KEY and HTX_SECRET (or pass --api-key and --secret) to {act} '
                  'on HTX, or pass --sandbox (an embedded sandbox) or --url URL (a running sandbox) to {act} '
                  'there; nothing was sent')


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    """ccxt config from the common options: ``timeout`` and ``options['tpslRateStore']``."""
    settings: dict[str, Any] = {'timeout': args.timeout} if args.timeout else {}
    if getattr(args, 'rate_store', None):
        settings['options'] = {'tpslRateStore': args.rate_store}
    return settings


def _merged(config: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
    """``config`` with ``settings`` merged in, nested dicts (``options``) merged too."""
    merged: dict[str, Any] = ccxt.Exchange.deep_extend(config, settings)
    return merged


@contextlib.contextmanager
def _connect(args: argparse.Namespace, out: Output, acts_on_orders: bool = False) -> Iterator[Target]:
    """The exchange a command talks to; an embedded sandbox lives as long as the block.

    Without credentials, ``--url`` or ``--sandbox``, a command that acts on orders refuses
    (:class:`UsageError`) rather than guess that a sandbox was meant; so does ``list``, whose empty
    listing from a throwaway sandbox would read like an answer from HTX.
    """
    sandbox = getattr(args, 'sandbox', False)
    if sandbox and args.url is not None:
        raise UsageError('--sandbox and --url name two different servers: give one; nothing was sent')
    credentials = None if sandbox else _credentials(args)
    timeout = _settings(args)
    if args.url is not None:
        shown = _shown_url(args.url, out)
        keys = 'your --api-key' if args.api_key else 'the sandbox demo keys'
        yield Target(htx(_merged(_url_config(args.url, args), timeout)), f'{shown} (--url, {keys})', 'url')
    elif credentials is not None:
        yield Target(htx(_merged(htx_config(credentials.api_key, credentials.secret, args.host), timeout)),
                     f'HTX ({args.host})', 'htx')
    elif acts_on_orders and not sandbox:
        act = 'cancel' if args.command == 'cancel-all' else args.command
        raise UsageError(NO_CREDENTIALS.format(act=act), 'no-credentials')
    else:
        reason = '--sandbox given' if sandbox else 'no HTX_API_KEY/HTX_SECRET'
        with Sandbox(port=0) as server:
            where = f'an embedded sandbox at {server.url} ({reason}; nothing is sent to HTX)'
            yield Target(htx(_merged(exchange_config(server.hostname), timeout)), where, 'embedded')


def _shown_url(url: SplitResult, out: Output) -> str:
    """``--url`` as the output shows it: scheme, host and port; its user info is dropped (and said so)."""
    if '@' in url.netloc:
        out.note('note: the user info in --url is ignored.')
    return f'{url.scheme}://{url.netloc.rpartition("@")[2]}'


def _route_line(exchange: Any, route: str) -> str:
    if route != protocol.AUTO:
        return f'route: {route} (--route)'
    return f"route: {exchange._tpsl_auto_family or 'undecided'} (auto)"


# -- per-id results --------------------------------------------------------------------------


def _row(order: dict[str, Any]) -> dict[str, Any]:
    found = outcome(order)
    code, message = found
    info = order.get('info')
    if order['status'] is None and code is None and isinstance(info, dict) and info.get('error'):
        message = f"outcome unknown, {info['error']}: {message}"  # no usable reply: a timeout, a network error...
    if found.reconciled:
        message = 'reconciled: its reply was lost; this is what HTX showed when asked' + (f' ({message})'
                                                                                          if message else '')
    return {'id': order['id'], 'symbol': order['symbol'], 'status': order['status'], 'code': code,
            'message': message, 'sent': True, 'reconciled': found.reconciled}


def _unsent_row(order_id: str, symbol: str, why: str, sent: bool = False) -> dict[str, Any]:
    return {'id': order_id, 'symbol': symbol, 'status': None, 'code': None, 'message': why, 'sent': sent,
            'reconciled': False}


def _shown_status(row: dict[str, Any]) -> str:
    return NOT_SENT if not row.get('sent', True) else str(row['status'] or UNCONFIRMED)


def _table(rows: Sequence[dict[str, Any]]) -> list[str]:
    cells = [('id', 'status', 'code', 'message')]
    cells += [(r['id'], _shown_status(r), r['code'] or '', _one_line(r['message'] or '')) for r in rows]
    return _grid(cells)


def _grid(cells: Sequence[Sequence[str]]) -> list[str]:
    """Rows of cells as aligned columns, two spaces apart; the last column (a message) is not padded."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]) - 1)]
    return ['  '.join([*(c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)), row[-1]]).rstrip()
            for row in cells]


def _summary(rows: Sequence[dict[str, Any]]) -> list[str]:
    """One line per outcome (shown status and HTX code), most frequent first."""
    groups: Counter[tuple[str, str | None]] = Counter((_shown_status(r), r['code']) for r in rows)
    first: dict[tuple[str, str | None], str | None] = {}
    for r in rows:
        first.setdefault((_shown_status(r), r['code']), r['message'])
    lines = []
    for (status, code), count in groups.most_common():
        detail = ': '.join(filter(None, [code, _one_line(first[status, code] or '', 160)]))
        lines.append(f'summary: {count} {status}' + (f' ({detail})' if detail else ''))
    return lines


def _sample(rows: Sequence[dict[str, Any]], limit: int = TABLE_SAMPLE) -> list[dict[str, Any]]:
    """At most ``limit`` rows, every outcome among them, in the original order."""
    chosen: dict[int, None] = {}
    seen: set[tuple[str, str | None]] = set()
    for index, row in enumerate(rows):
        key = (_shown_status(row), row['code'])
        if key not in seen:
            seen.add(key)
            chosen[index] = None
    for index in range(len(rows)):
        if len(chosen) >= limit:
            break
        chosen.setdefault(index, None)
    return [rows[i] for i in sorted(chosen)]


def _print_rows(rows: Sequence[dict[str, Any]], as_json: bool, out: Output) -> None:
    if as_json:
        out.json(list(rows))
    else:
        for line in _table(rows):
            out.out(line)


def _htx_said(error: BaseException) -> tuple[str | None, str | None]:
    """HTX's code and message in the refusal a library exception carries (``htx_reply``), either envelope."""
    reply = getattr(error, 'htx_reply', None)
    if not isinstance(reply, dict):
        return None, None
    code = protocol.code_of(reply.get('err_code', reply.get('code')))
    message = next((reply[k] for k in ('err_msg', 'err-msg', 'message', 'msg') if reply.get(k)), None)
    return code, None if message is None else str(message)


def _error_code(error: BaseException) -> tuple[str | None, str | None]:
    """HTX's code and message for an exception: the outcome of its first order with a code (else of its
    first order), else the refusal it carries."""
    orders = [o for o in getattr(error, 'orders', None) or [] if isinstance(o, dict)]
    coded = [o for o in orders if outcome(o).code is not None]
    return outcome((coded or orders)[0]) if orders else _htx_said(error)


def _reason(error: BaseException, route: str | None = None, see: bool = True) -> str:
    """One line: the ccxt class, HTX's code and message (never "see .orders": a shell has none), for a
    failure without a reply its cause (DNS, refused, reset, timeout), and where the docs say what to do."""
    code, message = _error_code(error)
    if code is None and not message:
        message = str(error)
    text = f'HTX {code}: {message}' if code else str(message)
    if isinstance(error, ccxt.NotSupported) and code in protocol.WRONG_FAMILY_CODES and route in ('v1', 'v5'):
        other = 'v5' if route == 'v1' else 'v1'
        text = (f'HTX refused the {route} API for this account ({code}: {message}); it uses the {other} API: '
                f'use --route {other} (or --route auto)')
    cause = _network_cause(error)
    if cause and code is None:
        text = f'{text} ({cause})'
    line = f'{type(error).__name__}: {_one_line(text)}'
    return f'{line} {_see(_anchor(error))}' if see else line


def _see(anchor: str) -> str:
    return f'(see {TROUBLESHOOTING}#{anchor})'


# HTX codes with a section of their own in docs/troubleshooting.md
DOCUMENTED_CODES = frozenset({
    protocol.AUTH_FAILED, protocol.SYSTEM_ERROR, protocol.SYSTEM_NOT_READY, protocol.SYSTEM_BUSY,
    protocol.CONTRACT_NOT_FOUND, protocol.INPUT_ERROR, protocol.RATE_LIMITED, protocol.NOTHING_TO_CANCEL,
    protocol.BATCH_TOO_LARGE, protocol.IN_SETTLEMENT, protocol.IN_DELIVERY, protocol.ORDER_NOT_FOUND,
    protocol.ORDER_CANCELLING, protocol.ORDER_EXECUTED, protocol.PARAM_EMPTY, protocol.PARAM_ILLEGAL,
    protocol.ORDER_ALREADY_CANCELLED, protocol.TPSL_NOT_IN_EFFECT, *protocol.WRONG_FAMILY_CODES,
})


def _anchor(error: BaseException) -> str:
    """The section of docs/troubleshooting.md for an exception: its HTX code's, else its class's."""
    code, _ = _error_code(error)
    if code in DOCUMENTED_CODES:
        return str(code)
    for cls in type(error).__mro__:  # the nearest documented ccxt class
        if cls.__name__ in DOCUMENTED_CLASSES:
            return cls.__name__.lower()
    return 'other-errors'


DOCUMENTED_CLASSES = frozenset({
    'ArgumentsRequired', 'BadSymbol', 'BadRequest', 'NotSupported', 'AuthenticationError', 'PermissionDenied',
    'RateLimitExceeded', 'OnMaintenance', 'ExchangeNotAvailable', 'RequestTimeout', 'NetworkError', 'BadResponse',
    'ExchangeError',
})


def _network_cause(error: BaseException) -> str | None:
    """Why a request got no reply, read from the exception chain (``__cause__``, ``__context__``,
    urllib3's ``reason``) and the messages: DNS, refused, reset, timeout. Never a URL: only the
    socket error's own words, which name no host, key or user info."""
    if not isinstance(error, (ccxt.NetworkError, OSError)) or _htx_said(error)[0] is not None:
        return None
    chain: list[BaseException] = []
    todo: list[BaseException] = [error]
    while todo and len(chain) < 32:
        current = todo.pop(0)
        if current in chain:
            continue
        chain.append(current)
        todo += [e for e in (current.__cause__, current.__context__, getattr(current, 'reason', None),
                             *current.args) if isinstance(e, BaseException)]
    names = {cls.__name__ for item in chain for cls in type(item).__mro__}
    errors = [item for item in chain if isinstance(item, OSError) and item.strerror]
    words = ' '.join(f'{item.strerror}' for item in errors)
    text = ' '.join(str(item) for item in chain)
    if any(isinstance(item, socket.gaierror) for item in chain) or 'NameResolutionError' in names or re.search(
            r'Name or service not known|Temporary failure in name resolution|nodename nor servname|getaddrinfo',
            text):
        return f'DNS: the host name could not be resolved ({words or "name resolution failed"})'
    if any(isinstance(item, ConnectionRefusedError) for item in chain) or 'Connection refused' in text:
        return f'connection refused: nothing listens there ({words or "Connection refused"})'
    if any(isinstance(item, ConnectionResetError) for item in chain) or 'Connection reset' in text:
        return f'connection reset by the server ({words or "Connection reset by peer"})'
    if isinstance(error, ccxt.RequestTimeout) or names & {'ReadTimeout', 'ReadTimeoutError', 'ConnectTimeout',
                                                          'ConnectTimeoutError', 'TimeoutError'}:
        return 'no reply within the timeout (--timeout, ccxt default 10000 ms)'
    if 'RemoteDisconnected' in names or 'Remote end closed connection' in text:
        return 'the server closed the connection without a reply'
    if errors:
        return f'{type(errors[-1]).__name__}: {errors[-1].strerror}'
    return None


# -- cancel ----------------------------------------------------------------------------------


@dataclass
class _Cancel:
    """What became of the ids so far."""

    symbol: str
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[BaseException] = field(default_factory=list)
    answered: bool = False  # HTX answered per id, or may have acted (no reply): not "nothing done"
    stopped: str | None = None  # why the remaining ids were not sent
    in_flight: list[str] = field(default_factory=list)
    interrupted: bool = False

    def record(self, orders: list[dict[str, Any]], error: BaseException | None) -> None:
        """A batch's orders (the library's, or those its exception carries) and that exception."""
        self.in_flight = []
        if error is not None:
            self.errors.append(error)
        if not orders:  # refused before anything was sent (a bad symbol, markets unreachable)
            self.stopped = f'{type(error).__name__} before sending' if error is not None else 'not sent'
            return
        self.rows.update((o['id'], _row(o)) for o in orders)
        refused = error is not None and isinstance(getattr(error, 'htx_reply', None), dict)
        self.answered = self.answered or not refused
        if isinstance(error, STOP_AFTER) and refused:
            self.stopped = f'HTX refused an earlier request ({type(error).__name__})'

    def result(self, ids: list[str]) -> list[dict[str, Any]]:
        flying = set(self.in_flight)
        why = 'interrupted before it was sent' if self.interrupted else self.stopped or 'not sent'
        return [self.rows.get(i) or (
            _unsent_row(i, self.symbol, 'interrupted before HTX answered: the outcome is unknown', sent=True)
            if i in flying else _unsent_row(i, self.symbol, why)) for i in ids]


def _order_ids(raw: Sequence[str]) -> list[str]:
    """The distinct ids, in order; a malformed one is named by position, not repeated (it may be a typo'd key)."""
    parts = [part.strip() for item in raw for part in item.split(',')]
    for position, part in enumerate(parts, 1):
        if not _validate.canonical_id(part):
            raise UsageError(f'ID #{position} is not an HTX order id (a positive integer of at most 19 digits); '
                             'nothing was sent')
    return list(dict.fromkeys(parts))


def _run_cancel(args: argparse.Namespace, out: Output) -> int:
    ids = _order_ids(args.ids)
    with _connect(args, out, acts_on_orders=True) as target:
        out.note(f'cancelling {len(ids)} {"cross" if args.cross else "isolated"} TP/SL orders on {target.where}.')
        state = _cancel_in_batches(target.exchange, args, ids, out)
    return _report_cancel(state, ids, args, out)


def _cancel_in_batches(exchange: Any, args: argparse.Namespace, ids: list[str], out: Output) -> _Cancel:
    cancel = exchange.cancel_cross_tpsl_orders if args.cross else exchange.cancel_isolated_tpsl_orders
    state = _Cancel(args.symbol)
    batches = [ids[i:i + BATCH] for i in range(0, len(ids), BATCH)]
    progress = _Progress(len(ids), enabled=not args.no_progress, label='cancel')
    try:
        for number, batch in enumerate(batches, 1):
            state.in_flight = batch
            try:
                state.record(cancel(batch, args.symbol, {'route': args.route}), None)
            except ccxt.BaseError as failed:
                state.record(list(getattr(failed, 'orders', None) or []), failed)
            if number == 1 and state.answered:
                out.note(_route_line(exchange, args.route))
            progress.advance(len(batch))
            if args.verbose:
                done = [state.rows[i] for i in batch if i in state.rows]
                out.note(f'batch {number}/{len(batches)}: {len(batch)} ids: ' + ', '.join(
                    f'{n} {s}' for s, n in Counter(_shown_status(r) for r in done).most_common()))
            if state.stopped:
                break
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the report short
        state.interrupted = True
    finally:
        progress.close()
    return state


def _report_cancel(state: _Cancel, ids: list[str], args: argparse.Namespace, out: Output) -> int:
    rows = state.result(ids)
    if state.interrupted:
        _print_rows(rows, args.json, out)
        for line in _summary(rows):
            out.note(line)
        out.note('interrupted: the ids above marked "not sent" were not sent; those in flight may or may not '
                 'have been cancelled.')
        return EXIT_INTERRUPTED
    if not state.answered:
        out.note('error: ' + _reason(state.errors[0], args.route))
        out.error_of(state.errors[0], EXIT_ERROR, args.route, results=rows)
        return EXIT_ERROR
    _print_rows(rows, args.json, out)
    for line in _summary(rows):
        out.note(line)
    if state.errors:
        out.note('error: ' + _reason(state.errors[0], args.route))
    return EXIT_OK if all(r['status'] == 'canceled' for r in rows) else EXIT_NOT_ALL


# -- cancel-all ------------------------------------------------------------------------------


def _run_cancel_all(args: argparse.Namespace, out: Output) -> int:
    margin = 'cross' if args.cross else 'isolated'
    which = f'{margin} {args.side} ' if args.side else f'{margin} '
    params: dict[str, Any] = {'route': args.route}
    if args.side:
        params['side'] = args.side
    orders: list[dict[str, Any]] = []
    error: ccxt.BaseError | None = None
    with _connect(args, out, acts_on_orders=True) as target:
        exchange = target.exchange
        cancel_all = exchange.cancel_all_cross_tpsl_orders if args.cross else exchange.cancel_all_isolated_tpsl_orders
        out.note(f'cancelling every open {which}TP/SL order of {args.symbol} on {target.where}.')
        try:
            with _Waiting('cancel-all: waiting for HTX', bound=exchange.timeout / 1000):
                orders = cancel_all(args.symbol, params)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the report short
            out.note('interrupted while HTX was asked to cancel: the outcome is unknown; list the open TP/SL '
                     'orders (htx-tpsl list) to see what is left.')
            out.error('KeyboardInterrupt', 'interrupted: the outcome of the cancel-all is unknown', EXIT_INTERRUPTED)
            return EXIT_INTERRUPTED
        except ccxt.BaseError as failed:
            orders, error = list(getattr(failed, 'orders', None) or []), failed
        answered = _cancel_all_answered(orders, error)
        if answered:
            out.note(_route_line(exchange, args.route))
    rows = [_row(order) for order in orders]
    if error is None and not rows:
        if args.json:
            out.json([])
        out.note(f'summary: nothing to cancel: HTX said there were no open {which}TP/SL orders of {args.symbol}.')
        return EXIT_OK
    if error is not None and not answered:
        out.note('error: ' + _reason(error, args.route))
        out.error_of(error, EXIT_ERROR, args.route, results=rows)
        return EXIT_ERROR
    _print_rows(rows, args.json, out)
    for line in _summary(rows):
        out.note(line)
    if error is not None:  # the library raises only when it cannot vouch for the whole (see .orders)
        out.note('error: ' + _reason(error, args.route))
        return EXIT_NOT_ALL
    return EXIT_OK if all(r['status'] == 'canceled' for r in rows) else EXIT_NOT_ALL


def _cancel_all_answered(orders: list[dict[str, Any]], error: ccxt.BaseError | None) -> bool:
    """Whether HTX answered for some order, or may have acted (no reply): as for ``cancel``'s batches,
    except that one exception carries every batch (v5 cancels the listed orders 10 at a time), so a
    refusal of one request leaves the per-id answers to the others standing."""
    if error is None:
        return True
    refusal, _ = _htx_said(error)
    if refusal is None:  # no reply (or no usable one) to a request that was sent (.orders set): HTX may have acted
        return bool(orders) or isinstance(getattr(error, 'orders', None), list)
    if not orders:
        return False
    return any(o['status'] is not None or outcome(o).code != refusal for o in orders)


# -- list ------------------------------------------------------------------------------------


# refusals that say the command as given cannot work (exit 2); any other failure: HTX could not be asked (exit 1)
CANNOT_WORK = (ccxt.AuthenticationError, ccxt.BadRequest, ccxt.ArgumentsRequired, ccxt.NotSupported)


def _run_list(args: argparse.Namespace, out: Output) -> int:
    if args.status and not args.history:
        raise UsageError('--status needs --history: an open TP/SL order has no other status; nothing was sent')
    margin = 'cross' if args.cross else 'isolated'
    what = (f'finished ({args.status or "closed and canceled"})' if args.history else 'open') + f' {margin}'
    with _connect(args, out, acts_on_orders=True) as target:
        exchange = target.exchange
        out.note(f'listing the {what} TP/SL orders of {args.symbol} on {target.where}.')
        try:
            with _Waiting('list: waiting for HTX', bound=exchange.timeout / 1000):
                orders = _listed(exchange, args)
        except ccxt.BaseError as failed:
            status = EXIT_ERROR if isinstance(failed, CANNOT_WORK) else EXIT_UNANSWERED
            out.note('error: ' + _reason(failed, args.route))
            out.error_of(failed, status, args.route)
            return status
        out.note(_route_line(exchange, args.route))
    rows = [_listed_row(order) for order in orders]
    if args.json:
        out.json(rows)
    elif rows:
        for line in _listed_table(rows, args.history):
            out.out(line)
    for line in _summary(rows) if rows else [f'summary: no {what} TP/SL orders of {args.symbol}']:
        out.note(line)
    return EXIT_OK


def _listed(exchange: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """The orders ``list`` asked for, oldest first: the open ones, or the finished ones of each status asked
    (both: merged, then ``--limit`` applied to the whole as the library applies it to each)."""
    margin = 'cross' if args.cross else 'isolated'
    statuses = [args.status] if args.status else ['closed', 'canceled']
    orders: list[dict[str, Any]] = []
    for status in statuses if args.history else ['open']:
        method = getattr(exchange, f'fetch_{status}_{margin}_tpsl_orders')  # fetch_open_..., fetch_closed_...
        orders += method(args.symbol, args.since, args.limit, {'route': args.route})
    orders.sort(key=lambda o: (o['timestamp'] is None, o['timestamp'] or 0, len(o['id']), o['id']))  # ties: by id
    if args.limit is not None and len(orders) > args.limit:
        orders = orders[-args.limit:] if args.since is None else orders[:args.limit]
    return orders


def _listed_row(order: dict[str, Any]) -> dict[str, Any]:
    """What ``list`` shows of an order: the order structure's fields, and from history the id of the
    order a fired TP/SL placed (``placed``) or HTX's code and message for one it could not place."""
    found = outcome(order)
    take_profit, stop_loss = order.get('takeProfitPrice'), order.get('stopLossPrice')
    kind = {(True, True): 'tpsl', (True, False): 'tp', (False, True): 'sl'}.get(
        (take_profit is not None, stop_loss is not None))
    return {'id': order['id'], 'symbol': order['symbol'], 'status': order['status'], 'kind': kind,
            'side': order.get('side'), 'type': order.get('type'), 'trigger_price': order.get('triggerPrice'),
            'take_profit_price': take_profit, 'stop_loss_price': stop_loss, 'price': order.get('price'),
            'amount': order.get('amount'), 'timestamp': order.get('timestamp'), 'datetime': order.get('datetime'),
            'placed': found.placed, 'code': found.code, 'message': found.message}


def _listed_table(rows: Sequence[dict[str, Any]], history: bool) -> list[str]:
    header = ('id', 'status', 'kind', 'side', 'trigger', 'amount', 'created')
    cells = [(*header, *(('placed', 'code', 'message') if history else ('',)))]
    for r in rows:
        if r['kind'] == 'tpsl':
            trigger = f"{_number(r['take_profit_price'])}/{_number(r['stop_loss_price'])}"
        else:
            trigger = _number(r['trigger_price'])
        created = (r['datetime'] or '')[:19].replace('T', ' ')
        row = (r['id'], _shown_status(r), r['kind'] or '?', r['side'] or '?', trigger, _number(r['amount']), created)
        tail = (r['placed'] or '', r['code'] or '', _one_line(r['message'] or '')) if history else ('',)
        cells.append((*row, *tail))
    return _grid(cells)


def _number(value: Any) -> str:
    """A price or amount as typed: ``99000``, ``0.52`` (no ``99000.0``, no exponent)."""
    if value is None:
        return ''
    text = format(Decimal(repr(value)).normalize(), 'f') if isinstance(value, float) else str(value)
    return text


# -- mark-price ------------------------------------------------------------------------------


MAX_CONTROL_REPLY_BYTES = 1 << 20


def _run_mark_price(args: argparse.Namespace, out: Output) -> int:
    where = _shown_url(args.url, out)
    body = json.dumps({'contract': args.contract, 'price': args.price, 'fail': args.fail}).encode()
    request = urllib.request.Request(where + MARK_PRICE_PATH, data=body, method='POST',
                                     headers={'Content-Type': 'application/json'})
    try:
        with _Waiting(f'mark-price: waiting for {where}'), \
                urllib.request.urlopen(request, timeout=(args.timeout or 10_000) / 1000) as response:
            status, headers, raw = response.status, response.headers, response.read(MAX_CONTROL_REPLY_BYTES)
    except urllib.error.HTTPError as refused:
        status, headers, raw = refused.code, refused.headers, refused.read(MAX_CONTROL_REPLY_BYTES)
    except OSError as failed:  # URLError (refused, DNS...), a timeout, a reset
        cause = _network_cause(failed) or _one_line(str(failed))
        return _mark_price_failed(out, 'NetworkError', f'no sandbox answered at {where}: {cause}', 'networkerror')
    try:
        reply = json.loads(raw.decode('utf-8'))
    except ValueError:
        reply = None
    if headers.get(SANDBOX_HEADER) != SANDBOX_HEADER_VALUE:
        return _mark_price_failed(out, 'BadResponse', f'{where} is not an htx-tpsl sandbox (its reply has no '
                                  f'{SANDBOX_HEADER} header); nothing was moved', 'mark-price')
    if status == 404:
        return _mark_price_failed(out, 'BadResponse', f'the sandbox at {where} has no POST {MARK_PRICE_PATH}: it '
                                  'is older than this command; nothing was moved', 'mark-price')
    if status == 400 and isinstance(reply, dict) and isinstance(reply.get('error'), str):
        raise UsageError(f"the sandbox refused: {_one_line(reply['error'])}; nothing was moved", 'mark-price')
    fired = reply.get('fired') if isinstance(reply, dict) else None
    if status != 200 or not isinstance(fired, list) or not all(isinstance(i, str) for i in fired):
        return _mark_price_failed(out, 'BadResponse', f'unexpected reply from the sandbox at {where}: HTTP {status} '
                                  f'{_one_line(raw.decode("utf-8", "replace"), 200)}', 'mark-price')
    assert isinstance(reply, dict)
    failed_note = ' and failed to place their orders (--fail)' if args.fail else ''
    out.note(f"mark-price: {reply.get('contract')} at {reply.get('price')} on {where} (the sandbox's price for last, "
             f"mark and index triggers): {len(fired)} TP/SL order{'' if len(fired) == 1 else 's'} fired{failed_note}.")
    if args.json:
        out.json(reply)
    else:
        for order_id in fired:
            out.out(order_id)
    return EXIT_OK


def _mark_price_failed(out: Output, kind: str, message: str, see: str) -> int:
    """No usable answer from a sandbox: one error line (``--json``: the error object), exit 1."""
    out.note(f'error: {kind}: {message} {_see(see)}')
    out.error(kind, message, EXIT_UNANSWERED, see)
    return EXIT_UNANSWERED


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f'{seconds // 60}:{seconds % 60:02d}'


_LIVE: list[_LiveLine] = []  # the progress lines on screen, innermost last
_LIVE_LOCK = threading.RLock()  # one writer at a time on stderr: notes, redraws, the ticking thread


class _LiveLine:
    """A line on stderr redrawn in place while work goes on, only when stderr is a terminal: by the
    caller, and by a thread every ``tick`` seconds (so that elapsed time and ETA move while one slow
    request waits). A note printed meanwhile (:func:`_note`) goes above it; the line is redrawn after."""

    tick = 0.25

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def begin(self) -> None:
        if self.enabled:
            with _LIVE_LOCK:
                _LIVE.append(self)
                self.redraw()
            self.thread.start()

    def end(self, keep: bool) -> None:
        """Stop redrawing; ``keep`` the last drawing on its own line, or erase it."""
        if self.enabled:
            self.enabled = False
            self.stop.set()
            self.thread.join()
            with _LIVE_LOCK:
                _LIVE.remove(self)
                if keep:
                    self.redraw()
                sys.stderr.write('\n' if keep else '\r\x1b[K')
                sys.stderr.flush()

    def _run(self) -> None:
        while not self.stop.wait(self.tick):
            with _LIVE_LOCK:
                if _LIVE and _LIVE[-1] is self:
                    self.redraw()

    def redraw(self) -> None:
        sys.stderr.write(f'\r{self.text()}\x1b[K')
        sys.stderr.flush()

    def text(self) -> str:
        raise NotImplementedError


class _Progress(_LiveLine):
    """A tqdm-style bar: ``label [#########.....] 120/200 ids  24.1 ids/s  0:05 elapsed  ETA 0:03``."""

    def __init__(self, total: int, enabled: bool = True, unit: str = 'ids', label: str = '') -> None:
        super().__init__(enabled and total > 0)
        self.total, self.done, self.unit, self.label = total, 0, unit, label
        self.begin()

    def advance(self, count: int) -> None:
        with _LIVE_LOCK:
            self.done += count
            if self.enabled:
                self.redraw()

    def text(self) -> str:
        elapsed = time.monotonic() - self.started
        filled = 30 * min(self.done, self.total) // self.total
        rate = self.done / elapsed if elapsed > 0 and self.done else 0.0
        eta = _duration((self.total - self.done) / rate) if rate else '?'
        label = f'{self.label} ' if self.label else ''
        return (f'{label}[{"#" * filled}{"." * (30 - filled)}] {self.done}/{self.total} {self.unit}  '
                f'{rate:.1f} {self.unit}/s  {_duration(elapsed)} elapsed  ETA {eta}')

    def close(self) -> None:
        self.end(keep=True)


class _Waiting(_LiveLine):
    """While one blocking call runs: ``label... 0:03 elapsed  ETA 0:02``, erased when it returns.
    ``expected``: the seconds the call should take (an ETA); ``bound``: its timeout per request."""

    def __init__(self, label: str, expected: float | None = None, bound: float | None = None) -> None:
        super().__init__(True)
        self.label, self.expected, self.bound = label, expected, bound

    def __enter__(self) -> _Waiting:
        self.started = time.monotonic()
        self.begin()
        return self

    def __exit__(self, *exc: object) -> None:
        self.end(keep=False)

    def text(self) -> str:
        elapsed = time.monotonic() - self.started
        tail = ''
        if self.expected is not None:
            tail = f'  ETA {_duration(self.expected - elapsed) if elapsed < self.expected else "any moment"}'
        elif self.bound is not None:
            tail = f'  (gives up after {_duration(self.bound)})'
        return f'{self.label}... {_duration(elapsed)} elapsed{tail}'


# -- doctor ----------------------------------------------------------------------------------


def _run_doctor(args: argparse.Namespace, out: Output) -> int:
    with _connect(args, out) as target:
        if target.kind == 'embedded':
            why = '--sandbox given' if args.sandbox else 'no HTX_API_KEY/HTX_SECRET (or --api-key/--secret) set'
            out.note(f'doctor: checking an embedded sandbox, NOT HTX ({why}): this shows that the package works '
                     'on this machine, not that your HTX account does; set HTX_API_KEY and HTX_SECRET to check HTX.')
        out.note(f'doctor: {target.where}; read-only, nothing is placed or cancelled.')
        report = _diagnose(target.exchange, args.symbol)
    name, answers, detail = describe_store(getattr(args, 'rate_store', None))
    report['rate_store'] = {'store': name, 'ok': answers, 'detail': detail}
    if not answers:
        report['problems'].append(f'the rate store {name} does not answer ({detail})')
        report['healthy'] = False
    report['target'] = target.where
    report['target_kind'] = target.kind
    if args.json:
        out.json(report)
    else:
        for line in _doctor_lines(report):
            out.out(line)
    if report['credentials_refused'] or report['unknown_symbol']:
        return EXIT_ERROR
    return EXIT_OK if report['healthy'] else EXIT_NOT_ALL


def _probe(exchange: Any, call: Callable[[], Any], label: str) -> tuple[Any, dict[str, Any]]:
    """Run one read-only call (progress on a terminal while it waits): (its value or None, what to report:
    error, HTX code and message, for a failure without a reply its cause, rate limits)."""
    exchange.last_response_headers = None
    value, error = None, None
    try:
        # the doctor's requests are the package's: read as its flows read them (HTX's code kept)
        with _Waiting(f'doctor: {label}', bound=exchange.timeout / 1000), exchange._tpsl_own_request():
            value = call()
    except ccxt.BaseError as failed:
        error = failed
    headers = exchange.last_response_headers or {}
    check: dict[str, Any] = {
        'ok': error is None,
        'ratelimit': {k.lower(): v for k, v in headers.items() if k.lower().startswith('ratelimit-')},
    }
    if error is not None:
        code, message = _htx_said(error)
        cause = _network_cause(error)
        check.update(error=type(error).__name__, code=code, message=_one_line(cause or message or str(error), 300),
                     unreachable=code is None and (cause is not None or type(error) in UNREACHABLE),
                     see=f'{TROUBLESHOOTING}#{_anchor(error)}')
    return value, check


# failures that say nothing came back: the next request to the same host would wait as long for as little
UNREACHABLE = (ccxt.NetworkError, ccxt.RequestTimeout)


def _markets(exchange: Any) -> dict[str, Any]:
    markets, check = _probe(exchange, exchange.load_markets, 'loading markets')
    return {**check, 'count': len(markets) if isinstance(markets, dict) else None}


def _asset_mode(exchange: Any) -> dict[str, Any]:
    reply, check = _probe(exchange, exchange.contract_private_get_v5_account_asset_mode, 'asking the asset mode')
    data = reply.get('data') if isinstance(reply, dict) else None
    data = data if isinstance(data, dict) else {}
    key = next((k for k in protocol.ASSET_MODE_KEYS if k in data), None)
    value = data.get(key) if key else None
    family = protocol.ASSET_MODE_FAMILY.get(protocol.code_of(value) or '')
    if check['ok'] and key is None:
        check.update(ok=False, error='BadResponse', message=_one_line(f'no asset mode in the reply: {reply!r}', 300))
    return {**check, 'value': value, 'key': key, 'family': family}


def _listing(exchange: Any, symbol: str, route: str) -> dict[str, Any]:
    orders, check = _probe(exchange, lambda: exchange.fetch_open_isolated_tpsl_orders(symbol, None, None,
                                                                                       {'route': route}),
                           f'listing through route {route}')
    return {**check, 'count': len(orders) if orders is not None else None}


def _diagnose(exchange: Any, symbol: str) -> dict[str, Any]:
    """Markets, asset mode, the route 'auto' picks (fetch_tpsl_route), and the auto, v1 and v5 listings.

    Stops at the first check that got no reply at all (DNS, refused, reset, timeout), the markets
    first: every later check would wait as long again for the same answer."""
    report: dict[str, Any] = {'symbol': symbol, 'markets': _markets(exchange), 'asset_mode': None,
                              'auto_route': None, 'listings': {}, 'stopped': None}
    checks = [report['markets']]
    if report['markets']['ok']:
        steps: list[tuple[str, Callable[[], Any]]] = [
            ('asset_mode', lambda: _asset_mode(exchange)),
            ('auto_route', lambda: _probe(exchange, exchange.fetch_tpsl_route, "asking which route 'auto' picks")),
            *((f'listing {route}', lambda route=route: _listing(exchange, symbol, route))
              for route in (protocol.AUTO, protocol.CLASSIC, protocol.V5))]
        for name, step in steps:
            if checks[-1].get('unreachable'):
                break
            if name == 'auto_route':
                report['auto_route'], check = step()
            else:
                check = step()
                if name == 'asset_mode':
                    report['asset_mode'] = check
                else:
                    report['listings'][name.split()[1]] = check
            checks.append(check)
    problems = []
    failed = next((c for c in checks if c.get('unreachable')), None)
    if not report['markets']['ok']:
        problems.append(f'the markets could not be loaded: {_check_text(report["markets"])}')
    elif failed is not None:
        problems.append(f'no reply: {_check_text(failed)}')
    if failed is not None or not report['markets']['ok']:
        report['stopped'] = 'after the first failure without a reply; the remaining checks were not sent'
    asset_mode, listings, picked = report['asset_mode'], report['listings'], report['auto_route']
    if asset_mode is not None and not asset_mode['ok'] and not asset_mode.get('unreachable'):
        problems.append(f'the asset mode query failed: {_check_text(asset_mode)}')
    if picked is None and report['stopped'] is None:
        problems.append("route 'auto' could not decide the API family")
    for route in (protocol.AUTO, picked):
        if route in listings and not listings[route]['ok'] and not listings[route].get('unreachable'):
            problems.append(f'the {route} listing failed: {listings[route]["error"]}')
    errors = {check.get('error') for check in checks}
    return {**report, 'healthy': not problems, 'problems': list(dict.fromkeys(problems)),
            'credentials_refused': 'AuthenticationError' in errors, 'unknown_symbol': 'BadSymbol' in errors}


def _check_text(check: dict[str, Any]) -> str:
    if check['ok']:
        return f"{check['count']} open TP/SL orders" if 'count' in check else 'ok'
    return ' '.join(filter(None, [check['error'], check['code'] and f"{check['code']}:", check['message']]))


def _ratelimit_text(check: dict[str, Any]) -> str:
    limits = check['ratelimit']
    return '  '.join(f'{k}={v}' for k, v in limits.items()) if limits else 'no ratelimit-* headers'


def _doctor_lines(report: dict[str, Any]) -> list[str]:
    markets, mode = report['markets'], report['asset_mode']
    markets_text = f"{markets['count']} markets loaded" if markets['ok'] else _check_text(markets)
    lines = [f"target        {report['target']}", f"symbol        {report['symbol']}", f'markets       {markets_text}']
    store = report.get('rate_store')
    if store is not None:
        lines.append(f"rate store    {store['store']}: {'answers' if store['ok'] else 'DOES NOT ANSWER'} "
                     f"({store['detail']})")
    if mode is not None:
        if mode['ok']:
            mode_text = f"{mode['value']} (data.{mode['key']}): {mode['family'] or 'unknown, the package uses v5'}"
        else:
            mode_text = _check_text(mode)
        lines += [f'asset mode    {mode_text}', f'              {_ratelimit_text(mode)}']
    if mode is not None and not mode.get('unreachable'):
        lines.append(f"route auto    {report['auto_route'] or 'undecided'}")
    for route, check in report['listings'].items():
        lines += [f'{"listing " + route:<14}{_check_text(check)}', f'              {_ratelimit_text(check)}']
    if report['healthy']:
        where = ' (an embedded sandbox, NOT HTX)' if report.get('target_kind') == 'embedded' else ''
        lines.append(f"healthy{where}: route auto ({report['auto_route']}) lists the TP/SL orders of "
                     f"{report['symbol']}")
    lines += [f'problem: {problem}' for problem in report['problems']]
    if report['stopped']:
        lines.append(f"stopped: {report['stopped']}")
    see = sorted({c['see'] for c in (markets, mode, *report['listings'].values()) if c and not c['ok'] and 'see' in c})
    lines += [f'see: {anchor}' for anchor in see if not report['healthy']]
    return lines


# -- demo ------------------------------------------------------------------------------------


def _run_demo(args: argparse.Namespace, out: Output) -> int:
    if args.sandbox and args.url is not None:
        raise UsageError('--sandbox and --url name two different servers: give one; nothing was sent')
    if not args.sandbox and (_credentials(args) is not None or args.url is not None):
        out.note('demo: credentials given (or --url): the demo places and cancels nothing there; running the '
                 'read-only doctor checks instead (demo --sandbox runs the demo on an embedded sandbox).')
        args.symbol = DEFAULT_SYMBOL
        return _run_doctor(args, out)
    timeout = _settings(args)
    with Sandbox(port=0, account_mode=args.account_mode) as server:
        ignored = ' (--sandbox: HTX credentials, if any, are ignored)' if args.sandbox else ''
        out.note(f'demo: an embedded HTX sandbox at {server.url}, a {args.account_mode} account; no keys needed, '
                 f'nothing is sent to HTX{ignored}.')
        exchange = htx(_merged(exchange_config(server.hostname), timeout))
        return _demo(exchange, server, args, out)


def _demo(exchange: Any, server: Sandbox, args: argparse.Namespace, out: Output) -> int:
    symbol = DEFAULT_SYMBOL
    placed: list[str] = []
    progress = _Progress(args.orders, unit='orders', label='create')
    try:
        for pair in range(0, args.orders, 2):
            stop_loss = 30_000 if pair + 1 < args.orders else None  # an odd count ends with a take-profit alone
            legs = exchange.create_isolated_tpsl_orders(symbol, 'sell', 1, 150_000, stop_loss)
            placed += [o['id'] for o in legs]
            progress.advance(len(legs))
    finally:
        progress.close()
    with _Waiting('listing the open TP/SL orders'):
        listed = {o['id'] for o in exchange.fetch_open_isolated_tpsl_orders(symbol)}
    out.note(_route_line(exchange, protocol.AUTO))  # decided by the first call, once per exchange
    out.note(f'created {len(placed)} TP/SL orders on {symbol} (create_isolated_tpsl_orders), in pairs: a '
             'take-profit and a stop-loss each.')
    out.note(f'listed {len(listed)} open TP/SL orders (fetch_open_isolated_tpsl_orders).')
    extra = _demo_extra_ids(server)
    expected = dict.fromkeys(placed, ('canceled', None)) | extra
    ids = list(expected)
    kinds = Counter(extra.values())
    out.note(f'cancelling {len(ids)} ids in one call (cancel_isolated_tpsl_orders): the {len(placed)} created, '
             f'{kinds["canceled", protocol.ORDER_ALREADY_CANCELLED]} already cancelled, '
             f'{kinds["closed", protocol.ORDER_EXECUTED]} executed and {kinds[None, protocol.ORDER_NOT_FOUND]} '
             'unknown.')
    with _Waiting(f'cancelling {len(ids)} ids', expected=_cancel_seconds(exchange, len(ids))):
        rows = [_row(o) for o in exchange.cancel_isolated_tpsl_orders(ids, symbol)]
    _print_rows(rows if args.json or args.verbose else _sample(rows), args.json, out)
    if not (args.json or args.verbose) and len(rows) > TABLE_SAMPLE:
        out.note(f'(a sample: {TABLE_SAMPLE} of {len(rows)} ids, one of each outcome at least; --verbose lists all)')
    for line in _summary(rows):
        out.note(line)
    wrong = [r['id'] for r in rows if (r['status'], r['code']) != expected[r['id']]]
    wrong += [i for i in placed if i not in listed]
    out.note('demo: every id reported as expected.' if not wrong else f'demo: unexpected outcome for {wrong}.')
    return EXIT_OK if not wrong else EXIT_NOT_ALL


def _cancel_seconds(exchange: Any, count: int) -> float:
    """About how long cancelling ``count`` ids takes at HTX's limits: 10 ids a request; classic 5 requests
    a second per endpoint, v5 the UID budget (72 per 3 s). An estimate for an ETA, not a bound."""
    requests = -(-count // BATCH)
    per_second = 5 if exchange._tpsl_auto_family == protocol.CLASSIC else 24
    return max(requests - 1, 0) / per_second + 0.05 * requests


def _demo_extra_ids(server: Sandbox) -> dict[str, tuple[str | None, str | None]]:
    """Ids the demo adds to its cancel, in the book of the account's family, with the outcome expected."""
    if server.account_mode(DEMO_API_KEY) == 'classic':
        cancelled = server.add_tpsl_orders('BTC-USDT', count=2, status=6)
        executed = server.add_tpsl_orders('BTC-USDT', count=1, status=4)
    else:
        cancelled = server.add_algo_orders('BTC-USDT', 2, state='canceled')
        executed = server.add_algo_orders('BTC-USDT', 1, state='effective')
    unknown = [str(1_399_999_999_999_999_001 + i) for i in range(3)]
    return (dict.fromkeys(cancelled, ('canceled', protocol.ORDER_ALREADY_CANCELLED))
            | dict.fromkeys(executed, ('closed', protocol.ORDER_EXECUTED))
            | dict.fromkeys(unknown, (None, protocol.ORDER_NOT_FOUND)))


# -- sandbox ---------------------------------------------------------------------------------


def seed_spec(text: str) -> tuple[str, int]:
    """An argparse type: ``CONTRACT:COUNT`` (COUNT defaults to 1) naming a listed contract."""
    code, _, count = text.partition(':')
    known = [c.contract_code for c in contracts.CONTRACTS]
    if contracts.find(code) is None:
        raise argparse.ArgumentTypeError(f'unknown contract {code!r} in {text!r}; the sandbox lists {known}')
    if count and not (count.isdigit() and 0 < int(count) <= 10_000):
        raise argparse.ArgumentTypeError(f'COUNT must be 1-10000, got {text!r}')
    return code, int(count or 1)



def _seed(text: str) -> tuple[str, int]:
    """``N`` or ``CONTRACT:N`` (the sandbox's own command line spells it so)."""
    if ':' not in text:
        return 'BTC-USDT', _count(10_000)(text)
    spec = seed_spec(text)
    return spec[0], spec[1]


def _seeded_line(seeded: list[str], contract: str, ids_file: str | None) -> str:
    """``seeded N open TP/SL orders on C``: with the ids up to SEED_IDS_SHOWN, else the first and last."""
    head = f'seeded {len(seeded)} open TP/SL orders on {contract}'
    if ids_file == '-':
        return f'{head}; their ids follow, one a line'
    where = f'; all {len(seeded)} ids in {ids_file}' if ids_file else ''
    if len(seeded) <= SEED_IDS_SHOWN:
        return f'{head}: {" ".join(seeded)}{where}'
    return f'{head}: {seeded[0]} ... {seeded[-1]}{where or "; --ids FILE writes every id"}'


def _write_ids(path: str, ids: list[str]) -> None:
    try:
        with open(path, 'w', encoding='ascii') as file:
            file.writelines(f'{order_id}\n' for order_id in ids)
    except OSError as failed:
        raise UsageError(f'--ids: cannot write the ids file: {failed.strerror or failed}') from None


def _run_sandbox(args: argparse.Namespace, out: Output) -> int:
    def ready(server: Sandbox) -> None:
        api = 'the classic v1 API' if args.account_mode == 'classic' else 'the v5 API'
        latency = f'; latency {args.latency[0]:g}-{args.latency[1]:g} ms' if args.latency else ''
        out.out(f'HTX sandbox on {server.url} (account mode {args.account_mode}: {api}{latency})')
        out.out(f'  api key:  {DEMO_API_KEY}')  # the sandbox's public demo credentials, not HTX's
        out.out(f'  secret:   {DEMO_SECRET}')
        out.out(f'  ccxt:     ccxt_htx_tpsl.htx(ccxt_htx_tpsl.sandbox.exchange_config({server.hostname!r}))')
        out.out(f'  htx-tpsl: htx-tpsl cancel BTC/USDT:USDT ID... --url {server.url}')
        out.out(f'  prices:   htx-tpsl mark-price --url {server.url} BTC-USDT PRICE  (fires the TP/SL orders it '
                'crosses)')
        contract, count = args.seed
        if count:
            seeded = server.seed_open_orders(contract, count)
            out.out(_seeded_line(seeded, contract, args.ids))
            if args.ids == '-':
                out.out('\n'.join(seeded))
            elif args.ids:
                _write_ids(args.ids, seeded)
        out.out('Ctrl-C stops it.')

    if args.ids and args.ids != '-':
        _write_ids(args.ids, [])  # an unwritable FILE is a usage error before the sandbox starts
    sandbox = Sandbox(port=args.port, host=args.host, account_mode=args.account_mode, latency=args.latency)
    try:
        sandbox.serve_forever(on_ready=ready)
    except OSError as failed:
        out.note(f'error: cannot listen on {args.host}:{args.port}: {failed.strerror or failed}')
        return EXIT_ERROR
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # stopped: a second Ctrl-C must not break the shutdown
    return EXIT_OK
