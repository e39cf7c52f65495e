"""The embedded HTX sandbox: signature v2, the classic TP/SL endpoints (a ``classic`` account),
faults and the lifecycle, over real HTTP on 127.0.0.1 with requests signed by ccxt itself.

The helpers here (``signed``, ``send``, ``post``...) are shared by the other ``test_sandbox_*`` files."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

import aiohttp
import ccxt
import ccxt.async_support
import pytest
import requests

from ccxt_htx_tpsl.sandbox import (
    ACCOUNT_MODES,
    DEMO_API_KEY,
    DEMO_SECRET,
    SANDBOX_HEADER,
    Sandbox,
    auth,
    exchange_config,
    parse_latency,
)
from ccxt_htx_tpsl.sandbox.__main__ import main as sandbox_main
from ccxt_htx_tpsl.sandbox.ratelimit import SlidingWindowLimiter

from .conftest import AsyncRawHtx, RawHtx

CANCEL = 'swap_tpsl_cancel'
RATE_HEADERS = ('ratelimit-limit', 'ratelimit-interval', 'ratelimit-remaining', 'ratelimit-reset')
OTHER_KEY, OTHER_SECRET = 'other000-sandbox0-htxtpsl0-00002', 'other000-secret00-htxtpsl0-00002'


def as_double(exact: str) -> int:
    """An id as a JSON number printed by HTX (shortest double): vector v1-tpsl-order-isolated-doc shows
    795713650661638100 for "795713650661638144"."""
    return int(Decimal(repr(float(exact))))


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with two classic accounts (one key each); ``indirect`` parameters override its settings."""
    settings = {'account_mode': 'classic', **getattr(request, 'param', {})}
    with Sandbox(credentials={DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET}, **settings) as sandbox:
        yield sandbox


roomy = pytest.mark.parametrize('sb', [{'rate_limit': 100}], indirect=True)  # many calls, one endpoint


@pytest.fixture
def ex(sb: Sandbox) -> Any:
    return RawHtx(sb.exchange_config())


def signed(ex: Any, endpoint: str, body: Any, method: str = 'POST') -> dict[str, Any]:
    """ccxt's own signature for a private request: ``endpoint`` is a classic endpoint name or a
    ``v5/...`` path; a GET's parameters go into the signed query."""
    path = endpoint if endpoint.startswith('v5/') else f'linear-swap-api/v1/{endpoint}'
    request: dict[str, Any] = ex.sign(path, ['contract', 'private'], method, body)
    return request


def send(request: dict[str, Any], timeout: float = 5) -> requests.Response:
    return requests.request(request['method'], request['url'], data=request['body'], headers=request['headers'],
                            timeout=timeout)


def post(ex: Any, endpoint: str, body: dict[str, Any]) -> requests.Response:
    return send(signed(ex, endpoint, body))


def cancel(ex: Any, ids: list[str], contract: str = 'BTC-USDT', endpoint: str = CANCEL) -> dict[str, Any]:
    reply: dict[str, Any] = post(ex, endpoint, {'contract_code': contract, 'order_id': ','.join(ids)}).json()
    return reply


def status_of(sb: Sandbox, order_id: str) -> int:
    order = sb.order(order_id)
    assert order is not None
    return int(order['status'])


def outcomes(reply: dict[str, Any]) -> dict[str, int | None]:
    """order id -> per-id err_code (None = cancelled)."""
    assert reply['status'] == 'ok', reply
    found: dict[str, int | None] = {e['order_id']: e['err_code'] for e in reply['data']['errors']}
    found.update({i: None for i in reply['data']['successes'].split(',') if i})
    return found


# -- signature v2 ---------------------------------------------------------------------------------

KA_KEY, KA_SECRET = 'e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx', 'b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx'
KA_PARAMS = [('AccessKeyId', KA_KEY), ('SignatureMethod', 'HmacSHA256'), ('SignatureVersion', '2'),
             ('Timestamp', '2017-05-11T15:20:00')]
KA_PATH = '/linear-swap-api/v1/swap_tpsl_cancel'


@pytest.mark.parametrize(('host', 'expected'), [
    ('api.hbdm.vn', '2v3Sn2/5h5SlkJrok43Q8TaS+sZg7LsccsCiTark5CM='),
    ('api.hbdm.com', 'q+NvEHYmm1B+2yFypuDEYDbTwUbwLFdeXM7hl9AkQ6Y='),
])
def test_verifier_known_answers(host: str, expected: str) -> None:
    assert auth.sign(KA_SECRET, 'POST', host, KA_PATH, reversed(KA_PARAMS)) == expected
    now = auth.parse_timestamp('2017-05-11T15:20:00')
    assert now is not None
    params = [*KA_PARAMS, ('Signature', expected)]
    assert auth.verify('POST', host.upper(), KA_PATH, params, {KA_KEY: KA_SECRET}, now + 299, 300) == KA_KEY
    with pytest.raises(auth.AuthError, match='Verification failure'):
        auth.verify('POST', host, KA_PATH, params, {KA_KEY: KA_SECRET}, now + 301, 300)
    with pytest.raises(auth.AuthError, match='Verification failure'):  # signed for the other host
        auth.verify('POST', 'api.hbdm.net', KA_PATH, params, {KA_KEY: KA_SECRET}, now, 300)


def test_verifier_refuses_malformed_parameters() -> None:
    creds = {KA_KEY: KA_SECRET}
    now = auth.parse_timestamp('2017-05-11T15:20:00') or 0.0

    def check(params: list[tuple[str, str]]) -> str:
        with pytest.raises(auth.AuthError) as refused:
            auth.verify('POST', 'api.hbdm.vn', KA_PATH, params, creds, now, 300)
        assert refused.value.code == 403
        return refused.value.msg

    good = auth.sign(KA_SECRET, 'POST', 'api.hbdm.vn', KA_PATH, KA_PARAMS)
    assert check(KA_PARAMS) == auth.MSG_FAILED  # no Signature
    assert check([*KA_PARAMS, ('Signature', good), ('Signature', good)]) == auth.MSG_FAILED  # duplicate
    unknown = [('AccessKeyId', 'nobody'), *KA_PARAMS[1:], ('Signature', good)]
    assert check(unknown) == auth.MSG_BAD_KEY
    for name, value in [('SignatureMethod', 'HmacSHA1'), ('SignatureVersion', '1'),
                        ('Timestamp', '2017-05-11 15:20:00'), ('Timestamp', '2017-05-11T15:20:00.000')]:
        params = [(k, value if k == name else v) for k, v in KA_PARAMS]
        assert check([*params, ('Signature', auth.sign(KA_SECRET, 'POST', 'api.hbdm.vn', KA_PATH, params))])
    assert auth.canonical_query([('b', 'x y:/+'), ('a', '1'), ('Signature', 's')]) == 'a=1&b=x%20y%3A%2F%2B'


def test_ccxt_signed_request_is_accepted(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    reply = post(ex, CANCEL, {'contract_code': 'BTC-USDT', 'order_id': order_id})
    assert reply.status_code == 200
    assert reply.json()['data'] == {'errors': [], 'successes': order_id}
    assert reply.headers[SANDBOX_HEADER]
    [record] = sb.requests
    assert (record.method, record.path, record.api_key, record.endpoint, record.status, record.err_code,
            record.order_ids) == ('POST', f'/linear-swap-api/v1/{CANCEL}', DEMO_API_KEY, CANCEL, 200, None,
                                  [order_id])
    assert (record.uid, record.account_mode, record.latency_ms) == (sb.uid(DEMO_API_KEY), 'classic', 0.0)


def test_signature_off_by_one_character_is_refused_and_changes_nothing(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    request = signed(ex, CANCEL, {'contract_code': 'BTC-USDT', 'order_id': order_id})
    url, signature = request['url'].split('&Signature=')
    sig = unquote(signature)
    request['url'] = f'{url}&Signature={quote(("B" if sig[0] == "A" else "A") + sig[1:], safe="")}'
    reply = send(request)
    assert reply.status_code == 200
    body = reply.json()
    assert (body['status'], body['err_code'], body['err_msg']) == ('error', 403, auth.MSG_FAILED)
    assert all(name in reply.headers for name in RATE_HEADERS)
    assert status_of(sb, order_id) == 2
    assert (sb.requests[-1].err_code, sb.requests[-1].uid) == (403, None)


def test_unknown_key_is_refused(sb: Sandbox) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    stranger = RawHtx(exchange_config(sb.hostname, 'nobody00-nobody00-nobody00-00000', 'x'))
    body = cancel(stranger, [order_id])
    assert (body['status'], body['err_code'], body['err_msg']) == ('error', 403, auth.MSG_BAD_KEY)
    assert status_of(sb, order_id) == 2


@pytest.mark.parametrize('skew_ms', [-301_000, 301_000])
def test_stale_or_future_timestamp_is_refused(sb: Sandbox, ex: Any, skew_ms: int) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    skewed = ex.milliseconds
    ex.milliseconds = lambda: skewed() + skew_ms  # ccxt before 4.5.89 signs milliseconds(), later nonce()
    ex.nonce = ex.milliseconds
    body = cancel(ex, [order_id])
    assert (body['err_code'], body['err_msg']) == (403, auth.MSG_FAILED)
    assert status_of(sb, order_id) == 2


# -- cancel --------------------------------------------------------------------------------------

def test_per_id_outcomes_in_one_batch(sb: Sandbox, ex: Any) -> None:
    ready, executed, cancelled, cancelling = sb.add_tpsl_orders('BTC-USDT', count=4)
    sb.set_order_status(executed, 4)
    sb.set_order_status(cancelled, 6)
    sb.set_order_status(cancelling, 9)
    [not_active] = sb.add_tpsl_orders('BTC-USDT', status=1)
    [others] = sb.add_tpsl_orders('BTC-USDT', api_key=OTHER_KEY)
    [eth] = sb.add_tpsl_orders('ETH-USDT')
    unknown = '1999999999999999999'
    batch = [ready, executed, cancelled, cancelling, not_active, others, eth, unknown, ready]
    reply = cancel(ex, batch)
    assert reply['data']['successes'] == f'{ready},{not_active}'
    assert [(e['order_id'], e['err_code']) for e in reply['data']['errors']] == [
        (executed, 1063), (cancelled, 1071), (cancelling, 1062), (others, 1061), (eth, 1061),
        (unknown, 1061), (ready, 1071)]
    messages = {e['err_msg'] for e in reply['data']['errors'] if e['err_code'] == 1061}
    assert messages == {'This order doesnt exist.'}
    assert [status_of(sb, i) for i in (ready, executed, others, eth)] == [6, 4, 2, 2]


@roomy
def test_batch_and_parameter_errors(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=11)
    cases = [
        ({'contract_code': 'BTC-USDT', 'order_id': ','.join(ids)}, 1052),
        ({'contract_code': 'BTC-USDT'}, 1066),
        ({'contract_code': 'BTC-USDT', 'order_id': ' , '}, 1066),
        ({'order_id': ids[0]}, 1066),
        ({'contract_code': 'DOGE-USDT', 'order_id': ids[0]}, 1014),
        ({'contract_code': 'XRP-USDT', 'order_id': ids[0]}, 1014),  # cross-only perpetual
        ({'contract_code': 'BTC-USDT-261225', 'order_id': ids[0]}, 1014),  # dated future: cross only
    ]
    for body, code in cases:
        reply = post(ex, CANCEL, body).json()
        assert (reply['status'], reply['err_code']) == ('error', code), body
    request = signed(ex, CANCEL, {})
    request['body'] = '{not json'
    assert send(request).json()['err_code'] == 1030
    assert all(status_of(sb, i) == 2 for i in ids)
    assert sb.requests[0].err_code == 1052 and len(sb.requests[0].order_ids) == 11


def test_cancelall(sb: Sandbox, ex: Any) -> None:
    sells = sb.add_tpsl_orders('BTC-USDT', count=2)
    [buy] = sb.add_tpsl_orders('BTC-USDT', direction='buy', tpsl_order_type='sl')
    [done] = sb.add_tpsl_orders('BTC-USDT', status=4)
    [eth] = sb.add_tpsl_orders('ETH-USDT')
    reply = post(ex, 'swap_tpsl_cancelall', {'contract_code': 'BTC-USDT', 'direction': 'buy'}).json()
    assert reply['data'] == {'errors': [], 'successes': buy}
    reply = post(ex, 'swap_tpsl_cancelall', {'contract_code': 'BTC-USDT'}).json()
    assert reply['data'] == {'errors': [], 'successes': ','.join(sells)}
    reply = post(ex, 'swap_tpsl_cancelall', {'contract_code': 'BTC-USDT'}).json()
    assert (reply['status'], reply['err_code'], reply['err_msg']) == ('error', 1051, 'No orders to cancel.')
    assert (status_of(sb, done), status_of(sb, eth)) == (4, 2)


def test_cross_and_isolated_orders_are_separate(sb: Sandbox, ex: Any) -> None:
    [isolated] = sb.add_tpsl_orders('BTC-USDT')
    [cross] = sb.add_tpsl_orders('BTC-USDT', margin_mode='cross')
    [future] = sb.add_tpsl_orders('BTC-USDT-261225', margin_mode='cross')
    assert outcomes(cancel(ex, [isolated, cross])) == {isolated: None, cross: 1061}
    [isolated] = sb.add_tpsl_orders('BTC-USDT')
    cross_cancel = 'swap_cross_tpsl_cancel'
    assert outcomes(cancel(ex, [isolated, cross], endpoint=cross_cancel)) == {isolated: 1061, cross: None}
    by_pair = {'pair': 'BTC-USDT', 'contract_type': 'quarter', 'order_id': future}
    assert outcomes(post(ex, cross_cancel, by_pair).json()) == {future: None}
    assert cancel(ex, [isolated], 'TRX-USDT', cross_cancel)['err_code'] == 1348  # isolated-only
    with pytest.raises(ValueError, match='no isolated margin'):
        sb.add_tpsl_orders('XRP-USDT')
    assert sb.order(isolated)['margin_mode'] == 'isolated'  # type: ignore[index]


# -- other endpoints --------------------------------------------------------------------------------

@roomy
def test_tpsl_order_creates_linked_orders(sb: Sandbox, ex: Any) -> None:
    body = {'contract_code': 'BTC-USDT', 'direction': 'sell', 'volume': 2, 'tp_trigger_price': 100000,
            'tp_order_price': 100100, 'tp_order_price_type': 'limit', 'sl_trigger_price': '80000'}
    data = post(ex, 'swap_tpsl_order', body).json()['data']  # ccxt adds channel_code: ignored
    tp, sl = data['tp_order'], data['sl_order']
    assert int(tp['order_id_str']) > 2**53  # exact only as a string; order_id went through a double, as at HTX
    assert tp['order_id'] == as_double(tp['order_id_str']) != int(tp['order_id_str'])
    tp_order, sl_order = sb.order(tp['order_id_str']), sb.order(sl['order_id_str'])
    assert tp_order is not None and sl_order is not None
    assert (tp_order['relation_tpsl_order_id'], sl_order['relation_tpsl_order_id']) == (sl['order_id_str'],
                                                                                          tp['order_id_str'])
    assert tp_order['trigger_type'] == 'ge'
    assert (tp_order['order_price'], tp_order['order_price_type']) == (100100, 'limit')
    assert (sl_order['trigger_type'], sl_order['order_price_type'], sl_order['status']) == ('le', 'market', 2)
    only_sl = post(ex, 'swap_tpsl_order', {'contract_code': 'BTC-USDT', 'direction': 'buy', 'volume': 1,
                                           'sl_trigger_price': 95000}).json()['data']
    assert only_sl['tp_order'] is None
    assert sb.order(only_sl['sl_order']['order_id_str'])['relation_tpsl_order_id'] == '-1'  # type: ignore[index]
    bad_bodies: list[tuple[dict[str, Any], int]] = [
        ({'volume': 1.5}, 1030), ({'direction': 'up'}, 1067), ({'tp_trigger_price': None}, 1066),
        ({'tp_order_price_type': 'best'}, 1034)]
    for bad, code in bad_bodies:
        reply = post(ex, 'swap_tpsl_order', {**body, 'sl_trigger_price': None, **bad}).json()
        assert reply['err_code'] == code, bad


@roomy
def test_openorders_paging(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=23)
    sb.set_order_status(ids[0], 6)
    sb.add_tpsl_orders('BTC-USDT', count=2, direction='buy')
    sb.add_tpsl_orders('BTC-USDT', count=3, api_key=OTHER_KEY)

    def page(**extra: Any) -> dict[str, Any]:
        reply = post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT', **extra}).json()
        assert reply['status'] == 'ok', reply
        data: dict[str, Any] = reply['data']
        return data

    first = page()
    assert len(first['orders']) == 20
    assert (first['total_page'], first['current_page'], first['total_size']) == (2, 1, 24)
    pages = [page(page_index=i, page_size=10) for i in (1, 2, 3, 4)]
    assert [len(p['orders']) for p in pages] == [10, 10, 4, 0]
    seen = [o['order_id_str'] for p in pages for o in p['orders']]
    assert len(set(seen)) == 24 and ids[0] not in seen
    item = pages[0]['orders'][0]
    assert item['order_id'] == as_double(item['order_id_str']) and item['margin_mode'] == 'isolated'
    assert {'contract_code', 'direction', 'volume', 'tpsl_order_type', 'trigger_type', 'trigger_price',
            'order_price', 'order_price_type', 'created_at', 'status', 'relation_tpsl_order_id'} <= set(item)
    assert page(trade_type=3)['total_size'] == 2 and page(trade_type=4)['total_size'] == 22
    too_big = post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT', 'page_size': 51}).json()
    assert too_big['err_code'] == 1067


def test_load_markets_through_ccxt_calls_only_contract_info(sb: Sandbox, ex: Any) -> None:
    markets = ex.load_markets()
    assert {'BTC/USDT:USDT', 'ETH/USDT:USDT', 'XRP/USDT:USDT', 'BTC/USDT:USDT-261225'} <= set(markets)
    future = markets['BTC/USDT:USDT-261225']
    assert (future['future'], future['linear'], future['id'], future['info']['support_margin_mode']) == (
        True, True, 'BTC-USDT-261225', 'cross')
    assert markets['BTC/USDT:USDT']['swap'] and markets['BTC/USDT:USDT']['contractSize'] == 0.001
    assert [(r.method, r.endpoint) for r in sb.requests] == [('GET', 'swap_contract_info')]
    info = requests.get(f'{sb.url}/linear-swap-api/v1/swap_contract_info', timeout=5)
    swaps = ['BTC-USDT', 'ETH-USDT', 'XRP-USDT', 'TRX-USDT']  # business_type defaults to swap
    assert [c['contract_code'] for c in info.json()['data']] == swaps
    assert info.headers['ratelimit-limit'] == '240'
    query = {'business_type': 'all', 'support_margin_mode': 'cross'}
    info = requests.get(f'{sb.url}/linear-swap-api/v1/swap_contract_info', params=query, timeout=5).json()
    assert [c['contract_code'] for c in info['data']] == ['XRP-USDT', 'BTC-USDT-261225']
    info = requests.get(f'{sb.url}/linear-swap-api/v1/swap_contract_info?contract_code=NOPE-USDT', timeout=5)
    assert info.json()['err_code'] == 1014


def test_timestamp_and_unknown_paths(sb: Sandbox) -> None:
    before = int(time.time() * 1000)
    reply = requests.get(f'{sb.url}/api/v1/timestamp', timeout=5).json()
    assert reply['status'] == 'ok' and before <= reply['ts'] <= int(time.time() * 1000)
    # paths and methods the sandbox does not serve: HTTP 404, HTX's classic error JSON (see test_sandbox_robust)
    missing = requests.get(f'{sb.url}/linear-swap-api/v1/nope', timeout=5)
    assert missing.status_code == 404 and missing.json()['err_msg'] == (
        'not implemented by the sandbox: GET /linear-swap-api/v1/nope')
    wrong = requests.get(f'{sb.url}/linear-swap-api/v1/{CANCEL}', timeout=5)
    assert (wrong.status_code, wrong.json()['status'], wrong.json()['err_code']) == (404, 'error', 1030)
    assert [(r.status, r.err_code) for r in sb.requests] == [(200, None), (404, 1030), (404, 1030)]


def test_cross_tpsl_order_creates_cross_orders(sb: Sandbox, ex: Any) -> None:
    body = {'pair': 'BTC-USDT', 'contract_type': 'quarter', 'direction': 'buy', 'volume': 1,
            'sl_trigger_price': 95000}
    data = post(ex, 'swap_cross_tpsl_order', body).json()['data']
    order = sb.order(data['sl_order']['order_id_str'])
    assert order is not None and (order['margin_mode'], order['contract_code']) == ('cross', 'BTC-USDT-261225')
    reply = post(ex, 'swap_cross_tpsl_order', {**body, 'pair': None, 'contract_code': 'TRX-USDT'}).json()
    assert reply['err_code'] == 1348


# -- rate limit ----------------------------------------------------------------------------------

def test_sixth_fast_request_gets_1032_with_headers(sb: Sandbox, ex: Any) -> None:
    """HTX's 5 per second per classic TP/SL endpoint and UID; the headers describe that window."""
    ids = sb.add_tpsl_orders('BTC-USDT', count=6)
    replies = [post(ex, CANCEL, {'contract_code': 'BTC-USDT', 'order_id': i}) for i in ids]
    for reply in replies:
        assert all(name in reply.headers for name in RATE_HEADERS)
    assert [r.headers['ratelimit-remaining'] for r in replies] == ['4', '3', '2', '1', '0', '0']
    assert {r.headers['ratelimit-limit'] for r in replies} == {'5'}
    assert {r.headers['ratelimit-interval'] for r in replies} == {'1000'}
    last = replies[-1].json()
    assert (last['status'], last['err_code']) == ('error', 1032)
    assert status_of(sb, ids[5]) == 2 and status_of(sb, ids[4]) == 6
    reset = int(replies[-1].headers['ratelimit-reset'])  # epoch ms at which a slot frees
    assert 0 <= reset - time.time() * 1000 <= 1000
    other = post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'}).json()  # per endpoint
    assert other['status'] == 'ok'
    other_key = RawHtx(sb.exchange_config(OTHER_KEY, OTHER_SECRET))  # per UID (each key its own here)
    assert cancel(other_key, [ids[5]])['data']['errors'][0]['err_code'] == 1061


def test_sliding_window_counts_arrivals_and_refusals_are_free() -> None:
    limiter = SlidingWindowLimiter(2, 1000)
    assert [limiter.acquire('k', t).allowed for t in (0.0, 0.5, 0.9, 0.99)] == [True, True, False, False]
    assert limiter.acquire('k', 1.0).allowed  # the arrival at 0.0 left the window
    refused = limiter.acquire('k', 1.2)
    assert (refused.allowed, refused.remaining, refused.reset_in_ms) == (False, 0, 300)
    assert limiter.acquire('k', 1.5).allowed and limiter.acquire('other', 1.5).remaining == 1
    assert limiter.peek('k', 10.0).remaining == 2


def test_rate_reset_as_duration() -> None:
    with Sandbox(rate_limit=1, rate_interval_ms=400, rate_reset='duration', account_mode='classic') as sandbox:
        ex = RawHtx(sandbox.exchange_config())
        first = post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})
        second = post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})
        assert second.json()['err_code'] == 1032
        assert 0 < int(second.headers['ratelimit-reset']) <= 400
        time.sleep(int(second.headers['ratelimit-reset']) / 1000 + 0.02)
        assert post(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'}).json()['status'] == 'ok'
        assert first.json()['status'] == 'ok'


# -- faults --------------------------------------------------------------------------------------

def test_fault_err_code_changes_nothing_and_counts_calls(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=4)
    sb.inject(CANCEL, after=1, times=2, err_code=1004)
    replies = [cancel(ex, [i]) for i in ids]
    assert [r['status'] for r in replies] == ['ok', 'error', 'error', 'ok']
    assert (replies[1]['err_code'], replies[1]['err_msg']) == (1004, 'System busy. Please try again later.')
    assert [status_of(sb, i) for i in ids] == [6, 2, 2, 6]
    assert [r.err_code for r in sb.requests] == [None, 1004, 1004, None]
    sb.inject(None, err_code=1001, err_msg='maintenance')
    reply = requests.get(f'{sb.url}/api/v1/timestamp', timeout=5).json()
    assert (reply['err_code'], reply['err_msg']) == (1001, 'maintenance')
    sb.inject(CANCEL, err_code=1000)
    sb.clear_faults()
    assert cancel(ex, [ids[1]])['status'] == 'ok'


def test_fault_http_status_is_a_gateway_html_page(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    sb.inject(CANCEL, http_status=502)
    reply = post(ex, CANCEL, {'contract_code': 'BTC-USDT', 'order_id': order_id})
    assert reply.status_code == 502
    assert reply.headers['Content-Type'].startswith('text/html')
    assert '502 Bad Gateway' in reply.text and 'cloudflare' in reply.text
    assert status_of(sb, order_id) == 2
    assert (sb.requests[-1].status, sb.requests[-1].err_code) == (502, None)
    sb.inject('swap_contract_info', http_status=502)
    with pytest.raises(ccxt.ExchangeNotAvailable):  # what ccxt makes of it
        ex.load_markets()


def test_fault_delay_holds_the_reply_but_the_request_takes_effect(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    sb.inject(CANCEL, delay=2.0)
    request = signed(ex, CANCEL, {'contract_code': 'BTC-USDT', 'order_id': order_id})
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        send(request, timeout=0.3)
    assert time.monotonic() - started < 1.5
    assert status_of(sb, order_id) == 6  # cancelled although the client never heard back
    assert sb.requests[-1].status == 200
    sb.inject(CANCEL, delay=0.2)
    started = time.monotonic()
    assert outcomes(cancel(ex, [order_id])) == {order_id: 1071}
    assert time.monotonic() - started >= 0.2
    sb.inject(CANCEL, delay=5.0)  # stop() cuts a pending delay short
    answers: list[object] = []

    def slow() -> None:
        try:
            answers.append(cancel(ex, [order_id]))
        except requests.RequestException as exc:
            answers.append(exc)

    pending = threading.Thread(target=slow)
    pending.start()
    deadline = time.monotonic() + 5
    while len(sb.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    sb.stop()
    assert time.monotonic() - started < 1.5
    pending.join(5)
    assert answers


def test_fault_arguments_are_checked(sb: Sandbox) -> None:
    bad_faults: list[dict[str, Any]] = [
        {}, {'err_code': 1004, 'http_status': 502}, {'http_status': 200}, {'delay': 1, 'times': 0}]
    for bad in bad_faults:
        with pytest.raises(ValueError):
            sb.inject(CANCEL, **bad)


# -- lifecycle -----------------------------------------------------------------------------------

def test_start_stop_leaves_no_threads_and_frees_the_port() -> None:
    before = threading.active_count()
    sandbox = Sandbox().start()
    port = sandbox.port
    assert threading.active_count() == before + 1
    assert requests.get(f'{sandbox.url}/api/v1/timestamp', timeout=5).ok
    with pytest.raises(RuntimeError):
        sandbox.start()
    sandbox.stop()
    sandbox.stop()  # idempotent
    assert threading.active_count() == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(('127.0.0.1', port))
    sandbox.start()  # restartable; orders survive
    assert sandbox.requests and threading.active_count() == before + 1
    sandbox.stop()
    assert threading.active_count() == before


def test_start_fails_cleanly_when_the_port_is_taken() -> None:
    before = threading.active_count()
    with Sandbox() as first, pytest.raises(OSError):
        Sandbox(port=first.port).start()
    assert threading.active_count() == before
    for port in (-1, 65536, 8080.0, True):
        with pytest.raises(ValueError, match='port must be 1-65535'):
            Sandbox(port=port)  # type: ignore[arg-type]


def test_start_async_and_stop_async_inside_a_loop() -> None:
    async def main() -> None:
        before = threading.active_count()
        sandbox = await Sandbox(account_mode='classic').start_async()
        assert threading.active_count() == before  # no thread of its own
        order_ids = sandbox.add_tpsl_orders('ETH-USDT', count=2)
        exchange = AsyncRawHtx(sandbox.exchange_config())
        try:
            await exchange.load_markets()
            body = {'contract_code': 'ETH-USDT', 'order_id': ','.join(order_ids)}
            path = f'linear-swap-api/v1/{CANCEL}'
            reply = await exchange.request(path, ['contract', 'private'], 'POST', body)
        finally:
            await exchange.close()
        assert reply['data']['successes'] == ','.join(order_ids)
        async with aiohttp.ClientSession() as session:
            response = await session.get(f'{sandbox.url}/api/v1/timestamp')
            assert (await response.json())['status'] == 'ok'
        await sandbox.stop_async()
        await sandbox.stop_async()
        with pytest.raises(aiohttp.ClientConnectionError):
            async with aiohttp.ClientSession() as session:
                await session.get(f'{sandbox.url}/api/v1/timestamp')
        async with Sandbox() as again:
            assert again.port

    asyncio.run(main())


def test_serve_forever_stops_on_sigterm() -> None:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, 'PYTHONPATH': os.pathsep.join(filter(None, [root, os.environ.get('PYTHONPATH')]))}
    command = [sys.executable, '-m', 'ccxt_htx_tpsl.sandbox', '--port', '0', '--seed', 'BTC-USDT:2',
               '--account-mode', 'classic', '--latency', '1-5']  # the same command as htx-tpsl sandbox
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            banner = process.stdout.readline()
            assert banner.startswith('HTX sandbox on http://127.0.0.1:'), banner
            url = banner.split()[3]
            lines = [process.stdout.readline() for _ in range(6)]  # the banner up to the seeded ids
            assert 'seeded 2 open TP/SL orders on BTC-USDT: 1200000000000000001 1200000000000000002\n' in lines, lines
            assert requests.get(f'{url}/api/v1/timestamp', timeout=5).ok
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()


@pytest.mark.parametrize(('argv', 'complaint'), [
    (['--port', '70000'], 'must be a port number, 0-65535 (0: any free port)'),
    (['--port', 'http'], 'must be a port number, 0-65535'),
    (['--port', '-1'], 'must be a port number, 0-65535'),
    (['--latency', 'fast'], 'must be LO-HI or MS in milliseconds'),
    (['--latency', '120-20'], 'must be LO-HI or MS in milliseconds'),
    (['--account-mode', 'multi'], 'invalid choice'),
    (['--seed', 'DOGE-USDT:2'], "unknown contract 'DOGE-USDT'"),
    (['--seed', 'BTC-USDT:many'], 'COUNT must be 1-10000'),
])
def test_command_line_refuses_bad_arguments(argv: list[str], complaint: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert sandbox_main(argv) == 2  # htx-tpsl's usage error, as for htx-tpsl sandbox
    err = capsys.readouterr().err
    assert complaint in err and 'Traceback' not in err


def test_command_line_port_in_use_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert sandbox_main(['--port', str(port)]) == 2
    err = capsys.readouterr().err
    assert f'cannot listen on 127.0.0.1:{port}' in err and 'Traceback' not in err
    assert [line for line in err.splitlines() if 'cannot listen' in line] == [err.splitlines()[-1]]


def test_command_line_helpers_for_the_cli() -> None:
    assert ACCOUNT_MODES == ('classic', 'unified', 'unified-single')
    assert parse_latency('20-120') == (20.0, 120.0)
    assert parse_latency(' 50 ') == (50.0, 50.0) and parse_latency('0.5-1.5') == (0.5, 1.5)
    for junk in ('', '-', '20-', '-20', 'a-b', '20-120-300', 'nan', 'inf', '1e3', '120-20'):
        with pytest.raises(ValueError, match='latency'):
            parse_latency(junk)
