#!/usr/bin/env python
"""Benchmark the shared rate budget (``options['tpslRateStore']``): figures, not a pass/fail test (exit 0).

    python bench/shared_budget.py                 # every part (about 3 minutes)
    python bench/shared_budget.py --only procs    # one part (repeatable): procs, fault, overhead
    python bench/shared_budget.py --ids 100       # fewer ids per process (indicative only)

1. procs: P processes cancel 300 ids each (one UID, one classic endpoint: 5 requests/s) against one
   embedded sandbox, all starting at the same instant; sync class with 4 processes, async class with
   2 (each process its own event loop); store none / SQLite file / Redis. Reported: 1032 refusals
   counted by the sandbox, wall / bound (bound = (requests - 1) / 5 s for the distinct requests), the
   most accepted requests in any 1 s.
2. fault: 4 sync processes on Redis, each creates one TP/SL pair (one create request) then cancels
   300 ids and its two legs; Redis is killed 4 s after the start and started again 6 s later. Reported:
   whether every process finished, ids whose reported status differs from the sandbox's book, create
   requests the sandbox saw (one per process: none re-sent), refusals.
3. overhead: per request (wait + sent + reply) in one process, limits never reached: the store's cost
   over the in-process pacer, in µs; and, for the record, one moving-window hit of the ``limits``
   library and one ``pyrate-limiter`` Redis-bucket acquire on the same Redis (if installed).

Needs ``redis-server`` on PATH for the Redis rows (skipped with a note otherwise).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
sys.path.insert(0, str(REPO_DIR))

from tests.redis_server import RedisServer, available  # noqa: E402  (the tests' real redis-server helper)

SYMBOL = 'BTC/USDT:USDT'
CONTRACT = 'BTC-USDT'
IDS_PER_REQUEST = 10
REQUESTS_PER_SECOND = 5
STARTUP_S = 6.0  # processes import ccxt and load markets before the common start instant
PARTS = ('procs', 'fault', 'overhead')


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the worker: one process, one exchange -----------------------------------------------------


def worker(job: dict[str, Any]) -> dict[str, Any]:
    import ccxt

    import ccxt_htx_tpsl
    import ccxt_htx_tpsl.async_support
    from ccxt_htx_tpsl.sandbox import exchange_config

    config = exchange_config(job['hostname'])
    if job['store']:
        config['options']['tpslRateStore'] = job['store']

    def outcome(orders: Any, error: BaseException | None) -> list[tuple[str, Any]]:
        if error is not None:
            orders = getattr(error, 'orders', None) or []
        return [(str(o.get('id')), o.get('status')) for o in orders]

    async def async_main() -> dict[str, Any]:
        exchange = ccxt_htx_tpsl.async_support.htx(config)
        try:
            await exchange.load_markets()
            ready = time.time()
            await asyncio.sleep(max(0.0, job['start_at'] - time.time()))
            result: list[tuple[str, Any]] = []
            ids = list(job['ids'])
            if job.get('create'):
                legs = await exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, takeProfit=70000, stopLoss=50000)
                ids += [leg['id'] for leg in legs]
            try:
                result = outcome(await exchange.cancel_isolated_tpsl_orders(ids, SYMBOL), None)
            except ccxt.BaseError as error:
                result = outcome(None, error)
            return {'ready': ready, 'end': time.time(), 'orders': result, 'created': ids[len(job['ids']):],
                    'forced': getattr(exchange._tpsl_pacer, 'forced', 0)}
        finally:
            await exchange.close()

    if job['flavour'] == 'async':
        return asyncio.run(async_main())
    exchange = ccxt_htx_tpsl.htx(config)
    exchange.load_markets()
    ready = time.time()
    time.sleep(max(0.0, job['start_at'] - time.time()))
    ids = list(job['ids'])
    if job.get('create'):
        legs = exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, takeProfit=70000, stopLoss=50000)
        ids += [leg['id'] for leg in legs]
    try:
        result = outcome(exchange.cancel_isolated_tpsl_orders(ids, SYMBOL), None)
    except ccxt.BaseError as error:
        result = outcome(None, error)
    return {'ready': ready, 'end': time.time(), 'orders': result, 'created': ids[len(job['ids']):],
            'forced': getattr(exchange._tpsl_pacer, 'forced', 0)}


# -- one row: P processes against one sandbox --------------------------------------------------


def peak_in_window(times: list[float], window_s: float = 1.0) -> int:
    from ccxt_htx_tpsl.sandbox.ratelimit import peak_in_window as peak  # what the sandbox counts

    return peak(times, window_s)


def run_row(flavour: str, processes: int, ids_each: int, store: str | None, *, create: bool = False,
            redis: RedisServer | None = None, kill_after_s: float | None = None,
            down_for_s: float = 6.0) -> dict[str, Any]:
    from ccxt_htx_tpsl.sandbox import Sandbox

    with Sandbox(account_mode='classic') as sandbox:
        batches = [sandbox.add_tpsl_orders(CONTRACT, count=ids_each) for _ in range(processes)]
        start_at = time.time() + STARTUP_S
        children = []
        for batch in batches:
            job = {'hostname': sandbox.hostname, 'store': store, 'flavour': flavour, 'ids': batch,
                   'start_at': start_at, 'create': create}
            errors = tempfile.TemporaryFile('w+')  # noqa: SIM115 - closed below; the worker's log (1032 re-sends): shown only if it failed
            child = subprocess.Popen([sys.executable, __file__, '--worker'], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO_DIR)
            assert child.stdin is not None
            child.stdin.write(json.dumps(job))
            child.stdin.close()
            children.append((child, errors))
        killer = None
        if redis is not None and kill_after_s is not None:
            def kill_and_restart() -> None:
                time.sleep(max(0.0, start_at + kill_after_s - time.time()))
                redis.stop()
                progress(f'   redis killed at +{time.time() - start_at:.1f} s')
                time.sleep(down_for_s)
                redis.start()
                progress(f'   redis back at +{time.time() - start_at:.1f} s')
            killer = threading.Thread(target=kill_and_restart)
            killer.start()
        results: list[dict[str, Any] | None] = []
        fallbacks = 0  # 'rate store ... unreachable' warnings in the workers' logs
        for child, errors in children:
            assert child.stdout is not None
            out = child.stdout.read()
            child.wait(600)
            results.append(json.loads(out) if child.returncode == 0 and out else None)
            errors.seek(0)
            log = errors.read()
            errors.close()
            fallbacks += log.count('pacing in this process only')
            if results[-1] is None:
                progress(f'   a worker failed ({child.returncode}):\n{log[-3000:]}')
            elif 'unreachable' in log:
                progress('   ' + '\n   '.join(line for line in log.splitlines() if 'rate store' in line))
        if killer is not None:
            killer.join()
        records = sandbox.requests
        book = {}
        for result in results:
            for order_id, _ in (result or {}).get('orders', []):
                order = sandbox.order(order_id)
                book[order_id] = order['status'] if order else None
    finished = [r for r in results if r is not None]
    cancels = [r for r in records if r.endpoint == 'swap_tpsl_cancel']
    creates = [r for r in records if r.endpoint == 'swap_tpsl_order']
    ids_total = processes * ids_each + (2 * processes if create else 0)
    distinct = sum(math.ceil((ids_each + (2 if create else 0)) / IDS_PER_REQUEST) for _ in range(processes))
    bound = (distinct - 1) / REQUESTS_PER_SECOND
    wall = max(r['end'] for r in finished) - start_at if finished else math.nan
    untruthful = sum((status == 'canceled') != (book.get(order_id) == 6)
                     for r in finished for order_id, status in r['orders'])
    reported = sum(len(r['orders']) for r in finished)
    return {
        'flavour': flavour, 'processes': processes, 'ids_each': ids_each, 'store': _store_name(store),
        'finished': len(finished), 'late_starts': sum(r['ready'] > start_at for r in finished),
        'requests': len(cancels), 'distinct': distinct, 'refused_1032': sum(r.err_code == 1032 for r in cancels),
        'peak_per_1s': peak_in_window([r.time for r in cancels if r.err_code is None]),
        'bound_s': bound, 'wall_s': wall, 'ratio': wall / bound if bound else math.nan,
        'ids_reported': reported, 'ids_total': ids_total, 'untruthful': untruthful,
        'create_requests': len(creates), 'store_fallbacks': fallbacks,
        'forced': sum(r.get('forced', 0) for r in finished),
        'create_refused': sum(r.err_code is not None for r in creates),
    }


def _store_name(store: str | None) -> str:
    if store is None:
        return 'none'
    return 'redis' if store.startswith('redis') else 'sqlite'


# -- overhead ----------------------------------------------------------------------------------


def overhead(stores: dict[str, str], number: int = 2000, repeat: int = 5) -> dict[str, Any]:
    from ccxt_htx_tpsl import _ratestore
    from ccxt_htx_tpsl._pacing import Pacer

    paths = {'POST a': ('POST a', 'uid:trade')}
    windows = {'POST a': (10**9, 1000.0), 'uid:trade': (10**9, 3000.0)}  # never reached: only the cost

    def per_request(make: Any) -> float:
        best = math.inf
        for _ in range(repeat):
            pacer = make()
            start = time.perf_counter()
            for _ in range(number):
                now = time.time() * 1000
                pacer.wait('POST a', now)
                ticket = pacer.sent('POST a', now)
                pacer.replied(ticket, now + 1, now + 0.5, None, False)
            best = min(best, (time.perf_counter() - start) / number)
        return best * 1e6

    figures: dict[str, Any] = {'none_us': per_request(lambda: Pacer(paths, windows, 0.0, ()))}
    for name, url in stores.items():
        store = _ratestore.open_store(url)
        figures[f'{name}_us'] = per_request(lambda store=store: _ratestore.SharedPacer(  # type: ignore[misc]
            paths, windows, 0.0, (), store=store, account=f'overhead-{time.time_ns()}'))
    redis_url = stores.get('redis')
    if redis_url:
        figures.update(_library_calls(redis_url, number))
    return figures


def _library_calls(redis_url: str, number: int) -> dict[str, Any]:
    """One call of each candidate library on the same Redis, for the record (µs, best of 3)."""
    figures: dict[str, Any] = {}
    try:
        import limits
        import limits.storage
        import limits.strategies
        storage = limits.storage.storage_from_string(redis_url)
        limiter = limits.strategies.MovingWindowRateLimiter(storage)
        item = limits.parse('1000000000/second')
        figures['limits_moving_window_hit_us'] = _best(lambda: limiter.hit(item, f'bench-{time.time_ns()}'), number)
    except ImportError:
        figures['limits_moving_window_hit_us'] = None
    try:
        import pyrate_limiter
        from redis import Redis
        rates = [pyrate_limiter.Rate(10**9, pyrate_limiter.Duration.SECOND)]
        bucket = pyrate_limiter.RedisBucket.init(rates, Redis.from_url(redis_url), f'bench-{time.time_ns()}')
        pyrate = pyrate_limiter.Limiter(bucket)
        figures['pyrate_limiter_redis_acquire_us'] = _best(lambda: pyrate.try_acquire('a'), number)
    except ImportError:
        figures['pyrate_limiter_redis_acquire_us'] = None
    except Exception as error:  # another major version's API
        figures['pyrate_limiter_redis_acquire_us'] = f'{type(error).__name__}: {error}'
    return figures


def _best(call: Any, number: int, repeat: int = 3) -> float:
    best = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            call()
        best = min(best, (time.perf_counter() - start) / number)
    return best * 1e6


# -- report ------------------------------------------------------------------------------------


def _fmt(value: Any, spec: str = '.3f') -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return '-'
    return format(value, spec) if isinstance(value, float) else str(value)


def print_rows(title: str, rows: list[dict[str, Any]]) -> None:
    print(f'\n## {title}\n')
    print('| class | processes x ids | store | finished | 1032 refusals | requests (distinct) | peak/1 s '
          '| wall s | bound s | wall / bound | ids reported / total | untruthful | create requests '
          '| store fallbacks | sent unreserved |')
    print('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
    for r in rows:
        print(f"| {r['flavour']} | {r['processes']} x {r['ids_each']} | {r['store']} "
              f"| {r['finished']}/{r['processes']} | {r['refused_1032']} | {r['requests']} ({r['distinct']}) "
              f"| {r['peak_per_1s']} | {_fmt(r['wall_s'], '.2f')} "
              f"| {_fmt(r['bound_s'], '.1f')} | {_fmt(r['ratio'])} | {r['ids_reported']} / {r['ids_total']} "
              f"| {r['untruthful']} | {r['create_requests']} | {r['store_fallbacks']} | {r['forced']} |")
        if r['late_starts']:
            print(f"|  | ({r['late_starts']} process(es) were still starting at the common start) |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--only', action='append', choices=PARTS)
    parser.add_argument('--ids', type=int, default=300, help='ids per process (default 300)')
    parser.add_argument('--store', action='append', choices=('none', 'sqlite', 'redis'),
                        help='only these stores in the procs part (repeatable)')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(json.loads(sys.stdin.read()))))
        return 0
    parts = args.only or list(PARTS)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix='htx-tpsl-bench-') as tmp, RedisServerOrNone() as redis:
        stores: dict[str, str | None] = {'none': None, 'sqlite': f'sqlite://{tmp}/budget.db'}
        if redis is not None:
            stores['redis'] = redis.url
        else:
            progress('redis-server is not on PATH: the Redis rows are left out')
        print(f'# Shared budget: {os.cpu_count()} cores, Python {sys.version.split()[0]}, '
              f'load {os.getloadavg()[0]:.2f}')
        if 'procs' in parts:
            rows = []
            for flavour, processes in (('sync', 4), ('async', 2)):
                for name, url in stores.items():
                    if args.store and name not in args.store:
                        continue
                    progress(f'== procs: {flavour} x {processes}, store {name}')
                    rows.append(run_row(flavour, processes, args.ids, url))
            print_rows('Processes sharing one UID (classic: 5 cancels/s)', rows)
        if 'fault' in parts:
            if redis is None:
                print('\n(fault: no redis-server)')
            else:
                progress('== fault: redis killed mid-run')
                with RedisServer() as own:
                    row = run_row('sync', 4, args.ids, own.url, create=True, redis=own, kill_after_s=4.0)
                print_rows('Redis killed 4 s after the start, back 6 s later (sync, 4 processes, one create each)',
                           [row])
        if 'overhead' in parts:
            progress('== overhead')
            figures = overhead({k: v for k, v in stores.items() if v is not None})
            print('\n## Per-request cost (wait + sent + reply, one process, limits never reached; best of 5 x 2000)\n')
            print('| pacer | µs per request | over in-process |')
            print('| --- | --- | --- |')
            base = figures['none_us']
            for name in stores:
                value = figures.get(f'{name}_us')
                print(f"| {name if name != 'none' else 'in-process (none)'} | {_fmt(value, '.1f')} "
                      f"| {_fmt(value - base if value is not None else None, '+.1f')} |")
            for name in ('limits_moving_window_hit_us', 'pyrate_limiter_redis_acquire_us'):
                if name in figures:
                    print(f'| {name[:-3]} (one call, for comparison) | {_fmt(figures[name], ".1f")} | |')
    progress(f'done in {time.monotonic() - started:.0f} s')
    return 0


class RedisServerOrNone:
    """A redis-server for the run if one can be started, else None."""

    def __init__(self) -> None:
        self.server = RedisServer() if available() else None

    def __enter__(self) -> RedisServer | None:
        return self.server.start() if self.server is not None else None

    def __exit__(self, *exc: object) -> None:
        if self.server is not None:
            self.server.__exit__()


if __name__ == '__main__':
    sys.exit(main())
