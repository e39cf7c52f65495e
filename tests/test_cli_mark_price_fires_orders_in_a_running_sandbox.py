"""``htx-tpsl mark-price`` moves a price in a sandbox that runs in another process (``htx-tpsl
sandbox``) and prints the ids that fired; what it cannot do, it says, with exit 1 (nobody or no
sandbox answered) or 2 (the sandbox refused). Each command runs as it is run, in a subprocess
(helpers from ``test_cli``); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import signal
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from ccxt_htx_tpsl import cli

from .test_cli import banner_of, finish, run_all, start


class Unsupported(http.server.BaseHTTPRequestHandler):
    """http.server's own answer to every method: 501, an HTML page."""

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


@pytest.fixture(scope='module')
def not_a_sandbox() -> Iterator[str]:
    """An HTTP server that is no htx-tpsl sandbox."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Unsupported)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_mark_price_fires_the_orders_of_a_foreground_sandbox_and_history_shows_them(not_a_sandbox: str) -> None:
    process = start('sandbox', '--port', '0', '--account-mode', 'classic', '--seed', '2')
    try:
        served = banner_of(process)  # two take-profits closing a long, at 99000
        assert f'  prices:   htx-tpsl mark-price --url {served.url} BTC-USDT PRICE' in '\n'.join(served.banner)
        with socket.socket() as closed:
            closed.bind(('127.0.0.1', 0))  # bound, not listening: refused
            nobody = f'http://127.0.0.1:{closed.getsockname()[1]}'
            short, unknown, refused_json, not_there, not_ours = run_all(
                ('mark-price', '--url', served.url, 'BTC/USDT:USDT', '98999.9'),
                ('mark-price', '--url', served.url, 'DOGE-USDT', '1'),
                ('mark-price', '--url', served.url, 'DOGE-USDT', '1', '--json'),
                ('mark-price', '--url', nobody, 'BTC-USDT', '99000'),
                ('mark-price', '--url', not_a_sandbox, 'BTC-USDT', '99000'),
            )
        [fired] = run_all(('mark-price', '--url', served.url, 'BTC-USDT', '99000', '--json'))
        [history] = run_all(('list', 'BTC-USDT', '--history', '--url', served.url, '--json'))
    finally:
        process.send_signal(signal.SIGINT)
        stopped = finish(process, timeout=10)
    assert stopped.returncode == 0

    assert short.returncode == 0 and short.out == ''  # not crossed: nothing fired, the price moved all the same
    assert short.err.splitlines() == [
        f"mark-price: BTC-USDT at 98999.9 on {served.url} (the sandbox's price for last, mark and index triggers): "
        '0 TP/SL orders fired.']

    assert fired.returncode == 0
    assert json.loads(fired.out) == {'contract': 'BTC-USDT', 'price': '99000', 'fired': served.seeded}
    assert [(o['id'], o['status']) for o in json.loads(history.out)] == [(i, 'closed') for i in served.seeded]
    assert all(o['placed'] for o in json.loads(history.out))

    assert unknown.returncode == 2 and unknown.out == ''
    assert unknown.errors() == [
        "error: the sandbox refused: unknown contract 'DOGE-USDT'; the sandbox lists ['BTC-USDT', 'ETH-USDT', "
        "'XRP-USDT', 'TRX-USDT', 'BTC-USDT-261225']; nothing was moved (see docs/troubleshooting.md#mark-price)"]
    error = json.loads(refused_json.out)['error']
    assert (error['type'], error['exit_status'], error['see']) == (
        'UsageError', 2, 'docs/troubleshooting.md#mark-price')

    assert not_there.returncode == 1 and not_there.errors() == [
        f'error: NetworkError: no sandbox answered at {nobody}: connection refused: nothing listens there '
        '(Connection refused) (see docs/troubleshooting.md#networkerror)']
    assert not_ours.returncode == 1 and not_ours.errors() == [
        f'error: BadResponse: {not_a_sandbox} is not an htx-tpsl sandbox (its reply has no X-HTX-TPSL-Sandbox '
        'header); nothing was moved (see docs/troubleshooting.md#mark-price)']


@pytest.mark.parametrize(('argv', 'error'), [
    (['mark-price', 'BTC-USDT', '99000'], 'htx-tpsl mark-price: error: the following arguments are required: --url'),
    (['mark-price', '--url', 'http://127.0.0.1:8080', 'BTC-USDT', '0'],
     'htx-tpsl mark-price: error: argument PRICE: must be a positive number, e.g. 99000 or 0.52'),
    (['mark-price', '--url', 'http://127.0.0.1:8080', 'BTC-USDT', '1e5'],
     'htx-tpsl mark-price: error: argument PRICE: must be a positive number, e.g. 99000 or 0.52'),
])
def test_a_bad_command_line_exits_2_before_sending(argv: list[str], error: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == '' and error in err.splitlines()
