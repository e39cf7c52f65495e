"""A sandbox in another process can be told to move a price: ``POST /sandbox/mark_price`` does what
``Sandbox.set_mark_price`` does, answers the fired ids, and looks like no HTX endpoint.

Over real HTTP on 127.0.0.1 (``requests``); which orders fire at which price is tested on
``set_mark_price`` itself (test_sandbox_history.py): here, that the endpoint is that method.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, SANDBOX_HEADER, Sandbox

from .test_sandbox_history import UNIFIED_KEY, UNIFIED_SECRET

HTX_ENVELOPE_KEYS = {'status', 'err_code', 'err_msg', 'code', 'message', 'msg', 'data', 'ts'}


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """The demo key classic, UNIFIED_KEY unified: both books in one sandbox."""
    with Sandbox(credentials={DEMO_API_KEY: DEMO_SECRET, UNIFIED_KEY: UNIFIED_SECRET}, account_mode='classic',
                 account_modes={UNIFIED_KEY: 'unified'}) as sandbox:
        yield sandbox


def move(sb: Sandbox, body: Any, **kwargs: Any) -> requests.Response:
    return requests.post(f'{sb.url}/sandbox/mark_price', json=body, timeout=5, **kwargs)


def test_a_price_moved_over_http_fires_what_it_crosses_in_both_books(sb: Sandbox) -> None:
    classic = sb.add_tpsl_orders('BTC-USDT', count=2, trigger_price=99_000)  # TPs closing a long
    algo = sb.add_algo_orders('BTC-USDT', 1, api_key=UNIFIED_KEY, tp_trigger_price=99_000)
    waiting = sb.add_algo_orders('BTC-USDT', 1, api_key=UNIFIED_KEY, tp_trigger_price=120_000)
    sb.inject(None, err_code=1032, times=5)  # faults act on HTX's endpoints only
    before = sb.request_total

    short = move(sb, {'contract': 'BTC-USDT', 'price': '98999.5'})
    fired = move(sb, {'contract': 'BTC/USDT:USDT', 'price': 99_000})

    assert short.status_code == 200 and short.json() == {'contract': 'BTC-USDT', 'price': '98999.5', 'fired': []}
    assert fired.status_code == 200 and fired.headers['Content-Type'].startswith('application/json')
    assert fired.json() == {'contract': 'BTC-USDT', 'price': '99000', 'fired': [*classic, *algo]}
    assert not HTX_ENVELOPE_KEYS & set(fired.json())  # nothing that reads as an HTX reply
    assert fired.headers[SANDBOX_HEADER]
    assert [sb.order(i)['status'] for i in classic] == [4, 4] and sb.algo_order(algo[0])['state'] == 'effective'
    assert sb.algo_order(waiting[0])['state'] == 'active' and sb.mark_price('BTC-USDT') == 99_000
    assert sb.request_total == before  # the harness talking: not recorded as HTX traffic


def test_fail_true_fires_orders_that_hte_sandbox_then_refuses_to_place(sb: Sandbox) -> None:
    classic = sb.add_tpsl_orders('ETH-USDT', count=1, direction='buy', tpsl_order_type='sl', trigger_price=3_000)
    algo = sb.add_algo_orders('ETH-USDT', 1, api_key=UNIFIED_KEY, type='sl', side='buy', position_side='short',
                              sl_trigger_price=3_000)
    reply = move(sb, {'contract': 'ETH-USDT', 'price': '3100', 'fail': True})
    assert reply.json() == {'contract': 'ETH-USDT', 'price': '3100', 'fired': [*classic, *algo]}
    assert sb.order(classic[0])['status'] == 5 and sb.algo_order(algo[0])['state'] == 'failed'


@pytest.mark.parametrize(('body', 'error'), [
    ({'contract': 'DOGE-USDT', 'price': 1}, "unknown contract 'DOGE-USDT'; the sandbox lists ['BTC-USDT', "),
    ({'contract': 'BTC-USDT', 'price': '0'}, "price must be a positive number, got '0'"),
    ({'contract': 'BTC-USDT', 'price': 'abc'}, "price must be a positive number, got 'abc'"),
    ({'contract': 'BTC-USDT', 'price': True}, '"price" must be a positive number, or numeric text'),
    ({'contract': 'BTC-USDT'}, '"price" must be a positive number, or numeric text'),
    ({'price': 1}, '"contract" must be a contract code or a unified symbol'),
    ({'contract': 'BTC-USDT', 'price': 1, 'fail': 'yes'}, '"fail" must be true or false'),
    ({'contract': 'BTC-USDT', 'prise': 1}, "unknown fields ['prise']; the fields are ['contract', 'price', 'fail']"),
    (['BTC-USDT', 1], 'the body must be a JSON object'),
    ({'contract': 'BTC-USDT', 'price': 1, 'padding': 'x' * 5000}, 'the body is over 4096 bytes'),
])
def test_a_bad_request_answers_400_naming_what_is_wrong_and_moves_nothing(sb: Sandbox, body: Any,
                                                                          error: str) -> None:
    order = sb.add_tpsl_orders('BTC-USDT', count=1, trigger_price=50_000, direction='sell', tpsl_order_type='sl')
    reply = move(sb, body)
    assert reply.status_code == 400 and set(reply.json()) == {'error'}
    assert reply.json()['error'].startswith(error)
    assert sb.mark_price('BTC-USDT') == 90_000 and sb.order(order[0])['status'] == 2


def test_a_body_that_is_not_json_answers_400(sb: Sandbox) -> None:
    reply = requests.post(f'{sb.url}/sandbox/mark_price', data=b'\xff{', timeout=5)
    assert reply.status_code == 400 and reply.json()['error'].startswith('the body must be a JSON object')


@pytest.mark.parametrize(('method', 'path'), [
    ('GET', '/sandbox/mark_price'), ('PUT', '/sandbox/mark_price'), ('POST', '/sandbox/mark_prices'),
    ('POST', '/sandbox'), ('POST', '/sandbox/'), ('POST', '/v5/sandbox/mark_price'),
])
def test_anything_else_under_sandbox_answers_the_404_of_every_unknown_path(sb: Sandbox, method: str,
                                                                           path: str) -> None:
    reply = requests.request(method, f'{sb.url}{path}', json={'contract': 'BTC-USDT', 'price': 1}, timeout=5)
    assert reply.status_code == 404
    body = reply.json()
    message = body.get('err_msg', body.get('message'))
    assert message == f'not implemented by the sandbox: {method} {path}'
    assert sb.mark_price('BTC-USDT') == 90_000 and sb.requests[-1].status == 404  # recorded, as before
