"""The htx-tpsl command never guesses, says why a network failed, shows progress and always answers --json.

Each behaviour runs the command as it is run (``python -m ccxt_htx_tpsl`` in a subprocess, helpers
from ``test_cli``). Nothing reaches the internet: servers are on 127.0.0.1, a DNS failure is
simulated inside the child process (``socket.getaddrinfo`` replaced before the command starts).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from ccxt_htx_tpsl import cli, protocol
from ccxt_htx_tpsl.sandbox import Sandbox

from .test_cli import (
    KEY,
    ROOT,
    SECRET,
    UNKNOWN,
    URL_PASSWORD,
    URL_USER,
    Done,
    assert_no_credentials,
    banner_of,
    command,
    environment,
    finish,
    open_ids,
    run_all,
    start,
)

TROUBLESHOOTING = os.path.join(ROOT, 'docs', 'troubleshooting.md')
WITH_KEYS = {'HTX_API_KEY': KEY, 'HTX_SECRET': SECRET}

# the command in a child process whose DNS always fails, as it does for a typo'd or unreachable host
NO_DNS = """
import socket, sys
def no_dns(*args, **kwargs):
    raise socket.gaierror(socket.EAI_NONAME, 'Name or service not known')
socket.getaddrinfo = no_dns
from ccxt_htx_tpsl.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def run_without_dns(*args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in environment(**WITH_KEYS).items() if not k.lower().endswith('_proxy')}
    return subprocess.Popen([sys.executable, '-c', NO_DNS, *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def on_a_terminal(*args: str, env: dict[str, str] | None = None) -> Done:
    """Run with stderr on a pseudo-terminal (where progress is drawn) and read all of it as it comes."""
    import pty

    terminal, stderr = pty.openpty()
    process = subprocess.Popen([sys.executable, '-m', 'ccxt_htx_tpsl', *args], cwd=ROOT, env=env or environment(),
                               stdout=subprocess.PIPE, stderr=stderr, text=True)
    os.close(stderr)
    chunks: list[bytes] = []

    def drain() -> None:  # a long run draws more than a terminal buffers: read while it runs
        with contextlib.suppress(OSError):
            while chunk := os.read(terminal, 65536):
                chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    os.close(terminal)
    return Done(process.returncode, out, b''.join(chunks).decode())


class Silent:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (or resets them at once)."""

    def __init__(self, reset: bool = False) -> None:
        self.reset = reset
        self.socket = socket.socket()
        self.socket.bind(('127.0.0.1', 0))
        self.socket.listen(16)
        self.url = f'http://127.0.0.1:{self.socket.getsockname()[1]}'
        self.accepted: list[socket.socket] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                connection, _ = self.socket.accept()
                self.accepted.append(connection)
                if self.reset:  # RST instead of FIN: the client reads "connection reset by peer"
                    connection.recv(65536)
                    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
                    connection.close()

    def close(self) -> None:
        self.socket.close()
        for connection in self.accepted:
            with contextlib.suppress(OSError):
                connection.close()


@contextlib.contextmanager
def silent(reset: bool = False) -> Iterator[Silent]:
    server = Silent(reset)
    try:
        yield server
    finally:
        server.close()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])  # nothing listens there once closed


def one_json_document(done: Done) -> Any:
    """stdout holds exactly one JSON document (json.loads refuses trailing data)."""
    return json.loads(done.out)


# -- never guess: cancel without credentials, demo --sandbox --------------------------------------


@pytest.fixture(scope='module')
def guesses() -> dict[str, Done]:
    with Sandbox() as quiet:
        before = quiet.request_total
        names = ('no keys', 'no keys json', 'demo sandbox with keys', 'sandbox and url', 'doctor no keys',
                 'doctor no keys json')
        done = dict(zip(names, run_all(
            ('cancel', 'BTC/USDT:USDT', UNKNOWN[0]),
            ('cancel', 'BTC/USDT:USDT', UNKNOWN[0], '--json'),
            command('demo', '--sandbox', '--orders', '4', env=environment(**WITH_KEYS)),
            ('demo', '--sandbox', '--url', quiet.url, '--json'),
            ('doctor',),
            ('doctor', '--json'),
        ), strict=True))
        assert quiet.request_total == before, 'something was sent'
    return done


def test_cancel_without_credentials_refuses_naming_both_ways_out(guesses: dict[str, Done]) -> None:
    done = guesses['no keys']
    assert done.returncode == 2 and done.out == ''
    [error] = done.errors()
    assert error.startswith('error: no HTX credentials: ')
    assert 'HTX_API_KEY and HTX_SECRET' in error and '--sandbox' in error and '--url' in error
    assert 'nothing was sent' in error and error.endswith('(see docs/troubleshooting.md#no-credentials)')
    assert 'embedded sandbox at http' not in done.err  # no sandbox was started, nothing was cancelled

    as_json = one_json_document(guesses['no keys json'])
    assert guesses['no keys json'].returncode == 2
    assert as_json['error']['type'] == 'UsageError' and as_json['error']['exit_status'] == 2
    assert '--sandbox' in as_json['error']['message'] and 'HTX_API_KEY' in as_json['error']['message']
    assert as_json['error']['see'] == 'docs/troubleshooting.md#no-credentials'


def test_demo_sandbox_runs_the_demo_even_with_keys_exported(guesses: dict[str, Done]) -> None:
    done = guesses['demo sandbox with keys']
    assert done.returncode == 0, done
    assert 'demo: an embedded HTX sandbox at http://127.0.0.1:' in done.err and '--sandbox: HTX credentials' in done.err
    assert 'doctor' not in done.err and done.err.splitlines()[-1] == 'demo: every id reported as expected.'
    assert_no_credentials(done)


def test_sandbox_and_url_together_are_a_usage_error_and_json_says_so(guesses: dict[str, Done]) -> None:
    done = guesses['sandbox and url']
    assert done.returncode == 2
    assert one_json_document(done)['error']['message'].startswith('--sandbox and --url name two different servers')


def test_doctor_without_keys_says_it_checked_the_embedded_sandbox_not_htx(guesses: dict[str, Done]) -> None:
    done = guesses['doctor no keys']
    assert done.returncode == 0
    assert 'doctor: checking an embedded sandbox, NOT HTX (no HTX_API_KEY/HTX_SECRET' in done.err
    assert done.out.splitlines()[-1] == (
        'healthy (an embedded sandbox, NOT HTX): route auto (v5) lists the TP/SL orders of BTC/USDT:USDT')
    report = one_json_document(guesses['doctor no keys json'])
    assert report['target_kind'] == 'embedded' and report['healthy'] is True


# -- doctor and cancel on a network that fails ----------------------------------------------------


def test_doctor_stops_at_the_first_failure_without_a_reply_and_shows_progress_meanwhile() -> None:
    with silent() as server:
        began = time.monotonic()
        done = on_a_terminal('doctor', '--url', server.url, '--timeout', '1500')
        took = time.monotonic() - began
        connections = len(server.accepted)
    assert done.returncode == 1
    assert connections == 1, f'{connections} connections: the doctor kept trying after the first failure'
    assert took < 10  # one timeout (1.5 s) and start-up, not one per check
    assert 'doctor: loading markets... 0:00 elapsed  (gives up after 0:02)' in done.err  # drawn while it waits
    lines = done.out.splitlines()
    assert 'markets       RequestTimeout no reply within the timeout (--timeout, ccxt default 10000 ms)' in lines
    assert not any(line.startswith(('asset mode', 'listing')) for line in lines)
    assert lines[-2] == 'stopped: after the first failure without a reply; the remaining checks were not sent'
    assert lines[-1] == 'see: docs/troubleshooting.md#requesttimeout'


def test_network_failures_name_their_cause_dns_refused_reset_and_never_a_secret() -> None:
    with silent(reset=True) as resetting:
        refused_url = f'http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{closed_port()}'
        dns_doctor = run_without_dns('doctor', '--timeout', '3000')  # HTX_API_KEY/HTX_SECRET set: HTX's host
        dns_cancel = run_without_dns('cancel', 'BTC/USDT:USDT', UNKNOWN[0], '--json')
        refused, reset = run_all(
            ('doctor', '--url', refused_url, '--json'),
            ('cancel', 'BTC/USDT:USDT', *UNKNOWN, '--url', resetting.url, '--json'),
        )
        dns_doctor_done, dns_cancel_done = finish(dns_doctor), finish(dns_cancel)

    assert dns_doctor_done.returncode == 1
    assert ('markets       NetworkError DNS: the host name could not be resolved (Name or service not known)'
            in dns_doctor_done.out.splitlines())
    assert 'see: docs/troubleshooting.md#networkerror' in dns_doctor_done.out

    assert dns_cancel_done.returncode == 2
    error = one_json_document(dns_cancel_done)['error']
    assert error['type'] == 'NetworkError' and error['cause'].startswith('DNS: the host name could not be resolved')
    assert dns_cancel_done.errors()[0].endswith(
        '(DNS: the host name could not be resolved (Name or service not known)) '
        '(see docs/troubleshooting.md#networkerror)')

    report = one_json_document(refused)
    assert refused.returncode == 1 and report['markets']['unreachable'] is True
    assert report['markets']['message'].startswith('connection refused: nothing listens there')
    assert report['asset_mode'] is None and report['listings'] == {}

    assert reset.returncode == 2
    failure = one_json_document(reset)
    assert failure['error']['cause'].startswith('connection reset by the server')
    assert [(row['id'], row['sent']) for row in failure['results']] == [(i, False) for i in UNKNOWN]
    for done in (dns_doctor_done, dns_cancel_done, refused, reset):
        assert_no_credentials(done)
        assert not re.search(r'//[^/\s]*@', done.text), done.text  # no user info in any URL


# -- --json: exactly one document, an error object on failure --------------------------------------


def test_json_is_one_document_also_when_the_call_fails() -> None:
    usage, half_keys, demo_failed = run_all(
        ('cancel', 'BTC-USDT', UNKNOWN[0], '--json', '--no-such-option'),
        command('doctor', '--json', env=environment(HTX_API_KEY=KEY)),
        ('demo', '--json', '--url', f'http://127.0.0.1:{closed_port()}'),  # --url: the doctor's checks
    )
    assert usage.returncode == 2
    assert one_json_document(usage)['error'] == {
        'type': 'UsageError', 'message': 'unrecognized arguments: --no-such-option', 'exit_status': 2,
        'see': 'docs/troubleshooting.md#usage-errors'}
    assert half_keys.returncode == 2
    assert one_json_document(half_keys)['error']['see'] == 'docs/troubleshooting.md#credentials'
    assert demo_failed.returncode == 1 and one_json_document(demo_failed)['healthy'] is False
    assert_no_credentials(usage, half_keys, demo_failed)


# -- progress -------------------------------------------------------------------------------------


def test_demo_shows_create_progress_with_rate_and_eta_on_a_terminal() -> None:
    done = on_a_terminal('demo', '--account-mode', 'classic', '--orders', '20')
    assert done.returncode == 0, done
    draws = [part for part in done.err.split('\r') if part.startswith('create [')]
    assert draws and '] 20/20 orders  ' in draws[-1] and ' orders/s  ' in draws[-1] and 'ETA 0:00' in draws[-1]
    assert 'cancelling 26 ids... 0:00 elapsed  ETA 0:0' in done.err  # the one-call cancel: an estimate
    # without a terminal, none of it
    plain = run_all(('demo', '--orders', '4'))[0]
    assert plain.returncode == 0 and '\r' not in plain.err and 'ETA' not in plain.err


# -- sandbox --seed N ----------------------------------------------------------------------------


def test_sandbox_seed_prints_a_count_and_writes_the_ids_to_a_file(tmp_path: Any) -> None:
    ids_file = tmp_path / 'ids.txt'
    many = start('sandbox', '--port', '0', '--seed', '2000', '--ids', str(ids_file))
    many_no_file = start('sandbox', '--port', '0', '--seed', 'ETH-USDT:50', '--account-mode', 'classic')
    try:
        served = banner_of(many)
        [seeded] = [line for line in served.banner if line.startswith('seeded ')]
        ids = ids_file.read_text().split()
        assert len(ids) == 2000 and len(set(ids)) == 2000
        assert seeded == (f'seeded 2000 open TP/SL orders on BTC-USDT: {ids[0]} ... {ids[-1]}; '
                          f'all 2000 ids in {ids_file}')
        assert len(served.banner) == 8 and all(len(line) < 200 for line in served.banner)
        assert sorted(open_ids(served.url, 'v5')) == sorted(ids)

        other = banner_of(many_no_file)
        [line] = [line for line in other.banner if line.startswith('seeded ')]
        assert re.fullmatch(r'seeded 50 open TP/SL orders on ETH-USDT: \d+ \.\.\. \d+; --ids FILE writes every id',
                            line), line
    finally:
        for process in (many, many_no_file):
            process.terminate()
            assert finish(process, timeout=10).returncode == 0
    unwritable = run_all(('sandbox', '--port', '0', '--seed', '3', '--ids', str(tmp_path / 'missing' / 'ids')))[0]
    assert unwritable.returncode == 2 and unwritable.errors()[0].startswith('error: --ids: cannot write the ids file')


# -- troubleshooting: every section the command points at exists ------------------------------


def anchors_of(markdown: str) -> set[str]:
    """The ids mkdocs (and GitHub) give the headings: lower case, punctuation dropped, spaces as '-'."""
    found = set()
    for line in markdown.splitlines():
        if match := re.match(r'#{1,6} (.+)', line):
            slug = re.sub(r'[^\w\s-]', '', match.group(1)).strip().lower()
            found.add(re.sub(r'[-\s]+', '-', slug))
    return found


def test_every_troubleshooting_link_of_the_command_has_its_section() -> None:
    with open(TROUBLESHOOTING, encoding='utf-8') as file:
        anchors = anchors_of(file.read())
    codes = {*cli.DOCUMENTED_CODES, *protocol.CANCEL_CODE_STATUS, *protocol.WRONG_FAMILY_CODES,
             protocol.RATE_LIMITED, protocol.SYSTEM_ERROR, protocol.NOTHING_TO_CANCEL}
    classes = {name.lower() for name in cli.DOCUMENTED_CLASSES}
    sections = {'usage-errors', 'credentials', 'no-credentials', 'other-errors', 'mark-price'}
    missing = (codes | classes | sections) - anchors
    assert not missing, f'docs/troubleshooting.md has no section for {sorted(missing)}'
