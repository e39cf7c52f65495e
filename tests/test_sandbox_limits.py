"""The sandbox's rate limits (per UID and per endpoint), simulated latency, bounded memory and
thread safety. Small custom windows (or a fake clock) instead of HTX's real 3-second ones."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from ccxt_htx_tpsl import protocol
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox, exchange_config
from ccxt_htx_tpsl.sandbox.errors import now_ms
from ccxt_htx_tpsl.sandbox.ratelimit import RateLimiter, Window

from .conftest import RawHtx
from .test_sandbox import OTHER_KEY, OTHER_SECRET, send, signed

THIRD_KEY, THIRD_SECRET = 'third000-sandbox0-htxtpsl0-00003', 'third000-secret00-htxtpsl0-00003'
LONG = 60_000  # ms: a window that never slides during a test
BTC = {'contract_code': 'BTC-USDT'}
TP = {'contract_code': 'BTC-USDT', 'type': 'tp', 'side': 'sell', 'position_side': 'long', 'margin_mode': 'isolated',
      'volume': 1, 'tp_trigger_price': 101000}


def client(sb: Sandbox, api_key: str = DEMO_API_KEY, secret: str = DEMO_SECRET) -> Any:
    return RawHtx(exchange_config(sb.hostname, api_key, secret))


def code_of(reply: dict[str, Any]) -> int | None:
    """The top-level code of either envelope; None for a success."""
    if 'status' in reply:
        return None if reply['status'] == 'ok' else int(reply['err_code'])
    return None if reply['code'] == 200 else int(reply['code'])


def headers(response: Any) -> tuple[str, str, str]:
    return (response.headers['ratelimit-limit'], response.headers['ratelimit-interval'],
            response.headers['ratelimit-remaining'])


# -- rate limits -----------------------------------------------------------------------------------------

def test_uid_budgets_are_shared_by_every_key_and_endpoint_of_the_uid() -> None:
    """Two keys of one UID (one classic, one unified) share the trade and the read budget; another UID does not."""
    credentials = {DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET, THIRD_KEY: THIRD_SECRET}
    with Sandbox(credentials=credentials, uids={DEMO_API_KEY: 1, OTHER_KEY: 1}, account_modes={OTHER_KEY: 'classic'},
                 uid_trade_rate=(4, LONG), uid_read_rate=(2, LONG)) as sb:
        unified, classic = client(sb), client(sb, OTHER_KEY, OTHER_SECRET)
        stranger = client(sb, THIRD_KEY, THIRD_SECRET)
        [order_id] = sb.add_tpsl_orders('BTC-USDT', api_key=OTHER_KEY)
        trades = [
            send(signed(unified, 'v5/algo/order', TP)),
            send(signed(classic, 'swap_tpsl_cancel', {**BTC, 'order_id': order_id})),
            send(signed(unified, 'v5/algo/cancel_orders', [{**BTC, 'algo_id': '1999999999999999999'}])),
            send(signed(classic, 'swap_tpsl_order', {**BTC, 'direction': 'sell', 'volume': 1, 'sl_trigger_price': 1})),
            send(signed(unified, 'v5/algo/order', TP)),
            send(signed(classic, 'swap_tpsl_cancelall', BTC)),
        ]
        assert [code_of(r.json()) for r in trades] == [None, None, None, None, 1032, 1032]
        assert list(trades[4].json()) == ['code', 'message', 'data', 'ts']  # the v5 envelope
        assert trades[5].json()['status'] == 'error'  # the classic one
        assert headers(trades[4]) == headers(trades[5]) == ('4', str(LONG), '0')  # the UID window refused them
        reads = [
            send(signed(unified, 'v5/algo/order/opens', {}, 'GET')),
            send(signed(classic, 'swap_tpsl_openorders', BTC)),
            send(signed(unified, 'v5/account/asset_mode', {}, 'GET')),
        ]
        assert [code_of(r.json()) for r in reads] == [None, None, 1032]
        assert code_of(send(signed(stranger, 'v5/algo/order', TP)).json()) is None  # its own budget
        assert len([r for r in sb.requests if r.uid == '1']) == 9


def test_classic_per_endpoint_window_is_per_uid_and_endpoint() -> None:
    credentials = {DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET, THIRD_KEY: THIRD_SECRET}
    with Sandbox(credentials=credentials, uids={DEMO_API_KEY: 1, OTHER_KEY: 1}, account_mode='classic',
                 rate_limit=2, rate_interval_ms=LONG) as sb:
        first, second, stranger = client(sb), client(sb, OTHER_KEY, OTHER_SECRET), client(sb, THIRD_KEY, THIRD_SECRET)
        replies = [send(signed(ex, 'swap_tpsl_cancel', {**BTC, 'order_id': '1999999999999999999'}))
                   for ex in (first, second, first)]
        assert [code_of(r.json()) for r in replies] == [None, None, 1032]
        assert [headers(r) for r in replies] == [('2', str(LONG), '1'), ('2', str(LONG), '0'), ('2', str(LONG), '0')]
        assert code_of(send(signed(first, 'swap_tpsl_openorders', BTC)).json()) is None  # another endpoint
        assert code_of(send(signed(stranger, 'swap_tpsl_cancel', {**BTC, 'order_id': '1'})).json()) is None


def test_headers_describe_the_tightest_window() -> None:
    with Sandbox(account_mode='classic') as sb:
        ex = client(sb)
        response = send(signed(ex, 'swap_tpsl_cancel', {**BTC, 'order_id': '1999999999999999999'}))
        assert headers(response) == ('5', '1000', '4')  # classic TP/SL: the per-endpoint window
        sb.set_account_mode(DEMO_API_KEY, 'unified')
        response = send(signed(ex, 'v5/algo/order/opens', {}, 'GET'))
        assert headers(response) == ('72', '3000', '71')  # v5: the UID read budget (protocol.UID_READ_RATE)
        assert (72, 3000) == protocol.UID_READ_RATE == protocol.UID_TRADE_RATE
    with Sandbox(account_mode='classic', uid_trade_rate=(6, LONG)) as sb:
        ex = client(sb)
        endpoints = ['swap_tpsl_cancel', 'swap_cross_tpsl_cancel'] * 3 + ['swap_tpsl_cancel']
        replies = [send(signed(ex, endpoint, {**BTC, 'order_id': '1999999999999999999'})) for endpoint in endpoints]
        # the window with the fewest left (a tie: the per-endpoint one), then the one that refused
        assert [headers(r) for r in replies] == [
            ('5', '1000', '4'), ('5', '1000', '4'), ('5', '1000', '3'), ('6', str(LONG), '2'), ('6', str(LONG), '1'),
            ('6', str(LONG), '0'), ('6', str(LONG), '0')]
        assert [code_of(r.json()) for r in replies] == [None] * 6 + [1032]


def test_v5_rate_limit_adds_a_per_endpoint_window(sb_v5_limited: Sandbox) -> None:
    ex = client(sb_v5_limited)
    replies = [send(signed(ex, 'v5/algo/order/opens', {}, 'GET')) for _ in range(3)]
    assert [code_of(r.json()) for r in replies] == [None, None, 1032]
    assert [headers(r) for r in replies] == [('2', '400', '1'), ('2', '400', '0'), ('2', '400', '0')]
    reset = int(replies[-1].headers['ratelimit-reset'])  # duration style
    assert 0 < reset <= 400
    assert code_of(send(signed(ex, 'v5/account/asset_mode', {}, 'GET')).json()) is None  # per endpoint
    time.sleep(reset / 1000 + 0.03)
    assert code_of(send(signed(ex, 'v5/algo/order/opens', {}, 'GET')).json()) is None


@pytest.fixture
def sb_v5_limited() -> Any:
    with Sandbox(v5_rate_limit=(2, 400), rate_reset='duration') as sandbox:
        yield sandbox


@pytest.mark.parametrize(('count_refused', 'arrivals'), [(False, 2), (True, 6)])
def test_refused_requests_are_counted_only_with_count_refused(count_refused: bool, arrivals: int) -> None:
    with Sandbox(account_mode='classic', rate_limit=1, rate_interval_ms=LONG, count_refused=count_refused) as sb:
        ex = client(sb)
        replies = [send(signed(ex, 'swap_tpsl_openorders', BTC)).json() for _ in range(3)]
        assert [code_of(r) for r in replies] == [None, 1032, 1032]
        assert sb.memory_stats()['rate_arrivals'] == arrivals  # per endpoint + UID read budget, per counted request


def test_limiter_counts_every_window_only_when_all_have_room() -> None:
    limiter = RateLimiter()
    endpoint, budget = Window('endpoint', 2, 1000), Window('budget', 3, 10_000)
    a, b = [(endpoint, 'a'), (budget, 'uid')], [(endpoint, 'b'), (budget, 'uid')]
    assert [limiter.acquire(a, t).allowed for t in (0.0, 0.1, 0.2)] == [True, True, False]
    refused = limiter.acquire(a, 0.3)
    assert (refused.window, refused.remaining, refused.reset_in_ms) == ('endpoint', 0, 700)
    assert limiter.acquire(b, 0.4).allowed  # the budget had one left: now full
    refused = limiter.acquire(b, 0.5)
    assert (refused.allowed, refused.window, refused.reset_in_ms) == (False, 'budget', 9500)
    assert limiter.size() == 6  # endpoint 'a' 2, 'b' 1, the budget 3: the refusals left nothing
    assert limiter.peek(a, 20.0).remaining == 2 and limiter.window_count() == 0  # all expired and dropped
    counting = RateLimiter(count_refused=True)
    window = [(Window('w', 1, 1000), 'k')]
    # every refusal is counted: a client retrying within the window stays locked out
    assert [counting.acquire(window, t).allowed for t in (0.0, 0.5, 1.2, 1.6, 2.7)] == [True, False, False, False, True]


def test_limiter_state_stays_flat_over_many_keys() -> None:
    """A 10-minute soak, simulated: 100 new keys a second, each used once; only the current windows stay."""
    limiter = RateLimiter()
    window = Window('trade', 72, 3000)
    peak = 0
    for i in range(60_000):
        now = i * 0.01
        assert limiter.acquire([(window, f'uid-{i}')], now).allowed
        peak = max(peak, limiter.window_count())
    assert peak <= 3 * 100 * 2 + 1  # ~ one longest interval's worth, swept every interval
    limiter.peek([(window, 'late')], 10_000.0)
    assert limiter.window_count() == 0 and limiter.size() == 0


# -- latency ---------------------------------------------------------------------------------------------

def test_latency_delays_each_request_before_it_is_counted_and_handled() -> None:
    with Sandbox(account_mode='classic', latency=(80, 80), rate_limit=1, rate_interval_ms=1000,
                 rate_reset='duration') as sb:
        ex = client(sb)
        sent_wall, sent = now_ms(), time.monotonic()
        first = send(signed(ex, 'swap_tpsl_openorders', BTC))
        record = sb.requests[-1]
        assert record.latency_ms == 80 and record.time - sent >= 0.08
        assert first.json()['ts'] >= sent_wall + 80  # the reply is built after the delay
        assert time.monotonic() - sent < 1.0
        second = send(signed(ex, 'swap_tpsl_openorders', BTC))  # sent when the first reply came back
        assert code_of(second.json()) == 1032
        # counted on arrival, 80 ms after it was sent: the window's oldest request is >= 80 ms old by then
        assert int(second.headers['ratelimit-reset']) <= 1000 - 80 + 5


def test_latency_is_uniform_and_repeatable_with_a_seed() -> None:
    def delays(seed: int) -> list[float]:
        with Sandbox(latency=(1, 25), latency_seed=seed) as sb:
            for _ in range(6):
                send(signed(client(sb), 'v5/account/asset_mode', {}, 'GET'))
            return [r.latency_ms for r in sb.requests]

    first, again, other = delays(7), delays(7), delays(8)
    assert first == again and first != other
    assert all(1 <= d <= 25 for d in first + other) and len(set(first)) > 1
    for bad in ((50, 10), (-1, 5), (0, float('inf'))):
        with pytest.raises(ValueError, match='latency'):
            Sandbox(latency=bad)


# -- memory ----------------------------------------------------------------------------------------------

def test_request_log_keeps_the_last_records_and_running_totals() -> None:
    with Sandbox(max_records=5) as sb:
        ex = client(sb)
        for _ in range(8):
            send(signed(ex, 'v5/account/asset_mode', {}, 'GET'))
        for _ in range(4):
            send(signed(ex, 'swap_tpsl_openorders', BTC))
        assert len(sb.requests) == 5 and sb.request_total == 12
        assert [r.endpoint for r in sb.requests] == ['asset_mode'] + ['swap_tpsl_openorders'] * 4
        totals = sb.request_totals()
        assert totals['endpoint'] == {'asset_mode': 8, 'swap_tpsl_openorders': 4}
        assert totals['err_code'] == {'ok': 8, '6023': 4}
    with pytest.raises(ValueError, match='max_records'):
        Sandbox(max_records=0)


def test_each_book_keeps_the_last_closed_orders_and_every_open_one() -> None:
    with Sandbox(max_closed_orders=3, account_modes={OTHER_KEY: 'classic'},
                 credentials={DEMO_API_KEY: DEMO_SECRET, OTHER_KEY: OTHER_SECRET}) as sb:
        unified, classic = client(sb), client(sb, OTHER_KEY, OTHER_SECRET)
        algo_ids = sb.add_algo_orders('BTC-USDT', 5)
        [still_open] = sb.add_algo_orders('BTC-USDT')
        reply = send(signed(unified, 'v5/algo/cancel_orders', [{**BTC, 'algo_id': i} for i in algo_ids])).json()
        assert [item['code'] for item in reply['data']] == [200] * 5
        again = send(signed(unified, 'v5/algo/cancel_orders', [{**BTC, 'algo_id': i} for i in algo_ids])).json()
        assert [item['code'] for item in again['data']] == [1061, 1061, 1071, 1071, 1071]  # the oldest 2 forgotten
        assert sb.algo_order(algo_ids[0]) is None and sb.algo_order(still_open) is not None
        order_ids = sb.add_tpsl_orders('BTC-USDT', count=5, api_key=OTHER_KEY)
        sb.set_order_status(order_ids[0], 4)  # executed: closed too
        reply = send(signed(classic, 'swap_tpsl_cancel', {**BTC, 'order_id': ','.join(order_ids)})).json()
        errors = {e['order_id']: e['err_code'] for e in reply['data']['errors']}
        assert errors == {order_ids[0]: 1063}
        again = send(signed(classic, 'swap_tpsl_cancel', {**BTC, 'order_id': ','.join(order_ids)})).json()
        errors = {e['order_id']: e['err_code'] for e in again['data']['errors']}
        assert errors == {order_ids[0]: 1061, order_ids[1]: 1061, order_ids[2]: 1071, order_ids[3]: 1071,
                          order_ids[4]: 1071}
        stats = sb.memory_stats()
        assert (stats['algo_closed_orders'], stats['algo_orders'], stats['classic_closed_orders'],
                stats['classic_orders']) == (3, 4, 3, 3)
        sb.set_algo_state(still_open, 'effective')  # closing one more forgets the oldest closed
        assert sb.memory_stats()['algo_orders'] == 3


def test_a_soak_at_the_rate_limit_stays_flat() -> None:
    """Create, list and cancel in a loop: what the sandbox holds is the same after 40 and after 80 rounds."""
    with Sandbox(max_records=30, max_closed_orders=10, uid_trade_rate=(10_000, 200),
                 uid_read_rate=(10_000, 200)) as sb:
        ex = client(sb)

        def rounds(count: int) -> dict[str, int]:
            for _ in range(count):
                [ack] = send(signed(ex, 'v5/algo/order', TP)).json()['data']
                send(signed(ex, 'v5/algo/order/opens', {}, 'GET'))
                send(signed(ex, 'v5/algo/cancel_orders', [{**BTC, 'algo_id': ack['algo_id']}]))
            time.sleep(0.25)  # every window empties
            send(signed(ex, 'v5/account/asset_mode', {}, 'GET'))  # ... and is swept
            return sb.memory_stats()

        first = rounds(40)
        assert first == rounds(40)
        assert first == {'records': 30, 'classic_orders': 0, 'classic_closed_orders': 0, 'algo_orders': 10,
                         'algo_closed_orders': 10, 'rate_windows': 1, 'rate_arrivals': 1}
        assert sb.request_total == 2 * (40 * 3 + 1)


# -- thread safety -----------------------------------------------------------------------------------------

def test_concurrent_cancels_cancel_each_order_once() -> None:
    with Sandbox(uid_trade_rate=(10_000, 1000)) as sb:
        ids = sb.add_algo_orders('BTC-USDT', 30)
        outcomes: list[int] = []
        lock = threading.Lock()

        def worker() -> None:
            ex = client(sb)
            for start in range(0, 30, 10):
                batch = [{**BTC, 'algo_id': i} for i in ids[start:start + 10]]
                reply = send(signed(ex, 'v5/algo/cancel_orders', batch))
                with lock:
                    outcomes.extend(item['code'] for item in reply.json()['data'])

        threads = [threading.Thread(target=worker) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        assert sorted(outcomes) == [200] * 30 + [1071] * 150
        assert all(sb.algo_order(i)['state'] == 'canceled' for i in ids)  # type: ignore[index]
