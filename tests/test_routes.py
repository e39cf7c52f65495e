"""Which API family a call uses: route 'auto' (asked once, switched on a wrong-family refusal), 'v1', 'v5'.

Live sandboxes on 127.0.0.1, sync and async.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ccxt
import pytest

from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, Sandbox

from .conftest import Run, assert_ccxt_orders, ids, statuses

SYMBOL = 'BTC/USDT:USDT'
CLASSIC_TPSL = '/linear-swap-api/v1/swap_'


def private_paths(sandbox: Sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if 'contract_info' not in r.path]


@pytest.fixture
def unified() -> Iterator[Sandbox]:
    with Sandbox(account_mode='unified') as sandbox:
        yield sandbox


@pytest.fixture
def classic() -> Iterator[Sandbox]:
    with Sandbox(account_mode='classic') as sandbox:
        yield sandbox


def test_auto_asks_once_and_a_unified_account_never_reaches_the_classic_endpoints(
    make_exchange: Any, run: Run, unified: Sandbox
) -> None:
    exchange = make_exchange(unified.hostname)
    algo = unified.add_algo_orders('BTC-USDT', count=3)
    assert statuses(run(exchange.cancel_isolated_tpsl_orders(algo[:1], SYMBOL))) == ['canceled']
    assert statuses(run(exchange.cancel_cross_tpsl_orders(ids(0, 1), SYMBOL))) == [None]
    assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))) == 2
    assert private_paths(unified) == ['/v5/account/asset_mode', '/v5/algo/cancel_orders', '/v5/algo/cancel_orders',
                                      '/v5/algo/order/opens']
    assert exchange._tpsl_auto_family == protocol.V5


@pytest.mark.parametrize('key', ['assets_mode', 'asset_mode'])
@pytest.mark.parametrize(('mode', 'family'), [('classic', 'v1'), ('unified', 'v5'), ('unified-single', 'v5')])
def test_the_asset_mode_decides_in_either_spelling(make_exchange: Any, run: Run, key: str, mode: str,
                                                     family: str) -> None:
    with Sandbox(account_mode=mode, asset_mode_key=key) as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
        assert exchange._tpsl_auto_family == family
        expected = '/v5/algo/order/opens' if family == 'v5' else CLASSIC_TPSL + 'tpsl_openorders'
        assert private_paths(sandbox) == ['/v5/account/asset_mode', expected]


def test_a_classic_refusal_with_a_wrong_family_code_is_sent_once_more_on_v5_then_remembered(
    make_exchange: Any, run: Run, classic: Sandbox
) -> None:
    exchange = make_exchange(classic.hostname)
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))  # auto: asked, classic
    classic.set_account_mode(DEMO_API_KEY, 'unified')  # the account moves to the unified system
    algo = classic.add_algo_orders('BTC-USDT', count=12)
    before = len(classic.requests)
    orders = run(exchange.cancel_isolated_tpsl_orders(algo, SYMBOL))
    assert statuses(orders) == ['canceled'] * 12
    assert_ccxt_orders(exchange, orders, SYMBOL)
    sent = [(r.path, r.err_code) for r in classic.requests[before:]]
    assert sent[:2] == [(CLASSIC_TPSL + 'tpsl_cancel', 6023)] * 2  # both chunks refused: they did nothing
    assert sorted(sent[2:]) == [('/v5/algo/cancel_orders', None)] * 2  # the same two chunks on v5, once
    assert exchange._tpsl_auto_family == 'v5'
    before = len(classic.requests)
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert [r.path for r in classic.requests[before:]] == ['/v5/algo/order/opens']  # remembered


@pytest.mark.parametrize('code', sorted(protocol.WRONG_FAMILY_CODES))
def test_every_wrong_family_code_switches_auto(make_exchange: Any, run: Run, code: str) -> None:
    message = protocol.WRONG_FAMILY_CODES[code][0]
    with Sandbox(account_mode='unified', migrated_error=(int(code), message)) as sandbox:
        exchange = make_exchange(sandbox.hostname)
        exchange._tpsl_auto_family = 'v1'  # as if HTX had said classic
        algo = sandbox.add_algo_orders('BTC-USDT', count=1)
        assert statuses(run(exchange.cancel_isolated_tpsl_orders(algo, SYMBOL))) == ['canceled']
        assert [r.err_code for r in sandbox.requests if r.path.startswith(CLASSIC_TPSL + 'tpsl')] == [int(code)]


def test_explicit_v1_on_a_unified_account_raises_not_supported_naming_v5(
    make_exchange: Any, run: Run, unified: Sandbox
) -> None:
    exchange = make_exchange(unified.hostname)
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v5'") as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 12), SYMBOL, {'route': 'v1'}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert statuses(orders) == [None] * 12  # refused: nothing was done, and HTX confirmed no state
    assert_ccxt_orders(exchange, orders, SYMBOL)
    for call in (lambda: exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'route': 'v1'}),
                 lambda: exchange.fetch_open_isolated_tpsl_orders(SYMBOL, params={'route': 'v1'}),
                 lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'route': 'v1'})):
        with pytest.raises(ccxt.NotSupported, match=r"route': 'v5'"):
            run(call())  # cancel-all included: a refusal is never "nothing to cancel"
    assert '/v5/account/asset_mode' not in private_paths(unified)  # an explicit route asks nothing
    assert not any(p.startswith('/v5/algo') for p in private_paths(unified))


def test_explicit_v5_on_a_classic_account_raises_not_supported_naming_v1(
    make_exchange: Any, run: Run, classic: Sandbox
) -> None:
    exchange = make_exchange(classic.hostname, options={'tpslRoute': 'v5'})
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v1'") as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 2), SYMBOL))
    assert statuses(raised.value.orders) == [None, None]  # type: ignore[attr-defined]


def test_a_1051_on_an_explicit_classic_cancel_all_is_checked_before_it_is_believed(
    make_exchange: Any, run: Run, unified: Sandbox
) -> None:
    # an SDK note: classic calls of unified accounts may get 1051 "No orders to cancel"
    exchange = make_exchange(unified.hostname)
    unified.add_algo_orders('BTC-USDT', count=2)
    unified.inject('swap_tpsl_cancelall', err_code=1051)
    with pytest.raises(ccxt.NotSupported, match=r"route': 'v5'"):
        run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'route': 'v1'}))
    assert private_paths(unified) == [CLASSIC_TPSL + 'tpsl_cancelall', '/v5/account/asset_mode']


def test_a_1051_on_a_classic_account_is_nothing_to_cancel(make_exchange: Any, run: Run, classic: Sandbox) -> None:
    exchange = make_exchange(classic.hostname)
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL)) == []
    assert run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'route': 'v1'})) == []


def test_a_refused_asset_mode_means_classic_for_that_call_only(make_exchange: Any, run: Run,
                                                                classic: Sandbox) -> None:
    exchange = make_exchange(classic.hostname)
    classic.inject('asset_mode', err_code=403, err_msg='Verification failure')
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert exchange._tpsl_auto_family is None  # not remembered: asked again next time
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert private_paths(classic) == ['/v5/account/asset_mode', CLASSIC_TPSL + 'tpsl_openorders'] * 2
    assert exchange._tpsl_auto_family == 'v1'


def test_a_lost_asset_mode_reply_sends_no_cancel(make_exchange: Any, run: Run, unified: Sandbox) -> None:
    exchange = make_exchange(unified.hostname)
    unified.inject('asset_mode', http_status=502)
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 2), SYMBOL))
    assert statuses(raised.value.orders) == [None, None]  # type: ignore[attr-defined]
    assert private_paths(unified) == ['/v5/account/asset_mode']
    unified.inject('asset_mode', http_status=502)  # with retries on, the question is asked again
    orders = run(exchange.cancel_isolated_tpsl_orders(ids(0, 2), SYMBOL, {'maxRetriesOnFailure': 1}))
    assert statuses(orders) == [None, None]  # unknown ids: HTX answered 1061 for each
    assert private_paths(unified)[1:] == ['/v5/account/asset_mode', '/v5/account/asset_mode',
                                          '/v5/algo/cancel_orders']


def test_route_precedence_params_then_method_options_then_tpsl_route(make_exchange: Any, run: Run,
                                                                      unified: Sandbox) -> None:
    exchange = make_exchange(unified.hostname, options={'tpslRoute': 'v1',
                                                        'fetchOpenIsolatedTpslOrders': {'route': 'v5'}})
    run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))  # options[method] beats tpslRoute
    with pytest.raises(ccxt.NotSupported):
        run(exchange.fetch_open_cross_tpsl_orders(SYMBOL))  # tpslRoute: v1
    run(exchange.fetch_open_cross_tpsl_orders(SYMBOL, params={'route': 'auto'}))  # params beat options
    assert private_paths(unified) == ['/v5/algo/order/opens', CLASSIC_TPSL + 'cross_tpsl_openorders',
                                      '/v5/account/asset_mode', '/v5/algo/order/opens']


@pytest.mark.parametrize(('mode', 'family'), [('classic', 'v1'), ('unified', 'v5')])
def test_fetch_tpsl_route_says_which_family_the_methods_use(make_exchange: Any, run: Run, mode: str,
                                                            family: str) -> None:
    with Sandbox(account_mode=mode) as sandbox:
        exchange = make_exchange(sandbox.hostname)
        assert exchange.has['fetchTpslRoute'] is True
        assert run(exchange.fetch_tpsl_route()) == family
        assert run(exchange.fetchTpslRoute()) == family  # remembered: asked once
        assert run(exchange.fetch_tpsl_route({'route': 'v1'})) == 'v1'  # an explicit route is not asked
        assert private_paths(sandbox) == ['/v5/account/asset_mode']
        with pytest.raises(ccxt.BadRequest, match='route must be one of'):
            run(exchange.fetch_tpsl_route({'route': 'v2'}))
