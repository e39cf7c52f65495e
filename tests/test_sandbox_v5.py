"""The sandbox's successor route ``POST /v5/algo/cancel_orders`` and migrated accounts, over real
HTTP on 127.0.0.1, with requests signed by ccxt itself (the array body goes through ``sign()``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, unquote

import ccxt
import ccxt.async_support
import pytest
import requests

from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, SANDBOX_HEADER, Sandbox, auth, exchange_config
from ccxt_htx_tpsl.sandbox.endpoints import MAX_ALGO_CANCEL
from ccxt_htx_tpsl.sandbox.errors import MIGRATED_ACCOUNT, message_for
from ccxt_htx_tpsl.sandbox.server import V5_RATE_LIMIT

V5_PATH = 'v5/algo/cancel_orders'
V5_ENDPOINT = 'cancel_orders'  # the fault and record key: the last path segment
RATE_HEADERS = ('ratelimit-limit', 'ratelimit-interval', 'ratelimit-remaining', 'ratelimit-reset')
OTHER_KEY, OTHER_SECRET = 'other000-sandbox0-htxtpsl0-00002', 'other000-secret00-htxtpsl0-00002'
UNKNOWN_ID = '1999999999999999999'
CLASSIC = ['swap_tpsl_order', 'swap_tpsl_openorders', 'swap_tpsl_cancel', 'swap_tpsl_cancelall',
           'swap_cross_tpsl_openorders', 'swap_cross_tpsl_cancel', 'swap_cross_tpsl_cancelall']


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A sandbox with two keys; ``indirect`` parameters override its settings."""
    settings = getattr(request, 'param', {})
    with Sandbox(credentials={DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET}, **settings) as sandbox:
        yield sandbox


@pytest.fixture
def ex(sb: Sandbox) -> Any:
    return ccxt.htx(exchange_config(sb.hostname))


def signed_v5(ex: Any, body: Any) -> dict[str, Any]:
    """ccxt's own signature for the v5 cancel (its body is a JSON array)."""
    request: dict[str, Any] = ex.sign(V5_PATH, ['contract', 'private'], 'POST', body)
    return request


def send(request: dict[str, Any], timeout: float = 5) -> requests.Response:
    return requests.post(request['url'], data=request['body'], headers=request['headers'], timeout=timeout)


def v5(ex: Any, body: Any) -> dict[str, Any]:
    reply: dict[str, Any] = send(signed_v5(ex, body)).json()
    return reply


def items(ids: list[str], contract: str = 'BTC-USDT') -> list[dict[str, str]]:
    return [{'contract_code': contract, 'algo_id': i} for i in ids]


def classic(ex: Any, endpoint: str, body: dict[str, Any]) -> dict[str, Any]:
    request = ex.sign(f'linear-swap-api/v1/{endpoint}', ['contract', 'private'], 'POST', body)
    reply: dict[str, Any] = send(request).json()
    return reply


def status_of(sb: Sandbox, order_id: str) -> int:
    order = sb.order(order_id)
    assert order is not None
    return int(order['status'])


def codes(reply: dict[str, Any]) -> list[tuple[str | None, int]]:
    """(algo_id, per-item code) in reply order, after checking the success envelope."""
    assert (reply['code'], reply['message']) == (200, 'Success'), reply
    assert 'status' not in reply and isinstance(reply['ts'], int)
    return [(item['algo_id'], item['code']) for item in reply['data']]


def assert_v5_error(reply: dict[str, Any], code: int) -> None:
    assert set(reply) == {'code', 'message', 'data', 'ts'}, reply
    assert (reply['code'], reply['data']) == (code, None), reply
    assert reply['message']


# -- the route -------------------------------------------------------------------------------------

def test_seeded_isolated_order_is_cancelled_by_its_id_as_algo_id(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    request = signed_v5(ex, items([order_id]))
    assert request['url'].split('?')[0].endswith('/v5/algo/cancel_orders')
    assert request['body'] == f'[{{"contract_code":"BTC-USDT","algo_id":"{order_id}"}}]'  # array, unsigned
    response = send(request)
    assert response.status_code == 200 and response.headers[SANDBOX_HEADER]
    assert all(name in response.headers for name in RATE_HEADERS)
    reply = response.json()
    assert reply['data'] == [{'algo_id': order_id, 'algo_client_order_id': order_id, 'code': 200,
                              'message': 'Success'}]
    assert codes(reply) == [(order_id, 200)]
    assert status_of(sb, order_id) == 6
    [record] = sb.requests
    assert (record.method, record.path, record.api_key, record.endpoint, record.status, record.err_code,
            record.order_ids) == ('POST', '/v5/algo/cancel_orders', DEMO_API_KEY, V5_ENDPOINT, 200, None, [order_id])


def test_per_item_outcomes_in_one_batch(sb: Sandbox, ex: Any) -> None:
    ready, executed, cancelled, cancelling, expired = sb.add_tpsl_orders('BTC-USDT', count=5)
    for order_id, status in ((executed, 4), (cancelled, 6), (cancelling, 9), (expired, 11)):
        sb.set_order_status(order_id, status)
    [not_active] = sb.add_tpsl_orders('BTC-USDT', status=1)
    [cross] = sb.add_tpsl_orders('BTC-USDT', margin_mode='cross', direction='buy', tpsl_order_type='sl')
    [others] = sb.add_tpsl_orders('BTC-USDT', api_key=OTHER_KEY)
    [eth] = sb.add_tpsl_orders('ETH-USDT')
    batch = items([ready, executed, cancelled, cancelling, expired, not_active, cross, others, eth, ready])
    reply = v5(ex, batch)
    assert codes(reply) == [(ready, 200), (executed, 1063), (cancelled, 1071), (cancelling, 1062), (expired, 1063),
                            (not_active, 200), (cross, 200), (others, 1061), (eth, 1061), (ready, 1071)]
    messages = {item['code']: item['message'] for item in reply['data']}
    assert messages[1061] == message_for(1061) and messages[1071] == message_for(1071)
    assert [status_of(sb, i) for i in (ready, executed, cross, others, eth)] == [6, 4, 6, 2, 2]
    # an unknown contract or id fails its own item only
    [fresh] = sb.add_tpsl_orders('ETH-USDT')
    mixed = [{'contract_code': 'DOGE-USDT', 'algo_id': fresh}, *items([UNKNOWN_ID, 'not-a-number']),
             *items([fresh], 'ETH-USDT')]
    assert codes(v5(ex, mixed)) == [(fresh, 1014), (UNKNOWN_ID, 1061), ('not-a-number', 1061), (fresh, 200)]


def test_client_order_ids(sb: Sandbox, ex: Any) -> None:
    first, second = sb.add_tpsl_orders('BTC-USDT', count=2, client_order_ids=['c-1', 'c-2'])
    reply = v5(ex, [{'contract_code': 'BTC-USDT', 'algo_client_order_id': 'c-1'},
                    {'contract_code': 'BTC-USDT', 'algo_client_order_id': 'nobody'},
                    {'contract_code': 'BTC-USDT', 'algo_id': UNKNOWN_ID, 'algo_client_order_id': 'c-2'}])
    assert [(i['algo_id'], i['algo_client_order_id'], i['code']) for i in reply['data']] == [
        (first, 'c-1', 200), (None, 'nobody', 1061), (UNKNOWN_ID, 'c-2', 1061)]  # algo_id wins
    assert (status_of(sb, first), status_of(sb, second)) == (6, 2)
    assert sb.requests[-1].order_ids == ['c-1', 'nobody', UNKNOWN_ID]
    with pytest.raises(ValueError, match='one non-empty client order id per order'):
        sb.add_tpsl_orders('BTC-USDT', count=2, client_order_ids=['only-one'])


def test_batch_limit_and_malformed_requests_are_refused_whole(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=MAX_ALGO_CANCEL + 1)
    assert_v5_error(v5(ex, items(ids)), 1052)
    assert sb.requests[-1].err_code == 1052 and len(sb.requests[-1].order_ids) == MAX_ALGO_CANCEL + 1
    bad_bodies: list[tuple[Any, int]] = [
        ({'contract_code': 'BTC-USDT', 'algo_id': ids[0]}, 1030),  # an object, not an array
        ([], 1066),
        ([{'contract_code': 'BTC-USDT'}], 1066),
        ([{'algo_id': ids[0]}], 1066),
        ([*items(ids[:1]), 'x'], 1030),
        ([{'contract_code': 'BTC-USDT', 'algo_id': True}], 1067),
        ([{'contract_code': ['BTC-USDT'], 'algo_id': ids[0]}], 1067),
    ]
    for body, code in bad_bodies:
        assert_v5_error(v5(ex, body), code)
    for text in ('[{not json', '', 'null'):
        request = signed_v5(ex, [])
        request['body'] = text
        assert_v5_error(send(request).json(), 1030)
    assert all(status_of(sb, i) == 2 for i in ids)  # nothing was cancelled
    assert codes(v5(ex, items(ids[:MAX_ALGO_CANCEL]))) == [(i, 200) for i in ids[:MAX_ALGO_CANCEL]]


# -- signature and rate limit --------------------------------------------------------------------

def test_signature_checked_like_the_classic_endpoints(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    request = signed_v5(ex, items([order_id]))
    url, signature = request['url'].split('&Signature=')
    sig = unquote(signature)
    request['url'] = f'{url}&Signature={quote(("B" if sig[0] == "A" else "A") + sig[1:], safe="")}'
    reply = send(request).json()
    assert (reply['status'], reply['err_code'], reply['err_msg']) == ('error', 403, auth.MSG_FAILED)
    stranger = ccxt.htx(exchange_config(sb.hostname, 'nobody00-nobody00-nobody00-00000', 'x'))
    assert v5(stranger, items([order_id]))['err_msg'] == auth.MSG_BAD_KEY
    ex.nonce = lambda: ex.milliseconds() - 301_000
    assert v5(ex, items([order_id]))['err_code'] == 403
    assert status_of(sb, order_id) == 2
    assert [r.err_code for r in sb.requests] == [403, 403, 403]


def test_default_rate_limit_headers(sb: Sandbox, ex: Any) -> None:
    response = send(signed_v5(ex, items([UNKNOWN_ID])))
    limit, interval = V5_RATE_LIMIT
    assert (response.headers['ratelimit-limit'], response.headers['ratelimit-interval']) == (str(limit), str(interval))
    assert response.headers['ratelimit-remaining'] == str(limit - 1)


@pytest.mark.parametrize('sb', [{'v5_rate_limit': 3, 'v5_rate_interval_ms': 1000}], indirect=True)
def test_rate_limit_is_per_key_and_apart_from_the_classic_window(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=4)
    responses = [send(signed_v5(ex, items([i]))) for i in ids]
    assert [r.headers['ratelimit-remaining'] for r in responses] == ['2', '1', '0', '0']
    assert {r.headers['ratelimit-limit'] for r in responses} == {'3'}
    assert_v5_error(responses[-1].json(), 1032)
    assert status_of(sb, ids[3]) == 2
    assert sb.requests[-1].err_code == 1032
    assert classic(ex, 'swap_tpsl_cancel', {'contract_code': 'BTC-USDT', 'order_id': ids[3]})['status'] == 'ok'
    other = ccxt.htx(exchange_config(sb.hostname, OTHER_KEY, OTHER_SECRET))
    assert codes(v5(other, items([ids[2]]))) == [(ids[2], 1061)]
    time.sleep(max(0.0, int(responses[-1].headers['ratelimit-reset']) / 1000 - time.time()) + 0.05)
    assert codes(v5(ex, items([ids[0]]))) == [(ids[0], 1071)]


# -- migrated accounts ---------------------------------------------------------------------------

def test_migrated_key_is_refused_by_every_classic_endpoint_but_v5_works(sb: Sandbox, ex: Any) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT')
    [cross] = sb.add_tpsl_orders('BTC-USDT', margin_mode='cross')
    sb.migrate(DEMO_API_KEY)
    assert sb.migrated_keys == {DEMO_API_KEY}
    place = {'contract_code': 'BTC-USDT', 'direction': 'sell', 'volume': 1, 'tp_trigger_price': 100000}
    bodies: dict[str, dict[str, Any]] = {
        'swap_tpsl_order': place,
        'swap_tpsl_cancel': {'contract_code': 'BTC-USDT', 'order_id': order_id},
        'swap_cross_tpsl_cancel': {'contract_code': 'BTC-USDT', 'order_id': cross},
    }
    for endpoint in CLASSIC:
        reply = classic(ex, endpoint, bodies.get(endpoint, {'contract_code': 'BTC-USDT'}))
        assert (reply['status'], reply['err_code'], reply['err_msg']) == (
            'error', MIGRATED_ACCOUNT, message_for(MIGRATED_ACCOUNT)), endpoint
    assert (status_of(sb, order_id), status_of(sb, cross)) == (2, 2)
    assert [r.err_code for r in sb.requests] == [MIGRATED_ACCOUNT] * len(CLASSIC)
    other = ccxt.htx(exchange_config(sb.hostname, OTHER_KEY, OTHER_SECRET))  # not migrated
    assert classic(other, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})['status'] == 'ok'
    assert codes(v5(ex, items([order_id, cross]))) == [(order_id, 200), (cross, 200)]
    with pytest.raises(ccxt.ExchangeError, match=str(MIGRATED_ACCOUNT)):  # what plain ccxt makes of it
        ex.request('linear-swap-api/v1/swap_tpsl_cancel', ['contract', 'private'], 'POST',
                   {'contract_code': 'BTC-USDT', 'order_id': order_id})
    sb.unmigrate(DEMO_API_KEY)
    assert classic(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})['status'] == 'ok'


def test_migrated_keys_at_construction_and_a_custom_error() -> None:
    with Sandbox(migrated_keys=[DEMO_API_KEY], migrated_error=(4007, 'please use the new API')) as sandbox:
        exchange = ccxt.htx(sandbox.exchange_config())
        reply = classic(exchange, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})
        assert (reply['err_code'], reply['err_msg']) == (4007, 'please use the new API')
        assert codes(v5(exchange, items([UNKNOWN_ID]))) == [(UNKNOWN_ID, 1061)]


# -- faults --------------------------------------------------------------------------------------

def test_faults_on_the_v5_route(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=3)
    sb.inject(V5_ENDPOINT, after=1, err_code=1004)
    sb.inject('swap_tpsl_cancel', err_code=1000)  # another endpoint's fault does not act here
    replies = [v5(ex, items([i])) for i in ids[:2]]
    assert codes(replies[0]) == [(ids[0], 200)]
    assert_v5_error(replies[1], 1004)
    assert replies[1]['message'] == message_for(1004)
    assert status_of(sb, ids[1]) == 2
    assert [r.err_code for r in sb.requests] == [None, 1004]
    sb.clear_faults()
    sb.inject(V5_ENDPOINT, http_status=502)
    response = send(signed_v5(ex, items([ids[1]])))
    assert response.status_code == 502 and 'cloudflare' in response.text
    assert status_of(sb, ids[1]) == 2
    sb.inject(V5_ENDPOINT, delay=2.0)  # the cancel takes effect, the answer comes late
    with pytest.raises(requests.ReadTimeout):
        send(signed_v5(ex, items([ids[2]])), timeout=0.3)
    assert status_of(sb, ids[2]) == 6


# -- through ccxt's own methods ------------------------------------------------------------------

def test_ccxt_cancel_order_uses_the_v5_route(sb: Sandbox, ex: Any) -> None:
    """ccxt 4.5.x sends a linear TP/SL cancel here; it does not look at the per-item ``code``,
    nor raise on a top-level code it does not know, which the sandbox lets tests show."""
    ready, done = sb.add_tpsl_orders('BTC-USDT', count=2)
    sb.set_order_status(done, 6)
    ex.load_markets()
    order = ex.cancel_order(ready, 'BTC/USDT:USDT', {'stopLossTakeProfit': True})
    assert (order['id'], order['status'], order['info']['code']) == (ready, 'canceled', 200)
    assert status_of(sb, ready) == 6
    refused = ex.cancel_order(done, 'BTC/USDT:USDT', {'stopLossTakeProfit': True})
    assert (refused['status'], refused['info']['code']) == ('canceled', 1071)  # ccxt's reading, not HTX's
    sb.inject(V5_ENDPOINT, err_code=1032)
    limited = ex.cancel_order(ready, 'BTC/USDT:USDT', {'stopLossTakeProfit': True})
    assert (limited['status'], limited['info']) == ('canceled', {})  # a rate-limit refusal, unseen by ccxt
    assert [r.endpoint for r in sb.requests] == ['swap_contract_info'] + [V5_ENDPOINT] * 3


def test_async_ccxt_request_to_the_v5_route() -> None:
    async def main() -> None:
        async with Sandbox() as sandbox:
            ids = sandbox.add_tpsl_orders('ETH-USDT', count=2)
            exchange = ccxt.async_support.htx(sandbox.exchange_config())
            try:
                reply = await exchange.request(V5_PATH, ['contract', 'private'], 'POST', items(ids, 'ETH-USDT'))
            finally:
                await exchange.close()
            assert codes(reply) == [(i, 200) for i in ids]

    asyncio.run(main())
