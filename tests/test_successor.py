"""The successor route: the same cancel contract through HTX's POST /v5/algo/cancel_orders.

Replayed from cassettes recorded against the sandbox, sync and async. What HTX's v5 endpoint
answers per item is unconfirmed (see docs/migration.md); the sandbox answers with the classic
codes, and these tests pin the plugin's reading of that shape.
"""

from __future__ import annotations

import json
from typing import Any

import ccxt
import pytest

from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, Sandbox

from .conftest import Run, ids

SYMBOL = 'BTC/USDT:USDT'


def v5_bodies(cassette: Any) -> list[Any]:
    return [json.loads(r.body) for r in cassette.requests if r.path.endswith('/v5/algo/cancel_orders')]


@pytest.mark.vcr
def test_per_id_outcomes_on_the_successor_route(
    exchange: Any, run: Run, recording: Sandbox | None, vcr: Any
) -> None:
    active, cancelled, executed, unknown = ids(8000, 4)
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=[active])
        recording.add_tpsl_orders('BTC-USDT', ids=[cancelled], status=6)
        recording.add_tpsl_orders('BTC-USDT', ids=[executed], status=4)
    orders = run(exchange.cancel_isolated_tpsl_orders([unknown, active, cancelled, executed], SYMBOL,
                                                      {'route': 'v5'}))
    assert [o['id'] for o in orders] == [unknown, active, cancelled, executed]
    assert [o['status'] for o in orders] == ['failed', 'canceled', 'canceled', 'closed']
    assert [o['info']['code'] for o in orders] == [1061, 200, 1071, 1063]
    sent = [unknown, active, cancelled, executed]
    assert v5_bodies(vcr) == [[{'contract_code': 'BTC-USDT', 'algo_id': i} for i in sent]]


@pytest.mark.vcr
def test_successor_route_from_options_chunks_25_ids_into_3_requests(
    make_exchange: Any, run: Run, recording: Sandbox | None, vcr: Any
) -> None:
    exchange = make_exchange(recording.hostname if recording else '127.0.0.1:9',
                             options={'cancelIsolatedTpslOrders': {'route': 'v5'}})
    wanted = ids(8100, 25)
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=wanted)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in orders] == ['canceled'] * 25
    assert sorted(len(body) for body in v5_bodies(vcr)) == [5, 10, 10]


@pytest.mark.vcr
def test_successor_route_refusal_raises_with_every_outcome(
    exchange: Any, run: Run, recording: Sandbox | None
) -> None:
    wanted = ids(8200, 12)
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=wanted)
        recording.inject('cancel_orders', after=1, err_code=1032)
    with pytest.raises(ccxt.RateLimitExceeded) as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'route': 'v5'}))
    orders = raised.value.orders  # type: ignore[attr-defined]
    assert [o['status'] for o in orders] == ['canceled'] * 10 + ['failed'] * 2
    assert {o['info']['code'] for o in orders[10:]} == {1032}  # v5's own spelling, like its per-item errors
    assert [o['info']['algo_id'] for o in orders[10:]] == wanted[10:]


@pytest.mark.vcr
def test_cross_orders_on_the_successor_route(exchange: Any, run: Run, recording: Sandbox | None) -> None:
    wanted = ids(8300, 2)
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=wanted, margin_mode='cross')
    orders = run(exchange.cancel_cross_tpsl_orders(wanted, SYMBOL, {'route': 'v5'}))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']


@pytest.mark.vcr
def test_a_migrated_account_is_told_to_switch_and_the_switch_works(
    exchange: Any, run: Run, recording: Sandbox | None
) -> None:
    wanted = ids(8400, 2)
    if recording:
        recording.add_tpsl_orders('BTC-USDT', ids=wanted)
        recording.migrate(DEMO_API_KEY)
    with pytest.raises(ccxt.NotSupported, match=r"params=\{'route': 'v5'\}") as raised:
        run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert [o['status'] for o in raised.value.orders] == ['failed', 'failed']  # type: ignore[attr-defined]
    assert "options['cancelIsolatedTpslOrders']" in str(raised.value)
    orders = run(exchange.cancel_isolated_tpsl_orders(wanted, SYMBOL, {'route': 'v5'}))
    assert [o['status'] for o in orders] == ['canceled', 'canceled']


def test_an_unknown_route_is_refused_before_sending(make_exchange: Any, run: Run) -> None:
    exchange = make_exchange()
    with pytest.raises(ccxt.BadRequest, match='route must be one of v1, v5'):
        run(exchange.cancel_isolated_tpsl_orders(ids(0, 1), SYMBOL, {'route': 'v6'}))
    assert exchange.last_request_url is None
