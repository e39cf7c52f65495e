"""A lost reply is reconciled with HTX before the caller hears of it: the sandbox carries a cancel out,
then drops its reply (or holds it past the timeout); the package asks HTX (open list, then history)
and every id gets the state HTX shows, marked reconciled. Both families, sync and async."""

from __future__ import annotations

from typing import Any

import ccxt
import pytest

import ccxt_htx_tpsl
from ccxt_htx_tpsl.sandbox import Sandbox

from .ccxt_checks import assert_ccxt_orders
from .conftest import Run, ids

SYMBOL = 'BTC/USDT:USDT'
CANCEL = {'classic': 'swap_tpsl_cancel', 'unified': 'cancel_orders'}
LISTINGS = {'classic': ('swap_tpsl_openorders', 'swap_tpsl_hisorders'), 'unified': ('opens', 'history')}


@pytest.fixture(params=['classic', 'unified'])
def account_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def seed(sandbox: Sandbox, account_mode: str, order_ids: list[str]) -> None:
    if account_mode == 'classic':
        sandbox.add_tpsl_orders('BTC-USDT', ids=order_ids)
    else:
        sandbox.add_algo_orders('BTC-USDT', ids=order_ids, count=len(order_ids))


def state(sandbox: Sandbox, account_mode: str, order_id: str) -> str | None:
    """The ccxt status the sandbox's book holds for an id."""
    if account_mode == 'classic':
        order = sandbox.order(order_id)
        return None if order is None else ccxt_htx_tpsl.protocol.CLASSIC_STATUS.get(str(order['status']))
    found = sandbox.algo_order(order_id)
    return None if found is None else ccxt_htx_tpsl.protocol.V5_STATE_STATUS.get(str(found['state']))


def lookups(sandbox: Sandbox, account_mode: str) -> int:
    return len([r for r in sandbox.requests if r.endpoint in LISTINGS[account_mode]])


@pytest.mark.parametrize('loss', ['drop', 'timeout'])
def test_a_cancel_whose_reply_was_lost_reports_what_htx_shows(make_exchange: Any, sandbox: Sandbox, run: Run,
                                                              account_mode: str, loss: str) -> None:
    exchange = make_exchange(sandbox.hostname, timeout=1000)
    run(exchange.load_markets())
    wanted = ids(7000, 25)
    seed(sandbox, account_mode, wanted)
    fault = {'drop': True} if loss == 'drop' else {'delay': 2.5}
    sandbox.inject(CANCEL[account_mode], after=1, **fault)  # the second request: carried out, its reply lost
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in orders] == ['canceled'] * 25  # no id left without a state
    assert [ccxt_htx_tpsl.outcome(o).reconciled for o in orders] == [False] * 10 + [True] * 10 + [False] * 5
    assert all(state(sandbox, account_mode, i) == 'canceled' for i in wanted)
    assert_ccxt_orders(exchange, orders, SYMBOL)
    assert 1 <= lookups(sandbox, account_mode) <= 3  # bounded: at most 3 requests per lost reply


def test_an_id_htx_shows_nowhere_stays_none_and_the_failure_is_raised(make_exchange: Any, sandbox: Sandbox,
                                                                      run: Run, account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname, timeout=1000)
    run(exchange.load_markets())
    seed(sandbox, account_mode, ids(7100, 1))
    wanted = [*ids(7100, 1), '1999999999999999999']  # the second: no such order anywhere
    sandbox.inject(CANCEL[account_mode], drop=True)
    with pytest.raises(ccxt.NetworkError) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['status'] for o in orders] == ['canceled', None]
    assert [ccxt_htx_tpsl.outcome(o).reconciled for o in orders] == [True, False]


def test_an_order_still_open_after_a_lost_reply_is_open_and_raised(make_exchange: Any, sandbox: Sandbox, run: Run,
                                                                   account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname)
    run(exchange.load_markets())
    wanted = ids(7200, 3)
    seed(sandbox, account_mode, wanted)
    sandbox.inject(CANCEL[account_mode], http_status=502)  # an error page: nothing was done
    with pytest.raises(ccxt.ExchangeNotAvailable) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['status'] for o in orders] == ['open'] * 3
    assert all(ccxt_htx_tpsl.outcome(o).reconciled for o in orders)
    assert all(state(sandbox, account_mode, i) == 'open' for i in wanted)


def test_reconciliation_off_leaves_lost_ids_none(make_exchange: Any, sandbox: Sandbox, run: Run,
                                                 account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname, options={'tpslReconcile': False})
    run(exchange.load_markets())
    wanted = ids(7300, 2)
    seed(sandbox, account_mode, wanted)
    sandbox.inject(CANCEL[account_mode], drop=True)
    with pytest.raises(ccxt.NetworkError) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in raised.value.orders] == [None, None]  # type: ignore[attr-defined]
    assert lookups(sandbox, account_mode) == 0


def test_a_failed_lookup_leaves_the_ids_none(make_exchange: Any, sandbox: Sandbox, run: Run,
                                             account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname)
    run(exchange.load_markets())
    wanted = ids(7400, 2)
    seed(sandbox, account_mode, wanted)
    sandbox.inject(CANCEL[account_mode], drop=True)
    sandbox.inject(LISTINGS[account_mode][0], http_status=502, times=5)
    with pytest.raises(ccxt.NetworkError) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in raised.value.orders] == [None, None]  # type: ignore[attr-defined]


CREATE = {'classic': 'swap_tpsl_order', 'unified': 'order'}


def test_a_create_whose_reply_was_lost_is_found_on_htx_and_never_sent_twice(
        make_exchange: Any, sandbox: Sandbox, run: Run, account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname, options={'tpslReconcileSettleMs': 50})
    run(exchange.load_markets())
    sandbox.inject(CREATE[account_mode], drop=True)  # carried out: the orders exist; the reply is lost
    legs = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 2, 70000, 50000))
    assert sorted((o['takeProfitPrice'] or 0, o['stopLossPrice'] or 0) for o in legs) == [(0, 50000), (70000, 0)]
    assert all(o['status'] == 'open' for o in legs)
    lost = legs if account_mode == 'classic' else legs[:1]  # classic: one request for both legs; v5: one per leg
    assert [ccxt_htx_tpsl.outcome(o).reconciled for o in legs].count(True) == len(lost)
    assert len([r for r in sandbox.requests if r.endpoint == CREATE[account_mode]]) == (1 if account_mode == 'classic'
                                                                                      else 2)  # never re-sent
    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))
    assert sorted(o['id'] for o in listed) == sorted(o['id'] for o in legs)  # exactly these, no duplicate
    assert_ccxt_orders(exchange, legs, SYMBOL)


def test_a_create_refused_before_it_was_carried_out_is_not_found_and_may_exist_is_said(
        make_exchange: Any, sandbox: Sandbox, run: Run, account_mode: str) -> None:
    exchange = make_exchange(sandbox.hostname, options={'tpslReconcileSettleMs': 50})
    run(exchange.load_markets())
    sandbox.inject(CREATE[account_mode], http_status=502)  # an error page: nothing was created
    with pytest.raises(ccxt.ExchangeNotAvailable, match='MAY HAVE BEEN CREATED') as raised:
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
    assert raised.value.orders == []  # type: ignore[attr-defined]
    assert run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL)) == []
    assert len([r for r in sandbox.requests if r.endpoint == CREATE[account_mode]]) == 1
    assert lookups(sandbox, account_mode) <= 3 + 1  # the bounded search, then the listing above


def test_a_classic_create_with_a_twin_already_listed_stays_unknown(make_exchange: Any, run: Run) -> None:
    """Classic creates carry no client id: an identical order placed just before makes the match ambiguous."""
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
        sandbox.inject('swap_tpsl_order', drop=True)
        with pytest.raises(ccxt.NetworkError, match='MAY HAVE BEEN CREATED'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
        assert len(run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))) == 2
