"""The htx-tpsl command: output, exit status, and no credential in anything it prints."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ccxt_htx_tpsl.cli import main
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox

from .conftest import ids

KEY, SECRET = 'cli-test-key-0000-1111', 'cli-test-secret-2222-3333'


@pytest.fixture(autouse=True)
def no_credentials_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv('HTX_API_KEY', raising=False)
    monkeypatch.delenv('HTX_SECRET', raising=False)


def test_demo_cancels_a_batch_with_per_id_outcomes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['demo', '--orders', '24', '--json']) == 0
    out, err = capsys.readouterr()
    rows = json.loads(out)
    assert len(rows) == 24 + 2 + 1 + 3
    assert sorted({row['status'] for row in rows}) == ['canceled', 'closed', 'failed']
    assert sum(row['status'] == 'canceled' for row in rows) == 26
    assert 'embedded HTX sandbox' in err and 'every id reported as expected' in err


def test_cancel_without_keys_uses_the_sandbox_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['cancel', 'BTC-USDT', *ids(0, 2)]) == 1  # unknown ids: not cancelled
    out, err = capsys.readouterr()
    assert 'no HTX_API_KEY/HTX_SECRET: using an embedded sandbox' in err
    assert out.splitlines()[0].split() == ['id', 'status', 'code', 'message']
    assert '1061' in out and '2 ids: 2 failed.' in err


def test_cancel_against_a_running_sandbox_exits_0_when_all_cancelled(capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox() as sandbox:
        wanted = sandbox.add_tpsl_orders('BTC-USDT', count=12)
        assert main(['cancel', 'BTC/USDT:USDT', ','.join(wanted[:6]), *wanted[6:], '--url', sandbox.url]) == 0
    out, _ = capsys.readouterr()
    assert out.count('canceled') == 12


def test_bad_symbol_is_one_clear_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(['cancel', 'DOGE-USDT', '1300000000000000001', '--sandbox']) == 2
    _, err = capsys.readouterr()
    assert 'error: BadSymbol: htx does not have market symbol DOGE-USDT' in err.splitlines()


def test_credentials_never_printed(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    with Sandbox() as sandbox:  # the sandbox does not know this key: HTX's 403
        keys = ['--api-key', KEY, '--secret', SECRET]
        assert main(['cancel', 'BTC-USDT', *ids(0, 3), '--url', sandbox.url, *keys]) == 1
        assert main(['cancel', 'BTC-USDT', *ids(0, 3), '--url', sandbox.url, '--json', *keys]) == 1
        sandbox.inject('swap_tpsl_cancel', http_status=502)  # ccxt puts the signed URL in this message
        assert main(['cancel', 'BTC-USDT', *ids(0, 3), '--url', sandbox.url, *keys]) == 1
    out, err = capsys.readouterr()
    assert 'AuthenticationError' in err and 'ExchangeNotAvailable' in err
    for secret in (KEY, SECRET, DEMO_SECRET):
        assert secret not in out and secret not in err


def test_the_environment_keys_are_never_sent_to_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('HTX_API_KEY', KEY)
    monkeypatch.setenv('HTX_SECRET', SECRET)
    with Sandbox() as sandbox:
        assert main(['cancel', 'BTC-USDT', *ids(0, 1), '--url', sandbox.url]) == 1  # 1061, signed with demo keys
        assert {r.api_key for r in sandbox.requests if r.method == 'POST'} == {DEMO_API_KEY}


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run([sys.executable, '-m', 'ccxt_htx_tpsl', '--version'], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith('htx-tpsl ')


def test_sandbox_command_serves_ccxt_signed_requests_and_refuses_a_tampered_signature() -> None:
    import ccxt
    import requests

    from ccxt_htx_tpsl.sandbox import exchange_config

    process = subprocess.Popen([sys.executable, '-m', 'ccxt_htx_tpsl', 'sandbox', '--port', '0'],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[-1]
        assert url.startswith('http://127.0.0.1:')
        signer = ccxt.htx(exchange_config(url.removeprefix('http://')))
        body = {'contract_code': 'BTC-USDT', 'order_id': '1300000000000000001'}
        signed = signer.sign('linear-swap-api/v1/swap_tpsl_cancel', ['contract', 'private'], 'POST', dict(body))
        accepted = requests.post(signed['url'], data=signed['body'], headers=signed['headers'], timeout=5).json()
        assert accepted['status'] == 'ok' and accepted['data']['errors'][0]['err_code'] == 1061
        signature = signed['url'].rsplit('Signature=', 1)[1]
        flipped = ('B' if signature[0] == 'A' else 'A') + signature[1:]
        tampered = signed['url'].replace('Signature=' + signature, 'Signature=' + flipped)
        refused = requests.post(tampered, data=signed['body'], headers=signed['headers'], timeout=5).json()
        assert (refused['status'], refused['err_code']) == ('error', 403)
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_cancel_cross_orders_on_the_successor_route(capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox() as sandbox:
        wanted = sandbox.add_tpsl_orders('BTC-USDT', count=3, margin_mode='cross')
        assert main(['cancel', 'BTC-USDT', *wanted, '--cross', '--route', 'v5', '--url', sandbox.url, '--json']) == 0
        assert {r.endpoint for r in sandbox.requests if r.method == 'POST'} == {'cancel_orders'}
    assert [row['status'] for row in json.loads(capsys.readouterr()[0])] == ['canceled'] * 3


def test_v5_refusals_show_their_code_in_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    with Sandbox() as sandbox:
        placed = sandbox.add_tpsl_orders('BTC-USDT', count=1)
        assert main(['cancel', 'BTC-USDT', *placed, '1300000000000000001', '--route', 'v5', '--url', sandbox.url]) == 1
    rows = [line.split()[:3] for line in capsys.readouterr()[0].splitlines()[1:]]
    assert rows == [[placed[0], 'canceled'], ['1300000000000000001', 'failed', '1061']]


def test_a_progress_bar_follows_long_batches_on_a_terminal(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: True)
    with Sandbox() as sandbox:
        wanted = sandbox.add_tpsl_orders('BTC-USDT', count=25)
        assert main(['cancel', 'BTC-USDT', *wanted, '--url', sandbox.url]) == 0
        assert main(['cancel', 'BTC-USDT', *ids(0, 25), '--url', sandbox.url, '--no-progress']) == 1
    err = capsys.readouterr()[1]
    assert err.count('\r[') == 3 and '25/25 ids' in err  # one redraw per request of 10, only the first time
