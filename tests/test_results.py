"""The order structures: built once per status and copied per id, identical to ``safe_order`` per id;
HTX's per-id code read the same way on both families; ccxt's own order test on each."""

from __future__ import annotations

import itertools
from typing import Any

import ccxt
from hypothesis import given, settings
from hypothesis import strategies as st

import ccxt_htx_tpsl
from ccxt_htx_tpsl._classic import CLASSIC
from ccxt_htx_tpsl._model import IdResult, safe_timestamp
from ccxt_htx_tpsl._v5 import V5_FAMILY

from .conftest import assert_ccxt_orders

SYMBOL = 'BTC/USDT:USDT'
MARKET = {'id': 'BTC-USDT', 'symbol': SYMBOL}
EXCHANGE = ccxt_htx_tpsl.htx()
STATUSES = st.sampled_from(['canceled', 'closed', 'open', None])
INFOS = st.one_of(st.text(max_size=5), st.dictionaries(st.text(max_size=5), st.integers(-2**63, 2**63 - 1), max_size=3))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 2**63 - 1).map(str), STATUSES, INFOS), max_size=25,
                unique_by=lambda t: t[0]))
def test_a_copied_template_is_what_safe_order_returns(items: list[tuple[str, Any, Any]]) -> None:
    ids = [i for i, _, _ in items]
    outcomes = {i: IdResult(status, info) for i, status, info in items}
    built = EXCHANGE._tpsl_outcome_orders(MARKET, ids, outcomes)
    expected = [EXCHANGE.safe_order({'id': i, 'status': status, 'symbol': SYMBOL, 'info': info}, MARKET)
                for i, status, info in items]
    assert built == expected
    for a, b in itertools.pairwise(built):  # no list or dict shared between two orders
        for key, value in a.items():
            if key != 'info' and isinstance(value, list | dict):
                assert value is not b[key]
    assert_ccxt_orders(EXCHANGE, built, SYMBOL)


def test_outcome_reads_htx_code_and_message_on_both_families() -> None:
    cases = [
        ({'order_id': '1', 'err_code': 1061, 'err_msg': 'The order does not exist.'},
         ('1061', 'The order does not exist.')),
        ({'algo_id': '1', 'code': 1061, 'message': 'This order doesnt exist.', 'algo_client_order_id': None},
         ('1061', 'This order doesnt exist.')),
        ({'algo_id': '1', 'code': '200', 'message': 'Success', 'algo_client_order_id': None}, (None, None)),
        ('1', (None, None)),  # a classic success: the id, as HTX lists it
        (CLASSIC.refused_info('1', '1004', 'busy'), ('1004', 'busy')),
        (V5_FAMILY.refused_info('1', '1004', 'busy'), ('1004', 'busy')),
        (CLASSIC.unknown_info('1', 'RequestTimeout', 'timed out'), (None, 'timed out')),
        (V5_FAMILY.unknown_info('1', 'RequestTimeout', 'timed out'), (None, 'timed out')),
    ]
    for info, expected in cases:
        order = EXCHANGE.safe_order({'id': '1', 'info': info, 'symbol': SYMBOL})
        assert tuple(ccxt_htx_tpsl.outcome(order)) == expected
    assert ccxt_htx_tpsl.outcome({}) == (None, None)


def test_the_same_refusal_reads_the_same_on_both_families() -> None:
    classic = CLASSIC.cancel_outcomes(EXCHANGE, ['1'], {'status': 'ok', 'data': {
        'errors': [{'order_id': '1', 'err_code': 1071, 'err_msg': 'Repeated cancellation'}], 'successes': ''}})
    v5 = V5_FAMILY.cancel_outcomes(EXCHANGE, ['1'], {'code': 200, 'message': 'Success', 'data': [
        {'algo_id': '1', 'code': 1071, 'message': 'Repeated cancellation', 'algo_client_order_id': None}]})
    assert classic is not None and v5 is not None
    assert (classic['1'].status, classic['1'].code) == (v5['1'].status, v5['1'].code) == ('canceled', '1071')


class _CountingDict(dict):  # type: ignore[type-arg]
    """A reply item that counts how often it is compared with another one."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _CountingDict.comparisons += 1
        return dict.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


def test_the_v5_reply_parser_is_linear() -> None:
    # 16,000 items used to take seconds: each item was compared with every succeeded one (list
    # membership of dicts). Count the comparisons instead of timing them: none are needed.
    for n in (100, 16000):
        ids = [str(10**18 + i) for i in range(n)]
        data = [_CountingDict(algo_id=i, code=200 if k % 2 else 1061, message='m') for k, i in enumerate(ids)]
        _CountingDict.comparisons = 0
        parsed = V5_FAMILY.cancel_outcomes(EXCHANGE, ids, {'code': 200, 'data': data})
        assert parsed is not None and len(parsed) == n
        assert _CountingDict.comparisons == 0


def test_timestamps_beyond_what_ccxt_formats_are_dropped() -> None:
    assert safe_timestamp('1780738313091') == 1780738313091
    assert safe_timestamp(1780738313091.0) == 1780738313091
    for bad in ('253402300800000', 10**20, -1, 0, 'abc', True, None, '1' * 40, 1.5):
        assert safe_timestamp(bad) is None
    item = {'id': '1', 'algo_id': '1512871666507657216', 'type': 'tp', 'state': 'active', 'side': 'sell',
            'volume': '1', 'contract_code': 'BTC-USDT', 'margin_mode': 'isolated',
            'created_time': str(10**17), 'tp_trigger_price': '101000'}
    exchange = ccxt_htx_tpsl.htx()
    market = exchange.safe_market_structure({
        'id': 'BTC-USDT', 'symbol': SYMBOL, 'base': 'BTC', 'quote': 'USDT', 'settle': 'USDT', 'type': 'swap',
        'swap': True, 'contract': True, 'linear': True, 'inverse': False, 'spot': False})
    order = V5_FAMILY.listed_order(exchange, item, market, 'isolated')
    assert order is not None and order['timestamp'] is None and order['takeProfitPrice'] == 101000
    assert isinstance(order['amount'], float)  # numbers as numbers, whatever the JSON carried


def test_structures_from_every_family_parser_pass_ccxts_order_test() -> None:
    assert isinstance(ccxt.htx().safe_order({}), dict)
    classic_item = {'contract_code': 'BTC-USDT', 'volume': 1, 'direction': 'buy', 'order_id': 795715396674895900,
                    'order_id_str': '795715396674895872', 'tpsl_order_type': 'tp', 'trigger_price': 27000,
                    'order_price': 0, 'created_at': 1609754934244, 'order_price_type': 'optimal_5', 'status': 2}
    order = CLASSIC.listed_order(EXCHANGE, classic_item, MARKET, 'isolated')
    assert order is not None and order['id'] == '795715396674895872'  # order_id_str: the exact id
    assert_ccxt_orders(EXCHANGE, [order], SYMBOL)
