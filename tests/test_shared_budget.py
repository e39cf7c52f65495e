"""One account, many bots: ``options['tpslRateStore']`` shares HTX's windows between exchange instances.

Against a live embedded sandbox (classic account: 5 requests/s per TP/SL endpoint, per UID) and a
real store: a SQLite file, or a real ``redis-server`` on 127.0.0.1 (started here when it is on PATH,
else ``HTX_TPSL_TEST_REDIS_URL``; see tests/redis_server.py). No mocks. Instances that share a store
coordinate only through it, exactly as separate processes do; the killed-holder test uses a real
second process. Every body that uses an exchange runs for the sync and the async class.
"""

from __future__ import annotations

import asyncio
import logging
import os
import pathlib
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ccxt_htx_tpsl import _ratestore
from ccxt_htx_tpsl._pacing import Pacer
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox

from .conftest import Run
from .redis_server import ENV_REQUIRED, ENV_URL, RedisServer, available, free_port

SYMBOL = 'BTC/USDT:USDT'
CONTRACT = 'BTC-USDT'
ROOT = pathlib.Path(__file__).resolve().parents[1]
NO_REDIS = ('no redis-server on PATH and HTX_TPSL_TEST_REDIS_URL unset: install redis-server '
            '(apt-get install redis-server) or run the tests under .ci/redis')


def _no_redis() -> None:
    if os.environ.get(ENV_REQUIRED):
        pytest.fail(NO_REDIS + f' ({ENV_REQUIRED} is set: CI must not skip these)')
    pytest.skip(NO_REDIS)


@pytest.fixture(scope='session')
def redis_url() -> Iterator[str]:
    """A real Redis: one started for the session if redis-server is on PATH, else the CI's."""
    if available():
        with RedisServer() as server:
            yield server.url
    elif os.environ.get(ENV_URL):
        yield os.environ[ENV_URL]
    else:
        _no_redis()


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    """A redis-server of this test's own, to stop and start again."""
    if not available():
        _no_redis()
    with RedisServer() as server:
        yield server


@pytest.fixture(params=['sqlite', 'redis'])
def store_url(request: pytest.FixtureRequest, tmp_path: pathlib.Path) -> str:
    if request.param == 'sqlite':
        return f'sqlite://{tmp_path / "budget.db"}'
    return str(request.getfixturevalue('redis_url'))


@pytest.fixture
def classic() -> Iterator[Sandbox]:
    with Sandbox(account_mode='classic') as sandbox:
        yield sandbox


def cancel_together(flavour: str, run: Run, exchanges: list[Any], batches: list[list[str]],
                    during: Callable[[], None] | None = None) -> list[Any]:
    """Each exchange cancels its batch at the same time (threads for sync, one loop for async)."""
    results: list[Any] = [None] * len(exchanges)
    if flavour == 'sync':
        def one(i: int) -> None:
            try:
                results[i] = exchanges[i].cancel_isolated_tpsl_orders(batches[i], SYMBOL)
            except Exception as error:
                results[i] = error
        threads = [threading.Thread(target=one, args=(i,)) for i in range(len(exchanges))]
        for thread in threads:
            thread.start()
        if during is not None:
            during()
        for thread in threads:
            thread.join(60)
        return results

    async def together() -> list[Any]:
        pairs = zip(exchanges, batches, strict=True)
        tasks = [asyncio.ensure_future(e.cancel_isolated_tpsl_orders(b, SYMBOL)) for e, b in pairs]
        if during is not None:
            await asyncio.get_running_loop().run_in_executor(None, during)
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    return list(run(together()))


def cancels(sandbox: Sandbox) -> list[Any]:
    return sorted((r for r in sandbox.requests if r.endpoint == 'swap_tpsl_cancel'), key=lambda r: r.time)


def peak_per_second(records: list[Any]) -> int:
    times = [r.time for r in records if r.err_code is None]
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def all_canceled(result: Any, wanted: list[str]) -> bool:
    return isinstance(result, list) and [o['id'] for o in result] == wanted and \
        all(o['status'] == 'canceled' for o in result)


# -- the option --------------------------------------------------------------------------------


def test_without_the_option_each_instance_paces_by_itself(make_exchange: Any, classic: Sandbox, run: Run) -> None:
    exchange = make_exchange(classic.hostname)
    run(exchange.load_markets())
    assert type(exchange._tpsl_pacer) is Pacer


def test_instances_naming_one_store_stay_within_htx_window_together(
        make_exchange: Any, classic: Sandbox, run: Run, flavour: str, store_url: str) -> None:
    bots = [make_exchange(classic.hostname, options={'tpslRateStore': store_url}) for _ in range(2)]
    for bot in bots:
        run(bot.load_markets())
    batches = [classic.add_tpsl_orders(CONTRACT, count=50) for _ in bots]
    start = time.monotonic()
    results = cancel_together(flavour, run, bots, batches)
    wall = time.monotonic() - start
    assert all(all_canceled(r, b) for r, b in zip(results, batches, strict=True))
    records = cancels(classic)
    assert [r.err_code for r in records] == [None] * 10  # no 1032: nothing refused, nothing re-sent
    assert peak_per_second(records) <= 5
    assert wall < 9 / 5 * 1.25 + 0.5  # 10 requests: 1.8 s at the bound


def test_without_a_store_two_instances_of_one_account_trip_htx_window(
        make_exchange: Any, classic: Sandbox, run: Run, flavour: str) -> None:
    """The control: what the store prevents. The refused requests are re-sent; every id still has its state."""
    bots = [make_exchange(classic.hostname) for _ in range(2)]
    for bot in bots:
        run(bot.load_markets())
    batches = [classic.add_tpsl_orders(CONTRACT, count=50) for _ in bots]
    results = cancel_together(flavour, run, bots, batches)
    assert all(all_canceled(r, b) for r, b in zip(results, batches, strict=True))
    assert any(r.err_code == 1032 for r in cancels(classic))


def test_the_store_holds_neither_the_api_key_nor_the_secret(
        make_exchange: Any, classic: Sandbox, run: Run, store_url: str) -> None:
    bot = make_exchange(classic.hostname, options={'tpslRateStore': store_url})
    run(bot.load_markets())
    run(bot.cancel_isolated_tpsl_orders(classic.add_tpsl_orders(CONTRACT, count=20), SYMBOL))
    account = _ratestore.account_id(classic.hostname, '', DEMO_API_KEY)
    if store_url.startswith('redis'):
        import redis
        client = redis.Redis.from_url(store_url)
        keys = [k.decode() for k in client.keys(f'{_ratestore.PREFIX}:{account}:*')]
        dump = ''.join(k.decode() for k in client.scan_iter())  # every key of the store
        for key in keys:
            kind = client.type(key)
            dump += str(client.zrange(key, 0, -1, withscores=True) if kind == b'zset' else client.hgetall(key))
    else:
        path = store_url[len('sqlite://'):]
        dump = ''.join(pathlib.Path(p).read_bytes().decode('latin-1')
                       for p in (path, path + '-wal') if os.path.exists(p))
        keys = [account] if account in dump else []
    assert keys, 'the windows are in the store, under the hashed account'
    assert DEMO_API_KEY not in dump and DEMO_SECRET not in dump


def test_one_uid_is_one_budget_whichever_api_key_sends(store_url: str) -> None:
    one = _ratestore.account_id('api.hbdm.com', '123', 'key-a')
    assert one == _ratestore.account_id('api.hbdm.com', '123', 'key-b')  # same UID: shared
    assert _ratestore.account_id('api.hbdm.com', '', 'key-a') != _ratestore.account_id('api.hbdm.com', '', 'key-b')
    assert one != _ratestore.account_id('127.0.0.1:1', '123', 'key-a')  # another host: another budget


# -- faults ------------------------------------------------------------------------------------


def test_an_unreachable_store_at_start_is_a_warning_and_in_process_pacing(
        make_exchange: Any, classic: Sandbox, run: Run, caplog: pytest.LogCaptureFixture) -> None:
    dead = f'redis://127.0.0.1:{free_port()}/0'
    bot = make_exchange(classic.hostname, options={'tpslRateStore': dead})
    run(bot.load_markets())
    wanted = classic.add_tpsl_orders(CONTRACT, count=30)
    with caplog.at_level(logging.WARNING, logger='ccxt_htx_tpsl'):
        orders = run(bot.cancel_isolated_tpsl_orders(wanted, SYMBOL))
    assert all_canceled(orders, wanted)
    assert [r.err_code for r in cancels(classic)] == [None] * 3
    warnings = [r.getMessage() for r in caplog.records if 'rate store' in r.getMessage()]
    assert len(warnings) == 1 and 'unreachable' in warnings[0] and 'in this process only' in warnings[0]


@pytest.mark.parametrize('url', ['mysql://127.0.0.1/db', 'sqlite:///nonexistent-dir/for/sure/budget.db'])
def test_a_store_that_cannot_be_used_never_stops_a_request(
        make_exchange: Any, classic: Sandbox, run: Run, url: str, caplog: pytest.LogCaptureFixture) -> None:
    bot = make_exchange(classic.hostname, options={'tpslRateStore': url})
    run(bot.load_markets())
    wanted = classic.add_tpsl_orders(CONTRACT, count=10)
    with caplog.at_level(logging.WARNING, logger='ccxt_htx_tpsl'):
        assert all_canceled(run(bot.cancel_isolated_tpsl_orders(wanted, SYMBOL)), wanted)
    assert any('in this process only' in r.getMessage() for r in caplog.records)


def test_redis_stopped_mid_run_then_back(make_exchange: Any, classic: Sandbox, run: Run, flavour: str,
                                         own_redis: RedisServer, caplog: pytest.LogCaptureFixture) -> None:
    """Redis killed while two instances cancel: both finish, every id has its true state; a create
    meanwhile is sent once; Redis back: the instances share again."""
    bots = [make_exchange(classic.hostname, options={'tpslRateStore': own_redis.url}) for _ in range(2)]
    for bot in bots:
        run(bot.load_markets())
    batches = [classic.add_tpsl_orders(CONTRACT, count=60) for _ in bots]

    def kill_redis_soon() -> None:
        time.sleep(0.6)
        own_redis.stop()

    with caplog.at_level(logging.WARNING, logger='ccxt_htx_tpsl'):
        results = cancel_together(flavour, run, bots, batches, during=kill_redis_soon)
        assert own_redis.process is None
        legs = run(bots[0].create_isolated_tpsl_orders(SYMBOL, 'sell', 1, takeProfit=70000, stopLoss=50000))
        creates = [r for r in classic.requests if r.endpoint == 'swap_tpsl_order']
        own_redis.start()
        time.sleep(_ratestore.RETRY_MAX_S / 2)  # every instance's next try is due by then
        again = [classic.add_tpsl_orders(CONTRACT, count=20) for _ in bots]
        after = cancel_together(flavour, run, bots, again)
    for result, batch in zip(results, batches, strict=True):
        # while Redis was down the two paced alone and could trip HTX's window: a chunk refused
        # three times is reported without a confirmed state, never as cancelled or not
        orders = result if isinstance(result, list) else result.orders
        assert [o['id'] for o in orders] == batch
        for order in orders:
            cancelled = classic.order(order['id'])['status'] == 6  # type: ignore[index]
            assert order['status'] == ('canceled' if cancelled else None), (order, cancelled)
    for result, batch in zip(after, again, strict=True):
        assert all_canceled(result, batch), result
    assert len(creates) == 1 and creates[0].err_code is None and len(legs) == 2  # one request, never re-sent
    messages = [r.getMessage() for r in caplog.records if 'rate store' in r.getMessage()]
    assert any('unreachable' in m for m in messages) and any('answers again' in m for m in messages)
    import redis
    assert redis.Redis.from_url(own_redis.url).keys(f'{_ratestore.PREFIX}:*')  # shared again


KILLED_HOLDER = """
import os, signal, sys, time
from ccxt_htx_tpsl import _ratestore
store = _ratestore.open_store(sys.argv[1])
pacer = _ratestore.SharedPacer({'POST a': ('POST a', 'uid:trade'), 'POST b': ('POST b', 'uid:trade')},
                               {'POST a': (5, 1000), 'POST b': (5, 1000), 'uid:trade': (72, 3000)}, 0.0, (),
                               store=store, account='killed-holder-' + sys.argv[2])
warm = pacer.sent('POST b', time.time() * 1000)           # a reply seen: the latency is known
pacer.replied(warm, time.time() * 1000 + 1, time.time() * 1000 + 0.5, None, False)
for _ in range(5):                                          # the whole window taken, no reply
    pacer.sent('POST a', time.time() * 1000)
print(time.time() * 1000, flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_process_does_not_block_the_others_past_one_window(store_url: str) -> None:
    tag = str(time.time_ns())
    child = subprocess.run([sys.executable, '-c', KILLED_HOLDER, store_url, tag], capture_output=True, text=True,
                           timeout=60, cwd=ROOT)
    assert child.returncode == -9, child.stderr
    killed_at = float(child.stdout.split()[0])
    pacer = _ratestore.SharedPacer({'POST a': ('POST a', 'uid:trade')}, {'POST a': (5, 1000), 'uid:trade': (72, 3000)},
                                   0.0, (), store=_ratestore.open_store(store_url), account='killed-holder-' + tag)
    now = time.time() * 1000
    wait = pacer.wait('POST a', now)
    assert 0 < wait <= killed_at + 1000 + 50 - now  # the window is full: held for one window at most
    time.sleep(wait / 1000)
    assert pacer.wait('POST a', time.time() * 1000) == 0


# -- for the CLI -------------------------------------------------------------------------------


def test_describe_store_says_what_and_whether_it_answers(redis_url: str, tmp_path: pathlib.Path) -> None:
    assert _ratestore.describe_store(None)[:2] == ('in-process', True)
    name, ok, detail = _ratestore.describe_store(f'sqlite://{tmp_path}/b.db')
    assert (name, ok) == (f'sqlite://{tmp_path}/b.db', True) and detail.startswith('SQLite')
    name, ok, detail = _ratestore.describe_store(redis_url)
    assert ok and detail.startswith('Redis')
    dead = f'redis://user:hunter2@127.0.0.1:{free_port()}/0'
    name, ok, detail = _ratestore.describe_store(dead)
    assert not ok and 'unreachable' in detail and 'hunter2' not in name + detail
    assert _ratestore.describe_store('ftp://x')[1] is False


def test_while_the_store_is_down_each_process_paces_at_its_share(own_redis: RedisServer) -> None:
    """The store says how many processes share the budget; unreachable, each keeps to its share of the spacing."""
    paths, windows = {'POST a': ('POST a',)}, {'POST a': (5, 1000)}
    account = f'share-{time.time_ns()}'
    store = _ratestore.open_store(own_redis.url)
    bots = [_ratestore.SharedPacer(paths, windows, 0.0, (), store=store, account=account) for _ in range(2)]
    now = time.time() * 1000
    for bot in bots:
        now += 250
        assert bot.wait('POST a', now) == 0
        bot.sent('POST a', now)
    assert bots[1].peers == 2 and bots[1].patience('POST a') == 2 * Pacer(paths, windows).patience('POST a')
    own_redis.stop()
    later = now + 300  # past the spacing of one process alone (200 ms), before its share (2 x 200 ms)
    assert bots[1].wait('POST a', later) == pytest.approx(now + 400 - later)
    assert not bots[1].shared
