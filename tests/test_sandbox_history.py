"""The sandbox's TP/SL history and a price it can move: classic ``swap_(cross_)tpsl_hisorders``, v5
``GET /v5/algo/order/history`` and ``GET /v5/algo/order`` (one order), ``Sandbox.set_mark_price``
firing waiting orders in both books, and the 404 for paths it does not serve.

Over real HTTP on 127.0.0.1, signed by ccxt itself: its implicit endpoints (the v5 ones are ccxt's,
the classic history ones are declared here as ccxt would), sync and async, or ``sign()`` + requests
for the refusals. Reply shapes are checked key for key against ``tests/data/htx-real-replies.json``."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import ccxt
import pytest
import requests
from ccxt.base.types import Entry

from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config
from ccxt_htx_tpsl.sandbox.state import DEFAULT_FIRE_FAILURE

from .conftest import AsyncRawHtx, RawHtx, Run
from .test_sandbox import OTHER_KEY, OTHER_SECRET, as_double, send, signed

DATA = pathlib.Path(__file__).parent / 'data' / 'htx-real-replies.json'
VECTORS = {vector['id']: vector for vector in json.loads(DATA.read_text())}
CLASSIC_HISTORY_KEYS = list(VECTORS['v1-tpsl-hisorders-isolated-doc']['reply']['data']['orders'][0])
CROSS_HISTORY_KEYS = list(VECTORS['v1-tpsl-hisorders-cross-doc']['reply']['data']['orders'][0])
V5_HISTORY_KEYS = list(VECTORS['v5-algo-history-tp-canceled']['reply']['data'][0])
V5_DETAIL_KEYS = list(VECTORS['v5-algo-detail-tp']['reply']['data'][0])
FIRED_KEYS = ['actual_volume', 'actual_price', 'actual_time', 'relation_order_id']  # SDK item model

UNIFIED_KEY, UNIFIED_SECRET = 'unifd000-sandbox0-htxtpsl0-00004', 'unifd000-secret00-htxtpsl0-00004'
HISTORY = {'isolated': 'swap_tpsl_hisorders', 'cross': 'swap_cross_tpsl_hisorders'}
ENTRIES = {
    f'contract_private_post_linear_swap_api_v1_{name}': Entry(f'linear-swap-api/v1/{name}', ['contract', 'private'],
                                                              'POST', {'cost': 1})
    for name in ('swap_tpsl_hisorders', 'swap_cross_tpsl_hisorders', 'swap_tpsl_nope')
}
HistoryHtx: Any = type('HistoryHtx', (RawHtx,), dict(ENTRIES))
AsyncHistoryHtx: Any = type('AsyncHistoryHtx', (AsyncRawHtx,), dict(ENTRIES))
Call = Callable[..., Any]


@pytest.fixture
def sb(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """The demo key (classic) and OTHER_KEY (classic) are two accounts; UNIFIED_KEY a third, on v5."""
    settings = {'rate_limit': 100, **getattr(request, 'param', {})}
    credentials = {DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET, UNIFIED_KEY: UNIFIED_SECRET}
    with Sandbox(credentials=credentials, account_mode='classic', account_modes={UNIFIED_KEY: 'unified'},
                 **settings) as sandbox:
        yield sandbox


def _caller(sb: Sandbox, flavour: str, run: Run, api_key: str, secret: str) -> Iterator[Call]:
    cls = HistoryHtx if flavour == 'sync' else AsyncHistoryHtx
    exchange = cls(exchange_config(sb.hostname, api_key, secret))
    yield lambda method, params=None: run(getattr(exchange, method)({} if params is None else params))
    if flavour == 'async':
        run(exchange.close())


@pytest.fixture
def hx(sb: Sandbox, flavour: str, run: Run) -> Iterator[Call]:
    """``hx(implicit method name, params)``: the demo key (classic) through ccxt, sync or async."""
    yield from _caller(sb, flavour, run, DEMO_API_KEY, DEMO_SECRET)


@pytest.fixture
def v5(sb: Sandbox, flavour: str, run: Run) -> Iterator[Call]:
    """The same for UNIFIED_KEY (the v5 algo endpoints)."""
    yield from _caller(sb, flavour, run, UNIFIED_KEY, UNIFIED_SECRET)


def classic_history(hx: Call, margin_mode: str = 'isolated', **body: Any) -> dict[str, Any]:
    """``data`` of a classic history query (every finished status, 90 days, unless given)."""
    request = {'contract_code': 'BTC-USDT', 'status': '0', 'create_date': 90, **body}
    reply = hx(f'contract_private_post_linear_swap_api_v1_{HISTORY[margin_mode]}', request)
    assert list(reply) == ['status', 'data', 'ts'] and reply['status'] == 'ok', reply
    data: dict[str, Any] = reply['data']
    assert list(data) == ['orders', 'total_page', 'current_page', 'total_size']
    return data


def history_ids(data: dict[str, Any]) -> list[str]:
    return [order['order_id_str'] for order in data['orders']]


def v5_history(v5: Call, **query: Any) -> list[dict[str, Any]]:
    reply = v5('contract_private_get_v5_algo_order_history', query)
    assert list(reply) == ['code', 'message', 'data', 'ts'] and (reply['code'], reply['message']) == (200, 'Success')
    data: list[dict[str, Any]] = reply['data']
    return data


def classic_error(sb: Sandbox, endpoint: str, body: dict[str, Any]) -> tuple[int, str]:
    reply = send(signed(RawHtx(sb.exchange_config()), endpoint, body)).json()
    assert reply['status'] == 'error', reply
    return reply['err_code'], reply['err_msg']


def v5_error(sb: Sandbox, path: str, query: dict[str, Any]) -> tuple[int, str]:
    exchange = RawHtx(exchange_config(sb.hostname, UNIFIED_KEY, UNIFIED_SECRET))
    reply = send(signed(exchange, path, query, 'GET')).json()
    assert list(reply) == ['code', 'message', 'data', 'ts'] and reply['data'] is None, reply
    return reply['code'], reply['message']


def place_pair(hx: Call, margin_mode: str = 'isolated', contract: str = 'BTC-USDT', direction: str = 'sell',
               tp: float = 100000, sl: float = 80000) -> tuple[str, str]:
    """A TP and an SL on one position through ``swap_(cross_)tpsl_order``: their ids."""
    name = 'swap_tpsl_order' if margin_mode == 'isolated' else 'swap_cross_tpsl_order'
    reply = hx(f'contract_private_post_linear_swap_api_v1_{name}', {
        'contract_code': contract, 'direction': direction, 'volume': 1, 'tp_trigger_price': tp,
        'sl_trigger_price': sl})
    return reply['data']['tp_order']['order_id_str'], reply['data']['sl_order']['order_id_str']


def classic_status(sb: Sandbox, order_id: str) -> int:
    order = sb.order(order_id)
    assert order is not None
    return int(order['status'])


def algo_state(sb: Sandbox, algo_id: str) -> str:
    order = sb.algo_order(algo_id)
    assert order is not None
    return str(order['state'])


# -- classic history ---------------------------------------------------------------------------------

@pytest.mark.parametrize('margin_mode', ['isolated', 'cross'])
def test_classic_history_items_have_the_doc_vectors_keys_after_cancel_fire_and_fail(
        sb: Sandbox, hx: Call, margin_mode: str) -> None:
    cancelled, twin = place_pair(hx, margin_mode)
    hx(f'contract_private_post_linear_swap_api_v1_swap{"_cross" if margin_mode == "cross" else ""}_tpsl_cancel',
       {'contract_code': 'BTC-USDT', 'order_id': cancelled})
    fired_tp, _ = place_pair(hx, margin_mode, tp=95000)
    failed_tp, _ = place_pair(hx, margin_mode, tp=96000)
    sb.set_order_status(twin, 11)  # expired, forced
    assert sb.set_mark_price('BTC-USDT', 95000) == [fired_tp]
    assert sb.set_mark_price('BTC-USDT', 96000, fail=True) == [failed_tp]
    data = classic_history(hx, margin_mode, sort_by='update_time')
    keys = CLASSIC_HISTORY_KEYS if margin_mode == 'isolated' else CROSS_HISTORY_KEYS
    assert all(list(order) == keys for order in data['orders'])
    by_id = {order['order_id_str']: order for order in data['orders']}
    assert set(by_id) >= {cancelled, twin, fired_tp, failed_tp}
    for order_id, order in by_id.items():
        assert order['order_id'] == as_double(order_id) and order['margin_mode'] == margin_mode
        assert order['created_at'] <= order['update_time'] <= data_ts(hx, margin_mode)
    gone = by_id[cancelled]
    assert (gone['status'], gone['relation_order_id'], gone['triggered_price'], gone['fail_code']) == (
        6, '-1', None, None)
    assert gone['canceled_at'] == gone['update_time'] and gone['relation_tpsl_order_id'] == twin
    assert (by_id[twin]['status'], by_id[twin]['canceled_at']) == (11, None)
    fired = by_id[fired_tp]
    assert (fired['status'], fired['triggered_price'], fired['fail_code'], fired['canceled_at']) == (
        4, 95000, None, None)
    assert fired['relation_order_id'] not in ('-1', fired_tp) and len(fired['relation_order_id']) == 19
    failed = by_id[failed_tp]
    assert (failed['status'], failed['triggered_price'], failed['relation_order_id']) == (5, 96000, '-1')
    assert (failed['fail_code'], failed['fail_reason']) == DEFAULT_FIRE_FAILURE
    # newest update first: the failed TP, then the fired TP's twin it cancelled, then the fired TP...
    assert history_ids(data)[0] == failed_tp


def data_ts(hx: Call, margin_mode: str) -> int:
    """A fresh server ``ts`` (an upper bound for every time the sandbox stamped so far)."""
    reply = hx(f'contract_private_post_linear_swap_api_v1_{HISTORY[margin_mode]}',
               {'contract_code': 'BTC-USDT', 'status': '0', 'create_date': 1})
    return int(reply['ts'])


def test_classic_history_status_filter_paging_and_sort(sb: Sandbox, hx: Call) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=7)
    for order_id, status in zip(ids, [6, 4, 5, 11, 8, 10, 2], strict=True):
        sb.set_order_status(order_id, status)
    everything = classic_history(hx)
    assert history_ids(everything) == ids[:6][::-1]  # every final status, newest first; not the open one
    assert (everything['total_page'], everything['current_page'], everything['total_size']) == (1, 1, 6)
    assert history_ids(classic_history(hx, status='4,6')) == [ids[1], ids[0]]
    assert history_ids(classic_history(hx, status=5)) == [ids[2]]
    assert history_ids(classic_history(hx, status='11, 6')) == [ids[3], ids[0]]
    page = classic_history(hx, page_index=2, page_size=4)
    assert history_ids(page) == [ids[1], ids[0]] and (page['total_page'], page['current_page'], page['total_size']) == (
        2, 2, 6)
    assert classic_history(hx, page_index=3, page_size=4)['orders'] == []
    sb.set_order_status(ids[0], 4)  # touched last: first by update_time, still last by created_at
    assert history_ids(classic_history(hx, sort_by='update_time'))[0] == ids[0]
    assert history_ids(classic_history(hx, sort_by='created_at'))[-1] == ids[0]
    assert classic_history(hx, contract_code='ETH-USDT') == {
        'orders': [], 'total_page': 0, 'current_page': 1, 'total_size': 0}


def test_classic_history_default_page_size_is_20(sb: Sandbox, hx: Call) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=21, status=6)
    data = classic_history(hx)
    assert len(data['orders']) == protocol.CLASSIC_HISTORY_DEFAULT_PAGE_SIZE == 20
    assert (data['total_page'], data['total_size']) == (2, 21) and history_ids(data)[0] == ids[-1]


def test_classic_history_is_per_account_contract_and_margin_mode(sb: Sandbox, hx: Call) -> None:
    mine = sb.add_tpsl_orders('BTC-USDT', status=6)
    sb.add_tpsl_orders('BTC-USDT', status=6, api_key=OTHER_KEY)
    sb.add_tpsl_orders('ETH-USDT', status=6)
    cross = sb.add_tpsl_orders('BTC-USDT', status=6, margin_mode='cross')
    future = sb.add_tpsl_orders('BTC-USDT-261225', status=4, margin_mode='cross')
    assert history_ids(classic_history(hx)) == mine
    assert history_ids(classic_history(hx, 'cross')) == cross
    # cross: pair instead of contract_code (every cross contract of the pair), or pair + contract_type
    assert history_ids(classic_history(hx, 'cross', contract_code=None, pair='BTC-USDT')) == future + cross
    assert history_ids(classic_history(hx, 'cross', contract_code=None, pair='BTC-USDT',
                                       contract_type='quarter')) == future


@pytest.mark.parametrize(('body', 'code', 'message'), [
    ({'contract_code': None}, 1066, 'contract_code cannot be empty.'),
    ({'status': None}, 1066, 'status cannot be empty.'),
    ({'create_date': None}, 1066, 'create_date cannot be empty.'),
    ({'status': '2'}, 1067, 'Illegal parameter status.'),  # not a final status
    ({'status': '4,x'}, 1067, 'Illegal parameter status.'),
    ({'create_date': 91}, 1067, 'Illegal parameter create_date.'),
    ({'create_date': 0}, 1067, 'Illegal parameter create_date.'),
    ({'create_date': 'week'}, 1067, 'Illegal parameter create_date.'),
    ({'page_size': 51}, 1067, 'Illegal parameter page_size.'),
    ({'page_index': 0}, 1067, 'Illegal parameter page_index.'),
    ({'sort_by': 'order_id'}, 1067, 'Illegal parameter sort_by.'),
    ({'contract_code': 'NOPE-USDT'}, 1014, 'This contract doesnt exist.'),
    ({'contract_code': 'XRP-USDT'}, 1014, 'This contract doesnt exist.'),  # no isolated margin
])
def test_classic_history_refusals(sb: Sandbox, body: dict[str, Any], code: int, message: str) -> None:
    request = {k: v for k, v in {'contract_code': 'BTC-USDT', 'status': '0', 'create_date': 30, **body}.items()
               if v is not None}
    assert classic_error(sb, 'swap_tpsl_hisorders', request) == (code, message)


def test_classic_history_cross_refusals_and_family(sb: Sandbox) -> None:
    base = {'status': '0', 'create_date': 30}
    assert classic_error(sb, 'swap_cross_tpsl_hisorders', {**base, 'contract_code': 'TRX-USDT'})[0] == 1348
    assert classic_error(sb, 'swap_cross_tpsl_hisorders', {**base, 'pair': 'NOPE-USDT'})[0] == 1014
    assert classic_error(sb, 'swap_cross_tpsl_hisorders', base) == (1066, 'contract_code cannot be empty.')
    unified = RawHtx(exchange_config(sb.hostname, UNIFIED_KEY, UNIFIED_SECRET))
    reply = send(signed(unified, 'swap_tpsl_hisorders', {**base, 'contract_code': 'BTC-USDT'})).json()
    assert reply['err_code'] == 6023  # a unified account, like every classic endpoint
    assert [(r.endpoint, r.err_code) for r in sb.requests][-1] == ('swap_tpsl_hisorders', 6023)


def test_classic_history_counts_against_the_uid_read_budget_not_the_trade_one() -> None:
    with Sandbox(account_mode='classic', uid_read_rate=(3, 60_000)) as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        body = {'contract_code': 'BTC-USDT', 'status': '0', 'create_date': 30}
        replies = [send(signed(exchange, 'swap_tpsl_hisorders', body)).json() for _ in range(4)]
        assert [r.get('err_code') for r in replies] == [None, None, None, 1032]
        assert send(signed(exchange, 'swap_tpsl_cancelall', {'contract_code': 'BTC-USDT'})).json()['err_code'] == 1051


def test_open_listing_drops_what_the_history_shows(sb: Sandbox, hx: Call) -> None:
    tp, sl = place_pair(hx)
    listed = hx('contract_private_post_linear_swap_api_v1_swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})
    assert {o['order_id_str'] for o in listed['data']['orders']} == {tp, sl}
    sb.set_mark_price('BTC-USDT', 100000)
    listed = hx('contract_private_post_linear_swap_api_v1_swap_tpsl_openorders', {'contract_code': 'BTC-USDT'})
    assert listed['data']['orders'] == [] and set(history_ids(classic_history(hx))) == {tp, sl}


@pytest.mark.parametrize('sb', [{'max_closed_orders': 2}], indirect=True)
def test_history_keeps_at_most_max_closed_orders_per_book(sb: Sandbox, hx: Call, v5: Call) -> None:
    ids = sb.add_tpsl_orders('BTC-USDT', count=3)
    algo = sb.add_algo_orders('BTC-USDT', 3, api_key=UNIFIED_KEY)
    for order_id in ids:
        sb.set_order_status(order_id, 6)
    for algo_id in algo:
        sb.set_algo_state(algo_id, 'canceled')
    assert history_ids(classic_history(hx)) == [ids[2], ids[1]] and sb.order(ids[0]) is None
    assert [i['algo_id'] for i in v5_history(v5)] == [algo[2], algo[1]] and sb.algo_order(algo[0]) is None


# -- set_mark_price ------------------------------------------------------------------------------------

# (closing direction, kind, trigger): the price just short of the trigger leaves it waiting, the trigger fires it
CROSSINGS = [
    ('sell', 'tp', 100000, 99999.9),  # closing a long: TP on a rise
    ('sell', 'sl', 80000, 80000.1),  # closing a long: SL on a fall
    ('buy', 'tp', 80000, 80000.1),  # closing a short: TP on a fall
    ('buy', 'sl', 100000, 99999.9),  # closing a short: SL on a rise
]


@pytest.mark.parametrize(('direction', 'kind', 'trigger', 'short_of_it'), CROSSINGS)
def test_set_mark_price_fires_classic_orders_when_crossed(sb: Sandbox, direction: str, kind: str, trigger: float,
                                                          short_of_it: float) -> None:
    [order_id] = sb.add_tpsl_orders('BTC-USDT', direction=direction, tpsl_order_type=kind, trigger_price=trigger)
    beyond = trigger + (trigger - short_of_it) * 100
    assert sb.set_mark_price('BTC-USDT', short_of_it) == [] and classic_status(sb, order_id) == 2
    assert sb.set_mark_price('BTC-USDT', trigger) == [order_id] and classic_status(sb, order_id) == 4
    assert sb.set_mark_price('BTC-USDT', beyond) == []  # fires once
    [again] = sb.add_tpsl_orders('BTC-USDT', direction=direction, tpsl_order_type=kind, trigger_price=trigger)
    assert sb.set_mark_price('BTC-USDT', beyond) == [again]  # past the trigger fires too
    assert sb.mark_price('BTC-USDT') == Decimal(str(beyond))


@pytest.mark.parametrize(('side', 'kind', 'trigger', 'short_of_it'), CROSSINGS)
def test_set_mark_price_fires_v5_orders_when_crossed(sb: Sandbox, side: str, kind: str, trigger: float,
                                                     short_of_it: float) -> None:
    [algo_id] = sb.add_algo_orders('BTC-USDT', type=kind, side=side, api_key=UNIFIED_KEY,
                                   tp_trigger_price=trigger if kind == 'tp' else None,
                                   sl_trigger_price=trigger if kind == 'sl' else None)
    assert sb.set_mark_price('BTC-USDT', short_of_it) == [] and algo_state(sb, algo_id) == 'active'
    assert sb.set_mark_price('BTC-USDT', trigger) == [algo_id] and algo_state(sb, algo_id) == 'effective'


@pytest.mark.parametrize(('price', 'fires'), [(99000, 'tp'), (81000, 'sl'), (90000, None)])
def test_a_v5_tpsl_order_ends_with_the_leg_that_fires(sb: Sandbox, v5: Call, price: float, fires: str | None) -> None:
    [algo_id] = sb.add_algo_orders('BTC-USDT', type='tpsl', tp_trigger_price=99000, sl_trigger_price=81000,
                                   api_key=UNIFIED_KEY)
    assert sb.set_mark_price('BTC-USDT', price) == ([algo_id] if fires else [])
    if fires:
        [item] = v5_history(v5)
        assert item['state'] == 'effective' and item['actual_price'] == str(price)


def test_set_mark_price_fires_every_account_and_both_books_on_that_contract_only(sb: Sandbox) -> None:
    mine = sb.add_tpsl_orders('BTC-USDT', trigger_price=95000)
    theirs = sb.add_tpsl_orders('BTC-USDT', trigger_price=95000, api_key=OTHER_KEY, margin_mode='cross')
    algo = sb.add_algo_orders('BTC-USDT', tp_trigger_price=95000, api_key=UNIFIED_KEY)
    eth = sb.add_tpsl_orders('ETH-USDT', trigger_price=2000, direction='buy')  # a TP closing a short, below
    not_ready = sb.add_tpsl_orders('BTC-USDT', trigger_price=95000, status=1)
    cancelled_algo = sb.add_algo_orders('BTC-USDT', tp_trigger_price=95000, state='canceled')
    assert sb.set_mark_price('BTC/USDT:USDT', '96000.5') == mine + theirs + algo  # a unified symbol, a text price
    assert [classic_status(sb, i) for i in eth + not_ready] == [2, 1]
    assert algo_state(sb, cancelled_algo[0]) == 'canceled'
    assert sb.mark_price('BTC-USDT') == Decimal('96000.5') and sb.mark_price('ETH-USDT') == Decimal('3000.0')
    [dated] = sb.add_tpsl_orders('BTC-USDT-261225', trigger_price=95000, margin_mode='cross')
    assert sb.set_mark_price('BTC/USDT:USDT-261225', 95000) == [dated]
    wrongs: list[tuple[str, Any, str]] = [('NOPE-USDT', 1, 'unknown contract'), ('BTC-USDT', 0, 'positive'),
                                          ('BTC-USDT', 'x', 'positive'), ('BTC-USDT', True, 'positive')]
    for contract, price, error in wrongs:
        with pytest.raises(ValueError, match=error):
            sb.set_mark_price(contract, price)
    with pytest.raises(ValueError, match='fail must be'):
        sb.set_mark_price('BTC-USDT', 1, fail=('1048', 'x'))  # type: ignore[arg-type]


def test_a_fired_leg_cancels_its_waiting_twin_a_failed_one_does_not(sb: Sandbox, hx: Call) -> None:
    tp, sl = place_pair(hx, tp=100000, sl=80000)
    assert sb.set_mark_price('BTC-USDT', 79000) == [sl]
    assert (classic_status(sb, sl), classic_status(sb, tp)) == (4, 6)
    by_id = {o['order_id_str']: o for o in classic_history(hx)['orders']}
    assert by_id[tp]['canceled_at'] is not None and by_id[tp]['relation_order_id'] == '-1'
    assert by_id[sl]['relation_tpsl_order_id'] == tp and by_id[sl]['triggered_price'] == 79000
    tp2, sl2 = place_pair(hx, tp=100000, sl=80000)
    assert sb.set_mark_price('BTC-USDT', 100500, fail=(1041, 'The order price exceeds the limit.')) == [tp2]
    assert (classic_status(sb, tp2), classic_status(sb, sl2)) == (5, 2)  # the SL still waits
    failed = {o['order_id_str']: o for o in classic_history(hx)['orders']}[tp2]
    assert (failed['fail_code'], failed['fail_reason']) == (1041, 'The order price exceeds the limit.')
    assert sb.set_mark_price('BTC-USDT', 79000) == [sl2] and classic_status(sb, sl2) == 4


def test_fired_orders_answer_1063_to_a_cancel_their_cancelled_twins_1071(sb: Sandbox, hx: Call) -> None:
    tp, sl = place_pair(hx)
    sb.set_mark_price('BTC-USDT', 100000)
    raw = send(signed(RawHtx(sb.exchange_config()), 'swap_tpsl_cancel',
                      {'contract_code': 'BTC-USDT', 'order_id': f'{tp},{sl}'})).json()
    assert {e['order_id']: e['err_code'] for e in raw['data']['errors']} == {tp: 1063, sl: 1071}


# -- v5 history and one order --------------------------------------------------------------------------

def test_v5_history_items_match_the_observed_vectors(sb: Sandbox, v5: Call) -> None:
    created = v5('contract_private_post_v5_algo_order', {
        'contract_code': 'BTC-USDT', 'type': 'tp', 'side': 'sell', 'position_side': 'long', 'margin_mode': 'cross',
        'volume': 2, 'tp_trigger_price': 101000})
    algo_id = created['data'][0]['algo_id']
    cancelled = v5('contract_private_post_v5_algo_cancel_orders', [{'contract_code': 'BTC-USDT', 'algo_id': algo_id}])
    assert cancelled['data'][0]['code'] == 200
    # ccxt's own queries (vector notes): limit=1&margin_mode=cross&contract_code=BTC-USDT&type=tp, then states=canceled
    ccxt_query = {'limit': 1, 'margin_mode': 'cross', 'contract_code': 'BTC-USDT', 'type': 'tp'}
    for query in (ccxt_query, {**ccxt_query, 'states': 'canceled'}):
        [item] = v5_history(v5, **query)
        assert list(item) == V5_HISTORY_KEYS and all(isinstance(value, str) for value in item.values())
        vector = VECTORS['v5-algo-history-tp-canceled']['reply']['data'][0]
        same = [k for k in V5_HISTORY_KEYS if k not in ('id', 'algo_id', 'created_time', 'updated_time')]
        assert {k: item[k] for k in same} == {k: vector[k] for k in same}
        assert item['algo_id'] == algo_id and int(item['created_time']) <= int(item['updated_time'])
    assert v5('contract_private_get_v5_algo_order_opens', {})['data'] == []


def test_v5_history_states_after_cancel_fire_and_fail(sb: Sandbox, v5: Call) -> None:
    cancelled, fired, failed, waiting = sb.add_algo_orders('BTC-USDT', 4, api_key=UNIFIED_KEY, tp_trigger_price=95000)
    sb.set_algo_state(cancelled, 'canceled')
    sb.set_algo_state(failed, 'failed')  # forced, as a failed firing leaves it
    sb.set_algo_state(waiting, 'canceling')
    assert sb.set_mark_price('BTC-USDT', 95000.5) == [fired]
    items = {item['algo_id']: item for item in v5_history(v5)}
    assert list(items) == [failed, fired, cancelled]  # newest id first; neither active nor canceling
    assert [items[i]['state'] for i in (cancelled, fired, failed)] == ['canceled', 'effective', 'failed']
    assert list(items[cancelled]) == list(items[failed]) == V5_HISTORY_KEYS
    assert list(items[fired]) == V5_HISTORY_KEYS + FIRED_KEYS
    assert (items[fired]['actual_volume'], items[fired]['actual_price']) == ('1', '95000.5')
    assert items[fired]['relation_order_id'].startswith('16') and len(items[fired]['relation_order_id']) == 19
    assert int(items[fired]['created_time']) <= int(items[fired]['actual_time']) <= int(items[fired]['updated_time'])
    [fails] = sb.add_algo_orders('BTC-USDT', api_key=UNIFIED_KEY, side='buy', type='sl', sl_trigger_price=96000)
    assert sb.set_mark_price('BTC-USDT', 96000, fail=True) == [fails]
    [item] = v5_history(v5, states='failed', limit=1)
    assert item['algo_id'] == fails and list(item) == [k.replace('tp_', 'sl_') for k in V5_HISTORY_KEYS]


def test_v5_history_filters_and_paging(sb: Sandbox, v5: Call) -> None:
    ids = sb.add_algo_orders('BTC-USDT', 6, api_key=UNIFIED_KEY, state='canceled')
    [eth] = sb.add_algo_orders('ETH-USDT', api_key=UNIFIED_KEY, state='effective', margin_mode='cross')
    [sl] = sb.add_algo_orders('BTC-USDT', type='sl', api_key=UNIFIED_KEY, state='failed')
    sb.add_algo_orders('BTC-USDT', 2, state='canceled')  # the demo key's UID: not this account's
    sb.add_algo_orders('BTC-USDT', 2, api_key=UNIFIED_KEY)  # active: not history

    def listed(**query: Any) -> list[str]:
        return [item['algo_id'] for item in v5_history(v5, **query)]

    assert listed(limit=100) == [sl, eth, *ids[::-1]]
    assert listed() == [sl, eth, *ids[::-1]][:10]
    assert listed(contract_code='BTC-USDT', type='tp') == ids[::-1]
    assert listed(margin_mode='cross') == [eth]
    assert listed(states='effective,failed') == listed(state='effective,failed') == [sl, eth]
    assert listed(states='canceled', limit=2) == [ids[5], ids[4]]
    cursor = v5_history(v5, states='canceled', limit=2)[-1]['id']
    assert listed(states='canceled', limit=2, **{'from': cursor}) == [ids[3], ids[2]]
    assert listed(states='canceled', limit=2, direct='next', **{'from': cursor}) == [ids[3], ids[2]]
    assert listed(states='canceled', limit=2, direct='prev', **{'from': cursor}) == [ids[5]]
    times = sorted(int(item['created_time']) for item in v5_history(v5, limit=100))
    assert len(listed(start_time=times[0], end_time=times[-1], limit=100)) == 8  # on created_time, both ends in
    assert listed(end_time=times[0] - 1) == [] and listed(start_time=times[-1] + 1) == []


@pytest.mark.parametrize(('query', 'code', 'message'), [
    ({'states': 'active'}, 1067, 'Illegal parameter states.'),
    ({'state': 'canceled,open'}, 1067, 'Illegal parameter state.'),
    ({'limit': 101}, 1067, 'Illegal parameter limit.'),
    ({'limit': 0}, 1067, 'Illegal parameter limit.'),
    ({'direct': 'up'}, 1067, 'Illegal parameter direct.'),
    ({'start_time': 'yesterday'}, 1067, 'Illegal parameter start_time.'),
    ({'type': 'limit'}, 1067, 'Illegal parameter type.'),
    ({'contract_code': 'NOPE-USDT'}, 1014, 'This contract doesnt exist.'),
])
def test_v5_history_refusals(sb: Sandbox, query: dict[str, Any], code: int, message: str) -> None:
    assert v5_error(sb, 'v5/algo/order/history', query) == (code, message)


def test_v5_one_order_by_algo_id_or_client_id_in_any_state(sb: Sandbox, v5: Call) -> None:
    [active] = sb.add_algo_orders('BTC-USDT', api_key=UNIFIED_KEY, margin_mode='cross', volume=2)
    [old, new] = sb.add_algo_orders('BTC-USDT', 2, api_key=UNIFIED_KEY, client_order_ids=['mine', 'mine'],
                                    tp_trigger_price=95000)
    reply = v5('contract_private_get_v5_algo_order', {'algo_id': active, 'type': 'tp'})  # ccxt's fetchOrder query
    assert list(reply) == ['code', 'message', 'data', 'ts']
    [item] = reply['data']
    assert list(item) == V5_DETAIL_KEYS and item == sb.algo_order(active)
    vector = VECTORS['v5-algo-detail-tp']['reply']['data'][0]
    same = [k for k in V5_DETAIL_KEYS if k not in ('id', 'algo_id', 'created_time', 'updated_time', 'tp_trigger_price')]
    assert {k: item[k] for k in same} == {k: vector[k] for k in same}
    sb.set_mark_price('BTC-USDT', 95000)
    [fired] = v5('contract_private_get_v5_algo_order', {'algo_client_order_id': 'mine'})['data']
    assert (fired['algo_id'], fired['state']) == (new, 'effective') and list(fired) == [
        *V5_DETAIL_KEYS, 'algo_client_order_id', *FIRED_KEYS]
    [by_id] = v5('contract_private_get_v5_algo_order', {'algo_id': old, 'contract_code': 'BTC-USDT'})['data']
    assert by_id['state'] == 'effective' and by_id['algo_id'] == old


def test_v5_one_order_refusals(sb: Sandbox) -> None:
    [mine] = sb.add_algo_orders('BTC-USDT', api_key=UNIFIED_KEY)
    [theirs] = sb.add_algo_orders('BTC-USDT')  # another UID's
    [classic] = sb.add_tpsl_orders('BTC-USDT', api_key=UNIFIED_KEY)
    assert v5_error(sb, 'v5/algo/order', {}) == (1066, 'algo_id cannot be empty.')
    for query in ({'algo_id': theirs}, {'algo_id': classic}, {'algo_id': '1999999999999999999'},
                  {'algo_id': mine, 'contract_code': 'ETH-USDT'}, {'algo_id': mine, 'type': 'sl'},
                  {'algo_client_order_id': 'nobody'}):
        assert v5_error(sb, 'v5/algo/order', query) == (1061, 'This order doesnt exist.')
    assert v5_error(sb, 'v5/algo/order', {'algo_id': mine, 'contract_code': 'NOPE-USDT'})[0] == 1014


def test_v5_history_and_one_order_refuse_a_classic_account_and_count_as_reads(sb: Sandbox) -> None:
    classic = RawHtx(sb.exchange_config())
    for path in ('v5/algo/order/history', 'v5/algo/order'):
        reply = send(signed(classic, path, {'algo_id': '1500000000000000001'}, 'GET')).json()
        assert (reply['code'], reply['data']) == (4007, None)
    assert [r.endpoint for r in sb.requests] == ['history', 'order']
    with Sandbox(uid_read_rate=(2, 60_000)) as sandbox:
        exchange = RawHtx(sandbox.exchange_config())
        codes = [send(signed(exchange, 'v5/algo/order/history', {}, 'GET')).json()['code'] for _ in range(3)]
        assert codes == [200, 200, 1032]
        assert send(signed(exchange, 'v5/algo/order', {'algo_id': '1'}, 'GET')).json()['code'] == 1032
        created = send({**signed(exchange, 'v5/algo/order', {}), 'body': json.dumps({
            'contract_code': 'BTC-USDT', 'type': 'tp', 'side': 'sell', 'position_side': 'long',
            'margin_mode': 'isolated', 'volume': 1, 'tp_trigger_price': 100000})}).json()
        assert created['code'] == 200  # the create is a trade request: another budget


# -- paths the sandbox does not serve -------------------------------------------------------------------

@pytest.mark.parametrize(('method', 'path', 'envelope'), [
    ('POST', 'linear-swap-api/v1/swap_tpsl_nope', 'v1'),
    ('POST', 'linear-swap-api/v1/swap_tpsl_hisorder', 'v1'),
    ('GET', 'linear-swap-api/v1/swap_tpsl_hisorders', 'v1'),  # a served path, another method
    ('GET', 'v5/algo/order/histories', 'v5'),
    ('POST', 'v5/algo/order/history', 'v5'),
    ('DELETE', 'v5/algo/order', 'v5'),
])
def test_unknown_endpoints_answer_404_with_an_error_body(sb: Sandbox, method: str, path: str, envelope: str) -> None:
    request = RawHtx(sb.exchange_config()).sign(path, ['contract', 'private'], method, {})
    response = requests.request(method, request['url'], data=request['body'] or '{}', headers=request['headers'],
                                timeout=5)
    assert response.status_code == 404 and response.headers['Content-Type'].startswith('application/json')
    reply = response.json()
    text = f'not implemented by the sandbox: {method} /{path}'
    if envelope == 'v5':
        assert (reply['code'], reply['message'], reply['data']) == (1030, text, None)
    else:
        assert (reply['status'], reply['err_code'], reply['err_msg']) == ('error', 1030, text)
    assert (sb.requests[-1].status, sb.requests[-1].err_code) == (404, 1030)


def test_an_unknown_endpoint_is_never_a_success_through_ccxt(sb: Sandbox, hx: Call) -> None:
    with pytest.raises(ccxt.BaseError) as refused:
        hx('contract_private_post_linear_swap_api_v1_swap_tpsl_nope', {'contract_code': 'BTC-USDT'})
    assert 'not implemented by the sandbox' in str(refused.value)
