"""Property-based tests of validation, the shared flows and both families' parsers: no input may crash
or lose an id.

No I/O: a flow is driven by hand, each request answered with a drawn reply (or a drawn failure).
Each property runs against the sync and the async class.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import ccxt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccxt_htx_tpsl import _validate, protocol
from ccxt_htx_tpsl._classic import CLASSIC
from ccxt_htx_tpsl._model import CreateSpec, Flow, Leg, LoadMarkets, Pause
from ccxt_htx_tpsl._v5 import V5_FAMILY

from .ccxt_checks import assert_ccxt_orders

PROFILE = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID_ID = st.integers(min_value=1, max_value=2**63 - 1)
ID_LIKE = st.one_of(
    VALID_ID,
    VALID_ID.map(str),
    VALID_ID.map(lambda i: f'  {i} '),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**70),
    st.text(max_size=25),
    st.text(alphabet='0123456789, ', max_size=25),
    st.none(),
    st.booleans(),
    st.floats(allow_nan=True),
    st.lists(VALID_ID.map(str), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
IDS_ARGUMENT = st.one_of(
    st.lists(ID_LIKE, max_size=40),
    st.lists(ID_LIKE, max_size=5).map(tuple),
    st.lists(VALID_ID.map(str), max_size=30).map(','.join),
    ID_LIKE,
)
SYMBOL = 'BTC/USDT:USDT'
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture
def exchange(make_exchange: Any) -> Any:
    exchange = make_exchange()
    exchange.options['tpslReconcile'] = False  # the replies drawn here answer cancels only
    market = exchange.safe_market_structure({
        'id': 'BTC-USDT', 'symbol': SYMBOL, 'base': 'BTC', 'quote': 'USDT', 'settle': 'USDT', 'type': 'swap',
        'swap': True, 'contract': True, 'linear': True, 'inverse': False, 'spot': False,
        'precision': {'amount': 1, 'price': 0.1}, 'info': {'support_margin_mode': 'all'}})
    exchange.set_markets([market])
    return exchange


def drive(flow: Flow[Any], answer: Callable[[Any], list[Any]], exchange: Any) -> Any:
    """Run a flow without I/O: each request answered by ``answer(call)`` (its replies or ccxt errors,
    classified as the drivers do)."""
    try:
        step = next(flow)
        while True:
            step = flow.send([] if isinstance(step, LoadMarkets | Pause) else
                             [[exchange._tpsl_attempt(a) for a in answer(call)] for call in step.calls])
    except StopIteration as done:
        return done.value
    finally:
        flow.close()


@PROFILE
@given(raw=IDS_ARGUMENT)
def test_any_ids_give_a_ccxt_error_or_the_callers_distinct_ids(raw: Any) -> None:
    try:
        order_ids = _validate.order_ids(raw, 'htx cancelIsolatedTpslOrders()')
    except ccxt.BaseError as error:
        assert isinstance(error, ccxt.ArgumentsRequired | ccxt.BadRequest)
        assert str(error).startswith('htx cancelIsolatedTpslOrders() ')
        return
    items = raw.split(',') if isinstance(raw, str) else raw if isinstance(raw, list | tuple) else [raw]
    assert order_ids == list(dict.fromkeys(str(item).strip() for item in items))
    for order_id in order_ids:
        assert order_id.isascii() and order_id.isdigit() and not order_id.startswith('0')
        assert 0 < int(order_id) < 2**63


@st.composite
def classic_replies(draw: st.DrawFn, chunk: list[str]) -> Any:
    """Replies shaped like HTX's classic ones, with every field liable to be missing, mistyped or foreign."""
    some_ids = st.sampled_from([*chunk, '999', '1300000000000000099'])
    error_item = st.fixed_dictionaries({}, optional={
        'order_id': st.one_of(some_ids, some_ids.map(int), JSON),
        'err_code': st.one_of(st.sampled_from([1061, 1062, 1063, 1071, 1408]), JSON),
        'err_msg': st.one_of(st.text(max_size=20), JSON),
    })
    successes = st.one_of(st.lists(some_ids, max_size=6).map(','.join), st.lists(some_ids, max_size=6),
                          st.lists(some_ids.map(int), max_size=4), st.just(''), JSON)
    data = st.one_of(st.fixed_dictionaries({}, optional={
        'errors': st.one_of(st.lists(error_item, max_size=6), JSON), 'successes': successes}), JSON)
    return draw(st.one_of(
        st.fixed_dictionaries({'status': st.sampled_from(['ok', 'error', None])}, optional={'data': data, 'ts': JSON}),
        JSON, st.text(max_size=30), st.just('')))


@st.composite
def v5_replies(draw: st.DrawFn, chunk: list[str]) -> Any:
    some_ids = st.sampled_from([*chunk, '999'])
    item = st.fixed_dictionaries({}, optional={
        'algo_id': st.one_of(some_ids, some_ids.map(int), JSON),
        'code': st.one_of(st.sampled_from([200, '200', 1061, '1071', 1063, 1062]), JSON),
        'message': JSON,
    })
    return draw(st.one_of(
        st.fixed_dictionaries({'code': st.sampled_from([200, '200', 1004, None])},
                              optional={'data': st.one_of(st.lists(item, max_size=12), JSON), 'ts': JSON}),
        JSON, st.text(max_size=30)))


FAILURES = st.sampled_from([ccxt.RequestTimeout('timed out'), ccxt.NetworkError('reset'),
                            ccxt.ExchangeNotAvailable('502')])


@PROFILE
@given(data=st.data(), count=st.integers(min_value=1, max_value=25), route=st.sampled_from(['v1', 'v5']))
def test_any_reply_gives_every_id_back_or_a_ccxt_error_that_does(
    exchange: Any, data: st.DataObject, count: int, route: str
) -> None:
    order_ids = [str(1_300_000_000_000_000_000 + i) for i in range(count)]
    replies = classic_replies if route == 'v1' else v5_replies
    drawn: list[Any] = []

    def answer(call: Any) -> list[Any]:
        chunk = [i.strip() for i in call.body['order_id'].split(',')] if route == 'v1' else \
            [item['algo_id'] for item in call.body]
        attempt = data.draw(st.one_of(replies(chunk), FAILURES))
        drawn.append(attempt)
        return [attempt]

    try:
        orders = drive(exchange._flow_cancel(order_ids, SYMBOL, {'route': route}, 'isolated'), answer, exchange)
    except ccxt.BaseError as error:
        orders = error.orders  # type: ignore[attr-defined]
    assert [o['id'] for o in orders] == order_ids
    for order in orders:
        assert order['status'] in ('canceled', 'closed', 'open', None)
        json.dumps(order['info'], default=str)
    assert_ccxt_orders(exchange, orders, SYMBOL)
    for index, attempt in enumerate(drawn):  # a request that got no usable reply confirms nothing
        chunk = orders[index * 10:(index + 1) * 10]
        usable = (isinstance(attempt, dict) and
                  (attempt.get('status') == 'ok' and isinstance(attempt.get('data'), dict) if route == 'v1' else
                   protocol.code_of(attempt.get('code')) == '200' and isinstance(attempt.get('data'), list)))
        if not usable:
            assert {o['status'] for o in chunk} == {None}


ORDER_ITEM = st.fixed_dictionaries({}, optional={
    key: JSON | st.sampled_from(['1', '2', '6', 'tp', 'sl', 'tpsl', 'active', 'limit', 'market', 'BTC-USDT',
                                 'isolated', '1300000000000000001', '253402300800000'])
    for key in ('order_id', 'order_id_str', 'algo_id', 'id', 'contract_code', 'status', 'state', 'type',
                'tpsl_order_type', 'order_price_type', 'trigger_price', 'order_price', 'volume', 'direction', 'side',
                'created_at', 'created_time', 'margin_mode', 'tp_trigger_price', 'sl_trigger_price', 'tp_type')
})
DATA = JSON | st.lists(ORDER_ITEM | JSON, max_size=4) | st.fixed_dictionaries({}, optional={
    'orders': st.lists(ORDER_ITEM | JSON, max_size=4) | JSON, 'current_page': JSON, 'total_page': JSON,
    'tp_order': st.fixed_dictionaries({}, optional={'order_id': JSON, 'order_id_str': JSON}) | JSON,
    'successes': JSON, 'errors': st.lists(st.fixed_dictionaries({}, optional={'order_id': JSON, 'err_code': JSON})),
})


@PROFILE
@given(reply=JSON | st.fixed_dictionaries({'status': st.sampled_from(['ok', 'error', None, 'weird']),
                                           'code': st.sampled_from([200, '200', 1004])}, optional={'data': DATA}))
def test_every_family_parser_raises_only_ccxt_errors(exchange: Any, reply: Any) -> None:
    market = exchange.market(SYMBOL)
    spec = CreateSpec('sell', 1, 'isolated', [Leg('tp', '70000')])
    for family in (CLASSIC, V5_FAMILY):
        call = family.list_call(market, 'isolated', None, {})
        created = family.created_orders(exchange, market, spec, spec.legs, reply)
        assert len(created.orders) + len(created.missing) == len(spec.legs)  # every leg confirmed or not named
        assert (created.problem is None) == (not created.missing)
        for parse in (
            lambda family=family, call=call: family.list_page(exchange, reply, None, call.body),
            lambda family=family: family.cancel_all_named(exchange, reply),
            lambda family=family: family.cancel_outcomes(exchange, ['1300000000000000001'], reply),
        ):
            with contextlib.suppress(ccxt.BaseError):
                parse()
        items = reply.get('data') if isinstance(reply, dict) else None
        for item in (items if isinstance(items, list) else [items]):
            order = family.listed_order(exchange, item, market, 'isolated')
            if order is not None:
                assert_ccxt_orders(exchange, [order], SYMBOL)
