"""ccxt's own order calls with a TP/SL flag (or price) on a USDT-margined swap are answered by the
package's flows, on both families; every other call, and every call with ``options['tpslUnified']``
False, stays ccxt's: the same requests, byte for byte, and ccxt's exception classes."""

from __future__ import annotations

import importlib.util
import pathlib
import sys
from typing import Any

import ccxt
import ccxt.async_support
import pytest

import ccxt_htx_tpsl
import ccxt_htx_tpsl.pro
from ccxt_htx_tpsl.sandbox import Sandbox

from .ccxt_checks import assert_ccxt_orders
from .conftest import Run

SYMBOL = 'BTC/USDT:USDT'
TPSL = {'stopLossTakeProfit': True}
UNKNOWN = '1300000000000000009'
ROOT = pathlib.Path(__file__).resolve().parent.parent


def _example() -> Any:
    spec = importlib.util.spec_from_file_location('unified_bot', ROOT / 'examples' / 'unified_bot.py')
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules['unified_bot'] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


unified_bot = _example()
# ccxt 4.5.59 moved its USDT-M TP/SL calls from the classic endpoints to v5 (on every account)
CCXT_SENDS_V5 = tuple(int(part) for part in ccxt.__version__.split('.')[:3]) >= (4, 5, 59)


@pytest.fixture(params=['unified', 'classic'])
def account_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ex(live_exchange: Any, run: Run) -> Any:
    run(live_exchange.load_markets())
    return live_exchange


def tpsl_requests(sandbox: Sandbox, since: int = 0) -> list[str]:
    return [r.endpoint for r in sandbox.requests[since:] if r.endpoint not in ('swap_contract_info', 'asset_mode')]


# -- the example bot: true answers here, ccxt's wrong ones on ccxt.htx ---------------------------


def test_the_unified_bot_gets_true_answers(flavour: str, account_mode: str) -> None:
    checks = unified_bot.run(account_mode, use_async=flavour == 'async')
    wrong = [c for c in checks if not c.ok]
    assert len(checks) == 11 and not wrong, wrong


def test_the_same_bot_on_plain_ccxt_shows_what_ccxt_gets_wrong(flavour: str, account_mode: str) -> None:
    checks = {c.step: c for c in unified_bot.run(account_mode, use_async=flavour == 'async', plain_ccxt=True)}
    # wrong on every ccxt release supported: a take-profit dropped, a batch with an unknown id, a fired order
    wrong = ['create_order with both prices', 'cancel_orders [new stop-loss, unknown id]',
             'fetch_order fired stop-loss', 'fetch_closed_orders']
    if CCXT_SENDS_V5:  # ccxt 4.5.59 and later (the README's list): every TP/SL call goes to v5, on every account
        wrong += ['cancel_all_orders', 'fetch_open_orders stopLossTakeProfit']
        wrong += ['cancel_order unknown id'] if account_mode == 'unified' else []  # read as cancelled
    for step in wrong:
        assert not checks[step].ok, checks[step]


# -- what each call does -------------------------------------------------------------------------


def test_create_order_places_one_tpsl_leg_of_the_margin_mode_ccxt_would_use(
        ex: Any, run: Run, sandbox: Sandbox, account_mode: str) -> None:
    before = len(sandbox.requests)
    sl = run(ex.create_order(SYMBOL, 'market', 'sell', 2, None, {'stopLossPrice': 50000}))
    tp = run(ex.create_order(SYMBOL, 'limit', 'buy', 1, 30500, {'takeProfitPrice': 30000, 'marginMode': 'isolated'}))
    assert_ccxt_orders(ex, [sl, tp], SYMBOL)
    assert (sl['status'], sl['stopLossPrice'], sl['takeProfitPrice'], sl['side'], sl['amount']) == \
        ('open', 50000, None, 'sell', 2)
    assert (tp['takeProfitPrice'], tp['type'], tp['price'], tp['side']) == (30000, 'limit', 30500, 'buy')
    if account_mode == 'classic':  # ccxt's default margin mode for createOrder is cross
        assert tpsl_requests(sandbox, before) == ['swap_cross_tpsl_order', 'swap_tpsl_order']
        assert sandbox.order(sl['id'])['margin_mode'] == 'cross'
        assert sandbox.order(tp['id'])['margin_mode'] == 'isolated'
    else:
        assert tpsl_requests(sandbox, before) == ['order', 'order']
        assert (sandbox.algo_order(sl['id'])['margin_mode'], sandbox.algo_order(sl['id'])['type']) == ('cross', 'sl')
        assert (sandbox.algo_order(tp['id'])['margin_mode'], sandbox.algo_order(tp['id'])['position_side']) == \
            ('isolated', 'short')


@pytest.mark.parametrize('params, words', [
    ({'stopLossPrice': 50000, 'takeProfitPrice': 150000}, 'two TP/SL orders'),
    ({'stopLossPrice': 50000, 'timeInForce': 'IOC'}, 'timeInForce'),
    ({'stopLossPrice': 50000, 'postOnly': True}, 'postOnly'),
    ({'stopLossPrice': 50000, 'marginMode': 'portfolio'}, 'marginMode'),
    ({'stopLossPrice': 'abc'}, 'trigger price'),
    ({'stopLossPrice': 50000, 'someCcxtName': 1}, 'someCcxtName'),
])
def test_bad_tpsl_creates_are_refused_before_anything_is_sent(
        ex: Any, run: Run, sandbox: Sandbox, params: dict[str, Any], words: str) -> None:
    before = len(sandbox.requests)
    with pytest.raises(ccxt.BadRequest, match=words):
        run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, params))
    assert tpsl_requests(sandbox, before) == []


def test_listings_return_every_tpsl_kind_and_the_flags_filter_by_kind(
        ex: Any, run: Run, sandbox: Sandbox, account_mode: str) -> None:
    if account_mode == 'classic':
        tp = sandbox.add_tpsl_orders('BTC-USDT', count=1, tpsl_order_type='tp', margin_mode='cross')
        sl = sandbox.add_tpsl_orders('BTC-USDT', count=1, tpsl_order_type='sl', margin_mode='isolated')
        both: list[str] = []
    else:
        tp = sandbox.add_algo_orders('BTC-USDT', 1, type='tp', margin_mode='cross')
        sl = sandbox.add_algo_orders('BTC-USDT', 1, type='sl', margin_mode='isolated')
        both = sandbox.add_algo_orders('BTC-USDT', 1, type='tpsl', margin_mode='cross')
    listed = run(ex.fetch_open_orders(SYMBOL, None, None, TPSL))  # both margin modes: ccxt names none here
    assert_ccxt_orders(ex, listed, SYMBOL)
    assert sorted(o['id'] for o in listed) == sorted(tp + sl + both)
    assert sorted(o['id'] for o in run(ex.fetch_open_orders(SYMBOL, None, None, {'stopLoss': True}))) == \
        sorted(sl + both)
    assert sorted(o['id'] for o in run(ex.fetch_open_orders(SYMBOL, None, None, {'takeProfit': True}))) == \
        sorted(tp + both)
    assert [o['id'] for o in run(ex.fetch_open_orders(SYMBOL, None, None, dict(TPSL, marginMode='isolated')))] == sl
    assert len(run(ex.fetch_open_orders(SYMBOL, None, 1, TPSL))) == 1


def test_cancel_order_returns_the_cancelled_order_and_raises_what_htx_said_otherwise(
        ex: Any, run: Run, sandbox: Sandbox, account_mode: str) -> None:
    # an isolated order, cancelled without a margin mode (ccxt's cancel_order names none): found in either
    if account_mode == 'classic':
        waiting, fired = sandbox.add_tpsl_orders('BTC-USDT', count=2, margin_mode='isolated')
        sandbox.set_order_status(fired, 4)
    else:
        waiting, fired = sandbox.add_algo_orders('BTC-USDT', 2, margin_mode='isolated')
        sandbox.set_algo_state(fired, 'effective')
    cancelled = run(ex.cancel_order(waiting, SYMBOL, {'stopLoss': True}))
    assert_ccxt_orders(ex, [cancelled], SYMBOL)
    assert (cancelled['id'], cancelled['status']) == (waiting, 'canceled')
    with pytest.raises(ccxt.OrderNotFound, match='1061') as unknown:
        run(ex.cancel_order(UNKNOWN, SYMBOL, TPSL))
    assert [o['id'] for o in unknown.value.orders] == [UNKNOWN]
    assert ccxt_htx_tpsl.outcome(unknown.value.orders[0]).code == '1061'
    with pytest.raises(ccxt.InvalidOrder, match='1063') as executed:
        run(ex.cancel_order(fired, SYMBOL, TPSL))
    assert not isinstance(executed.value, ccxt.OrderNotFound)
    assert executed.value.orders[0]['status'] == 'closed'


def test_history_calls_and_fetch_order_follow_a_fired_and_a_cancelled_order(
        ex: Any, run: Run, sandbox: Sandbox) -> None:
    sl = run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000}))
    tp = run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'takeProfitPrice': 150000}))
    run(ex.cancel_orders([tp['id']], SYMBOL, TPSL))
    assert sandbox.set_mark_price('BTC-USDT', 49000) == [sl['id']]
    fired = run(ex.fetch_order(sl['id'], SYMBOL, TPSL))
    assert (fired['status'], ccxt_htx_tpsl.outcome(fired).placed is not None) == ('closed', True)
    assert run(ex.fetch_order(tp['id'], SYMBOL, {'takeProfit': True}))['status'] == 'canceled'
    with pytest.raises(ccxt.OrderNotFound):
        run(ex.fetch_order(UNKNOWN, SYMBOL, TPSL))
    closed = run(ex.fetch_closed_orders(SYMBOL, None, None, TPSL))
    canceled = run(ex.fetch_canceled_orders(SYMBOL, None, None, TPSL))
    finished = run(ex.fetch_canceled_and_closed_orders(SYMBOL, None, None, TPSL))
    every = run(ex.fetch_orders(SYMBOL, None, None, TPSL))
    assert_ccxt_orders(ex, closed + canceled + finished + every, SYMBOL)
    assert [o['id'] for o in closed] == [sl['id']] and [o['id'] for o in canceled] == [tp['id']]
    assert sorted(o['id'] for o in finished) == sorted(o['id'] for o in every) == sorted([sl['id'], tp['id']])
    assert run(ex.fetch_closed_orders(SYMBOL, None, None, dict(TPSL, until=fired['timestamp'] - 1))) == []


def test_cancel_all_orders_cancels_every_tpsl_of_both_margin_modes(
        ex: Any, run: Run, sandbox: Sandbox, account_mode: str) -> None:
    run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000}))
    run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 51000, 'marginMode': 'isolated'}))
    cancelled = run(ex.cancel_all_orders(SYMBOL, TPSL))
    assert_ccxt_orders(ex, cancelled, SYMBOL)
    assert len(cancelled) == 2 and {o['status'] for o in cancelled} == {'canceled'}
    assert run(ex.fetch_open_orders(SYMBOL, None, None, TPSL)) == []


# -- what stays ccxt's ---------------------------------------------------------------------------


def test_the_pro_class_answers_the_same_calls(sandbox: Sandbox) -> None:
    import asyncio

    async def main() -> list[Any]:
        exchange = ccxt_htx_tpsl.pro.htx(sandbox.exchange_config())
        try:
            order = await exchange.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000})
            return [order, await exchange.fetch_open_orders(SYMBOL, None, None, TPSL)]
        finally:
            await exchange.close()

    order, listed = asyncio.run(main())
    assert [o['id'] for o in listed] == [order['id']]


def _recorder(exchange: Any, sent: list[tuple[Any, ...]], flavour: str) -> None:
    """``exchange.fetch`` records what would go out and answers an empty success; the clock is fixed."""
    def answer(url: str) -> Any:
        return {'status': 'ok', 'data': [], 'ts': 1} if '/linear-swap-api/' in url else \
            {'code': 200, 'message': 'Success', 'data': [], 'ts': 1}

    def fetch(url: str, method: str = 'GET', headers: Any = None, body: Any = None) -> Any:
        sent.append((method, url, body))
        return answer(url)

    async def fetch_async(url: str, method: str = 'GET', headers: Any = None, body: Any = None) -> Any:
        return fetch(url, method, headers, body)

    exchange.fetch = fetch if flavour == 'sync' else fetch_async
    exchange.milliseconds = lambda: 1_790_000_000_000  # the signature's timestamp: the same for every class
    exchange.enableRateLimit = False  # nothing is sent: no pacing to wait for (and a fixed clock would stall it)


CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ('create_order', (SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000})),
    ('create_order', (SYMBOL, 'limit', 'sell', 1, 151000, {'takeProfitPrice': 150000, 'marginMode': 'isolated'})),
    ('create_order', (SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000, 'takeProfitPrice': 150000})),
    ('cancel_order', (UNKNOWN, SYMBOL, TPSL)),
    ('cancel_order', (UNKNOWN, SYMBOL, {'stopLoss': True})),
    ('cancel_orders', ([UNKNOWN, '1300000000000000008'], SYMBOL, TPSL)),
    ('cancel_all_orders', (SYMBOL, TPSL)),
    ('fetch_order', (UNKNOWN, SYMBOL, TPSL)),
    ('fetch_orders', (SYMBOL, None, 10, TPSL)),
    ('fetch_open_orders', (SYMBOL, None, None, TPSL)),
    ('fetch_open_orders', (SYMBOL, None, None, {'takeProfit': True})),
    ('fetch_closed_orders', (SYMBOL, 1_780_000_000_000, None, TPSL)),
    ('fetch_canceled_orders', (SYMBOL, None, None, dict(TPSL, marginMode='isolated'))),
    ('fetch_canceled_and_closed_orders', (SYMBOL, None, None, TPSL)),
    ('fetch_open_orders', (SYMBOL, None, None, {'trigger': True})),  # ccxt's in any case
]


@pytest.mark.parametrize('account_mode', ['unified'])
def test_tpsl_unified_false_sends_ccxts_requests_byte_for_byte(
        flavour: str, run: Run, sandbox: Sandbox) -> None:
    plain_class = ccxt.htx if flavour == 'sync' else ccxt.async_support.htx
    ours_class = ccxt_htx_tpsl.htx if flavour == 'sync' else ccxt_htx_tpsl.async_support.htx
    recorded: dict[str, list[tuple[Any, ...]]] = {}
    outcomes: dict[str, list[str]] = {}
    for name, cls, options in (('ccxt', plain_class, {}), ('off', ours_class, {'tpslUnified': False}),
                               ('on', ours_class, {})):
        config = sandbox.exchange_config()
        config['options'] = dict(config.get('options', {}), **options)
        exchange = cls(config)
        try:
            run(exchange.load_markets())
            sent: list[tuple[Any, ...]] = []
            _recorder(exchange, sent, flavour)
            outcomes[name] = []
            for method, args in CALLS:
                try:
                    value = getattr(exchange, method)(*[dict(a) if isinstance(a, dict) else a for a in args])
                    run(value)
                    outcomes[name].append('ok')
                except Exception as error:  # whatever ccxt makes of an empty reply: the same on both
                    outcomes[name].append(type(error).__name__)
            recorded[name] = sent
        finally:
            if flavour == 'async':
                run(exchange.close())
    assert recorded['off'] == recorded['ccxt'] and len(recorded['ccxt']) >= len(CALLS) - 3
    assert outcomes['off'] == outcomes['ccxt']
    assert recorded['on'] != recorded['ccxt']  # the test can fail: the package's own requests differ


@pytest.mark.parametrize('account_mode', ['classic'])
@pytest.mark.parametrize('unified', [True, False], ids=['tpslUnified', 'tpslUnified-False'])
def test_calls_the_package_leaves_to_ccxt_raise_ccxts_exception_classes(
        flavour: str, run: Run, sandbox: Sandbox, unified: bool) -> None:
    # a classic account: ccxt sends these to v5 endpoints, which refuse them; the class must be ccxt's
    calls = [('fetch_open_orders', (SYMBOL, None, None, {'trigger': True})),
             ('fetch_open_orders', (SYMBOL, None, None, TPSL)),
             ('cancel_order', (UNKNOWN, SYMBOL, {'trailing': True})),
             ('fetch_order', (UNKNOWN, SYMBOL, dict(TPSL, clientOrderId='abc')))]
    raised: dict[str, list[str]] = {}
    for name, cls in (('ccxt', ccxt.htx if flavour == 'sync' else ccxt.async_support.htx),
                      ('ours', ccxt_htx_tpsl.htx if flavour == 'sync' else ccxt_htx_tpsl.async_support.htx)):
        config = sandbox.exchange_config()
        config['options'] = dict(config.get('options', {}), tpslUnified=unified)
        exchange = cls(config)
        raised[name] = []
        try:
            for method, args in calls:
                if name == 'ours' and unified and args[-1] == TPSL:
                    continue  # the package answers this one (next test file: it lists the classic orders)
                try:
                    run(getattr(exchange, method)(*args))
                    raised[name].append('nothing')
                except ccxt.BaseError as error:
                    raised[name].append(type(error).__name__)
        finally:
            if flavour == 'async':
                run(exchange.close())
    taken = [unified and args[-1] == TPSL for _, args in calls]  # the calls the package answers itself
    expected = [r for r, ours in zip(raised['ccxt'], taken, strict=True) if not ours]
    assert raised['ours'] == expected
    if CCXT_SENDS_V5:  # ccxt sends these to v5, which a classic account refuses: ccxt maps it to BadRequest
        assert 'BadRequest' in raised['ccxt']  # ... and the package must not turn it into NotSupported


# -- review findings, each pinned ------------------------------------------------------------------


def test_until_bounds_the_listing_before_limit_and_is_checked_before_sending(
        ex: Any, run: Run, sandbox: Sandbox) -> None:
    made = [run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000 + i})) for i in range(4)]
    run(ex.cancel_orders([o['id'] for o in made], SYMBOL, TPSL))
    cancelled = run(ex.fetch_canceled_orders(SYMBOL, None, None, TPSL))
    stamps = sorted(o['timestamp'] for o in cancelled)
    bounded = run(ex.fetch_canceled_orders(SYMBOL, None, 2, dict(TPSL, until=stamps[1])))
    assert [o['timestamp'] for o in bounded] == stamps[:2]  # the newest two created by `until`, not []
    before = len(sandbox.requests)
    with pytest.raises(ccxt.BadRequest, match='until'):
        run(ex.fetch_canceled_orders(SYMBOL, None, None, dict(TPSL, until=-5)))
    assert len(sandbox.requests) == before


def test_margin_options_ccxt_ignores_here_do_not_hide_orders(
        make_exchange: Any, run: Run, sandbox: Sandbox) -> None:
    exchange = make_exchange(sandbox.hostname, options={'defaultMarginMode': 'isolated'})
    cross = run(exchange.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000,
                                                                            'marginMode': 'cross'}))
    assert run(exchange.fetch_order(cross['id'], SYMBOL, {'stopLoss': True}))['status'] == 'open'
    assert [o['id'] for o in run(exchange.fetch_open_orders(SYMBOL, None, None, TPSL))] == [cross['id']]
    assert run(exchange.cancel_order(cross['id'], SYMBOL, TPSL))['status'] == 'canceled'
    # where ccxt does read it (create_order): the option is the margin mode
    isolated = run(exchange.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000}))
    assert run(exchange.fetch_open_orders(SYMBOL, None, None, dict(TPSL, marginMode='isolated')))[0]['id'] == \
        isolated['id']
    with pytest.raises(ccxt.BadRequest, match='disagree'):
        run(exchange.fetch_open_orders(SYMBOL, None, None, dict(TPSL, marginMode='cross', margin_mode='isolated')))


def test_a_market_with_one_margin_mode_is_asked_in_that_one(ex: Any, run: Run) -> None:
    one = 'TRX/USDT:USDT'
    assert ex.market(one)['info'].get('support_margin_mode') == 'isolated'
    order = run(ex.create_order(one, 'market', 'sell', 1, None, {'stopLossPrice': 0.01}))  # ccxt's default: cross
    run(ex.cancel_order(order['id'], one, TPSL))
    assert [o['id'] for o in run(ex.fetch_canceled_orders(one, None, None, TPSL))] == [order['id']]
    assert [o['status'] for o in run(ex.fetch_orders(one, None, None, TPSL))] == ['canceled']


def test_an_attached_leg_on_a_tpsl_create_is_refused_not_dropped(ex: Any, run: Run, sandbox: Sandbox) -> None:
    before = len(sandbox.requests)
    for params in ({'takeProfitPrice': 150000, 'stopLoss': {'triggerPrice': 50000}},
                   {'stopLossPrice': 50000, 'takeProfit': {'triggerPrice': 150000}}):
        with pytest.raises(ccxt.BadRequest, match='two TP/SL orders'):
            run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, params))
    assert tpsl_requests(sandbox, before) == []


@pytest.mark.parametrize('account_mode', ['unified'])
def test_flags_and_market_types_are_read_as_ccxt_reads_them(ex: Any, run: Run, sandbox: Sandbox) -> None:
    (order_id,) = sandbox.add_algo_orders('BTC-USDT', 1)
    # cancel_order: the first flag that is set decides (ccxt's safe_bool_n): False first is a regular cancel
    before = len(sandbox.requests)
    with pytest.raises(ccxt.BaseError):
        run(ex.cancel_order(order_id, SYMBOL, {'stopLossTakeProfit': False, 'stopLoss': True}))
    sent = tpsl_requests(sandbox, before)  # ccxt's regular cancel (v5/trade/cancel_order; classic before 4.5.59)
    assert len(sent) == 1 and sent[0] in ('cancel_order', 'swap_cross_cancel', 'swap_cancel')
    # ccxt's market-type params are read and removed, never sent to HTX as its `type`
    for extra in ({'type': 'swap'}, {'defaultType': 'swap'}, {'subType': 'linear'}):
        assert [o['id'] for o in run(ex.fetch_open_orders(SYMBOL, None, None, dict(TPSL, **extra)))] == [order_id]
    assert run(ex.cancel_order(order_id, SYMBOL, dict(TPSL, type='swap')))['status'] == 'canceled'


@pytest.mark.parametrize('account_mode', ['classic'])
def test_a_lost_reply_in_one_margin_mode_does_not_stop_the_other(ex: Any, run: Run, sandbox: Sandbox) -> None:
    run(ex.fetch_tpsl_route())
    (isolated,) = sandbox.add_tpsl_orders('BTC-USDT', count=1, margin_mode='isolated')
    sandbox.inject('swap_cross_tpsl_cancel', drop=True)
    assert run(ex.cancel_order(isolated, SYMBOL, TPSL))['status'] == 'canceled'
    assert sandbox.order(isolated)['status'] == 6
    sandbox.clear_faults()
    cross = run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000}))
    other = run(ex.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000, 'marginMode': 'isolated'}))
    sandbox.inject('swap_cross_tpsl_cancelall', drop=True)
    with pytest.raises(ccxt.NetworkError) as raised:  # the cross cancel-all's reply was lost: said, not hidden
        run(ex.cancel_all_orders(SYMBOL, TPSL))
    assert {o['id']: o['status'] for o in raised.value.orders} == {cross['id']: 'canceled', other['id']: 'canceled'}
    assert [sandbox.order(i)['status'] for i in (cross['id'], other['id'])] == [6, 6]


@pytest.mark.parametrize('account_mode', ['classic'])
def test_a_cancel_htx_refused_as_a_whole_raises_its_refusal_in_both_margin_modes(
        ex: Any, run: Run, sandbox: Sandbox) -> None:
    run(ex.fetch_tpsl_route())
    (order_id,) = sandbox.add_tpsl_orders('BTC-USDT', count=1, margin_mode='isolated')
    sandbox.inject('swap_cross_tpsl_cancel', err_code=1030, times=1)  # HTX refuses the request: it did nothing
    with pytest.raises(ccxt.BaseError) as raised:
        run(ex.cancel_orders([order_id], SYMBOL, TPSL))
    assert ccxt_htx_tpsl.outcome(raised.value.orders[0]).code == '1030'
    assert sandbox.order(order_id)['status'] == 2  # still open, and not reported cancelled
