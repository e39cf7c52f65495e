"""The sandbox's v5 family (``/v5/account/asset_mode``, ``/v5/algo/order``, ``/v5/algo/order/opens``,
``/v5/algo/cancel_orders``), account modes, UIDs and the two separate books, over real HTTP on
127.0.0.1 with requests signed by ccxt itself (its implicit endpoints, or ``sign()`` + requests)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import ccxt
import ccxt.async_support
import pytest
import requests

from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import ASSET_MODES, DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config
from ccxt_htx_tpsl.sandbox.errors import message_for
from ccxt_htx_tpsl.sandbox.v5 import MAX_CLIENT_ID_LENGTH, V5_DEFAULT_PAGE_LIMIT

from .conftest import AsyncRawHtx, RawHtx
from .test_sandbox import OTHER_KEY, OTHER_SECRET, RATE_HEADERS, send, signed

THIRD_KEY, THIRD_SECRET = 'third000-sandbox0-htxtpsl0-00003', 'third000-secret00-htxtpsl0-00003'
UNKNOWN_ID = '1999999999999999999'
CLASSIC = ['swap_tpsl_order', 'swap_cross_tpsl_order', 'swap_tpsl_openorders', 'swap_tpsl_cancel',
           'swap_tpsl_cancelall', 'swap_cross_tpsl_openorders', 'swap_cross_tpsl_cancel', 'swap_cross_tpsl_cancelall']
# the observed opens item (htx-real-replies.json, v5-algo-opens-tp), key for key
OPENS_TP_KEYS = ['id', 'volume', 'type', 'state', 'side', 'algo_id', 'contract_code', 'position_side', 'margin_mode',
                 'created_time', 'updated_time', 'order_source', 'tp_trigger_price', 'tp_order_price', 'tp_type',
                 'tp_trigger_price_type']
TP = {'contract_code': 'BTC-USDT', 'type': 'tp', 'side': 'sell', 'position_side': 'long', 'margin_mode': 'isolated',
      'volume': 1, 'tp_trigger_price': 101000}


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """Three keys, all unified (the default): the demo key and OTHER_KEY share one UID, THIRD_KEY has its own."""
    settings = getattr(request, 'param', {})
    credentials = {DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET, THIRD_KEY: THIRD_SECRET}
    with Sandbox(credentials=credentials, uids={DEMO_API_KEY: 7001, OTHER_KEY: 7001}, **settings) as sandbox:
        yield sandbox


@pytest.fixture
def ex(sb: Sandbox) -> Any:
    return RawHtx(sb.exchange_config())


def key(sb: Sandbox, api_key: str, secret: str) -> Any:
    return RawHtx(exchange_config(sb.hostname, api_key, secret))


def call(ex: Any, path: str, payload: Any, method: str = 'POST') -> dict[str, Any]:
    """A raw signed v5 request (no ccxt error handling): the reply JSON. A POST's body is written
    here (it is not signed), so that every ccxt release sends the same bytes."""
    if method == 'GET':
        request = signed(ex, path, payload, method)
    else:
        request = signed(ex, path, {}, method)
        request['body'] = json.dumps(payload)
    reply: dict[str, Any] = send(request).json()
    return reply


def create(ex: Any, **fields: Any) -> dict[str, Any]:
    return call(ex, 'v5/algo/order', {**TP, **fields})


def opens(ex: Any, **query: Any) -> dict[str, Any]:
    return call(ex, 'v5/algo/order/opens', query, 'GET')


def cancel(ex: Any, ids: list[str], contract: str = 'BTC-USDT') -> dict[str, Any]:
    return call(ex, 'v5/algo/cancel_orders', [{'contract_code': contract, 'algo_id': i} for i in ids])


def ok_data(reply: dict[str, Any]) -> Any:
    """``data`` after checking the v5 success envelope."""
    assert list(reply) == ['code', 'message', 'data', 'ts'], reply
    assert (reply['code'], reply['message']) == (200, 'Success'), reply
    assert isinstance(reply['ts'], int)
    return reply['data']


def codes(reply: dict[str, Any]) -> list[tuple[str | None, int]]:
    """(algo_id, per-item code) in reply order."""
    return [(item['algo_id'], item['code']) for item in ok_data(reply)]


def assert_v5_error(reply: dict[str, Any], code: int, message_key: str = 'message') -> None:
    assert list(reply) == ['code', message_key, 'data', 'ts'], reply
    assert (reply['code'], reply['data']) == (code, None), reply
    assert reply[message_key] and isinstance(reply['ts'], int)


def state_of(sb: Sandbox, algo_id: str) -> str:
    order = sb.algo_order(algo_id)
    assert order is not None
    return str(order['state'])


# -- asset mode ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('mode', ['classic', 'unified', 'unified-single'])
@pytest.mark.parametrize('asset_mode_key', ['assets_mode', 'asset_mode'])
def test_asset_mode_answers_every_mode_like_the_doc_example(mode: str, asset_mode_key: str) -> None:
    with Sandbox(account_mode=mode, asset_mode_key=asset_mode_key) as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        response = send(signed(exchange, 'v5/account/asset_mode', {}, 'GET'))
        assert all(name in response.headers for name in RATE_HEADERS)
        reply = response.json()
        assert list(reply) == ['code', 'msg', 'data', 'ts']
        assert (reply['code'], reply['msg'], reply['data']) == (200, 'Success', {asset_mode_key: ASSET_MODES[mode]})
        assert protocol.ASSET_MODE_FAMILY[str(ASSET_MODES[mode])] == ('v1' if mode == 'classic' else 'v5')
        # through ccxt's implicit endpoint, too
        assert exchange.contract_private_get_v5_account_asset_mode()['data'][asset_mode_key] == ASSET_MODES[mode]


def test_account_modes_and_their_aliases(sb: Sandbox) -> None:
    assert [sb.account_mode(k) for k in (DEMO_API_KEY, OTHER_KEY, THIRD_KEY)] == ['unified'] * 3
    assert sb.migrated_keys == {DEMO_API_KEY, OTHER_KEY, THIRD_KEY}
    sb.unmigrate(DEMO_API_KEY)
    assert sb.account_mode(DEMO_API_KEY) == 'classic' and DEMO_API_KEY not in sb.migrated_keys
    sb.set_account_mode(OTHER_KEY, 'unified-single')
    assert OTHER_KEY in sb.migrated_keys
    sb.migrate(DEMO_API_KEY)
    assert sb.account_mode(DEMO_API_KEY) == 'unified'
    with pytest.raises(ValueError, match=r"one of \['classic', 'unified', 'unified-single'\], got 'multi'"):
        sb.set_account_mode(DEMO_API_KEY, 'multi')
    with pytest.raises(ValueError, match='unified-single'):
        Sandbox(account_mode='v5')
    with pytest.raises(ValueError, match='unified-single'):
        Sandbox(account_modes={DEMO_API_KEY: 'single'})
    with pytest.raises(ValueError, match='asset_mode_key'):
        Sandbox(asset_mode_key='mode')
    overridden = Sandbox(account_mode='classic', account_modes={OTHER_KEY: 'unified-single'},
                         migrated_keys=[THIRD_KEY])
    assert [overridden.account_mode(k) for k in (DEMO_API_KEY, OTHER_KEY, THIRD_KEY)] == [
        'classic', 'unified-single', 'unified']
    assert (overridden.uid(DEMO_API_KEY), sb.uid(DEMO_API_KEY), sb.uid(OTHER_KEY)) == ('100000001', '7001', '7001')
    assert sb.uid(THIRD_KEY) not in ('7001', THIRD_KEY)


# -- wrong family --------------------------------------------------------------------------------------

@pytest.mark.parametrize('mode', ['unified', 'unified-single'])
def test_a_unified_account_gets_6023_from_every_classic_endpoint(mode: str) -> None:
    with Sandbox(account_mode=mode) as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        [order_id] = sandbox.add_tpsl_orders('BTC-USDT')
        for endpoint in CLASSIC:
            response = send(signed(exchange, endpoint, {'contract_code': 'BTC-USDT', 'order_id': order_id}))
            reply = response.json()
            assert list(reply) == ['status', 'err_code', 'err_msg', 'ts'], endpoint
            assert (reply['status'], reply['err_code'], reply['err_msg']) == (
                'error', 6023, 'The new feature is temporarily unavailable.'), endpoint
            assert isinstance(reply['ts'], int) and response.headers['ratelimit-limit'] == '5'  # per endpoint
        assert sandbox.order(order_id)['status'] == 2  # type: ignore[index]
        assert [(r.err_code, r.account_mode) for r in sandbox.requests] == [(6023, mode)] * len(CLASSIC)
        assert codes(call(exchange, 'v5/algo/cancel_orders', [{'contract_code': 'BTC-USDT', 'algo_id': order_id}])) == [
            (order_id, 1061)]  # the classic order is not in the v5 book


def test_a_classic_account_gets_4007_from_the_v5_algo_endpoints_only() -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        replies = [create(exchange), opens(exchange), cancel(exchange, [UNKNOWN_ID])]
        for reply in replies:
            assert_v5_error(reply, 4007, 'msg')
            assert reply['msg'] == protocol.V5_REFUSAL_FOR_CLASSIC[1]
        assert sandbox.algo_order('1500000000000000001') is None  # nothing was created
        assert call(exchange, 'v5/account/asset_mode', {}, 'GET')['data'] == {'assets_mode': 0}
        with pytest.raises(ccxt.BadRequest, match='4007'):  # what plain ccxt makes of it
            exchange.contract_private_get_v5_algo_order_opens()


def test_wrong_family_refusals_are_checked_after_the_rate_window() -> None:
    with Sandbox(account_mode='unified', rate_limit=2, rate_interval_ms=60_000) as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        replies = [send(signed(exchange, 'swap_tpsl_cancel', {'contract_code': 'BTC-USDT', 'order_id': UNKNOWN_ID}))
                   for _ in range(3)]
        assert [r.json()['err_code'] for r in replies] == [6023, 6023, 1032]
        assert [r.headers['ratelimit-remaining'] for r in replies] == ['1', '0', '0']


def test_custom_refusals() -> None:
    with Sandbox(account_modes={OTHER_KEY: 'classic'}, credentials={DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET},
                 migrated_error=(1510, 'use the v5 API'), v5_refusal=(4002, 'use the classic API')) as sandbox:
        unified, classic = RawHtx(sandbox.exchange_config()), key(sandbox, OTHER_KEY, OTHER_SECRET)
        reply = send(signed(unified, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})).json()
        assert (reply['err_code'], reply['err_msg']) == (1510, 'use the v5 API')
        assert_v5_error(opens(classic), 4002, 'msg')
        assert opens(classic)['msg'] == 'use the classic API'
    with pytest.raises(ValueError, match='migrated_error'):
        Sandbox(migrated_error=(1510,))  # type: ignore[arg-type]


def test_switching_a_key_takes_effect_on_its_next_request(sb: Sandbox, ex: Any) -> None:
    assert send(signed(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})).json()['err_code'] == 6023
    sb.set_account_mode(DEMO_API_KEY, 'classic')
    assert send(signed(ex, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})).json()['status'] == 'ok'
    assert_v5_error(opens(ex), 4007, 'msg')
    assert ok_data(opens(key(sb, OTHER_KEY, OTHER_SECRET))) == []  # the other key of the UID is still unified


# -- create ----------------------------------------------------------------------------------------------

def test_create_tp_answers_a_list_with_one_ack_and_lists_like_the_vector(sb: Sandbox, ex: Any) -> None:
    reply = ex.contract_private_post_v5_algo_order(dict(TP, margin_mode='cross', tp_order_price=100000))
    [ack] = ok_data(reply)
    assert list(ack) == ['algo_id', 'algo_client_order_id'] and ack['algo_client_order_id'] is None
    algo_id = ack['algo_id']
    assert len(algo_id) == 19 and int(algo_id) > 2**53
    [item] = ok_data(opens(ex))
    assert list(item) == OPENS_TP_KEYS
    assert all(isinstance(value, str) for value in item.values())
    assert item['id'] != algo_id and len(item['id']) < 12
    assert {k: item[k] for k in OPENS_TP_KEYS if k not in ('id', 'algo_id', 'created_time', 'updated_time')} == {
        'volume': '1', 'type': 'tp', 'state': 'active', 'side': 'sell', 'contract_code': 'BTC-USDT',
        'position_side': 'long', 'margin_mode': 'cross', 'order_source': 'api', 'tp_trigger_price': '101000',
        'tp_order_price': '0', 'tp_type': 'market', 'tp_trigger_price_type': 'last'}  # a market leg lists "0"
    assert item['algo_id'] == algo_id and item == sb.algo_order(algo_id)
    assert int(item['created_time']) <= int(item['updated_time']) <= reply['ts']
    assert [r.endpoint for r in sb.requests] == ['order', 'opens']


def test_create_tpsl_is_one_combined_order_with_both_legs(sb: Sandbox, ex: Any) -> None:
    body = dict(TP, type='tpsl', side='buy', position_side='short', volume='3', tp_trigger_price='80000.50',
                tp_type='limit', tp_order_price=80001, sl_trigger_price=99000.0, sl_trigger_price_type='mark',
                reduce_only=1, algo_client_order_id='my-tpsl-1', channel_code='AA03022abc', time_in_force='gtc')
    [ack] = ok_data(call(ex, 'v5/algo/order', body))
    assert ack['algo_client_order_id'] == 'my-tpsl-1'
    [item] = ok_data(opens(ex))
    assert item['algo_id'] == ack['algo_id'] and (item['type'], item['volume']) == ('tpsl', '3')
    assert {k: v for k, v in item.items() if k.startswith(('tp_', 'sl_'))} == {
        'tp_trigger_price': '80000.5', 'tp_order_price': '80001', 'tp_type': 'limit', 'tp_trigger_price_type': 'last',
        'sl_trigger_price': '99000', 'sl_order_price': '0', 'sl_type': 'market', 'sl_trigger_price_type': 'mark'}
    assert item['reduce_only'] is True and item['algo_client_order_id'] == 'my-tpsl-1'
    assert list(item)[-2:] == ['reduce_only', 'algo_client_order_id']
    [sl] = ok_data(create(ex, type='sl', sl_trigger_price=85000, tp_trigger_price=None, reduce_only='false'))
    sl_item = sb.algo_order(sl['algo_id'])
    assert sl_item is not None and sl_item['reduce_only'] is False
    assert not any(k.startswith('tp_') for k in sl_item) and sl_item['sl_trigger_price'] == '85000'


@pytest.mark.parametrize(('fields', 'code', 'message'), [
    ({'contract_code': None}, 1066, 'contract_code cannot be empty.'),
    ({'contract_code': 'DOGE-USDT'}, 1014, None),
    ({'type': None}, 1066, 'type cannot be empty.'),
    ({'type': 'trailing_stop'}, 1067, 'Illegal parameter type.'),
    ({'type': 'TP'}, 1067, 'Illegal parameter type.'),
    ({'side': None}, 1066, 'side cannot be empty.'),
    ({'side': 'long'}, 1067, 'Illegal parameter side.'),
    ({'position_side': None}, 1066, None),
    ({'position_side': 'flat'}, 1067, None),
    ({'margin_mode': None}, 1066, None),
    ({'margin_mode': 'portfolio'}, 1067, None),
    ({'contract_code': 'XRP-USDT'}, 1014, None),  # isolated on a cross-only contract
    ({'contract_code': 'TRX-USDT', 'margin_mode': 'cross'}, 1348, None),
    ({'volume': None}, 1066, 'volume cannot be empty.'),
    ({'volume': 1.5}, 1030, None),
    ({'volume': 0}, 1067, 'Illegal parameter volume.'),
    ({'volume': 'one'}, 1067, None),
    ({'volume': [1]}, 1067, None),
    ({'tp_trigger_price': None}, 1066, 'tp_trigger_price cannot be empty.'),
    ({'tp_trigger_price': -1}, 1067, None),
    ({'tp_trigger_price': 'NaN'}, 1067, None),
    ({'tp_type': 'optimal_5'}, 1067, 'Illegal parameter tp_type.'),
    ({'tp_type': 'limit'}, 1066, 'tp_order_price cannot be empty.'),
    ({'tp_trigger_price_type': 'fair'}, 1067, None),
    ({'type': 'tpsl'}, 1066, 'sl_trigger_price cannot be empty.'),
    ({'type': 'sl', 'sl_trigger_price': 1, 'sl_type': 'limit'}, 1066, 'sl_order_price cannot be empty.'),
    ({'reduce_only': 'maybe'}, 1067, 'Illegal parameter reduce_only.'),
    ({'algo_client_order_id': 'x' * (MAX_CLIENT_ID_LENGTH + 1)}, 1067, None),
    ({'algo_client_order_id': {'id': 1}}, 1067, None),
])
def test_create_refusals(sb: Sandbox, ex: Any, fields: dict[str, Any], code: int, message: str | None) -> None:
    body = {k: v for k, v in {**TP, **fields}.items() if v is not None}
    reply = call(ex, 'v5/algo/order', body)
    assert_v5_error(reply, code)
    if message is not None:
        assert reply['message'] == message
    assert ok_data(opens(ex)) == []


def test_create_body_must_be_a_json_object(sb: Sandbox, ex: Any) -> None:
    assert_v5_error(call(ex, 'v5/algo/order', [TP]), 1030)
    request = signed(ex, 'v5/algo/order', {})
    for text in ('', 'null', '"tp"', '{not json'):
        request['body'] = text
        assert_v5_error(send(request).json(), 1030)


# -- open orders -------------------------------------------------------------------------------------------

def test_opens_filters_and_is_per_uid(sb: Sandbox, ex: Any) -> None:
    tps = sb.add_algo_orders('BTC-USDT', 2)
    [sl] = sb.add_algo_orders('BTC-USDT', type='sl', margin_mode='cross', side='buy', position_side='short')
    [tpsl] = sb.add_algo_orders('ETH-USDT', type='tpsl', api_key=OTHER_KEY)  # same UID as the demo key
    [done] = sb.add_algo_orders('BTC-USDT', state='canceled')
    [stranger] = sb.add_algo_orders('BTC-USDT', api_key=THIRD_KEY)

    def ids(**query: Any) -> list[str]:
        return [item['algo_id'] for item in ok_data(opens(ex, **query))]

    assert ids() == [tpsl, sl, *reversed(tps)]  # newest first
    assert ids(contract_code='BTC-USDT') == [sl, *reversed(tps)]
    assert ids(type='tp') == list(reversed(tps)) and ids(type='tpsl') == [tpsl] and ids(type='trailing_stop') == []
    assert ids(margin_mode='cross') == [sl] and ids(contract_code='BTC-USDT', type='sl', margin_mode='isolated') == []
    assert ids() == [item['algo_id'] for item in ok_data(opens(key(sb, OTHER_KEY, OTHER_SECRET)))]
    assert [i['algo_id'] for i in ok_data(opens(key(sb, THIRD_KEY, THIRD_SECRET)))] == [stranger]
    assert done not in ids()
    [item] = ok_data(opens(ex, type='tpsl'))
    assert {'tp_trigger_price', 'sl_trigger_price'} <= set(item) and 'reduce_only' not in item
    assert ok_data(ex.contract_private_get_v5_algo_order_opens({'type': 'sl'}))[0]['algo_id'] == sl
    for query, code in [({'contract_code': 'DOGE-USDT'}, 1014), ({'type': 'limit'}, 1067),
                        ({'margin_mode': 'both'}, 1067), ({'direct': 'up'}, 1067), ({'from': 'abc'}, 1067)]:
        assert_v5_error(opens(ex, **query), code)


def test_opens_paging_with_from_and_direct(sb: Sandbox, ex: Any) -> None:
    created = sb.add_algo_orders('BTC-USDT', 25)
    newest_first = list(reversed(created))

    def page(**query: Any) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = ok_data(opens(ex, **query))
        return data

    first = page()
    assert len(first) == V5_DEFAULT_PAGE_LIMIT and [i['algo_id'] for i in first] == newest_first[:10]
    list_ids = [int(i['id']) for i in first]
    assert list_ids == sorted(list_ids, reverse=True) and len(set(list_ids)) == 10
    second = page(**{'from': first[-1]['id']})
    assert [i['algo_id'] for i in second] == newest_first[10:20]
    third = page(**{'from': second[-1]['id'], 'direct': 'next', 'limit': 10})
    assert [i['algo_id'] for i in third] == newest_first[20:]
    assert page(**{'from': third[-1]['id']}) == []
    back = page(**{'from': third[0]['id'], 'direct': 'prev', 'limit': 3})
    assert [i['algo_id'] for i in back] == newest_first[17:20]  # the 3 newer ones nearest the cursor, newest first
    assert [i['algo_id'] for i in page(**{'from': first[0]['id'], 'direct': 'prev'})] == []
    assert len(page(limit=protocol.V5_PAGE_LIMIT)) == 25 and len(page(limit=1)) == 1
    for limit in (protocol.V5_PAGE_LIMIT + 1, 0, -1, 'ten', 2.5):
        assert_v5_error(opens(ex, limit=limit), 1067)


# -- cancel ------------------------------------------------------------------------------------------------

def test_cancel_per_item_outcomes(sb: Sandbox, ex: Any) -> None:
    ready, executed, cancelled, cancelling, failed, eth = sb.add_algo_orders('BTC-USDT', 6)
    for algo_id, state in ((executed, 'effective'), (cancelled, 'canceled'), (cancelling, 'canceling'),
                           (failed, 'failed')):
        sb.set_algo_state(algo_id, state)
    [eth] = sb.add_algo_orders('ETH-USDT')
    [partner] = sb.add_algo_orders('BTC-USDT', api_key=OTHER_KEY)  # same UID: cancellable
    [stranger] = sb.add_algo_orders('BTC-USDT', api_key=THIRD_KEY)  # another UID: not found
    [classic] = sb.add_tpsl_orders('BTC-USDT')  # the classic book: not found
    batch = [ready, executed, cancelled, cancelling, eth]
    reply = ex.contract_private_post_v5_algo_cancel_orders([{'contract_code': 'BTC-USDT', 'algo_id': i} for i in batch])
    assert codes(reply) == [(ready, 200), (executed, 1063), (cancelled, 1071), (cancelling, 1062), (eth, 1061)]
    reply = cancel(ex, [failed, partner, stranger, classic, UNKNOWN_ID, ready])
    assert codes(reply) == [(failed, 1063), (partner, 200), (stranger, 1061), (classic, 1061), (UNKNOWN_ID, 1061),
                            (ready, 1071)]
    items = ok_data(reply)
    assert items[1] == {'code': 200, 'message': 'Success', 'algo_id': partner, 'algo_client_order_id': None}
    assert items[2] == {'code': 1061, 'message': message_for(1061), 'algo_id': stranger, 'algo_client_order_id': None}
    assert items[5]['message'] == message_for(1071)
    assert [state_of(sb, i) for i in (ready, executed, partner, stranger, eth)] == [
        'canceled', 'effective', 'canceled', 'active', 'active']
    assert sb.order(classic)['status'] == 2  # type: ignore[index]
    assert codes(cancel(ex, [eth], 'DOGE-USDT')) == [(eth, 1061)]  # an unknown contract fails its item only
    assert sb.requests[-1].order_ids == [eth]


def test_cancel_by_client_order_id(sb: Sandbox, ex: Any) -> None:
    first, second = sb.add_algo_orders('BTC-USDT', 2, client_order_ids=['c-1', 'c-2'])
    reply = call(ex, 'v5/algo/cancel_orders', [
        {'contract_code': 'BTC-USDT', 'algo_client_order_id': 'c-1'},
        {'contract_code': 'BTC-USDT', 'algo_client_order_id': 'nobody'},
        {'contract_code': 'ETH-USDT', 'algo_client_order_id': 'c-2'},
        {'contract_code': 'BTC-USDT', 'algo_id': UNKNOWN_ID, 'algo_client_order_id': 'c-2'},  # algo_id wins
        {'contract_code': 'BTC-USDT', 'algo_client_order_id': 'c-1'}])
    assert [(i['algo_id'], i['algo_client_order_id'], i['code']) for i in ok_data(reply)] == [
        (first, 'c-1', 200), (None, 'nobody', 1061), (None, 'c-2', 1061), (UNKNOWN_ID, 'c-2', 1061),
        (first, 'c-1', 1071)]
    assert (state_of(sb, first), state_of(sb, second)) == ('canceled', 'active')
    assert sb.requests[-1].order_ids == ['c-1', 'nobody', 'c-2', UNKNOWN_ID, 'c-1']
    [created] = ok_data(create(ex, algo_client_order_id='c-3'))
    assert codes(call(ex, 'v5/algo/cancel_orders', [{'contract_code': 'BTC-USDT', 'algo_client_order_id': 'c-3'}])
                 ) == [(created['algo_id'], 200)]


def test_cancel_batch_limit_and_malformed_requests_are_refused_whole(sb: Sandbox, ex: Any) -> None:
    limit = protocol.V5_MAX_CANCEL_ITEMS
    ids = sb.add_algo_orders('BTC-USDT', limit + 1)
    assert_v5_error(cancel(ex, ids), 1052)
    assert sb.requests[-1].err_code == 1052 and len(sb.requests[-1].order_ids) == limit + 1
    bad_bodies: list[tuple[Any, int]] = [
        ({'contract_code': 'BTC-USDT', 'algo_id': ids[0]}, 1030),  # an object, not an array
        ([], 1066),
        ([{'contract_code': 'BTC-USDT'}], 1066),
        ([{'algo_id': ids[0]}], 1066),
        ([{'contract_code': 'BTC-USDT', 'algo_id': ids[0]}, 'x'], 1030),
        ([{'contract_code': 'BTC-USDT', 'algo_id': True}], 1067),
        ([{'contract_code': ['BTC-USDT'], 'algo_id': ids[0]}], 1067),
    ]
    for body, code in bad_bodies:
        assert_v5_error(call(ex, 'v5/algo/cancel_orders', body), code)
    request = signed(ex, 'v5/algo/cancel_orders', [])
    for text in ('[{not json', '', 'null'):
        request['body'] = text
        assert_v5_error(send(request).json(), 1030)
    assert all(state_of(sb, i) == 'active' for i in ids)
    assert codes(cancel(ex, ids[:limit])) == [(i, 200) for i in ids[:limit]]


def test_separate_books_in_both_directions() -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        [algo_id] = sandbox.add_algo_orders('BTC-USDT')
        [order_id] = sandbox.add_tpsl_orders('BTC-USDT')
        reply = send(signed(exchange, 'swap_tpsl_cancel', {'contract_code': 'BTC-USDT',
                                                           'order_id': f'{algo_id},{order_id}'})).json()
        assert reply['data']['successes'] == order_id
        assert [(e['order_id'], e['err_code']) for e in reply['data']['errors']] == [(algo_id, 1061)]
        listed = send(signed(exchange, 'swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})).json()['data']
        assert listed['total_size'] == 0  # the algo order is not a classic order
        assert state_of(sandbox, algo_id) == 'active' and sandbox.order(algo_id) is None
        assert sandbox.algo_order(order_id) is None


# -- seeding and state -------------------------------------------------------------------------------------

def test_add_algo_orders_and_set_algo_state(sb: Sandbox) -> None:
    [tp] = sb.add_algo_orders('BTC-USDT')
    item = sb.algo_order(tp)
    assert item is not None and list(item) == OPENS_TP_KEYS and item['tp_trigger_price'] == '99000'  # 90000 * 1.1
    [sl] = sb.add_algo_orders('ETH-USDT', type='sl', side='buy', position_side='short', volume=4)
    assert sb.algo_order(sl)['sl_trigger_price'] == '3300' and sb.algo_order(sl)['volume'] == '4'  # type: ignore[index]
    [both] = sb.add_algo_orders('BTC-USDT', type='tpsl', tp_trigger_price=100000.5, sl_trigger_price='80000')
    legs = sb.algo_order(both)
    assert legs is not None and (legs['tp_trigger_price'], legs['sl_trigger_price']) == ('100000.5', '80000')
    chosen = sb.add_algo_orders('BTC-USDT', ids=['1600000000000000001', '1600000000000000002'], count=99,
                                client_order_ids=['a', 'b'], state='effective')
    assert chosen == ['1600000000000000001', '1600000000000000002']
    assert [sb.algo_order(i)['algo_client_order_id'] for i in chosen] == ['a', 'b']  # type: ignore[index]
    sb.set_algo_state(tp, 'canceled')
    before = sb.algo_order(tp)
    assert before is not None and before['state'] == 'canceled'
    assert sb.algo_order(UNKNOWN_ID) is None
    bad_seeds: list[dict[str, Any]] = [
        {'contract_code': 'DOGE-USDT'}, {'type': 'trailing_stop'}, {'side': 'up'}, {'position_side': 'flat'},
        {'margin_mode': 'cross', 'contract_code': 'TRX-USDT'}, {'state': 'open'}, {'volume': 0},
        {'ids': ['123']}, {'ids': [tp]}, {'ids': ['1700000000000000001'] * 2}, {'client_order_ids': ['x', 'y']},
        {'tp_trigger_price': 'abc'}, {'tp_trigger_price': -5}, {'type': 'sl', 'sl_trigger_price': float('nan')},
        {'count': -1},
    ]
    for bad in bad_seeds:
        with pytest.raises(ValueError):
            sb.add_algo_orders(**{'contract_code': 'BTC-USDT', **bad})
    for bad_state in ('open', 'cancelled', 6):
        with pytest.raises(ValueError, match='state must be one of'):
            sb.set_algo_state(tp, bad_state)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        sb.set_algo_state(UNKNOWN_ID, 'active')
    sb.set_algo_state(tp, 'active')
    assert sb.algo_order(tp)['state'] == 'active'  # type: ignore[index]


def test_seed_open_orders_follows_the_keys_family(sb: Sandbox) -> None:
    unified = sb.seed_open_orders('BTC-USDT', 2)
    assert all(sb.algo_order(i) is not None and sb.order(i) is None for i in unified)
    sb.set_account_mode(DEMO_API_KEY, 'classic')
    classic = sb.seed_open_orders('BTC-USDT', 2)
    assert all(sb.order(i) is not None and sb.algo_order(i) is None for i in classic)


def test_orders_belong_to_the_uid(sb: Sandbox) -> None:
    """Both keys of UID 7001 see and cancel the same orders, on both books."""
    other = key(sb, OTHER_KEY, OTHER_SECRET)
    [algo_id] = ok_data(create(RawHtx(sb.exchange_config())))
    assert [i['algo_id'] for i in ok_data(opens(other))] == [algo_id['algo_id']]
    assert codes(cancel(other, [algo_id['algo_id']])) == [(algo_id['algo_id'], 200)]
    sb.set_account_mode(OTHER_KEY, 'classic')
    [order_id] = sb.add_tpsl_orders('BTC-USDT', api_key=DEMO_API_KEY)
    reply = send(signed(other, 'swap_tpsl_cancel', {'contract_code': 'BTC-USDT', 'order_id': order_id})).json()
    assert reply['data']['successes'] == order_id
    assert {r.uid for r in sb.requests} == {'7001'}


# -- faults ------------------------------------------------------------------------------------------------

def test_faults_on_the_v5_endpoints(sb: Sandbox, ex: Any) -> None:
    ids = sb.add_algo_orders('BTC-USDT', 3)
    sb.inject('cancel_orders', after=1, err_code=1004)
    sb.inject('swap_tpsl_cancel', err_code=1000)  # another endpoint's fault does not act here
    sb.inject('order', err_code=1001, err_msg='maintenance')
    sb.inject('opens', err_code=1032)
    sb.inject('asset_mode', http_status=503)
    replies = [cancel(ex, [i]) for i in ids[:2]]
    assert codes(replies[0]) == [(ids[0], 200)]
    assert_v5_error(replies[1], 1004)
    assert replies[1]['message'] == message_for(1004) and state_of(sb, ids[1]) == 'active'
    created = create(ex)
    assert_v5_error(created, 1001)
    assert created['message'] == 'maintenance'
    assert_v5_error(opens(ex), 1032)
    response = send(signed(ex, 'v5/account/asset_mode', {}, 'GET'))
    assert response.status_code == 503 and 'cloudflare' in response.text
    assert [r.err_code for r in sb.requests] == [None, 1004, 1001, 1032, None]
    assert len(ok_data(opens(ex))) == 2  # nothing was created by the faulted request
    sb.inject('cancel_orders', delay=2.0)  # the cancel takes effect, the answer comes late
    with pytest.raises(requests.ReadTimeout):
        send(signed(ex, 'v5/algo/cancel_orders', [{'contract_code': 'BTC-USDT', 'algo_id': ids[2]}]), timeout=0.3)
    assert state_of(sb, ids[2]) == 'canceled'


def test_async_ccxt_implicit_v5_endpoints() -> None:
    async def main() -> None:
        async with Sandbox() as sandbox:
            exchange = AsyncRawHtx(sandbox.exchange_config())
            try:
                mode = await exchange.contract_private_get_v5_account_asset_mode()
                [ack] = (await exchange.contract_private_post_v5_algo_order(dict(TP, contract_code='ETH-USDT',
                                                                                 tp_trigger_price=3500)))['data']
                listed = await exchange.contract_private_get_v5_algo_order_opens({'contract_code': 'ETH-USDT'})
                cancelled = await exchange.contract_private_post_v5_algo_cancel_orders(
                    [{'contract_code': 'ETH-USDT', 'algo_id': ack['algo_id']}])
            finally:
                await exchange.close()
            assert mode['data'] == {'assets_mode': 1}
            assert [i['algo_id'] for i in listed['data']] == [ack['algo_id']]
            assert codes(cancelled) == [(ack['algo_id'], 200)]

    asyncio.run(main())
