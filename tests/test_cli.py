"""The htx-tpsl command, run as it is run: ``python -m ccxt_htx_tpsl ...`` in a subprocess.

Every run is pointed at a sandbox on 127.0.0.1 (``--url``), at an embedded one (no credentials), or
stops before sending anything; none ever reaches HTX. Start-up (~1.3 s, mostly importing ccxt) is
most of a run, so runs that do not depend on each other start together: each module fixture below
runs one group at once, and the tests read their part of it.
"""

from __future__ import annotations

import contextlib
import json
import os
import pty
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import ccxt
import pytest

import ccxt_htx_tpsl
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# distinctive fake credentials, with characters that URL-encoding changes
KEY = 'cliKEY+zz9/plural=Z-alpha-0001'
SECRET = 'cliSECRET+shh/never=print-0042'
URL_USER, URL_PASSWORD = 'urluser', 'urlPa55w0rd'
UNKNOWN = ['1300000000000000001', '1300000000000000002']
AUTH_ERROR = ('error: AuthenticationError: HTX 403: Incorrect Access key [Access key错误] '
              '(see docs/troubleshooting.md#403)')


# -- running the command ---------------------------------------------------------------------


@dataclass
class Done:
    returncode: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def errors(self) -> list[str]:
        """The error lines on stderr (ours start with 'error:', argparse's with 'htx-tpsl ...: error:')."""
        return [line for line in self.err.splitlines() if line.startswith('error:') or ': error: ' in line]

    def table(self) -> list[list[str]]:
        """The rows of the per-id table on stdout (id, status, and code when there is one)."""
        lines = self.out.splitlines()
        assert lines and lines[0].split() == ['id', 'status', 'code', 'message'], self
        return [line.split()[:3] for line in lines[1:]]

    def summary(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.startswith('summary: ')]


@dataclass
class Command:
    args: tuple[str, ...]
    env: dict[str, str] | None = None


def command(*args: str, env: dict[str, str] | None = None) -> Command:
    return Command(args, env)


def environment(**extra: str) -> dict[str, str]:
    """The test's environment without HTX credentials (and no proxy for 127.0.0.1), plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in ('HTX_API_KEY', 'HTX_SECRET')}
    env['NO_PROXY'] = env['no_proxy'] = '127.0.0.1,localhost'
    return {**env, **extra}


def start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, '-m', 'ccxt_htx_tpsl', *args], cwd=ROOT, env=env or environment(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str], timeout: float = 60) -> Done:
    out, err = process.communicate(timeout=timeout)
    return Done(process.returncode, out, err)


def start_on_a_terminal(*args: str) -> tuple[subprocess.Popen[str], int]:
    """Start with stderr on a pseudo-terminal, where the progress bar is drawn; read it with finish_on_a_terminal."""
    terminal, stderr = pty.openpty()
    process = subprocess.Popen([sys.executable, '-m', 'ccxt_htx_tpsl', *args], cwd=ROOT, env=environment(),
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    os.close(stderr)
    return process, terminal


def finish_on_a_terminal(process: subprocess.Popen[str], terminal: int) -> Done:
    out, _ = process.communicate(timeout=60)  # stderr is a few hundred bytes: the terminal's buffer holds it
    chunks = []
    with contextlib.suppress(OSError):  # EIO once the output is read and the process has gone
        while chunk := os.read(terminal, 65536):
            chunks.append(chunk)
    os.close(terminal)
    return Done(process.returncode, out, b''.join(chunks).decode())


def run_all(*commands: tuple[str, ...] | Command) -> list[Done]:
    """Run the commands concurrently: each a tuple of arguments, or a :func:`command` with its environment."""
    started = [start(*c.args, env=c.env) if isinstance(c, Command) else start(*c) for c in commands]
    return [finish(process) for process in started]


def requests_since(sandbox: Sandbox, total_before: int) -> list[Any]:
    """What the sandbox received after its first ``total_before`` requests."""
    new = sandbox.request_total - total_before
    return sandbox.requests[-new:] if new else []


def spellings(value: str) -> set[str]:
    """The ways a credential could leak: as is, URL-encoded once or twice, form-encoded, JSON-escaped."""
    once = {quote(value, safe=''), quote(value), quote_plus(value)}
    forms = {value, *once, *(quote(v, safe='') for v in once), value.replace('/', '\\/')}
    return forms | {f.lower() for f in forms}


def assert_no_credentials(*done: Done) -> None:
    leaks = spellings(KEY) | spellings(SECRET) | {f'{URL_USER}:{URL_PASSWORD}', URL_PASSWORD}
    for result in done:
        text = result.text.lower()
        for leak in leaks:
            assert leak.lower() not in text, f'{leak!r} printed:\n{result.text}'
        assert 'Traceback' not in result.text


def with_userinfo(sandbox: Sandbox) -> str:
    return f'http://{URL_USER}:{URL_PASSWORD}@{sandbox.hostname}'


def open_ids(url: str, route: str) -> list[str]:
    """The open TP/SL orders on BTC-USDT of the demo key, listed with the library from the test's process."""
    exchange = ccxt_htx_tpsl.htx(exchange_config(url.removeprefix('http://')))
    return [order['id'] for order in exchange.fetch_open_isolated_tpsl_orders('BTC-USDT', params={'route': route})]


# -- sandboxes -------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def unified() -> Iterator[Sandbox]:
    with Sandbox() as sandbox:  # the demo key on a unified account: the v5 API
        yield sandbox


@pytest.fixture(scope='module')
def classic() -> Iterator[Sandbox]:
    with Sandbox(account_mode='classic') as sandbox:
        yield sandbox


@pytest.fixture(scope='module')
def quiet() -> Iterator[Sandbox]:
    """A sandbox only the runs that must send nothing are pointed at."""
    with Sandbox() as sandbox:
        yield sandbox


@dataclass
class Served:
    process: subprocess.Popen[str]
    banner: list[str]
    url: str
    seeded: list[str]


def banner_of(process: subprocess.Popen[str]) -> Served:
    """An ``htx-tpsl sandbox`` process once it has printed its banner."""
    assert process.stdout is not None
    banner: list[str] = []
    while not banner or not banner[-1].startswith('Ctrl-C'):
        line = process.stdout.readline()
        assert line, f'the sandbox command ended: {finish(process)}'
        banner.append(line.rstrip('\n'))
    seeded = [line.split(': ', 1)[1].split() for line in banner if line.startswith('seeded ')]
    return Served(process, banner, banner[0].split()[3], seeded[0] if seeded else [])


# -- credentials and usage errors: exit 2, nothing sent, nothing echoed --------------------------


@pytest.fixture(scope='module')
def refusals(quiet: Sandbox) -> dict[str, Done]:
    url = quiet.url
    before = quiet.request_total
    bad_url = f'http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:99999'  # the port is out of range
    names = ('key flag only', 'key env only', 'secret flag only', 'secret env only', 'version', 'typo',
             'ambiguous', 'command', 'bad url', 'bad id')
    done = dict(zip(names, run_all(
        ('cancel', 'BTC-USDT', *UNKNOWN, '--url', url, '--api-key', KEY),
        command('demo', env=environment(HTX_API_KEY=KEY)),
        ('doctor', '--url', url, '--secret', SECRET),
        command('cancel', 'BTC-USDT', *UNKNOWN, '--url', url, env=environment(HTX_SECRET=SECRET)),
        ('--version',),
        ('cancel', 'BTC-USDT', UNKNOWN[0], '--secrt', SECRET),
        ('doctor', f'--s={SECRET}'),  # --symbol, --secret or --sandbox?
        (KEY, 'BTC-USDT'),  # not a command
        ('cancel', 'BTC-USDT', UNKNOWN[0], '--url', bad_url),
        ('cancel', 'BTC-USDT', UNKNOWN[0], SECRET),  # a secret where an id goes
    ), strict=True))
    assert quiet.request_total == before, 'something was sent'
    return done


def test_half_set_credentials_exit_2_naming_the_missing_one(refusals: dict[str, Done]) -> None:
    for name in ('key flag only', 'key env only', 'secret flag only', 'secret env only'):
        done = refusals[name]
        assert done.returncode == 2 and done.out == '', done
        assert done.errors() == done.err.splitlines(), done  # one line, the error
    assert refusals['key flag only'].errors() == [
        'error: the secret is missing: --api-key is set but neither --secret nor HTX_SECRET is; nothing was sent '
        '(see docs/troubleshooting.md#credentials)']
    assert 'the secret is missing: HTX_API_KEY is set' in refusals['key env only'].err
    assert refusals['secret flag only'].errors() == [
        'error: the API key is missing: --secret is set but neither --api-key nor HTX_API_KEY is; nothing was sent '
        '(see docs/troubleshooting.md#credentials)']
    assert 'the API key is missing: HTX_SECRET is set' in refusals['secret env only'].err
    assert_no_credentials(*refusals.values())


def test_usage_errors_never_repeat_a_value_from_the_command_line(refusals: dict[str, Done]) -> None:
    for name in ('typo', 'ambiguous', 'command', 'bad url', 'bad id'):
        done = refusals[name]
        assert done.returncode == 2 and done.out == '' and len(done.errors()) == 1, done
    assert 'htx-tpsl: error: unrecognized arguments: --secrt ***' in refusals['typo'].err
    assert 'ambiguous option: --s=*** could match --symbol, --secret, --sandbox' in refusals['ambiguous'].err
    assert "argument COMMAND: invalid choice: '***'" in refusals['command'].err
    assert 'argument --url: must look like http://127.0.0.1:8080' in refusals['bad url'].err
    assert refusals['bad id'].errors() == [
        'error: ID #2 is not an HTX order id (a positive integer of at most 19 digits); nothing was sent '
        '(see docs/troubleshooting.md#usage-errors)']
    assert_no_credentials(*refusals.values())


def test_version(refusals: dict[str, Done]) -> None:
    done = refusals['version']
    expected = f'htx-tpsl {ccxt_htx_tpsl.__version__} (ccxt {ccxt.__version__})'
    assert done.returncode == 0 and done.out.startswith(expected)


# -- cancel ----------------------------------------------------------------------------------


@dataclass
class Cancels:
    done: dict[str, Done]
    open_ids: list[str]
    cancelled: list[str]
    to_cancel: list[str]
    late: list[str]
    unified: Sandbox
    classic: Sandbox
    slow: Sandbox
    requests_before: int


@pytest.fixture(scope='module')
def cancels(unified: Sandbox, classic: Sandbox) -> Iterator[Cancels]:
    with Sandbox() as slow:
        late = slow.add_algo_orders('BTC-USDT', 2)
        slow.inject('cancel_orders', delay=1.5)  # HTX cancels, but its reply comes after --timeout
        open_ids = unified.add_algo_orders('BTC-USDT', 12)
        cancelled = unified.add_algo_orders('BTC-USDT', 1, state='canceled')
        to_cancel = unified.add_algo_orders('BTC-USDT', 4)
        many = unified.add_algo_orders('BTC-USDT', 25)
        before = unified.request_total
        on_a_terminal = start_on_a_terminal('cancel', 'BTC-USDT', *many, '--url', unified.url)
        names = ('mixed', 'env keys', 'embedded', 'v1 on unified', 'v5 on classic', 'timeout', 'bad key')
        done = dict(zip(names, run_all(
            ('cancel', 'BTC/USDT:USDT', ','.join(open_ids[:6]), *open_ids[6:], *cancelled, UNKNOWN[0], open_ids[0],
             '--url', unified.url, '--verbose'),
            command('cancel', 'BTC-USDT', *to_cancel, '--url', unified.url, '--json',
                    env=environment(HTX_API_KEY=KEY, HTX_SECRET=SECRET)),
            ('cancel', 'BTC-USDT', UNKNOWN[0], '--sandbox'),  # no credentials: an embedded sandbox, if asked for
            ('cancel', 'BTC-USDT', UNKNOWN[0], '--route', 'v1', '--url', unified.url),
            ('cancel', 'BTC-USDT', UNKNOWN[0], '--route', 'v5', '--url', classic.url, '--json'),
            ('cancel', 'BTC-USDT', *late, '--url', slow.url, '--timeout', '500'),
            ('cancel', 'BTC-USDT', *UNKNOWN, '--url', with_userinfo(classic), '--api-key', KEY, '--secret', SECRET),
        ), strict=True))
        done['terminal'] = finish_on_a_terminal(*on_a_terminal)
        yield Cancels(done, open_ids, cancelled, to_cancel, late, unified, classic, slow, before)


def test_cancel_reports_every_id_in_batches_of_10(cancels: Cancels) -> None:
    done = cancels.done['mixed']
    assert done.returncode == 1  # one id was not cancelled
    rows = {row[0]: row[1:] for row in done.table()}
    assert list(rows) == [*cancels.open_ids, *cancels.cancelled, UNKNOWN[0]]  # comma-joined, duplicates folded
    assert all(rows[i] == ['canceled'] for i in cancels.open_ids)
    assert rows[cancels.cancelled[0]] == ['canceled', '1071'] and rows[UNKNOWN[0]] == ['unconfirmed', '1061']
    assert 'route: v5 (auto)' in done.err
    assert 'batch 1/2: 10 ids: 10 canceled' in done.err and 'batch 2/2: 4 ids: 3 canceled, 1 unconfirmed' in done.err
    assert done.summary() == [
        'summary: 12 canceled',
        'summary: 1 canceled (1071: Repeated cancellation, the order has been cancelled.)',
        'summary: 1 unconfirmed (1061: This order doesnt exist.)',
    ]
    assert all(cancels.unified.algo_order(i)['state'] == 'canceled' for i in cancels.open_ids)


def test_cancel_exits_0_when_every_id_is_cancelled_and_never_sends_the_environment_keys_to_url(
    cancels: Cancels,
) -> None:
    done = cancels.done['env keys']
    assert done.returncode == 0
    assert json.loads(done.out) == [
        {'id': i, 'symbol': 'BTC/USDT:USDT', 'status': 'canceled', 'code': None, 'message': None, 'sent': True,
         'reconciled': False}
        for i in cancels.to_cancel]
    assert 'summary: 4 canceled' in done.err
    signed = {r.api_key for r in requests_since(cancels.unified, cancels.requests_before)} - {None}
    assert KEY not in signed and DEMO_API_KEY in signed
    assert_no_credentials(done)


def test_a_progress_bar_with_rate_and_eta_follows_the_batches_on_a_terminal(cancels: Cancels) -> None:
    done = cancels.done['terminal']
    assert done.returncode == 0
    draws = [part for part in done.err.split('\r') if part.startswith('cancel [')]
    assert len(draws) >= 2 and draws[0].startswith('cancel [' + '.' * 30 + '] 0/25 ids')  # drawn at once
    last = draws[-1]
    assert '] 25/25 ids  ' in last and ' ids/s  ' in last and ' elapsed  ETA 0:00' in last
    # what the terminal shows: each line as its last redraw left it (\x1b[K erases the rest)
    shown = [line.rstrip('\r').split('\r')[-1].replace('\x1b[K', '') for line in done.err.split('\n')]
    assert 'route: v5 (auto)' in shown  # a note goes above the bar, not onto it
    assert shown[-3].startswith('cancel [' + '#' * 30 + '] 25/25 ids') and shown[-2] == 'summary: 25 canceled'


def test_cancel_with_sandbox_uses_an_embedded_sandbox_and_says_so(cancels: Cancels) -> None:
    done = cancels.done['embedded']
    assert done.returncode == 1
    assert 'on an embedded sandbox at http://127.0.0.1:' in done.err and '(--sandbox given;' in done.err
    assert done.table() == [[UNKNOWN[0], 'unconfirmed', '1061']]


def test_a_bad_key_exits_2_with_htxs_reason_in_one_line(cancels: Cancels) -> None:
    done = cancels.done['bad key']
    assert done.returncode == 2 and done.out == ''
    assert done.errors() == [AUTH_ERROR]
    assert 'see .orders' not in done.err
    assert f'on http://{cancels.classic.hostname} (--url, your --api-key)' in done.err  # no user info
    assert_no_credentials(done)


def test_a_wrong_api_family_exits_2_naming_the_route_to_use(cancels: Cancels) -> None:
    v1_on_unified, v5_on_classic = cancels.done['v1 on unified'], cancels.done['v5 on classic']
    assert v1_on_unified.returncode == 2 and v1_on_unified.out == ''
    assert v1_on_unified.errors() == [
        'error: NotSupported: HTX refused the v1 API for this account (6023: The new feature is temporarily '
        'unavailable.); it uses the v5 API: use --route v5 (or --route auto) (see docs/troubleshooting.md#6023)']
    assert v5_on_classic.returncode == 2
    error = json.loads(v5_on_classic.out)  # --json: one document, the error object, with every id's row
    assert {k: error['error'][k] for k in ('type', 'code', 'exit_status', 'see')} == {
        'type': 'NotSupported', 'code': '4007', 'exit_status': 2, 'see': 'docs/troubleshooting.md#4007'}
    assert error['error']['message'].startswith('HTX refused the v5 API for this account (4007: ')
    assert [(row['id'], row['status']) for row in error['results']] == [(UNKNOWN[0], None)]
    assert v5_on_classic.errors() == [
        'error: NotSupported: HTX refused the v5 API for this account (4007: Unified account special interface, '
        'non - one account is not available); it uses the v1 API: use --route v1 (or --route auto) '
        '(see docs/troubleshooting.md#4007)']


def test_a_timeout_is_reconciled_with_htx_before_it_is_reported(cancels: Cancels) -> None:
    done = cancels.done['timeout']  # HTX cancelled both; the reply came after --timeout
    assert done.returncode == 0
    assert done.table() == [[i, 'canceled', 'reconciled:'] for i in cancels.late]
    assert done.summary() == [
        'summary: 2 canceled (reconciled: its reply was lost; this is what HTX showed when asked)']
    assert [cancels.slow.algo_order(i)['state'] for i in cancels.late] == ['canceled', 'canceled']


def test_ctrl_c_prints_the_outcome_of_every_id_known_and_exits_130() -> None:
    with Sandbox(account_mode='classic') as sandbox:
        seeded = sandbox.add_tpsl_orders('BTC-USDT', count=30)
        sandbox.inject('swap_tpsl_cancel', after=1, delay=10)  # the second batch: cancelled, its reply held back
        process = start('cancel', 'BTC-USDT', *seeded, '--url', sandbox.url, '--verbose', '--json')
        assert process.stderr is not None
        while not (line := process.stderr.readline()).startswith('batch 1/3'):
            assert line, finish(process)
        while sandbox.request_totals()['endpoint'].get('swap_tpsl_cancel', 0) < 2:  # the second batch arrived
            assert process.poll() is None, finish(process)
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        done = finish(process)
        still_open = open_ids(sandbox.url, 'v1')
    assert done.returncode == 130
    rows = json.loads(done.out)
    assert [row['id'] for row in rows] == seeded
    assert [(row['status'], row['sent']) for row in rows] == (
        [('canceled', True)] * 10 + [(None, True)] * 10 + [(None, False)] * 10)
    assert rows[10]['message'] == 'interrupted before HTX answered: the outcome is unknown'
    assert rows[20]['message'] == 'interrupted before it was sent'
    assert done.summary() == [
        'summary: 10 canceled',
        'summary: 10 unconfirmed (interrupted before HTX answered: the outcome is unknown)',
        'summary: 10 not sent (interrupted before it was sent)',
    ]
    assert done.err.splitlines()[-1].startswith('interrupted: ')
    assert sorted(still_open) == seeded[20:]  # the batch in flight was cancelled after all; the rest never sent


# -- sandbox ---------------------------------------------------------------------------------


def test_sandbox_command_seeds_the_book_of_its_account_mode_and_refuses_bad_ports() -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        classic = start('sandbox', '--port', '0', '--seed', '3', '--account-mode', 'classic', '--latency', '300-300')
        unified = start('sandbox', '--port', '0', '--seed', '2')  # unified by default: v5 algo orders
        out_of_range, in_use = run_all(('sandbox', '--port', '70000'), ('sandbox', '--port', str(port)))
    try:
        served = banner_of(classic)
        banner = '\n'.join(served.banner)
        assert served.banner[0].startswith('HTX sandbox on http://127.0.0.1:') and 'account mode classic' in banner
        assert 'latency 300-300 ms' in banner and DEMO_API_KEY in banner and DEMO_SECRET in banner
        assert f"ccxt_htx_tpsl.sandbox.exchange_config('{served.url.removeprefix('http://')}')" in banner
        began = time.monotonic()
        assert sorted(open_ids(served.url, 'v1')) == sorted(served.seeded) and len(served.seeded) == 3
        assert time.monotonic() - began >= 0.6  # markets and one listing page, 300 ms each

        served = banner_of(unified)
        assert 'account mode unified' in served.banner[0]
        assert sorted(open_ids(served.url, 'v5')) == sorted(served.seeded) and len(served.seeded) == 2
    finally:
        for process in (classic, unified):
            process.send_signal(signal.SIGTERM)
            assert finish(process, timeout=10).returncode == 0

    for done in (out_of_range, in_use):
        assert done.returncode == 2 and done.out == '' and 'Traceback' not in done.err
    assert out_of_range.errors() == [
        'htx-tpsl sandbox: error: argument --port: must be a port number, 0-65535 (0: any free port)']
    assert in_use.err.splitlines() == [f'error: cannot listen on 127.0.0.1:{port}: Address already in use']


# -- demo ------------------------------------------------------------------------------------


@dataclass
class Demos:
    done: dict[str, Done]
    unified: Sandbox
    requests_before: int


@pytest.fixture(scope='module')
def demos(unified: Sandbox) -> Demos:
    before = unified.request_total
    names = ('sample', 'verbose', 'json', 'with keys')
    return Demos(dict(zip(names, run_all(
        ('demo',),
        ('demo', '--account-mode', 'classic', '--orders', '6', '--verbose'),
        ('demo', '--orders', '3', '--json'),
        command('demo', '--url', unified.url, env=environment(HTX_API_KEY=KEY, HTX_SECRET=SECRET)),
    ), strict=True)), unified, before)


def test_demo_shows_the_route_a_summary_and_a_sample_of_at_most_10_rows(demos: Demos) -> None:
    done = demos.done['sample']
    assert done.returncode == 0
    assert 'route: v5 (auto)' in done.err and 'created 16 TP/SL orders on BTC/USDT:USDT' in done.err
    assert 'listed 16 open TP/SL orders' in done.err
    assert ('cancelling 22 ids in one call (cancel_isolated_tpsl_orders): the 16 created, 2 already cancelled, '
            '1 executed and 3 unknown.') in done.err
    assert done.err.splitlines()[-1] == 'demo: every id reported as expected.'
    assert done.summary() == [
        'summary: 16 canceled',
        'summary: 3 unconfirmed (1061: This order doesnt exist.)',
        'summary: 2 canceled (1071: Repeated cancellation, the order has been cancelled.)',
        'summary: 1 closed (1063: The order has been executed.)',
    ]
    table = done.table()
    assert len(table) == 10 and '(a sample: 10 of 22 ids' in done.err
    assert {tuple(row[1:]) for row in table} == {('canceled',), ('canceled', '1071'), ('closed', '1063'),
                                                 ('unconfirmed', '1061')}


def test_demo_lists_every_id_with_verbose_or_json(demos: Demos) -> None:
    verbose = demos.done['verbose']
    assert verbose.returncode == 0 and 'route: v1 (auto)' in verbose.err  # a classic account
    assert len(verbose.table()) == 6 + 6 and 'a sample' not in verbose.err

    as_json = demos.done['json']
    assert as_json.returncode == 0
    rows = json.loads(as_json.out)
    assert [(row['status'], row['code']) for row in rows] == [('canceled', None)] * 3 + [
        ('canceled', '1071')] * 2 + [('closed', '1063')] + [(None, '1061')] * 3


def test_demo_with_credentials_places_nothing_and_runs_the_doctor(demos: Demos) -> None:
    done = demos.done['with keys']
    assert done.returncode == 0
    assert 'demo: credentials given' in done.err and 'running the read-only doctor checks instead' in done.err
    assert 'healthy: route auto (v5) lists the TP/SL orders of BTC/USDT:USDT' in done.out
    endpoints = {r.endpoint for r in requests_since(demos.unified, demos.requests_before)}
    assert endpoints == {'swap_contract_info', 'asset_mode', 'opens', 'swap_tpsl_openorders'}  # reads only
    assert_no_credentials(done)


# -- doctor ----------------------------------------------------------------------------------


@pytest.fixture(scope='module')
def doctors(unified: Sandbox, classic: Sandbox) -> Iterator[dict[str, Done]]:
    # a unified account whose v5 listing answers 1004 (busy), its asset mode under the SDKs' key
    with Sandbox(asset_mode_key='asset_mode') as failing:
        failing.inject('opens', err_code=1004, times=10)
        names = ('unified', 'classic', 'problem', 'bad key')
        yield dict(zip(names, run_all(
            ('doctor', '--url', unified.url),
            ('doctor', '--url', classic.url, '--json'),
            ('doctor', '--url', failing.url, '--symbol', 'BTC-USDT'),
            ('doctor', '--url', with_userinfo(unified), '--api-key', KEY, '--secret', SECRET),
        ), strict=True))


def test_doctor_on_a_unified_account(doctors: dict[str, Done]) -> None:
    done = doctors['unified']
    assert done.returncode == 0
    assert 'doctor: http://127.0.0.1:' in done.err and 'read-only, nothing is placed or cancelled' in done.err
    lines = done.out.splitlines()
    assert 'asset mode    1 (data.assets_mode): v5' in lines and 'route auto    v5' in lines
    assert 'listing v1    NotSupported 6023: The new feature is temporarily unavailable.' in lines
    assert any(line.startswith('listing v5    ') and line.endswith(' open TP/SL orders') for line in lines)
    limits = [line.split() for line in lines if 'ratelimit-limit=' in line]
    assert len(limits) == 4 and all(len(line) == 4 and line[2].startswith('ratelimit-remaining=') for line in limits)
    assert lines[-1] == 'healthy: route auto (v5) lists the TP/SL orders of BTC/USDT:USDT'


def test_doctor_on_a_classic_account_as_json(doctors: dict[str, Done]) -> None:
    done = doctors['classic']
    assert done.returncode == 0
    report = json.loads(done.out)
    assert {k: report['asset_mode'][k] for k in ('ok', 'value', 'key', 'family')} == {
        'ok': True, 'value': 0, 'key': 'assets_mode', 'family': 'v1'}
    assert report['auto_route'] == 'v1' and report['healthy'] is True and report['problems'] == []
    v1, v5 = report['listings']['v1'], report['listings']['v5']
    assert v1['ok'] is True and isinstance(v1['count'], int)
    assert {k: v5[k] for k in ('ok', 'error', 'code', 'count')} == {
        'ok': False, 'error': 'NotSupported', 'code': '4007', 'count': None}
    assert v5['message'] == 'Unified account special interface, non - one account is not available'
    for check in (report['asset_mode'], v1, v5):
        assert set(check['ratelimit']) == {'ratelimit-limit', 'ratelimit-interval', 'ratelimit-remaining',
                                           'ratelimit-reset'}


def test_doctor_exits_1_on_a_problem_and_2_on_refused_credentials(doctors: dict[str, Done]) -> None:
    problem = doctors['problem']
    assert problem.returncode == 1
    assert 'asset mode    1 (data.asset_mode): v5' in problem.out
    assert 'listing v5    ExchangeNotAvailable 1004: ' in problem.out
    assert 'problem: the v5 listing failed: ExchangeNotAvailable' in problem.out

    bad_key = doctors['bad key']
    assert bad_key.returncode == 2
    assert 'asset mode    AuthenticationError 403: Incorrect Access key [Access key错误]' in bad_key.out
    assert '(--url, your --api-key)' in bad_key.err
    assert_no_credentials(bad_key)
