"""Fixtures shared by the suite: every test body runs against the sync and the async class.

Cassette tests (``@pytest.mark.vcr``) replay ``cassettes/<module>/<test>[<flavour>].yaml`` with
record mode ``none``: no sandbox, no network. ``pytest --record-mode=rewrite`` records them again
against a fresh embedded sandbox per test; with ``HTX_TPSL_RECORD_AGAINST=htx`` (and
``HTX_API_KEY``/``HTX_SECRET``) the tests marked ``htx_recordable`` record against HTX itself and
the others, which need the sandbox to seed orders or inject faults, are skipped (see
``cassettes/README.md``).
"""

from __future__ import annotations

import asyncio
import inspect
import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import ccxt
import ccxt.async_support
import pytest
from ccxt.base.types import Entry

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl import cli
from ccxt_htx_tpsl._core import TpslCoreMixin
from ccxt_htx_tpsl.cli import HOSTS
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config

from .ccxt_checks import assert_ccxt_orders  # noqa: F401  (re-exported for the test modules)
from .hostile import HostileServer
from .hostile import config as hostile_config

# ccxt's own htx with the endpoint declarations older ccxt releases lack (the v5 algo endpoints before
# 4.5.59, the classic ones after 4.5.58) and nothing else changed: for the sandbox's raw protocol tests.
# (and JSON numbers as numbers, which ccxt before 4.5.65 reads as text unless told so).
_ENTRIES: dict[str, Any] = {name: entry for name, entry in vars(TpslCoreMixin).items() if isinstance(entry, Entry)}
_ENTRIES['quoteJsonNumbers'] = False
RawHtx: Any = type('RawHtx', (ccxt.htx,), dict(_ENTRIES))
AsyncRawHtx: Any = type('AsyncRawHtx', (ccxt.async_support.htx,), dict(_ENTRIES))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASSETTES = os.path.join(ROOT, 'cassettes')
# Replays never connect: a request missing from its cassette fails the test. This host only
# has to be the same shape as the sandbox's.
REPLAY_HOSTNAME = '127.0.0.1:9'
SECRETS = (DEMO_API_KEY, DEMO_SECRET)

Run = Callable[[Any], Any]


@pytest.fixture(scope='module')
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    return os.path.join(CASSETTES, request.module.__name__.rsplit('.', 1)[-1])


@pytest.fixture(scope='module')
def vcr_config() -> dict[str, Any]:
    return {
        # the API key and the signature never reach a cassette; the timestamp would make
        # every replay differ. Filtered at record time and again before matching.
        'filter_query_parameters': ['AccessKeyId', 'Timestamp', 'Signature'],
        'filter_headers': ['authorization', 'cookie', 'set-cookie'],
        # the host and port differ between recording (a fresh sandbox) and replay
        'match_on': ['method', 'path', 'query', 'body'],
        'decode_compressed_response': True,
        'before_record_request': same_client_ids,
    }


CLIENT_ID = re.compile(rb'("algo_client_order_id": ?")[0-9]{18}(")')


def same_client_ids(request: Any) -> Any:
    """The client order ids the package makes for v5 creates are random: one placeholder, recorded and matched."""
    body = request.body
    if isinstance(body, str):
        body = body.encode()
    if isinstance(body, bytes) and b'algo_client_order_id' in body:
        request.body = CLIENT_ID.sub(rb'\g<1>100000000000000000\g<2>', body)
    return request


@pytest.fixture(params=['sync', 'async'])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def run(flavour: str) -> Iterator[Run]:
    """Call with what an exchange method returned: awaits it on the async class."""
    if flavour == 'sync':
        yield lambda value: value
        return
    loop = asyncio.new_event_loop()
    yield lambda value: loop.run_until_complete(value) if inspect.isawaitable(value) else value
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()


def recording_against_htx(record_mode: str) -> bool:
    return record_mode != 'none' and os.environ.get('HTX_TPSL_RECORD_AGAINST') == 'htx'


def htx_config() -> dict[str, Any]:
    """ccxt config for HTX itself, for recording; keys from the environment only."""
    host = os.environ.get('HTX_TPSL_HOST', HOSTS[0])
    assert host in HOSTS, f'HTX_TPSL_HOST must be one of {HOSTS}'
    return cli.htx_config(os.environ['HTX_API_KEY'], os.environ['HTX_SECRET'], host)


@pytest.fixture
def account_mode() -> str:
    """The account mode of the sandboxes a test uses; parametrize it to run a test on both families."""
    return 'classic'


@pytest.fixture
def recording(record_mode: str, request: pytest.FixtureRequest, account_mode: str) -> Iterator[Sandbox | None]:
    """A fresh sandbox while recording cassettes; None while replaying them (or recording against HTX)."""
    if record_mode == 'none':
        yield None
        return
    if recording_against_htx(record_mode):
        if request.node.get_closest_marker('htx_recordable') is None:
            pytest.skip('needs the sandbox to seed orders or inject faults')
        yield None
        return
    with Sandbox(account_mode=account_mode) as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(account_mode: str) -> Iterator[Sandbox]:
    """A live sandbox on 127.0.0.1 for tests that cannot be replayed (timeouts, timing)."""
    with Sandbox(account_mode=account_mode) as server:
        yield server


@pytest.fixture
def make_exchange(flavour: str, run: Run, record_mode: str) -> Iterator[Callable[..., Any]]:
    """Build the flavour's class for a hostname (default: the replay host); closed afterwards.

    While recording against HTX, the replay host stands for HTX.
    """
    made: list[Any] = []
    cls = ccxt_htx_tpsl.htx if flavour == 'sync' else ccxt_htx_tpsl.async_support.htx
    against_htx = recording_against_htx(record_mode)

    def make(hostname: str = REPLAY_HOSTNAME, **overrides: Any) -> Any:
        config = htx_config() if against_htx and hostname == REPLAY_HOSTNAME else exchange_config(hostname)
        exchange = cls(ccxt.Exchange.deep_extend(config, overrides))
        made.append(exchange)
        return exchange

    yield make
    for exchange in made:
        if flavour == 'async':
            run(exchange.close())


@pytest.fixture
def exchange(make_exchange: Callable[..., Any], recording: Sandbox | None) -> Any:
    """The flavour's class, pointed at the recording sandbox or at the replay host."""
    return make_exchange(recording.hostname if recording else REPLAY_HOSTNAME)


@pytest.fixture
def live_exchange(make_exchange: Callable[..., Any], sandbox: Sandbox) -> Any:
    return make_exchange(sandbox.hostname)


def ids(start: int, count: int) -> list[str]:
    """Deterministic 19-digit order ids (larger than 2**53), the same at record and replay time."""
    return [str(1_300_000_000_000_000_000 + start + i) for i in range(count)]


def seed(sandbox: Sandbox | None, order_ids: list[str], status: int = 2, contract: str = 'BTC-USDT',
         margin_mode: str = 'isolated') -> None:
    """Put classic TP/SL orders with these ids in the recording sandbox (nothing while replaying)."""
    if sandbox is not None:
        sandbox.add_tpsl_orders(contract, ids=order_ids, status=status, margin_mode=margin_mode)


def seed_algo(sandbox: Sandbox | None, order_ids: list[str], contract: str = 'BTC-USDT', **kwargs: Any) -> None:
    """Put v5 algo (TP/SL) orders with these ids in the recording sandbox (nothing while replaying)."""
    if sandbox is not None:
        sandbox.add_algo_orders(contract, ids=order_ids, count=len(order_ids), **kwargs)


def seed_family(sandbox: Sandbox | None, account_mode: str, order_ids: list[str], **kwargs: Any) -> None:
    """Seed in the book of the account's family: classic orders, or v5 algo orders."""
    if account_mode == 'classic':
        seed(sandbox, order_ids, **kwargs)
    else:
        seed_algo(sandbox, order_ids, **{k: v for k, v in kwargs.items() if k in ('contract', 'margin_mode')})


def statuses(orders: list[dict[str, Any]]) -> list[Any]:
    return [order['status'] for order in orders]


Make = Callable[..., Any]


@pytest.fixture
def server() -> Iterator[HostileServer]:
    """A hostile HTX on 127.0.0.1 (tests/hostile.py): a classic account unless a test says otherwise."""
    with HostileServer() as hostile:
        yield hostile


@pytest.fixture
def make(flavour: str, run: Run) -> Iterator[Make]:
    """``make(server, **config overrides)``: the flavour's class pointed at a hostile server."""
    made: list[Any] = []
    cls = ccxt_htx_tpsl.htx if flavour == 'sync' else ccxt_htx_tpsl.async_support.htx

    def build(hostile: HostileServer, **overrides: Any) -> Any:
        exchange = cls(ccxt.Exchange.deep_extend(hostile_config(hostile.hostname), overrides))
        made.append(exchange)
        return exchange

    yield build
    if flavour == 'async':
        for exchange in made:
            run(exchange.close())
