"""cancel_isolated_tpsl_orders on a classic account, replayed from cassettes recorded against the sandbox.

Every test runs twice, for the sync and the async class (the ``flavour`` fixture). ``recording``
is the sandbox only while recording (``pytest --record-mode=rewrite``); it seeds the orders the
replayed requests then find. Replays match on method, path, query and body, so a change in what
the plugin sends fails these tests. With the default route ('auto') the first request of an
exchange asks HTX for the account's asset mode; these accounts are classic.
"""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox

from .conftest import REPLAY_HOSTNAME, Run, assert_ccxt_orders, ids, seed, statuses

ORDER_KEYS = {
    'info', 'id', 'clientOrderId', 'timestamp', 'datetime', 'lastTradeTimestamp', 'symbol', 'type',
    'timeInForce', 'postOnly', 'side', 'price', 'stopPrice', 'amount', 'cost', 'average', 'filled',
    'remaining', 'status', 'fee', 'trades',
}
SYMBOL = 'BTC/USDT:USDT'


def assert_no_credentials(*texts: Any, secrets: tuple[str, ...] = (DEMO_API_KEY, DEMO_SECRET)) -> None:
    for text in texts:
        for secret in secrets:
            assert secret not in str(text)


def cancel_requests(cassette: Any) -> list[dict[str, str]]:
    return [json.loads(r.body) for r in cassette.requests if r.method == 'POST']


def codes(orders: list[dict[str, Any]]) -> list[Any]:
    return [ccxt_htx_tpsl.outcome(o).code for o in orders]


@pytest.mark.vcr
def test_full_success(exchange: Any, run: Run, recording: Sandbox | None, vcr: Any) -> None:
    wanted = ids(0, 3)
    seed(recording, wanted)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['id'] for o in orders] == wanted
    assert statuses(orders) == ['canceled'] * 3
    for order in orders:
        assert set(order) >= ORDER_KEYS
        assert isinstance(order['id'], str)
        assert order['symbol'] == SYMBOL
        assert order['info'] == order['id']  # the raw success id
    assert cancel_requests(vcr) == [{'contract_code': 'BTC-USDT', 'order_id': ','.join(wanted)}]
    assert [r.path for r in vcr.requests if r.method == 'GET'][-1] == '/v5/account/asset_mode'  # asked once
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
def test_contract_code_as_symbol_and_int_ids(exchange: Any, run: Run, recording: Sandbox | None) -> None:
    wanted = ids(10, 2)
    seed(recording, wanted)
    orders = run(exchange.cancelIsolatedTpslOrders([int(wanted[0]), wanted[1]], 'BTC-USDT'))
    assert [o['id'] for o in orders] == wanted  # ints beyond 2**53 come back exact, as str
    assert statuses(orders) == ['canceled', 'canceled']
    assert {o['symbol'] for o in orders} == {SYMBOL}


@pytest.mark.vcr
def test_partial_failure_is_a_result(exchange: Any, run: Run, recording: Sandbox | None) -> None:
    active, cancelled, executed, unknown = ids(20, 4)
    seed(recording, [active])
    seed(recording, [cancelled], status=6)
    seed(recording, [executed], status=4)
    orders = run(exchange.cancel_isolated_tpsl_orders([unknown, active, cancelled, executed], SYMBOL))
    assert [o['id'] for o in orders] == [unknown, active, cancelled, executed]
    # not found: no state HTX confirms; cancelled now; already cancelled; already executed
    assert statuses(orders) == [None, 'canceled', 'canceled', 'closed']
    assert codes(orders) == ['1061', None, '1071', '1063']
    assert [o['info'].get('err_code') if isinstance(o['info'], dict) else None for o in orders] == [
        1061, None, 1071, 1063
    ]
    assert all(o['info']['order_id'] == o['id'] for o in orders if isinstance(o['info'], dict))
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
def test_system_error_is_no_refusal(exchange: Any, run: Run, recording: Sandbox | None) -> None:
    """HTX's 1000 "System error" does not say the cancel did nothing: read like a lost reply
    (ids without a state and without a refusal code), never as HTX's refusal."""
    exchange.options['tpslReconcile'] = False  # what a lost reply alone says (reconciliation: test_reconcile*)
    wanted = ids(200, 3)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', err_code=1000)
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'resendRateLimited': 0}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['id'] for o in orders] == wanted
    assert statuses(orders) == [None] * 3
    assert codes(orders) == [None] * 3  # not "refused with 1000"
    assert all('may have been carried out' in o['info']['err_msg'] for o in orders)
    assert raised.value.htx_reply is None  # type: ignore[attr-defined]
    assert_no_credentials(raised.value)
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
@pytest.mark.htx_recordable
def test_all_ids_failing_is_a_result(exchange: Any, run: Run) -> None:
    wanted = ids(30, 3)
    orders = run(exchange.cancel_isolated_tpsl_orders(','.join(wanted), SYMBOL))
    assert statuses(orders) == [None] * 3  # a result, not an exception: HTX answered for every id
    assert set(codes(orders)) == {'1061'}
    assert all(ccxt_htx_tpsl.outcome(o).message for o in orders)
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
def test_25_ids_go_in_3_requests_of_at_most_10(exchange: Any, run: Run, recording: Sandbox | None, vcr: Any) -> None:
    wanted = ids(100, 25)
    seed(recording, wanted)
    with_duplicates = wanted[:5] + wanted + wanted[3:8]
    orders = run(exchange.cancel_isolated_tpsl_orders(with_duplicates, SYMBOL))
    assert [o['id'] for o in orders] == wanted[:5] + wanted[5:]  # duplicates folded, caller's order kept
    assert statuses(orders) == ['canceled'] * 25
    sent = cancel_requests(vcr)
    assert sorted(len(r['order_id'].split(',')) for r in sent) == [5, 10, 10]
    assert sorted(i for r in sent for i in r['order_id'].split(',')) == sorted(wanted)
    assert recording or vcr.all_played  # replay: exactly the recorded requests, each once


TOP_LEVEL_ERRORS = [
    (1032, ccxt.RateLimitExceeded),
    (1052, ccxt.BadRequest),
    (1004, ccxt.ExchangeNotAvailable),
    (1001, ccxt.OnMaintenance),
]


@pytest.mark.vcr
@pytest.mark.parametrize(('code', 'error'), TOP_LEVEL_ERRORS, ids=[str(c) for c, _ in TOP_LEVEL_ERRORS])
def test_top_level_error(
    exchange: Any, run: Run, recording: Sandbox | None, code: int, error: type[Exception]
) -> None:
    wanted = ids(200, 3)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', err_code=code)
    with pytest.raises(error) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'resendRateLimited': 0}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['id'] for o in orders] == wanted
    assert statuses(orders) == [None] * 3  # HTX refused the whole request: nothing done, no state confirmed
    assert set(codes(orders)) == {str(code)}
    assert raised.value.htx_reply['err_code'] == code  # type: ignore[attr-defined]  # HTX's refusal, as sent
    assert_no_credentials(raised.value)
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
@pytest.mark.htx_recordable
def test_bad_credentials_raise_authentication_error(make_exchange: Any, run: Run, recording: Sandbox | None) -> None:
    exchange = make_exchange(recording.hostname if recording else REPLAY_HOSTNAME, secret='not-' + DEMO_SECRET)
    wanted = ids(210, 2)
    with pytest.raises(ccxt.AuthenticationError) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert statuses(raised.value.orders) == [None, None]  # type: ignore[attr-defined]
    assert set(codes(raised.value.orders)) == {'403'}  # type: ignore[attr-defined]
    assert_no_credentials(raised.value, raised.value.orders, secrets=(DEMO_API_KEY, 'not-' + DEMO_SECRET))  # type: ignore[attr-defined]


@pytest.mark.vcr
def test_html_502_raises_exchange_not_available_with_unknown_outcomes(
    exchange: Any, run: Run, recording: Sandbox | None
) -> None:
    exchange.options['tpslReconcile'] = False  # what a lost reply alone says (reconciliation: test_reconcile*)
    wanted = ids(220, 2)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', http_status=502)
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert statuses(orders) == [None, None]  # a gateway error says nothing about the orders
    assert {o['info']['error'] for o in orders} == {'ExchangeNotAvailable'}
    assert codes(orders) == [None, None]
    assert '502' in str(raised.value)
    assert_no_credentials(raised.value, orders)
    assert 'AccessKeyId=***' in str(raised.value)  # the URL stays, its credentials do not
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
def test_mid_batch_failure_keeps_every_outcome(exchange: Any, run: Run, recording: Sandbox | None) -> None:
    wanted = ids(300, 25)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', after=1, err_code=1004)
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['id'] for o in orders] == wanted
    assert statuses(orders) == ['canceled'] * 10 + [None] * 10 + ['canceled'] * 5
    assert set(codes(orders[10:20])) == {'1004'}
    assert '15 canceled' in str(raised.value) and '10 without a confirmed state' in str(raised.value)
    assert_ccxt_orders(exchange, orders, SYMBOL)


@pytest.mark.vcr
def test_a_1032_refusal_is_re_sent_by_default(exchange: Any, run: Run, recording: Sandbox | None, vcr: Any) -> None:
    wanted = ids(350, 15)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', after=1, err_code=1032)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert statuses(orders) == ['canceled'] * 15  # the refused request did nothing, so it was sent again
    assert len(cancel_requests(vcr)) == 3
    assert exchange.tpsl_counters['rate_limited_resends'] == 1


@pytest.mark.vcr
def test_mid_batch_gateway_error_marks_only_that_chunk_unknown(
    exchange: Any, run: Run, recording: Sandbox | None
) -> None:
    exchange.options['tpslReconcile'] = False  # what a lost reply alone says (reconciliation: test_reconcile*)
    wanted = ids(400, 15)
    seed(recording, wanted)
    if recording:
        recording.inject('swap_tpsl_cancel', after=1, http_status=502)
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert statuses(raised.value.orders) == ['canceled'] * 10 + [None] * 5  # type: ignore[attr-defined]
    assert_ccxt_orders(exchange, raised.value.orders, SYMBOL)  # type: ignore[attr-defined]


# -- bad input: refused before anything is sent --------------------------------------------


@pytest.mark.parametrize(
    ('bad_ids', 'error', 'words'),
    [
        (None, ccxt.ArgumentsRequired, 'non-empty list'),
        ([], ccxt.ArgumentsRequired, 'non-empty list'),
        ('', ccxt.ArgumentsRequired, 'non-empty list'),
        (['1300000000000000001', ' '], ccxt.BadRequest, 'position 1 is blank'),
        (['1300000000000000001,1300000000000000002'], ccxt.BadRequest, 'not an HTX order id'),
        (['12a'], ccxt.BadRequest, 'not an HTX order id'),
        ([-5], ccxt.BadRequest, 'not an HTX order id'),
        ([True], ccxt.BadRequest, 'must be a str or int, got bool'),
        ([1.3e18], ccxt.BadRequest, 'must be a str or int, got float'),
        ([None], ccxt.BadRequest, 'must be a str or int, got NoneType'),
        ([['1']], ccxt.BadRequest, 'must be a str or int, got list'),
        ({'1': 1}, ccxt.BadRequest, 'got dict'),
        ([str(2**63)], ccxt.BadRequest, 'at most 19 digits'),
    ],
)
def test_bad_ids_are_refused_before_sending(
    make_exchange: Any, run: Run, bad_ids: Any, error: type[Exception], words: str
) -> None:
    exchange = make_exchange()
    with pytest.raises(error, match=words):
        run(exchange.cancel_isolated_tpsl_orders(bad_ids, SYMBOL))
    assert exchange.last_request_url is None  # nothing sent, not even load_markets


def test_missing_symbol_is_arguments_required(make_exchange: Any, run: Run) -> None:
    exchange = make_exchange()
    with pytest.raises(ccxt.ArgumentsRequired, match='requires a symbol'):
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 1)))
    assert exchange.last_request_url is None


def _add_markets(exchange: Any) -> None:
    """Markets the sandbox config does not load: a spot and an inverse swap, built from BTC's."""
    base = exchange.markets[SYMBOL]
    spot = dict(base, id='btcusdt', symbol='BTC/USDT', type='spot', spot=True, swap=False, contract=False,
                linear=None, inverse=None, settle=None, settleId=None)
    inverse = dict(base, id='BTC-USD', symbol='BTC/USD:BTC', quote='USD', quoteId='usd', settle='BTC',
                   settleId='btc', linear=False, inverse=True)
    exchange.set_markets([*exchange.markets.values(), spot, inverse])


@pytest.mark.vcr
@pytest.mark.parametrize(
    ('symbol', 'error', 'words'),
    [
        ('DOGE/USDT:USDT', ccxt.BadSymbol, 'does not have market symbol'),
        ('BTC/USDT', ccxt.BadSymbol, 'spot market'),
        ('BTC/USD:BTC', ccxt.BadSymbol, 'coin-margined'),
        ('BTC/USDT:USDT-261225', ccxt.BadSymbol, 'dated future'),
        ('XRP/USDT:USDT', ccxt.NotSupported, 'cross margin only'),
    ],
    ids=['unknown', 'spot', 'inverse', 'future', 'cross-only'],
)
def test_markets_without_isolated_tpsl_are_refused_before_sending(
    exchange: Any, run: Run, vcr: Any, symbol: str, error: type[Exception], words: str
) -> None:
    run(exchange.load_markets())
    _add_markets(exchange)
    with pytest.raises(error, match=words):
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 1), symbol))
    assert cancel_requests(vcr) == []


def test_an_over_long_id_is_bad_request_not_value_error(make_exchange: Any, run: Run) -> None:
    exchange = make_exchange()
    for bad in ('9' * 5000, 10**5000):
        with pytest.raises(ccxt.BadRequest, match='at most 19 digits'):
            run(exchange.cancel_isolated_tpsl_orders([bad], SYMBOL))
    assert exchange.last_request_url is None


# -- ccxt behaviour stays ccxt's ------------------------------------------------------------


def test_other_endpoints_keep_ccxt_error_handling(make_exchange: Any, flavour: str) -> None:
    exchange = make_exchange()
    plain = ccxt.htx() if flavour == 'sync' else ccxt.async_support.htx()
    body = ('{"status":"ok","data":{"errors":[{"order_id":"1","err_code":1061,"err_msg":"This order doesnt exist."}],'
            '"successes":"2"},"ts":1}')
    limited = '{"status":"error","err_code":1032,"err_msg":"The number of access exceeded the limit.","ts":1}'
    other = 'https://api.hbdm.vn/swap-api/v1/swap_tpsl_cancel'  # coin-margined: ccxt's, not ours

    def outcome(exchange: Any, url: str, text: str, own: bool = False) -> Any:
        try:
            if not own:
                return exchange.handle_errors(200, 'OK', url, 'POST', {}, text, exchange.parse_json(text), {}, '')
            with exchange._tpsl_own_request():  # a request one of the package's flows sends
                return exchange.handle_errors(200, 'OK', url, 'POST', {}, text, exchange.parse_json(text), {}, '')
        except ccxt.BaseError as error:
            return type(error)

    for text in (body, limited):  # whatever this ccxt release does there, the plugin does the same
        assert outcome(exchange, other, text) == outcome(plain, other, text)
    ours = 'https://api.hbdm.vn/linear-swap-api/v1/swap_tpsl_cancel?AccessKeyId=x'
    assert outcome(exchange, ours, body, own=True) is None  # a partly refused batch is a result
    assert outcome(exchange, ours, limited, own=True) is ccxt.RateLimitExceeded  # ccxt maps 1032 nowhere
    refused_item = ('{"code":200,"message":"Success","data":[{"code":1061,"message":"x","algo_id":"1",'
                    '"algo_client_order_id":null}],"ts":1}')
    v5 = 'https://api.hbdm.vn/v5/algo/cancel_orders?AccessKeyId=x'  # a refused v5 item is a result too
    assert outcome(exchange, v5, refused_item, own=True) is None
    # the same endpoints, sent by ccxt's own methods (not the package's flows): ccxt's reading, as in plain ccxt
    for url in (ours, v5):
        for text in (body, limited, refused_item):
            assert outcome(exchange, url, text) == outcome(plain, url, text)


def test_public_contract(make_exchange: Any, flavour: str) -> None:
    exchange = make_exchange()
    assert exchange.id == 'htx'
    for name in ('cancelIsolatedTpslOrders', 'cancelCrossTpslOrders', 'createIsolatedTpslOrders',
                 'createCrossTpslOrders', 'fetchOpenIsolatedTpslOrders', 'fetchOpenCrossTpslOrders',
                 'cancelAllIsolatedTpslOrders', 'cancelAllCrossTpslOrders'):
        assert exchange.has[name] is True
        snake = ''.join('_' + c.lower() if c.isupper() else c for c in name)
        assert getattr(exchange, name) == getattr(exchange, snake)  # ccxt's camelCase alias
    with pytest.raises(ccxt.NotSupported, match='sandbox'):
        exchange.set_sandbox_mode(True)  # HTX has no USDT-M testnet: the message says what to use
    assert (exchange.contractPrivatePostLinearSwapApiV1SwapTpslCancel.__func__
            is exchange.contract_private_post_linear_swap_api_v1_swap_tpsl_cancel.__func__)
    parent = ccxt.htx if flavour == 'sync' else ccxt.async_support.htx
    assert isinstance(exchange, parent)


def test_tpsl_endpoints_are_paced_by_their_own_windows_not_by_ccxts_bucket(make_exchange: Any) -> None:
    exchange = make_exchange()
    api = ['contract', 'private']
    path = 'linear-swap-api/v1/swap_tpsl_cancel'
    assert exchange.calculate_rate_limiter_cost(api, 'POST', path, {}, {'cost': 1}) == 1
    assert exchange._tpsl_take_pending() == 'POST ' + path  # throttle() will wait for this endpoint's windows
    assert exchange._tpsl_take_pending() is None
    other = exchange.calculate_rate_limiter_cost(api, 'POST', 'api/v1/contract_tpsl_cancel', {}, {'cost': 1})
    assert other == 1 and exchange._tpsl_take_pending() is None  # ccxt's own pacing for everything else
    windows = exchange._tpsl_pacer.windows
    assert (windows['POST ' + path].limit, windows['POST ' + path].interval) == (5, 1000)
    assert (windows['uid:trade'].limit, windows['uid:trade'].interval) == (72, 3000)
    assert exchange._tpsl_pacer.paths['POST v5/algo/cancel_orders'] == ('POST v5/algo/cancel_orders', 'uid:trade')
    tuned = make_exchange(options={'tpslRateLimits': {'POST ' + path: [4, 1000]}})
    assert tuned._tpsl_pacer.windows['POST ' + path].limit == 4


@pytest.mark.parametrize(
    ('params', 'words'),
    [(None, 'params must be a dict'), ({'maxRetriesOnFailure': 'x'}, 'maxRetriesOnFailure must be'),
     ({'maxRetriesOnFailure': 1, 'maxRetriesOnFailureDelay': 'abc'}, 'maxRetriesOnFailureDelay must be'),
     ({'maxRetriesOnFailure': -1}, 'maxRetriesOnFailure must be'),
     ({'maxRetriesOnFailureDelay': float('nan')}, 'maxRetriesOnFailureDelay must be'),
     ({'defaultMaxRetriesOnFailureDelay': float('inf')}, 'maxRetriesOnFailureDelay must be'),
     ({'maxRetriesOnFailure': 1.5}, 'maxRetriesOnFailure must be'),
     ({'route': None}, 'route must be one of'), ({'route': ''}, 'route must be one of'),
     ({'route': 'v2'}, 'route must be one of'), ({'resendRateLimited': -1}, 'resendRateLimited must be'),
     ({'order_id': '1'}, 'sets order_id itself'), ({'contract_code': 'ETH-USDT'}, 'sets contract_code itself'),
     ({'algo_id': '1'}, 'sets algo_id itself')],
)
def test_bad_params_are_refused_before_sending(make_exchange: Any, run: Run, params: Any, words: str) -> None:
    exchange = make_exchange()
    with pytest.raises(ccxt.BadRequest, match=words):
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 1), SYMBOL, params))
    assert exchange.last_request_url is None
