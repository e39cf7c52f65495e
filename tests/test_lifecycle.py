"""The isolated TP/SL lifecycle: create, list, cancel by id (isolated and cross), cancel all.

Replayed from cassettes recorded against the sandbox (see conftest.py), sync and async.
"""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from ccxt_htx_tpsl.sandbox import Sandbox

from .conftest import Run, ids

SYMBOL = 'BTC/USDT:USDT'


def bodies(cassette: Any, endpoint: str) -> list[Any]:
    return [json.loads(r.body) for r in cassette.requests if r.path.endswith('/' + endpoint)]


@pytest.mark.vcr
def test_place_list_cancel_some_cancel_the_rest_and_see_none_left(
    exchange: Any, run: Run, recording: Sandbox | None, vcr: Any
) -> None:
    created = []
    for tp, sl in [(70000, 50000), (71000, None), (None, 49000.55)]:
        created += run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 2, tp, sl))
    assert len(created) == 4
    assert [(o['takeProfitPrice'], o['stopLossPrice']) for o in created] == [
        (70000, None), (None, 50000), (71000, None), (None, 49000.6)  # ccxt's price_to_precision: BTC's 0.1 tick
    ]
    for order in created:
        assert isinstance(order['id'], str) and int(order['id']) > 2**53
        assert (order['symbol'], order['side'], order['amount'], order['status']) == (SYMBOL, 'sell', 2, 'open')
        assert order['triggerPrice'] in (70000, 50000, 71000, 49000.6) and order['reduceOnly'] is True
    assert bodies(vcr, 'swap_tpsl_order')[0] | {'channel_code': None} == {
        'contract_code': 'BTC-USDT', 'direction': 'sell', 'volume': 2, 'tp_trigger_price': '70000',
        'sl_trigger_price': '50000', 'channel_code': None,  # ccxt's sign() adds its broker channel code
    }
    seeded = ids(5000, 60)  # more than one page of 50
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=seeded)
        recording.add_tpsl_orders('BTC-USDT', ids=ids(6000, 5), margin_mode='cross')

    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert sorted(o['id'] for o in listed) == sorted([o['id'] for o in created] + seeded)
    assert {o['status'] for o in listed} == {'open'}
    assert [b['page_index'] for b in bodies(vcr, 'swap_tpsl_openorders')][:2] == [1, 2]
    by_id = {o['id']: o for o in listed}
    assert by_id[created[0]['id']]['takeProfitPrice'] == 70000
    assert by_id[created[1]['id']]['stopLossPrice'] == 50000

    some = [o['id'] for o in created[:2]] + seeded[:3]  # classic route
    assert [o['status'] for o in run(exchange.cancel_isolated_tpsl_orders(some, SYMBOL))] == ['canceled'] * 5
    successor = run(exchange.cancel_isolated_tpsl_orders(seeded[3:5], SYMBOL, {'route': 'v5'}))
    assert [o['status'] for o in successor] == ['canceled'] * 2
    cross = run(exchange.cancel_cross_tpsl_orders([*ids(6000, 3), seeded[5]], 'BTC-USDT'))
    assert [o['status'] for o in cross] == ['canceled'] * 3 + ['failed']  # an isolated id is not a cross order
    cross = run(exchange.cancel_cross_tpsl_orders(ids(6003, 2), 'BTC-USDT', {'route': 'v5'}))
    assert [o['status'] for o in cross] == ['canceled'] * 2

    rest = run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL))
    assert sorted(o['id'] for o in rest) == sorted([o['id'] for o in created[2:]] + seeded[5:])
    assert {o['status'] for o in rest} == {'canceled'}
    assert run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL)) == []
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL)) == []  # HTX's 1051: nothing left to cancel


@pytest.mark.vcr
def test_cancel_all_of_one_side_and_since_limit(exchange: Any, run: Run, recording: Sandbox | None, vcr: Any) -> None:
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=ids(7000, 2), direction='sell')
        recording.add_tpsl_orders('BTC-USDT', ids=ids(7100, 2), direction='buy')
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, 3))) == 3
    canceled = run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'side': 'buy'}))
    assert sorted(o['id'] for o in canceled) == ids(7100, 2)
    assert bodies(vcr, 'swap_tpsl_cancelall')[0] == {'contract_code': 'BTC-USDT', 'direction': 'buy'}
    assert sorted(o['id'] for o in run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))) == ids(7000, 2)


# -- bad input, refused before anything is sent (markets from a live sandbox) ----------------


@pytest.mark.parametrize(
    ('args', 'error', 'words'),
    [
        ((SYMBOL, 'sell', 1, None, None), ccxt.ArgumentsRequired, 'takeProfit or a stopLoss'),
        ((SYMBOL, 'long', 1, 70000, None), ccxt.BadRequest, "side must be 'buy' or 'sell'"),
        ((SYMBOL, 'sell', 1.5, 70000, None), ccxt.BadRequest, 'whole number of contracts'),
        ((SYMBOL, 'sell', 0, 70000, None), ccxt.BadRequest, 'must be positive'),
        ((SYMBOL, 'sell', True, 70000, None), ccxt.BadRequest, 'number of contracts'),
        ((SYMBOL, 'sell', 1, -5, None), ccxt.BadRequest, 'tp trigger price must be a positive number'),
        ((SYMBOL, 'sell', 1, None, 'abc'), ccxt.BadRequest, 'sl trigger price'),
        (('XRP/USDT:USDT', 'sell', 1, 1, None), ccxt.NotSupported, 'cross margin only'),
        ((None, 'sell', 1, 1, None), ccxt.ArgumentsRequired, 'requires a symbol'),
    ],
)
def test_create_refuses_bad_input_before_sending(
    live_exchange: Any, sandbox: Sandbox, run: Run, args: tuple[Any, ...], error: type[Exception], words: str
) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(error, match=words):
        run(live_exchange.create_isolated_tpsl_orders(*args))
    assert [r.method for r in sandbox.requests] == ['GET']  # only load_markets


def test_cross_cancel_refuses_isolated_only_contracts_and_accepts_futures(
    live_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(ccxt.NotSupported, match='isolated margin only'):
        run(live_exchange.cancel_cross_tpsl_orders(ids(0, 1), 'TRX/USDT:USDT'))
    with pytest.raises(ccxt.BadSymbol, match='dated future'):
        run(live_exchange.cancel_isolated_tpsl_orders(ids(0, 1), 'BTC/USDT:USDT-261225'))
    wanted = sandbox.add_tpsl_orders('BTC-USDT-261225', count=2, margin_mode='cross')
    orders = run(live_exchange.cancel_cross_tpsl_orders(wanted, 'BTC/USDT:USDT-261225'))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']
    assert {o['symbol'] for o in orders} == {'BTC/USDT:USDT-261225'}


def test_has_flags_and_camel_case_aliases(make_exchange: Any) -> None:
    exchange = make_exchange()
    for name in ['cancelCrossTpslOrders', 'cancelAllIsolatedTpslOrders', 'createIsolatedTpslOrders',
                 'fetchOpenIsolatedTpslOrders']:
        assert exchange.has[name] is True
        snake = ''.join('_' + c.lower() if c.isupper() else c for c in name)
        assert getattr(exchange, name) == getattr(exchange, snake)


def test_create_is_never_retried(live_exchange: Any, sandbox: Sandbox, run: Run) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(ccxt.BadRequest, match='place the orders twice'):
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'maxRetriesOnFailure': 2}))
    live_exchange.options['maxRetriesOnFailure'] = 2  # ccxt's global retry stays off for create
    sandbox.inject('swap_tpsl_order', err_code=1032)
    with pytest.raises(ccxt.RateLimitExceeded):
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
    assert len([r for r in sandbox.requests if r.endpoint == 'swap_tpsl_order']) == 1


def test_a_migrated_account_is_told_which_methods_have_a_v5_route(
    live_exchange: Any, sandbox: Sandbox, run: Run
) -> None:
    run(live_exchange.load_markets())
    sandbox.migrate(live_exchange.apiKey)
    with pytest.raises(ccxt.NotSupported, match='has no v5 route') as raised:
        run(live_exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert "only the cancels by id have one: params={'route': 'v5'}" in str(raised.value)
    sandbox.inject('swap_tpsl_cancel', err_code=4002)
    with pytest.raises(ccxt.NotSupported, match=r"send the cancels there with params=\{'route': 'v5'\}"):
        run(live_exchange.cancel_isolated_tpsl_orders(ids(0, 1), SYMBOL))


@pytest.mark.parametrize('endpoint', ['swap_tpsl_order', 'swap_tpsl_openorders', 'swap_tpsl_cancelall'])
def test_lifecycle_errors_carry_no_credentials(live_exchange: Any, sandbox: Sandbox, run: Run, endpoint: str) -> None:
    run(live_exchange.load_markets())
    sandbox.inject(endpoint, http_status=502)  # ccxt's message holds the signed URL
    call = {
        'swap_tpsl_order': lambda: live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000),
        'swap_tpsl_openorders': lambda: live_exchange.fetch_open_isolated_tpsl_orders(SYMBOL),
        'swap_tpsl_cancelall': lambda: live_exchange.cancel_all_isolated_tpsl_orders(SYMBOL),
    }[endpoint]
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(call())
    assert 'AccessKeyId=***' in str(raised.value) and 'Signature=***' in str(raised.value)
    assert live_exchange.apiKey not in str(raised.value) and raised.value.__cause__ is None


@pytest.mark.parametrize('amount', [10**30, '1e9999999', '-0', float('inf')])
def test_create_refuses_absurd_amounts_quickly(live_exchange: Any, run: Run, amount: Any) -> None:
    run(live_exchange.load_markets())
    with pytest.raises(ccxt.BadRequest, match='amount'):
        run(live_exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', amount, 70000))


def test_cancel_all_reads_its_reply_like_a_cancel(make_exchange: Any) -> None:
    exchange = make_exchange()
    reply = {'status': 'ok', 'data': {'successes': ['1300000000000000001', 1300000000000000002],
                                      'errors': [{'order_id': '1300000000000000002', 'err_code': 1061},
                                                 {'order_id': '1300000000000000003', 'err_code': 1071}]}}
    orders = exchange._tpsl_parse_cancel_all({'symbol': SYMBOL}, reply)
    assert [(o['id'], o['status']) for o in orders] == [
        ('1300000000000000001', 'canceled'), ('1300000000000000002', 'canceled'), ('1300000000000000003', 'canceled')
    ]  # a list of successes is read, an id named twice once (its success wins), 1071 is canceled


def test_cancel_all_refuses_a_reply_that_is_neither_ok_nor_error(make_exchange: Any) -> None:
    exchange = make_exchange()
    with pytest.raises(ccxt.BadResponse, match='unexpected reply'):
        exchange._tpsl_parse_cancel_all({'symbol': SYMBOL}, {'status': 'weird', 'data': {'successes': '1'}})
