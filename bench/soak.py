#!/usr/bin/env python
"""Soak: the embedded sandbox at its rate limits for a while, both API families; is memory flat?

    python bench/soak.py                  # 10 minutes, a line every 30 s
    python bench/soak.py --minutes 2      # shorter
    python bench/soak.py --out FILE       # also write every sample and the summary as JSON to FILE

Two processes, so that each one's memory is its own:

- the **sandbox process** (a child, ``multiprocessing`` spawn) runs ``Sandbox(...)`` with its
  defaults for what it keeps (``max_records`` = 10,000 requests, ``max_closed_orders`` = 10,000
  per book) under ``tracemalloc``, and answers two pipes: one to seed orders, one for samples;
- the **client process** (this one) runs two async clients (``ccxt_htx_tpsl.async_support.htx``),
  each with three loops that never pause: create (take-profit + stop-loss), list every open order,
  cancel 10 ids. A **classic** account (route ``'v1'``: ``swap_tpsl_order``,
  ``swap_tpsl_openorders``, ``swap_tpsl_cancel``, each at its own 5 requests/s) and a **unified**
  one (route ``'v5'``: ``v5/algo/order`` and ``v5/algo/cancel_orders`` share the UID trade budget
  of 72 per 3 s, ``v5/algo/order/opens`` has the read budget of 72 per 3 s).

The package's pacing is what keeps each loop at (not over) its limit. A cancel always carries 10
ids: those the creates returned, topped up with orders seeded in the sandbox (no HTTP).

Every ``--interval`` seconds a line gives both processes' RSS (``/proc/<pid>/statm``), the Python
memory ``tracemalloc`` traces in the sandbox process, what ``Sandbox.memory_stats()`` holds, and
the request rates and 1032 refusals the sandbox saw. The sandbox's stores fill during the first
minutes (memory rises until then) and must stay flat after. The last line compares start and end
memory, and the growth after the stores filled.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import sys
import threading
import time
import tracemalloc
from collections import Counter, deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

SYMBOL = 'BTC/USDT:USDT'
CONTRACT = 'BTC-USDT'
CLASSIC_KEY, CLASSIC_SECRET = 'soak0000-classic0-htxtpsl0-00001', 'soak0000-secret00-classic0-00001'
V5_KEY, V5_SECRET = 'soak0000-unified0-htxtpsl0-00002', 'soak0000-secret00-unified0-00002'
IDS_PER_CANCEL = 10
MAX_RECORDS = 10_000  # the Sandbox defaults, passed explicitly
MAX_CLOSED = 10_000
FLAT_RSS_MIB = 2.0  # growth after the stores filled, at most, to call a process flat
FLAT_TRACED_MIB = 0.5
PAGE = os.sysconf('SC_PAGE_SIZE') if hasattr(os, 'sysconf') else 4096
V5_TRADE_PER_S = V5_READ_PER_S = 72 / 3
# endpoints as the sandbox records them (last path segment)
V1_ENDPOINTS = ('swap_tpsl_order', 'swap_tpsl_openorders', 'swap_tpsl_cancel')
V5_ENDPOINTS = ('order', 'cancel_orders', 'opens')


def rss_mib(pid: int | str = 'self') -> float | None:
    """Resident set size of a process in MiB (Linux ``/proc``), else None."""
    try:
        with open(f'/proc/{pid}/statm') as statm:
            return int(statm.read().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return None


# -- the sandbox process ------------------------------------------------------------------------


def sandbox_process(control: Connection, seeding: Connection, trace: bool) -> None:
    """The child: a sandbox under tracemalloc, seeding on one pipe, samples on the other."""
    if trace:
        tracemalloc.start()
    from ccxt_htx_tpsl.sandbox import Sandbox

    sandbox = Sandbox(credentials={CLASSIC_KEY: CLASSIC_SECRET, V5_KEY: V5_SECRET},
                      account_modes={CLASSIC_KEY: 'classic', V5_KEY: 'unified'},
                      max_records=MAX_RECORDS, max_closed_orders=MAX_CLOSED).start()

    def seed() -> None:
        while True:
            try:
                family, api_key, count = seeding.recv()
            except EOFError:
                return
            if family == 'v1':
                seeding.send(sandbox.add_tpsl_orders(CONTRACT, count=count, api_key=api_key))
            else:
                seeding.send(sandbox.add_algo_orders(CONTRACT, count, api_key=api_key))

    threading.Thread(target=seed, name='seed', daemon=True).start()
    refused: Counter[str] = Counter()  # 1032 per endpoint, from the records
    last_seen = -1.0
    control.send(sandbox.hostname)
    while True:
        message = control.recv()
        if message == 'stop':
            sandbox.stop()
            control.send(None)
            return
        started = time.perf_counter()
        records = sandbox.requests  # the last 10,000: more than arrive between two samples
        for record in records:
            if record.time > last_seen and record.err_code == 1032:
                refused[record.endpoint] += 1
        last_seen = records[-1].time if records else last_seen
        gc.collect()
        traced, peak = tracemalloc.get_traced_memory() if trace else (0, 0)
        control.send({
            'rss_mib': rss_mib(),
            'traced_mib': traced / 2**20 if trace else None,
            'traced_peak_mib': peak / 2**20 if trace else None,
            'sandbox': sandbox.memory_stats(),
            'requests': sandbox.request_total,
            'totals': sandbox.request_totals(),
            'refused_by_endpoint': dict(refused),
            'sample_ms': (time.perf_counter() - started) * 1000,
        })


class SandboxProcess:
    """The client's handle on the child."""

    def __init__(self, trace: bool) -> None:
        context = multiprocessing.get_context('spawn')
        self._control, child_control = context.Pipe()
        self._seeding, child_seeding = context.Pipe()
        self.process = context.Process(target=sandbox_process, args=(child_control, child_seeding, trace),
                                       name='htx-sandbox', daemon=True)
        self.process.start()
        self.hostname: str = self._control.recv()
        self._lock = threading.Lock()

    def seed(self, family: str, api_key: str, count: int) -> list[str]:
        """Seed ``count`` open orders (blocks for a pipe round trip, well under a millisecond)."""
        self._seeding.send((family, api_key, count))
        ids: list[str] = self._seeding.recv()
        return ids

    def sample(self) -> dict[str, Any]:
        with self._lock:
            self._control.send('sample')
            reply: dict[str, Any] = self._control.recv()
            return reply

    def stop(self) -> None:
        with self._lock:
            self._control.send('stop')
            self._control.recv()
        self.process.join(10)


# -- the client process -------------------------------------------------------------------------


class Client:
    """One account's three loops."""

    def __init__(self, name: str, route: str, sandbox: SandboxProcess, api_key: str, secret: str) -> None:
        import ccxt_htx_tpsl.async_support
        from ccxt_htx_tpsl.sandbox import contracts, exchange_config

        self.name, self.route, self.sandbox, self.api_key = name, route, sandbox, api_key
        self.exchange = ccxt_htx_tpsl.async_support.htx(exchange_config(sandbox.hostname, api_key, secret))
        found = contracts.find(CONTRACT)
        self.price = found.reference_price if found is not None else 60000.0
        self.pending: deque[str] = deque()  # ids created and not yet cancelled
        self.calls: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.seeded = 0
        self.canceled = 0
        self.not_canceled = 0

    async def _loop(self, what: str, stop: asyncio.Event) -> None:
        import ccxt

        params = {'route': self.route}
        while not stop.is_set():
            try:
                if what == 'create':
                    orders = await self.exchange.create_isolated_tpsl_orders(
                        SYMBOL, 'sell', 1, self.price * 1.5, self.price * 0.5, params)
                    self.pending.extend(str(order['id']) for order in orders)
                elif what == 'list':
                    await self.exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, params)
                else:
                    ids = [self.pending.popleft() for _ in range(min(IDS_PER_CANCEL, len(self.pending)))]
                    if len(ids) < IDS_PER_CANCEL:
                        self.seeded += IDS_PER_CANCEL - len(ids)
                        ids += self.sandbox.seed(self.route, self.api_key, IDS_PER_CANCEL - len(ids))
                    orders = await self.exchange.cancel_isolated_tpsl_orders(ids, SYMBOL, params)
                    done = sum(order.get('status') == 'canceled' for order in orders)
                    self.canceled += done
                    self.not_canceled += len(orders) - done
                self.calls[what] += 1
            except ccxt.BaseError as error:
                self.errors[f'{what}: {type(error).__name__}'] += 1
                orders = getattr(error, 'orders', None) or []
                if what == 'create':  # the legs that were created (v5: one request per leg)
                    self.pending.extend(str(order['id']) for order in orders)
                elif what == 'cancel':
                    done = sum(order.get('status') == 'canceled' for order in orders)
                    self.canceled += done
                    self.not_canceled += len(orders) - done
                await asyncio.sleep(0.05)

    def tasks(self, stop: asyncio.Event) -> list[asyncio.Task[None]]:
        return [asyncio.create_task(self._loop(what, stop)) for what in ('create', 'list', 'cancel')]


def take_sample(sandbox: SandboxProcess, started: float, clients: list[Client]) -> dict[str, Any]:
    now = time.monotonic()
    gc.collect()
    sample = sandbox.sample()
    sample['t_s'] = round(now - started, 1)
    sample['client_rss_mib'] = rss_mib()
    sample['client_errors'] = sum(sum(c.errors.values()) for c in clients)
    return sample


def rates(previous: dict[str, Any], current: dict[str, Any]) -> dict[str, float]:
    span = current['t_s'] - previous['t_s']
    before, after = previous['totals']['endpoint'], current['totals']['endpoint']
    return {e: (after.get(e, 0) - before.get(e, 0)) / span if span > 0 else 0.0 for e in V1_ENDPOINTS + V5_ENDPOINTS}


HEADER = (f"{'t s':>6} {'client RSS':>10} {'sbx RSS':>8} {'sbx traced':>10} {'records':>7} {'v1 held/closed':>14} "
          f"{'v5 held/closed':>14} {'arrivals':>8} {'requests':>8} {'1032':>5} {'v1 ord/list/cxl /s':>18} "
          f"{'v5 trade/s':>10} {'v5 read/s':>9}")


def print_sample(sample: dict[str, Any], previous: dict[str, Any] | None) -> None:
    m = sample['sandbox']
    r = rates(previous, sample) if previous is not None else dict.fromkeys(V1_ENDPOINTS + V5_ENDPOINTS, 0.0)
    v1 = '/'.join(f'{r[e]:.2f}' for e in V1_ENDPOINTS)
    traced = 'n/a' if sample['traced_mib'] is None else f"{sample['traced_mib']:.2f}"
    print(f"{sample['t_s']:>6.0f} {sample['client_rss_mib']:>10.1f} {sample['rss_mib']:>8.1f} {traced:>10} "
          f"{m['records']:>7} {m['classic_orders']:>6}/{m['classic_closed_orders']:<7} "
          f"{m['algo_orders']:>6}/{m['algo_closed_orders']:<7} {m['rate_arrivals']:>8} {sample['requests']:>8} "
          f"{sample['totals']['err_code'].get('1032', 0):>5} {v1:>18} {r['order'] + r['cancel_orders']:>10.2f} "
          f"{r['opens']:>9.2f}", flush=True)


def filled(sample: dict[str, Any]) -> bool:
    """Whether the sandbox's bounded stores are full (memory may rise until then)."""
    m = sample['sandbox']
    return m['records'] >= MAX_RECORDS and m['classic_closed_orders'] >= MAX_CLOSED and \
        m['algo_closed_orders'] >= MAX_CLOSED


async def soak(minutes: float, interval: float, trace: bool) -> dict[str, Any]:
    sandbox = await asyncio.to_thread(SandboxProcess, trace)
    clients = [Client('classic', 'v1', sandbox, CLASSIC_KEY, CLASSIC_SECRET),
               Client('unified', 'v5', sandbox, V5_KEY, V5_SECRET)]
    samples: list[dict[str, Any]] = []
    try:
        for client in clients:
            await client.exchange.load_markets()
        stop = asyncio.Event()
        started = time.monotonic()
        tasks = [task for client in clients for task in client.tasks(stop)]
        print(f'soak: {minutes:g} min at the sandbox rate limits, both families; a line every {interval:g} s '
              '(RSS and traced in MiB)', flush=True)
        print(HEADER, flush=True)
        samples.append(await asyncio.to_thread(take_sample, sandbox, started, clients))
        print_sample(samples[-1], None)
        deadline = started + minutes * 60
        while (left := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(interval, left))
            samples.append(await asyncio.to_thread(take_sample, sandbox, started, clients))
            print_sample(samples[-1], samples[-2])
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.exchange.close()
        await asyncio.to_thread(sandbox.stop)
    return summarise(samples, clients)


def summarise(samples: list[dict[str, Any]], clients: list[Client]) -> dict[str, Any]:
    first, last = samples[0], samples[-1]
    r = rates(first, last)
    keys = ('t_s', 'client_rss_mib', 'rss_mib', 'traced_mib', 'sandbox')
    summary: dict[str, Any] = {
        'minutes': round((last['t_s'] - first['t_s']) / 60, 2),
        'requests': last['requests'] - first['requests'],
        'err_codes': last['totals']['err_code'],
        'refused_by_endpoint': last['refused_by_endpoint'],
        'rates_per_s': r,
        'v5_trade_per_s': r['order'] + r['cancel_orders'],
        'calls': {c.name: dict(c.calls) for c in clients},
        'client_errors': {c.name: dict(c.errors) for c in clients},
        'ids_canceled': {c.name: c.canceled for c in clients},
        'ids_not_canceled': {c.name: c.not_canceled for c in clients},
        'ids_seeded': {c.name: c.seeded for c in clients},
        'start': {k: first[k] for k in keys},
        'end': {k: last[k] for k in keys},
        'filled_at': None,
        'growth_after_filled': None,
        'flat': None,  # None: the stores were not full by half-time, too short to tell
        'samples': samples,
    }
    measures = ('client_rss_mib', 'rss_mib', 'traced_mib')
    middle = next(s for s in samples if s['t_s'] >= last['t_s'] / 2)
    half = {k: (last[k] - middle[k]) if last[k] is not None else None for k in measures}
    summary['second_half'] = {'from_t_s': middle['t_s'], 'stores_full': filled(middle), **half}
    full = next((s for s in samples if filled(s)), None)
    if full is not None and full is not last:
        summary['filled_at'] = {k: full[k] for k in keys}
        summary['growth_after_filled'] = {k: (last[k] - full[k]) if last[k] is not None else None for k in measures}
    if filled(middle) and middle is not last:
        # judged on the second half: the stores are full, and the allocator has had time to settle
        summary['flat'] = (half['client_rss_mib'] <= FLAT_RSS_MIB and half['rss_mib'] <= FLAT_RSS_MIB
                           and (half['traced_mib'] is None or half['traced_mib'] <= FLAT_TRACED_MIB))
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    r = summary['rates_per_s']
    print(f"{summary['requests']} requests in {summary['minutes']} min; err codes {summary['err_codes']}; "
          f"1032 by endpoint {summary['refused_by_endpoint']}")
    print(f"rates per s over the run: v1 create {r['swap_tpsl_order']:.2f}, list {r['swap_tpsl_openorders']:.2f}, "
          f"cancel {r['swap_tpsl_cancel']:.2f} (limit 5 each); v5 create + cancel {summary['v5_trade_per_s']:.2f} "
          f"(trade budget {V5_TRADE_PER_S:.0f}), list {r['opens']:.2f} (read budget {V5_READ_PER_S:.0f})")
    print(f"calls {summary['calls']}; client errors {summary['client_errors']}")
    print(f"ids canceled {summary['ids_canceled']}, not canceled {summary['ids_not_canceled']}, "
          f"seeded {summary['ids_seeded']}")
    start, end = summary['start'], summary['end']

    def traced(sample: dict[str, Any]) -> str:
        return 'n/a' if sample['traced_mib'] is None else f"{sample['traced_mib']:.2f}"

    def signed(value: float | None, spec: str) -> str:
        return 'n/a' if value is None else format(value, '+' + spec)

    full, growth = summary['filled_at'], summary['growth_after_filled']
    if full is not None:
        print(f"after the sandbox's stores filled (t = {full['t_s']:.0f} s) to the end: client RSS "
              f"{signed(growth['client_rss_mib'], '.1f')}, sandbox RSS {signed(growth['rss_mib'], '.1f')}, "
              f"sandbox traced {signed(growth['traced_mib'], '.2f')} MiB")
    half = summary['second_half']
    if summary['flat'] is None:
        verdict = "too short to tell: the sandbox's stores were not full by half-time"
    else:
        verdict = (f"{'FLAT' if summary['flat'] else 'GROWING'} (flat: growth over the second half <= "
                   f"{FLAT_RSS_MIB:g} MiB RSS per process and <= {FLAT_TRACED_MIB:g} MiB traced)")
    print(f"memory start -> end ({summary['minutes']} min): client RSS {start['client_rss_mib']:.1f} -> "
          f"{end['client_rss_mib']:.1f} MiB, sandbox RSS {start['rss_mib']:.1f} -> {end['rss_mib']:.1f} MiB, "
          f"sandbox traced {traced(start)} -> {traced(end)} MiB; second half (t = {half['from_t_s']:.0f} s to the "
          f"end): client RSS {signed(half['client_rss_mib'], '.1f')}, sandbox RSS {signed(half['rss_mib'], '.1f')}, "
          f"sandbox traced {signed(half['traced_mib'], '.2f')} MiB: {verdict}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--minutes', type=float, default=10.0, help='how long (default 10)')
    parser.add_argument('--interval', type=float, default=30.0, help='seconds between two lines (default 30)')
    parser.add_argument('--out', type=Path, default=None, help='also write the samples and summary as JSON here')
    parser.add_argument('--no-tracemalloc', action='store_true', help='RSS and memory_stats() only')
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.interval <= 0:
        parser.error('--minutes and --interval must be positive')
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import _git, package_fingerprint, refuse_tracked

    if args.out is not None:
        refuse_tracked(parser, args.out)  # never write results over a tracked file
    import ccxt

    import ccxt_htx_tpsl

    wall = time.monotonic()
    commit, fingerprint = _git('rev-parse', 'HEAD'), package_fingerprint()
    summary = asyncio.run(soak(args.minutes, args.interval, not args.no_tracemalloc))
    summary['runtime_s'] = round(time.monotonic() - wall, 1)
    summary['versions'] = {'python': sys.version.split()[0], 'ccxt': ccxt.__version__,
                           'ccxt_htx_tpsl': ccxt_htx_tpsl.__version__, 'git_commit': commit,
                           'package_sha256': fingerprint, 'package_sha256_end': package_fingerprint()}
    print(f"\ngit {str(commit)[:12]}, package sources sha256 {fingerprint}" +
          ('' if summary['versions']['package_sha256_end'] == fingerprint else
           f" (WARNING: {summary['versions']['package_sha256_end']} at the end: the sources changed during the run)"))
    print_summary(summary)  # its last line: memory at the start and the end
    print(f"runtime {summary['runtime_s']} s", file=sys.stderr)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(summary, indent=2) + '\n')
        print(f'written to {args.out}', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
