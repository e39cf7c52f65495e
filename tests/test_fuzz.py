"""Property-based tests of validation and reply parsing: no input may crash or lose an id.

Pure logic, no I/O; each property runs against the sync and the async class.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import ccxt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ccxt_htx_tpsl._cancel import CancelPlan, chunked
from ccxt_htx_tpsl._core import MAX_IDS_PER_REQUEST

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
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
MARKET = {'id': 'BTC-USDT', 'symbol': 'BTC/USDT:USDT'}


@pytest.fixture
def exchange(make_exchange: Any) -> Any:
    return make_exchange()


@PROFILE
@given(raw=IDS_ARGUMENT)
def test_any_ids_give_a_ccxt_error_or_a_correct_request(exchange: Any, raw: Any) -> None:
    try:
        order_ids, _ = exchange._tpsl_check_arguments(raw, 'BTC/USDT:USDT')
    except ccxt.BaseError as error:
        assert isinstance(error, ccxt.ArgumentsRequired | ccxt.BadRequest)
        assert str(error).startswith('htx cancelIsolatedTpslOrders() ')
        return
    items = raw.split(',') if isinstance(raw, str) else raw if isinstance(raw, list | tuple) else [raw]
    expected = list(dict.fromkeys(str(item).strip() for item in items))
    assert order_ids == expected
    for order_id in order_ids:
        assert order_id.isascii() and order_id.isdigit() and not order_id.startswith('0')
        assert 0 < int(order_id) < 2**63
    plan = CancelPlan(order_ids, market=MARKET, chunks=chunked(order_ids))
    assert [i for chunk in plan.chunks for i in chunk] == order_ids
    assert all(1 <= len(chunk) <= MAX_IDS_PER_REQUEST for chunk in plan.chunks)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def replies(draw: st.DrawFn, chunk: list[str]) -> Any:
    """Replies shaped like HTX's, with every field liable to be missing, mistyped or foreign."""
    some_ids = st.sampled_from([*chunk, '999', '1300000000000000099'])
    error_item = st.fixed_dictionaries(
        {},
        optional={
            'order_id': st.one_of(some_ids, some_ids.map(lambda i: int(i)), JSON),
            'err_code': st.one_of(st.sampled_from([1061, 1062, 1063, 1071, 1408]), JSON),
            'err_msg': st.one_of(st.text(max_size=20), JSON),
        },
    )
    successes = st.one_of(
        st.lists(some_ids, max_size=6).map(','.join),
        st.lists(some_ids, max_size=6),
        st.lists(some_ids.map(int), max_size=4),
        st.just(''),
        JSON,
    )
    data = st.one_of(
        st.fixed_dictionaries({}, optional={'errors': st.one_of(st.lists(error_item, max_size=6), JSON),
                                            'successes': successes}),
        JSON,
    )
    reply = st.one_of(
        st.fixed_dictionaries({'status': st.sampled_from(['ok', 'error', None])}, optional={'data': data, 'ts': JSON}),
        JSON,
        st.text(max_size=30),  # ccxt hands a non-JSON body over as text
        st.just(''),
    )
    return draw(reply)


@PROFILE
@given(data=st.data(), count=st.integers(min_value=1, max_value=25))
def test_any_reply_gives_every_id_back_or_a_ccxt_error_that_does(
    exchange: Any, data: st.DataObject, count: int
) -> None:
    order_ids = [str(1_300_000_000_000_000_000 + i) for i in range(count)]
    chunks = chunked(order_ids)
    plan = CancelPlan(order_ids, market=MARKET, chunks=chunks, requests=[{} for _ in chunks])
    outcomes = [data.draw(replies(chunk)) for chunk in chunks]
    try:
        orders = exchange._tpsl_result(plan, [[outcome] for outcome in outcomes])
    except ccxt.BaseError as error:
        orders = error.orders  # type: ignore[attr-defined]
        assert isinstance(error, ccxt.BadResponse)
    assert [o['id'] for o in orders] == order_ids
    for order, chunk_reply in zip(orders, [outcomes[i // 10] for i in range(count)], strict=True):
        assert order['status'] in ('canceled', 'failed', 'closed', None)
        assert order['symbol'] == 'BTC/USDT:USDT'
        json.dumps(order['info'], default=str)
        if not (isinstance(chunk_reply, dict) and chunk_reply.get('status') == 'ok'
                and isinstance(chunk_reply.get('data'), dict)):
            assert order['status'] is None  # nothing usable came back: the outcome is unknown


ORDER_ITEM = st.fixed_dictionaries({}, optional={
    key: JSON | st.sampled_from(['1', '2', '6', 'tp', 'sl', 'limit', 'market', '1300000000000000001'])
    for key in ('order_id', 'order_id_str', 'contract_code', 'status', 'tpsl_order_type', 'order_price_type',
                'trigger_price', 'order_price', 'volume', 'direction', 'created_at')
})
DATA = JSON | st.fixed_dictionaries({}, optional={
    'orders': st.lists(ORDER_ITEM | JSON, max_size=4) | JSON, 'current_page': JSON, 'total_page': JSON,
    'tp_order': st.fixed_dictionaries({}, optional={'order_id': JSON, 'order_id_str': JSON}) | JSON,
    'successes': JSON, 'errors': st.lists(st.fixed_dictionaries({}, optional={'order_id': JSON, 'err_code': JSON})),
})


@PROFILE
@given(reply=JSON | st.fixed_dictionaries({'status': st.sampled_from(['ok', 'error', None, 'weird'])},
                                          optional={'data': DATA}))
def test_lifecycle_parsers_raise_only_ccxt_errors(exchange: Any, reply: Any) -> None:
    market = {'id': 'BTC-USDT', 'symbol': 'BTC/USDT:USDT'}
    request = {'contract_code': 'BTC-USDT', 'direction': 'sell', 'volume': 1, 'tp_trigger_price': '1',
               'page_index': 1, 'page_size': 50}
    for parse in (
        lambda: exchange._tpsl_parse_created(market, request, reply),
        lambda: exchange._tpsl_parse_open_orders(exchange._tpsl_open_orders_page(reply, request)[0], market, 1, 2),
        lambda: exchange._tpsl_parse_cancel_all(market, reply),
    ):
        with contextlib.suppress(ccxt.BaseError):
            parse()
