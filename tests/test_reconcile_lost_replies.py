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


def test_a_classic_create_is_told_from_an_identical_order_placed_before_it(make_exchange: Any, run: Run) -> None:
    """Classic creates carry no client id: only an order HTX created after this send could have arrived
    counts (HTX's clock, bounded by the replies' ts), so an identical earlier one is never taken for it."""
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        [first] = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
        sandbox.inject('swap_tpsl_order', drop=True)
        [second] = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000))
        assert second['id'] != first['id'] and ccxt_htx_tpsl.outcome(second).reconciled
        assert sorted(o['id'] for o in run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL))) == sorted(
            [first['id'], second['id']])


def test_an_earlier_identical_order_is_not_taken_for_a_create_htx_never_carried_out(make_exchange: Any,
                                                                                   run: Run) -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 120000))
        sandbox.inject('swap_tpsl_order', http_status=502)  # an error page: nothing was created
        with pytest.raises(ccxt.ExchangeNotAvailable, match='MAY HAVE BEEN CREATED') as raised:
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 120000))
        assert raised.value.orders == []  # type: ignore[attr-defined]


def test_a_v5_client_id_reused_by_an_older_order_is_not_taken_for_the_lost_create(make_exchange: Any,
                                                                                 run: Run) -> None:
    with Sandbox(account_mode='unified') as sandbox:
        exchange = make_exchange(sandbox.hostname, options={'tpslReconcileSettleMs': 50})
        run(exchange.load_markets())
        [old] = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, {'triggerPrice': 120000,
                                                                             'clientOrderId': 'my-tp-1'}))
        run(exchange.cancel_isolated_tpsl_orders([old['id']], SYMBOL))
        sandbox.inject('order', http_status=502)  # nothing created
        with pytest.raises(ccxt.ExchangeNotAvailable, match='MAY HAVE BEEN CREATED'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, {'triggerPrice': 110000,
                                                                         'clientOrderId': 'my-tp-1'}))
        with pytest.raises(ccxt.BadRequest, match='same clientOrderId'):
            run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, {'triggerPrice': 130000, 'clientOrderId': 'a'},
                                                     {'triggerPrice': 90000, 'clientOrderId': 'a'}))


@pytest.mark.parametrize('retries', [0, 1])
def test_a_classic_cancel_all_whose_reply_was_lost_never_reads_as_nothing_to_cancel(
        make_exchange: Any, run: Run, retries: int) -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        seeded = sandbox.add_tpsl_orders('BTC-USDT', count=3)
        sandbox.inject('swap_tpsl_cancelall', drop=True)  # carried out, the reply lost; a retry hears 1051
        def call() -> Any:
            return run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL, {'maxRetriesOnFailure': retries}))

        if retries:  # HTX answered at last (1051): what its lost attempt cancelled, from the history
            orders = call()
        else:  # no answer at all: raised, with what HTX shows
            with pytest.raises(ccxt.NetworkError, match='cancel-all was lost') as raised:
                call()
            orders = raised.value.orders  # type: ignore[attr-defined]
        assert sorted(o['id'] for o in orders) == sorted(seeded)
        assert all(o['status'] == 'canceled' and ccxt_htx_tpsl.outcome(o).reconciled for o in orders)
        assert all(sandbox.order(i)['status'] == 6 for i in seeded)  # type: ignore[index]


def test_a_classic_cancel_all_refused_by_a_gateway_cancels_what_is_still_open_by_id(make_exchange: Any,
                                                                                   run: Run) -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
        seeded = sandbox.add_tpsl_orders('BTC-USDT', count=3)
        sandbox.inject('swap_tpsl_cancelall', http_status=502)  # nothing done; the outcome unknown to us
        with pytest.raises(ccxt.ExchangeNotAvailable, match='cancel-all was lost') as raised:
            run(exchange.cancel_all_isolated_tpsl_orders(SYMBOL))
        orders = raised.value.orders  # type: ignore[attr-defined]
        assert sorted(o['id'] for o in orders) == sorted(seeded) and {o['status'] for o in orders} == {'canceled'}
        assert all(sandbox.order(i)['status'] == 6 for i in seeded)  # type: ignore[index]


def test_a_lost_reply_whose_id_htx_shows_in_an_unknown_state_is_still_a_failure(make: Any, run: Run) -> None:
    from .hostile import CANCEL, OPEN_ORDERS, HostileServer, drop, open_order, open_orders_page, reply
    with HostileServer() as server:
        exchange = make(server)
        server.script(CANCEL, drop())
        server.default(OPEN_ORDERS, reply(open_orders_page([open_order(ids(1, 1)[0], status=7)], 1, 1)))
        with pytest.raises(ccxt.NetworkError) as raised:
            run(exchange.cancel_isolated_tpsl_orders(ids(1, 1), SYMBOL))
        [order] = raised.value.orders  # type: ignore[attr-defined]
        assert order['status'] is None and ccxt_htx_tpsl.outcome(order).reconciled


def test_a_rate_store_url_is_shown_without_user_password_or_query() -> None:
    from ccxt_htx_tpsl._ratestore import describe_store, redacted
    assert redacted('redis://127.0.0.1:1/0?password=hunter2') == 'redis://127.0.0.1:1/0?***'
    assert redacted('redis://me:hunter2@127.0.0.1:1/0') == 'redis://***@127.0.0.1:1/0'
    assert 'hunter2' not in ' '.join(map(str, describe_store('redis://127.0.0.1:1/0?password=hunter2')))
    assert 'pw' not in redacted('redis://:pw@[::1/0')  # not even a URL: never a crash, never the password
