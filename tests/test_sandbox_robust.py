"""The sandbox never answers a plain-text 500 or an HTML/404 page on its own: junk bodies, handler
crashes and paths it does not serve get HTX's error JSON in the path's envelope, and no reply or
log line carries an ``AccessKeyId`` or a ``Signature``."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, SANDBOX_HEADER, Sandbox, exchange_config

from .conftest import RawHtx
from .test_sandbox import OTHER_KEY, OTHER_SECRET, RATE_HEADERS, send, signed

MAX_BODY = 4096
BTC = {'contract_code': 'BTC-USDT'}
# one classic and one unified key, so that each family's endpoints answer in their own envelope
CASES = [('swap_tpsl_cancel', OTHER_KEY, OTHER_SECRET), ('v5/algo/cancel_orders', DEMO_API_KEY, DEMO_SECRET),
         ('v5/algo/order', DEMO_API_KEY, DEMO_SECRET), ('swap_tpsl_order', OTHER_KEY, OTHER_SECRET)]


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(credentials={DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET},
                 account_modes={OTHER_KEY: 'classic'}, max_body_bytes=MAX_BODY) as sandbox:
        yield sandbox


def assert_error(response: requests.Response, envelope: str, code: int, http_status: int = 200) -> dict[str, Any]:
    """HTTP ``http_status``, JSON, HTX's error ``code`` in ``envelope`` ('v1' or 'v5')."""
    assert response.status_code == http_status, response.text
    assert response.headers['Content-Type'].startswith('application/json')
    reply: dict[str, Any] = response.json()
    if envelope == 'v5':
        assert list(reply) == ['code', 'message', 'data', 'ts'] and (reply['code'], reply['data']) == (code, None)
    else:
        assert list(reply) == ['status', 'err_code', 'err_msg', 'ts'] and (reply['status'], reply['err_code']) == (
            'error', code)
    assert isinstance(reply['ts'], int)
    return reply


def server_log(caplog: pytest.LogCaptureFixture) -> str:
    """The server side's log lines, formatted with any traceback (the client's urllib3 lines name the key
    on purpose: they are the client's)."""
    mine = [r for r in caplog.records if r.name.split('.')[0] in ('ccxt_htx_tpsl', 'aiohttp', 'asyncio')]
    return '\n'.join(caplog.handler.format(r) for r in mine)


def envelope(path: str) -> str:
    return 'v5' if path.startswith('v5/') else 'v1'


@pytest.mark.parametrize(('path', 'api_key', 'secret'), CASES)
@pytest.mark.parametrize('body', [
    b'[' * 100_000 + b']' * 100_000,  # deep nesting: RecursionError in json
    b'{"contract_code": "BTC-USDT", "order_id": "\xff\xfe"}',  # not UTF-8
    b'{"contract_code": "BTC-USDT", ' + b'"pad": "' + b'x' * (MAX_BODY + 100) + b'"}',  # over the size limit
    b'contract_code=BTC-USDT&order_id=1',  # a form, not JSON
    b'{"contract_code": "BTC-USDT"',  # truncated
], ids=['nested', 'utf8', 'oversize', 'form', 'truncated'])
def test_junk_bodies_answer_1030_in_the_paths_envelope(sb: Sandbox, path: str, api_key: str, secret: str,
                                                       body: bytes) -> None:
    ex = RawHtx(exchange_config(sb.hostname, api_key, secret))
    request = signed(ex, path, {})
    request['body'] = body
    response = send(request)
    assert_error(response, envelope(path), 1030)
    assert all(name in response.headers for name in RATE_HEADERS)
    assert sb.requests[-1].err_code == 1030 and sb.requests[-1].order_ids == []
    # the connection is still usable, and the sandbox still answers
    assert send(signed(ex, 'v5/account/asset_mode', {}, 'GET')).json()['code'] == 200


def test_a_body_over_the_default_limit() -> None:
    with Sandbox() as sandbox:
        ex = RawHtx(sandbox.exchange_config())
        request = signed(ex, 'v5/algo/order', {})
        request['body'] = b'{"pad": "' + b'x' * (2 * 1024 * 1024) + b'"}'
        assert_error(send(request), 'v5', 1030)
    with pytest.raises(ValueError, match='max_body_bytes'):
        Sandbox(max_body_bytes=0)


@pytest.mark.parametrize(('path', 'api_key', 'secret'), CASES[:2])
def test_an_unexpected_failure_answers_1000_in_the_paths_envelope(
        sb: Sandbox, path: str, api_key: str, secret: str, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError('a bug in the sandbox')

    monkeypatch.setattr(sb._ctx.book, 'cancel', broken)
    monkeypatch.setattr(sb._ctx.algo_book, 'cancel', broken)
    ex = RawHtx(exchange_config(sb.hostname, api_key, secret))
    body: Any = {**BTC, 'order_id': '1999999999999999999'} if envelope(path) == 'v1' else [
        {**BTC, 'algo_id': '1999999999999999999'}]
    with caplog.at_level(logging.DEBUG):
        response = send(signed(ex, path, body))
    reply = assert_error(response, envelope(path), 1000)
    assert 'bug' not in str(reply) and all(name in response.headers for name in RATE_HEADERS)
    logged = server_log(caplog)
    assert 'a bug in the sandbox' in logged  # logged for whoever debugs the sandbox ...
    assert api_key not in logged and 'Signature' not in logged  # ... without the credentials


def test_a_failure_outside_the_handlers_answers_1000(sb: Sandbox, monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    def broken(endpoint: str) -> None:
        raise RuntimeError('the fault injector broke')

    monkeypatch.setattr(sb._ctx.faults, 'take', broken)
    with caplog.at_level(logging.ERROR):
        assert_error(requests.get(f'{sb.url}/v5/algo/order/opens', timeout=5), 'v5', 1000)
        assert_error(requests.get(f'{sb.url}/api/v1/timestamp', timeout=5), 'v1', 1000)
    assert 'the fault injector broke' in server_log(caplog)
    assert [r.err_code for r in sb.requests] == [1000, 1000]


@pytest.mark.parametrize(('method', 'path', 'family'), [
    ('GET', '/linear-swap-api/v1/swap_account_info', 'v1'),
    ('POST', '/linear-swap-api/v1/swap_cross_account_info', 'v1'),
    ('GET', '/linear-swap-api/v1/swap_tpsl_cancel', 'v1'),  # a served path, another method
    ('POST', '/linear-swap-api/v3/unified_account_info', 'v1'),
    ('GET', '/v5/account/balance', 'v5'),
    ('POST', '/v5/account/asset_mode', 'v5'),
    ('GET', '/v5/algo/orders', 'v5'),
    ('POST', '/v5/algo/order/history', 'v5'),  # a served path, another method
    ('GET', '/v5/algo/order/nope', 'v5'),
    ('PUT', '/v5/algo/order', 'v5'),
    ('DELETE', '/v5', 'v5'),
    ('GET', '/', 'v1'),
    ('GET', '/favicon.ico', 'v1'),
])
def test_unimplemented_paths_answer_404_with_htx_json(sb: Sandbox, method: str, path: str, family: str) -> None:
    query = f'AccessKeyId={DEMO_API_KEY}&SignatureMethod=HmacSHA256&Signature=c2VjcmV0LXNpZw%3D%3D'
    response = requests.request(method, f'{sb.url}{path}?{query}', data=b'{"x": 1}', timeout=5)
    reply = assert_error(response, family, 1030, http_status=404)
    message = reply['message'] if family == 'v5' else reply['err_msg']
    assert message == f'not implemented by the sandbox: {method} {path}'
    assert DEMO_API_KEY not in response.text and 'c2VjcmV0LXNpZw' not in response.text and '?' not in message
    assert response.headers[SANDBOX_HEADER]


def raw_exchange(sb: Sandbox, request: bytes) -> bytes:
    """Send bytes as they are (no HTTP client would) and read the reply until the server closes."""
    with socket.create_connection(('127.0.0.1', sb.port), timeout=5) as connection:
        connection.sendall(request)
        reply = b''
        while chunk := connection.recv(65536):
            reply += chunk
    return reply


@pytest.mark.parametrize('request_line', [
    b'GET /linear-swap-api/v1/swap_tpsl_cancel?AccessKeyId=KEY-0001&Signature=SIG%2B0002\xff HTTP/1.1',  # bad byte
    b'GET /v5/algo/order/opens?AccessKeyId=KEY-0001&Signature=SIG%2B0002&pad=' + b'x' * 9000 + b' HTTP/1.1',
    b'BREW /v5/algo/order?AccessKeyId=KEY-0001&Signature=SIG%2B0002 HTTP/1.1',
])
def test_requests_aiohttp_cannot_parse_get_json_without_the_request_line(
        sb: Sandbox, request_line: bytes, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        reply = raw_exchange(sb, request_line + b'\r\nHost: x\r\nConnection: close\r\n\r\n')
    head, _, body = reply.partition(b'\r\n\r\n')
    assert head.startswith(b'HTTP/1.0 400') and b'application/json' in head and SANDBOX_HEADER.encode() in head
    assert json.loads(body)['err_code'] == 1030
    assert b'KEY-0001' not in reply and b'SIG' not in reply
    logged = server_log(caplog)
    assert 'KEY-0001' not in logged and 'SIG%2B0002' not in logged
    assert requests.get(f'{sb.url}/api/v1/timestamp', timeout=5).json()['status'] == 'ok'  # still serving


def test_no_reply_or_log_line_carries_a_key_or_a_signature(sb: Sandbox, caplog: pytest.LogCaptureFixture) -> None:
    unified = RawHtx(sb.exchange_config())
    classic = RawHtx(exchange_config(sb.hostname, OTHER_KEY, OTHER_SECRET))
    sb.inject('opens', err_code=1004)
    sb.inject('swap_tpsl_openorders', http_status=502)
    requests_sent = [
        signed(unified, 'v5/algo/order', {'contract_code': 'BTC-USDT', 'type': 'tp'}),
        signed(unified, 'v5/algo/order/opens', {'contract_code': 'BTC-USDT'}, 'GET'),
        signed(unified, 'v5/algo/order/opens', {'limit': 1000}, 'GET'),
        signed(unified, 'swap_tpsl_cancel', {**BTC, 'order_id': '1'}),  # 6023
        signed(classic, 'v5/algo/cancel_orders', []),  # 4007
        signed(classic, 'swap_tpsl_openorders', BTC),
        signed(classic, 'swap_tpsl_cancel', {**BTC, 'order_id': 'x' * 30}),
    ]
    bad_signature = signed(unified, 'v5/account/asset_mode', {}, 'GET')
    bad_signature['url'] = bad_signature['url'].replace('Signature=', 'Signature=AAAA')
    requests_sent.append(bad_signature)
    secrets = {DEMO_API_KEY, OTHER_KEY, DEMO_SECRET, OTHER_SECRET}
    with caplog.at_level(logging.DEBUG):
        for request in requests_sent:
            secrets.update(parse_qs(urlsplit(request['url']).query)['Signature'])
            response = send(request)
            assert not any(secret in response.text or secret in str(response.headers) for secret in secrets)
        replies = [send(r) for r in requests_sent]
    assert all(r.status_code in (200, 502) for r in replies)
    logged = server_log(caplog)
    assert 'Starting new HTTP connection' not in logged and not any(secret in logged for secret in secrets)
    records = repr(sb.requests)
    assert not any(signature in records for signature in secrets - {DEMO_API_KEY, OTHER_KEY, DEMO_SECRET, OTHER_SECRET})
    assert DEMO_SECRET not in records and OTHER_SECRET not in records
    assert all('?' not in r.path for r in sb.requests)
