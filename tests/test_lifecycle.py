"""The TP/SL lifecycle on both API families: create, list, cancel by id (isolated and cross), cancel all.

Replayed from cassettes recorded against the sandbox (see conftest.py), sync and async, for a
classic account and a unified (v5) account, with the default route ('auto').
"""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from ccxt_htx_tpsl._classic import CLASSIC
from ccxt_htx_tpsl.sandbox import Sandbox

from .conftest import Run, assert_ccxt_orders, ids, seed_family, statuses
from .test_exceptions_keep_a_scrubbed_cause import assert_no_secret_in_the_chain

SYMBOL = 'BTC/USDT:USDT'
MODES = ['classic', 'unified']


def bodies(cassette: Any, path: str) -> list[Any]:
    found = []
    for r in cassette.requests:
        if r.path.endswith('/' + path):
            found.append(json.loads(r.body) if r.body else dict(r.query))
    return found


def paths(cassette: Any) -> list[str]:
    return [r.path for r in cassette.requests]


@pytest.mark.vcr
@pytest.mark.parametrize('account_mode', MODES)
def test_place_list_cancel_some_cancel_the_rest_and_see_none_left(
    exchange: Any, run: Run, recording: Sandbox | None, vcr: Any, account_mode: str
) -> None:
    classic = account_mode == 'classic'
    created = []
    for tp, sl in [(70000, 50000), (71000, None), (None, 49000.5)]:
        created += run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 2, tp, sl))
    assert len(created) == 4  # one order per leg, the take-profit of a pair never dropped
    assert [(o['takeProfitPrice'], o['stopLossPrice']) for o in created] == [
        (70000, None), (None, 50000), (71000, None), (None, 49000.5)  # at BTC's 0.1 tick
    ]
    for order in created:
        assert isinstance(order['id'], str) and int(order['id']) > 2**53
        assert (order['symbol'], order['side'], order['amount'], order['status']) == (SYMBOL, 'sell', 2, 'open')
        assert order['triggerPrice'] in (70000, 50000, 71000, 49000.5) and order['reduceOnly'] is True
    assert_ccxt_orders(exchange, created, SYMBOL)
    if classic:
        assert bodies(vcr, 'linear-swap-api/v1/swap_tpsl_order')[0] | {'channel_code': None} == {
            'contract_code': 'BTC-USDT', 'direction': 'sell', 'volume': 2, 'tp_trigger_price': '70000',
            'tp_order_price_type': 'market', 'sl_trigger_price': '50000', 'sl_order_price_type': 'market',
            'channel_code': None,  # ccxt's sign() adds its broker channel code
        }
    else:  # one algo order per leg, in the shape observed live for 'tp'
        sent = bodies(vcr, 'v5/algo/order')
        assert len(sent) == 4
        assert sent[0] | {'channel_code': None} == {
            'contract_code': 'BTC-USDT', 'margin_mode': 'isolated', 'position_side': 'long', 'side': 'sell',
            'type': 'tp', 'volume': '2', 'tp_trigger_price': '70000', 'tp_type': 'market', 'channel_code': None,
            # every v5 leg carries a client order id the package made: it finds the leg after a lost reply
            # (random; the cassettes hold one placeholder, conftest.same_client_ids)
            'algo_client_order_id': '100000000000000000',
        }
        assert sent[1]['type'] == 'sl' and sent[1]['sl_trigger_price'] == '50000'

    seeded = ids(5000, 60 if classic else 110)  # more than one page (classic: 50, v5: 100)
    seed_family(recording, account_mode, seeded)
    seed_family(recording, account_mode, ids(6000, 5), margin_mode='cross')
    if recording and not classic:  # combined TP/SL orders exist on v5
        recording.add_algo_orders('BTC-USDT', ids=ids(6500, 2), count=2, type='tpsl', tp_trigger_price=99000,
                                  sl_trigger_price=81000)
    combined = [] if classic else ids(6500, 2)

    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert sorted(o['id'] for o in listed) == sorted([o['id'] for o in created] + seeded + combined)
    assert {o['status'] for o in listed} == {'open'}
    assert_ccxt_orders(exchange, listed, SYMBOL)
    by_id = {o['id']: o for o in listed}
    assert by_id[created[0]['id']]['takeProfitPrice'] == 70000
    assert by_id[created[1]['id']]['stopLossPrice'] == 50000
    if classic:
        assert [b['page_index'] for b in bodies(vcr, 'swap_tpsl_openorders')][:2] == [1, 2]
    else:
        pages = bodies(vcr, 'v5/algo/order/opens')
        assert (pages[0]['contract_code'], pages[0]['limit'], 'from' in pages[0]) == ('BTC-USDT', '100', False)
        assert pages[1]['direct'] == 'next' and pages[1]['from']  # the next page starts after the last item
        assert [(by_id[i]['takeProfitPrice'], by_id[i]['stopLossPrice']) for i in combined] == [(99000, 81000)] * 2

    some = [o['id'] for o in created[:2]] + seeded[:3]
    orders = run(exchange.cancel_isolated_tpsl_orders(some, SYMBOL))
    assert statuses(orders) == ['canceled'] * 5
    assert_ccxt_orders(exchange, orders, SYMBOL)
    cross = run(exchange.cancel_cross_tpsl_orders([*ids(6000, 3), '1300000000000000000'], 'BTC-USDT'))
    assert statuses(cross) == ['canceled'] * 3 + [None]  # an unknown id: HTX confirms no state
    assert_ccxt_orders(exchange, cross, SYMBOL)

    rest = run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL))
    assert sorted(o['id'] for o in rest) == sorted([o['id'] for o in created[2:]] + seeded[3:] + combined)
    assert {o['status'] for o in rest} == {'canceled'}
    assert_ccxt_orders(exchange, rest, SYMBOL)
    assert run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL)) == []
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL)) == []  # HTX says there is nothing to cancel
    assert sorted(o['id'] for o in run(exchange.fetch_open_cross_tpsl_orders(SYMBOL))) == ids(6003, 2)

    # the family was asked once, and nothing went to the other family's endpoints
    assert paths(vcr).count('/v5/account/asset_mode') == 1
    if classic:
        assert not any(p.startswith('/v5/algo/') for p in paths(vcr))
    else:
        assert not any(p.startswith('/linear-swap-api/v1/swap_') and 'contract_info' not in p for p in paths(vcr))


@pytest.mark.vcr
@pytest.mark.parametrize('account_mode', MODES)
def test_cancel_all_of_one_side_and_since_limit(
    exchange: Any, run: Run, recording: Sandbox | None, vcr: Any, account_mode: str
) -> None:
    if recording and account_mode == 'classic':
        recording.add_tpsl_orders('BTC-USDT', ids=ids(7000, 2), direction='sell')
        recording.add_tpsl_orders('BTC-USDT', ids=ids(7100, 2), direction='buy')
    elif recording:
        recording.add_algo_orders('BTC-USDT', ids=ids(7000, 2), count=2, side='sell')
        recording.add_algo_orders('BTC-USDT', ids=ids(7100, 2), count=2, side='buy', position_side='short')
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, 3))) == 3
    canceled = run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'side': 'buy'}))
    assert sorted(o['id'] for o in canceled) == ids(7100, 2)
    assert_ccxt_orders(exchange, canceled, SYMBOL)
    if account_mode == 'classic':
        assert bodies(vcr, 'swap_tpsl_cancelall')[0] == {'contract_code': 'BTC-USDT', 'direction': 'buy'}
    else:  # v5 has no algo cancel-all: listed, then cancelled by id
        assert sorted(item['algo_id'] for item in bodies(vcr, 'v5/algo/cancel_orders')[0]) == ids(7100, 2)
    assert sorted(o['id'] for o in run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))) == ids(7000, 2)


# -- bad input, refused before anything is sent (markets from a live sandbox) ----------------


@pytest.mark.parametrize(
    ('args', 'error', 'words'),
    [
        ((SYMBOL, 'sell', 1, None, None), ccxt.ArgumentsRequired, 'takeProfit or a stopLoss'),
        ((SYMBOL, 'long', 1, 70000, None), ccxt.BadRequest, "side .* must be 'buy' or 'sell'"),
        ((SYMBOL, 'sell', 1.5, 70000, None), ccxt.BadRequest, 'whole number of contracts'),
        ((SYMBOL, 'sell', 0, 70000, None), ccxt.BadRequest, 'must be positive'),
        ((SYMBOL, 'sell', True, 70000, None), ccxt.BadRequest, 'number of contracts'),
        ((SYMBOL, 'sell', 1, -5, None), ccxt.BadRequest, 'takeProfit trigger price must be a positive number'),
        ((SYMBOL, 'sell', 1, None, 'abc'), ccxt.BadRequest, 'stopLoss trigger price'),
        ((SYMBOL, 'sell', 1, {'triggerPrice': 1, 'type': 'limit'}, None), ccxt.ArgumentsRequired, 'price is required'),
        ((SYMBOL, 'sell', 1, {'triggerPrice': 1, 'colour': 'red'}, None), ccxt.BadRequest, 'takes triggerPrice'),
        (('XRP/USDT:USDT', 'sell', 1, 1, None), ccxt.NotSupported, 'cross margin only'),
        ((None, 'sell', 1, 1, None), ccxt.ArgumentsRequired, 'requires a symbol'),
        ((SYMBOL, 'sell', 1, 70000, None, {'volume': 3}), ccxt.BadRequest, 'sets volume itself'),
        ((SYMBOL, 'sell', 1, 70000, None, {'position_side': 'up'}), ccxt.BadRequest, 'position_side must be'),
    ],
)
def test_create_refuses_bad_input_before_sending(
    live_exchange: Any, sandbox: Sandbox, run: Run, args: tuple[Any, ...], error: type[Exception], words: str
) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(error, match=words):
        run(live_exchange.create_isolated_tpsl_orders(*args))
    assert [r.method for r in sandbox.requests] == ['GET']  # only load_markets


@pytest.mark.parametrize('account_mode', MODES)
def test_cross_cancel_refuses_isolated_only_contracts_and_accepts_futures(
    live_exchange: Any, sandbox: Sandbox, run: Run, account_mode: str
) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(ccxt.NotSupported, match='isolated margin only'):
        run(live_exchange.cancel_cross_tpsl_orders(ids(0, 1), 'TRX/USDT:USDT'))
    with pytest.raises(ccxt.BadSymbol, match='dated future'):
        run(live_exchange.cancel_isolated_tpsl_orders(ids(0, 1), 'BTC/USDT:USDT-261225'))
    if account_mode == 'classic':
        wanted = sandbox.add_tpsl_orders('BTC-USDT-261225', count=2, margin_mode='cross')
    else:
        wanted = sandbox.add_algo_orders('BTC-USDT-261225', count=2, margin_mode='cross')
    orders = run(live_exchange.cancel_cross_tpsl_orders(wanted, 'BTC/USDT:USDT-261225'))
    assert statuses(orders) == ['canceled', 'canceled']
    assert {o['symbol'] for o in orders} == {'BTC/USDT:USDT-261225'}
    assert_ccxt_orders(live_exchange, orders, 'BTC/USDT:USDT-261225')


@pytest.mark.parametrize('account_mode', MODES)
def test_create_is_never_sent_twice(live_exchange: Any, sandbox: Sandbox, run: Run, account_mode: str) -> None:
    run(live_exchange.load_markets())
    for name in ('maxRetriesOnFailure', 'defaultMaxRetriesOnFailure', 'maxRetriesOnFailureDelay'):
        with pytest.raises(ccxt.BadRequest, match='place the orders twice'):
            run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {name: 2}))
    live_exchange.options['maxRetriesOnFailure'] = 2  # ccxt's global retry: ignored for a create
    live_exchange.options['defaultMaxRetriesOnFailure'] = 2
    endpoint = 'swap_tpsl_order' if account_mode == 'classic' else 'order'
    sandbox.inject(endpoint, err_code=1032)  # even a refusal that did nothing is not re-sent
    with pytest.raises(ccxt.RateLimitExceeded) as raised:
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
    assert 'refused by HTX, not created' in str(raised.value)
    sandbox.inject(endpoint, http_status=502)  # a lost reply: the order may exist
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
    assert 'MAY HAVE BEEN CREATED' in str(raised.value)
    assert "fetch_open_isolated_tpsl_orders('BTC/USDT:USDT')" in str(raised.value)
    assert len([r for r in sandbox.requests if r.endpoint == endpoint]) == 2  # one per call


def test_a_refused_leg_never_hides_the_other_one(make_exchange: Any, run: Run) -> None:
    with Sandbox(account_mode='unified') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        sandbox.inject('order', after=1, err_code=1067, err_msg='Illegal parameter sl_trigger_price.')
        with pytest.raises(ccxt.ExchangeError) as raised:
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, 50000))
        created = raised.value.orders  # type: ignore[attr-defined]
        assert [o['takeProfitPrice'] for o in created] == [70000]  # the take-profit leg exists and is reported
        assert 'stop-loss: refused by HTX, not created' in str(raised.value)
        assert_ccxt_orders(exchange, created, SYMBOL)


@pytest.mark.parametrize('endpoint', ['order', 'opens', 'cancel_orders'])
def test_lifecycle_errors_carry_no_credentials(make_exchange: Any, run: Run, endpoint: str) -> None:
    with Sandbox(account_mode='unified') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        sandbox.add_algo_orders('BTC-USDT', count=1)
        sandbox.inject(endpoint, http_status=502)  # ccxt's message holds the signed URL
        call = {
            'order': lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000),
            'opens': lambda: exchange.fetch_open_isolated_tpsl_orders(SYMBOL),
            'cancel_orders': lambda: exchange.cancel_all_isolated_tpsl_orders(SYMBOL),
        }[endpoint]
        with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
            run(call())
        assert 'AccessKeyId=***' in str(raised.value) and 'Signature=***' in str(raised.value)
        assert exchange.apiKey not in str(raised.value)
        assert_no_secret_in_the_chain(raised.value, (exchange.apiKey, exchange.secret))


@pytest.mark.parametrize('amount', [10**30, '1e9999999', '-0', float('inf')])
def test_create_refuses_absurd_amounts_quickly(live_exchange: Any, run: Run, amount: Any) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(ccxt.BadRequest, match='amount'):
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', amount, 70000))


def test_a_classic_cancel_all_reply_is_read_like_a_cancel(make_exchange: Any) -> None:
    exchange = make_exchange()
    reply = {'status': 'ok', 'data': {'successes': ['1300000000000000001', 1300000000000000002],
                                      'errors': [{'order_id': '1300000000000000002', 'err_code': 1061},
                                                 {'order_id': '1300000000000000003', 'err_code': 1071}]}}
    named = CLASSIC.cancel_all_named(exchange, reply)
    outcomes = CLASSIC.cancel_outcomes(exchange, named or [], reply)
    assert named == ['1300000000000000001', '1300000000000000002', '1300000000000000003']
    assert outcomes is not None and [outcomes[i].status for i in named] == ['canceled'] * 3
    # a list of successes is read, an id named twice once (its success wins), 1071 is canceled
    assert CLASSIC.cancel_all_named(exchange, {'status': 'weird', 'data': {'successes': '1'}}) is None
