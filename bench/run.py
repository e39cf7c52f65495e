#!/usr/bin/env python
"""Benchmark ``cancel_isolated_tpsl_orders``: figures, not a pass/fail test.

    python bench/run.py                 # full run (~2 min): prints a table, writes bench/results.json
    python bench/run.py --quick         # short run (~25 s): writes bench/results-quick.json
    python bench/run.py --out FILE      # write the JSON elsewhere

Three parts (see bench/README.md for what each figure means):

1. throughput against HTX's physical limit (10 ids per request, 5 requests/s), sync and async
   class, against a fresh embedded sandbox on loopback per run;
2. the plugin's CPU cost per 10-id cancel against ccxt's own path for the same request and reply,
   with the transport stubbed out;
3. the cost of ``import ccxt_htx_tpsl`` against ``import ccxt``, in fresh processes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import itertools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
import types
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import ccxt

import ccxt_htx_tpsl
import ccxt_htx_tpsl.async_support
from ccxt_htx_tpsl.sandbox import Sandbox, exchange_config

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent

IDS_PER_REQUEST = 10  # HTX: at most 10 ids per swap_tpsl_cancel request
REQUESTS_PER_SECOND = 5  # HTX: at most 5 swap_tpsl_cancel requests per second
SYMBOL = 'BTC/USDT:USDT'
CONTRACT = 'BTC-USDT'
CANCEL_PATH = 'linear-swap-api/v1/swap_tpsl_cancel'
CANCEL_ENDPOINT = 'swap_tpsl_cancel'  # last path segment, as the sandbox records it
RATE_LIMITED = 1032
# Idle time between load_markets() and the timed call, so that the sync class's throttle (which
# spaces a request from the previous one, here the markets request) does not delay the first
# cancel request: "markets loaded a while ago".
SETTLE_S = 0.5

TARGET_THROUGHPUT_RATIO = 1.05  # for N >= 200
TARGET_THROUGHPUT_MIN_N = 200
TARGET_OVERHEAD_RATIO = 1.10
TARGET_IMPORT_RATIO = 1.05


@dataclass(frozen=True)
class Settings:
    """How long each part runs."""

    sizes: tuple[int, ...]
    overhead_number: int  # calls per timing
    overhead_repeat: int  # timings per path (best-of)
    import_repeat: int  # fresh processes per module


FULL = Settings(sizes=(10, 100, 200, 1000), overhead_number=200, overhead_repeat=25, import_repeat=30)
QUICK = Settings(sizes=(10, 100), overhead_number=100, overhead_repeat=7, import_repeat=7)


# -- part 1: throughput against the physical limit ----------------------------------------------


def lower_bound_s(n: int) -> float:
    """The least time n ids can take: ceil(n/10) requests, 5/s, so (requests - 1) / 5 s between the first and last."""
    return (math.ceil(n / IDS_PER_REQUEST) - 1) / REQUESTS_PER_SECOND


def peak_in_window(arrivals: Sequence[float], window_s: float = 1.0) -> int:
    """The most arrivals in any half-open window of ``window_s`` seconds (HTX's and the sandbox's count)."""
    times = sorted(arrivals)
    peak, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


@dataclass
class ThroughputRun:
    """One ``cancel_isolated_tpsl_orders`` call of ``n`` ids against a fresh sandbox."""

    cls: str  # 'sync' or 'async'
    n: int
    requests: int  # swap_tpsl_cancel requests the sandbox received
    bound_s: float
    wall_s: float  # the call, start to return
    ratio: float | None  # wall_s / bound_s; None when the bound is 0 (a single request)
    refused_1032: int
    other_errors: int  # requests answered with another top-level error
    peak_per_1s: int  # most requests arriving in any 1-second window
    gap_min_ms: float | None  # between consecutive arrivals
    gap_median_ms: float | None
    lead_ms: float | None  # call start -> first request arrives at the server
    tail_ms: float | None  # last request arrives -> call returns
    canceled: int  # ids reported 'canceled'
    error: str | None  # the exception the call raised, if any


def _cancel_sync(hostname: str, ids: list[str]) -> tuple[float, float, list[Any], str | None]:
    exchange = ccxt_htx_tpsl.htx(exchange_config(hostname))
    exchange.load_markets()
    time.sleep(SETTLE_S)
    start = time.monotonic()
    try:
        orders: list[Any] = exchange.cancel_isolated_tpsl_orders(ids, SYMBOL)
        error = None
    except ccxt.BaseError as exc:
        orders, error = getattr(exc, 'orders', []), f'{type(exc).__name__}: {exc}'
    return start, time.monotonic(), orders, error


async def _cancel_async(hostname: str, ids: list[str]) -> tuple[float, float, list[Any], str | None]:
    exchange = ccxt_htx_tpsl.async_support.htx(exchange_config(hostname))
    try:
        await exchange.load_markets()
        await asyncio.sleep(SETTLE_S)
        start = time.monotonic()
        try:
            orders: list[Any] = await exchange.cancel_isolated_tpsl_orders(ids, SYMBOL)
            error = None
        except ccxt.BaseError as exc:
            orders, error = getattr(exc, 'orders', []), f'{type(exc).__name__}: {exc}'
        end = time.monotonic()
    finally:
        await exchange.close()
    return start, end, orders, error


def throughput_run(cls: str, n: int) -> ThroughputRun:
    """Seed n orders in a fresh sandbox, cancel them in one call, read what the server saw."""
    with Sandbox() as sandbox:
        ids = sandbox.add_tpsl_orders(CONTRACT, count=n)
        if cls == 'sync':
            start, end, orders, error = _cancel_sync(sandbox.hostname, ids)
        else:
            start, end, orders, error = asyncio.run(_cancel_async(sandbox.hostname, ids))
        records = [r for r in sandbox.requests if r.endpoint == CANCEL_ENDPOINT]
    arrivals = sorted(r.time for r in records)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    bound, wall = lower_bound_s(n), end - start
    return ThroughputRun(
        cls=cls,
        n=n,
        requests=len(records),
        bound_s=bound,
        wall_s=wall,
        ratio=wall / bound if bound > 0 else None,
        refused_1032=sum(r.err_code == RATE_LIMITED for r in records),
        other_errors=sum(r.err_code not in (None, RATE_LIMITED) for r in records),
        peak_per_1s=peak_in_window(arrivals),
        gap_min_ms=min(gaps) if gaps else None,
        gap_median_ms=statistics.median(gaps) if gaps else None,
        lead_ms=(arrivals[0] - start) * 1000 if arrivals else None,
        tail_ms=(end - arrivals[-1]) * 1000 if arrivals else None,
        canceled=sum(o.get('status') == 'canceled' for o in orders),
        error=error,
    )


def part_throughput(settings: Settings) -> list[ThroughputRun]:
    return [throughput_run(cls, n) for cls in ('sync', 'async') for n in settings.sizes]


# -- part 2: overhead over ccxt, transport stubbed ----------------------------------------------

CANNED_IDS = [str(1200000000000000001 + i) for i in range(IDS_PER_REQUEST)]
CANNED_REPLY = json.dumps(
    {'status': 'ok', 'data': {'errors': [], 'successes': ','.join(CANNED_IDS)}, 'ts': 1}, separators=(',', ':')
)


def stub_transport(exchange: Any, with_handle_errors: bool) -> list[tuple[str, str, Any]]:
    """Replace ``exchange.fetch`` (the HTTP round trip) with a canned 10-id reply; no socket is used.

    The stub decodes the reply with ccxt's own ``parse_json`` and, if ``with_handle_errors``, calls
    ``handle_errors`` on it as ccxt's real ``fetch`` does after every reply (ccxt.htx's for plain
    ccxt, the plugin's narrowed override for the plugin). Returns a list that records each
    (method, url, body) sent, for the sanity check.
    """
    sent: list[tuple[str, str, Any]] = []

    def fetch(self: Any, url: str, method: str = 'GET', headers: Any = None, body: Any = None) -> Any:
        if len(sent) < 1:
            sent.append((method, url, body))
        response = self.parse_json(CANNED_REPLY)
        if with_handle_errors:
            self.handle_errors(200, 'OK', url, method, {}, CANNED_REPLY, response, headers, body)
        return response

    exchange.fetch = types.MethodType(fetch, exchange)
    return sent


@dataclass
class OverheadVariant:
    """Per-call CPU time of one 10-id cancel, plugin against ccxt, for one way of stubbing."""

    handle_errors_included: bool
    number: int
    repeat: int
    plugin_best_us: float
    ccxt_best_us: float
    ratio_best: float
    plugin_median_us: float
    ccxt_median_us: float
    ratio_median: float


def _time_pair(
    plugin: Callable[[], Any], reference: Callable[[], Any], number: int, repeat: int, with_handle_errors: bool
) -> OverheadVariant:
    for fn in (plugin, reference):  # warm caches (markets lookups, regexes, hmac)
        timeit.Timer(fn).timeit(max(10, number // 10))
    plugin_runs: list[float] = []
    ccxt_runs: list[float] = []
    for i in range(repeat):  # interleaved, alternating which goes first, so drift hits both alike
        order = ((plugin, plugin_runs), (reference, ccxt_runs))
        for fn, runs in order if i % 2 == 0 else reversed(order):
            runs.append(timeit.Timer(fn).timeit(number) / number * 1e6)
    p_best, c_best = min(plugin_runs), min(ccxt_runs)
    p_med, c_med = statistics.median(plugin_runs), statistics.median(ccxt_runs)
    return OverheadVariant(
        with_handle_errors, number, repeat, p_best, c_best, p_best / c_best, p_med, c_med, p_med / c_med
    )


def part_overhead(settings: Settings) -> dict[str, Any]:
    """Time a full plugin cancel of 10 ids against ccxt's request + parse_cancel_orders for the same reply."""
    with Sandbox() as sandbox:  # only to load the markets; stopped before anything is timed
        config = dict(exchange_config(sandbox.hostname), enableRateLimit=False)
        plugin = ccxt_htx_tpsl.htx(config)
        reference = ccxt.htx(config)
        plugin.load_markets()
        reference.load_markets()
    body = {'contract_code': CONTRACT, 'order_id': ','.join(CANNED_IDS)}

    def plugin_call() -> Any:
        return plugin.cancel_isolated_tpsl_orders(CANNED_IDS, SYMBOL)

    def ccxt_call() -> Any:
        reply = reference.request(CANCEL_PATH, ['contract', 'private'], 'POST', body)
        return reference.parse_cancel_orders(reply['data'])

    variants: list[OverheadVariant] = []
    check: dict[str, Any] = {}
    for with_handle_errors in (True, False):
        sent_plugin = stub_transport(plugin, with_handle_errors)
        sent_ccxt = stub_transport(reference, with_handle_errors)
        plugin_orders, ccxt_orders = plugin_call(), ccxt_call()
        if with_handle_errors:  # the two paths must send the same request and read the same reply
            (p_method, p_url, p_body), (c_method, c_url, c_body) = sent_plugin[0], sent_ccxt[0]
            check = {
                'same_method': p_method == c_method,
                'same_endpoint': p_url.split('?')[0] == c_url.split('?')[0],
                'same_body': json.loads(p_body) == json.loads(c_body),
                'plugin_canceled': sum(o['status'] == 'canceled' for o in plugin_orders),
                'ccxt_canceled': sum(o['status'] == 'canceled' for o in ccxt_orders),
                'body': p_body,
            }
            if not (check['same_method'] and check['same_endpoint'] and check['same_body']):
                raise RuntimeError(f'the two paths send different requests: {sent_plugin[0]} / {sent_ccxt[0]}')
            if check['plugin_canceled'] != IDS_PER_REQUEST or check['ccxt_canceled'] != IDS_PER_REQUEST:
                raise RuntimeError(f'unexpected results: {check}')
        variants.append(_time_pair(
            plugin_call, ccxt_call, settings.overhead_number, settings.overhead_repeat, with_handle_errors
        ))
    return {'gc_during_timing': False, 'check': check, 'variants': [asdict(v) for v in variants]}


# -- part 3: import cost ------------------------------------------------------------------------

_IMPORT_PROBE = 'import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)'


def _import_once(module: str) -> tuple[float, float]:
    """(seconds the import statement took, seconds the whole process took) in a fresh interpreter."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, '-c', _IMPORT_PROBE.format(module=module)],
        capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(),
    )
    return float(done.stdout.strip()), time.perf_counter() - start


def _importtime_modules(module: str) -> dict[str, int]:
    """``python -X importtime``: self time (us) of each module a fresh ``import module`` loads."""
    done = subprocess.run(
        [sys.executable, '-X', 'importtime', '-c', f'import {module}'],
        capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(),
    )
    modules: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith('import time:') or 'self [us]' in line:
            continue
        self_us, _cumulative, name = line.removeprefix('import time:').split('|')
        modules[name.strip()] = int(self_us)
    return modules


def _summary(values: list[float]) -> dict[str, float]:
    return {'median_ms': statistics.median(values) * 1000, 'min_ms': min(values) * 1000}


def part_import(settings: Settings) -> dict[str, Any]:
    modules = ('ccxt', 'ccxt_htx_tpsl')
    for module in modules:  # warm the OS page cache and __pycache__
        _import_once(module)
    imports: dict[str, list[float]] = {m: [] for m in modules}
    processes: dict[str, list[float]] = {m: [] for m in modules}
    for i in range(settings.import_repeat):  # interleaved, alternating which goes first
        for module in modules if i % 2 == 0 else reversed(modules):
            imported, process = _import_once(module)
            imports[module].append(imported)
            processes[module].append(process)
    base, plugin = _importtime_modules('ccxt'), _importtime_modules('ccxt_htx_tpsl')
    extra = {name: us for name, us in plugin.items() if name not in base}
    result: dict[str, Any] = {'repeat': settings.import_repeat}
    for label, table in (('import_statement', imports), ('whole_process', processes)):
        ccxt_s, plugin_s = _summary(table['ccxt']), _summary(table['ccxt_htx_tpsl'])
        result[label] = {
            'ccxt': ccxt_s,
            'ccxt_htx_tpsl': plugin_s,
            'ratio_median': plugin_s['median_ms'] / ccxt_s['median_ms'],
            'ratio_min': plugin_s['min_ms'] / ccxt_s['min_ms'],
        }
    result['importtime'] = {
        'modules_ccxt': len(base),
        'modules_ccxt_htx_tpsl': len(plugin),
        'extra_modules_self_us': extra,
        'extra_self_us_total': sum(extra.values()),
    }
    return result


# -- machine info, table, main ------------------------------------------------------------------


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(['git', *args], capture_output=True, text=True, check=True, cwd=REPO_DIR)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def machine_info() -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else None
    status = _git('status', '--porcelain', '--', 'ccxt_htx_tpsl')
    return {
        'date': datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds'),
        'python': sys.version.split()[0],
        'implementation': platform.python_implementation(),
        'platform': platform.platform(),
        'machine': platform.machine(),
        'cpu_count': os.cpu_count(),
        'cpus_usable': affinity,
        'ccxt': ccxt.__version__,
        'ccxt_htx_tpsl': ccxt_htx_tpsl.__version__,
        'git_commit': _git('rev-parse', 'HEAD'),
        'package_tree_dirty': bool(status) if status is not None else None,
    }


def _fmt(value: float | None, spec: str) -> str:
    return 'n/a' if value is None else format(value, spec)


def print_report(info: dict[str, Any], runs: list[ThroughputRun], overhead: dict[str, Any],
                 imports: dict[str, Any]) -> list[tuple[str, bool]]:
    """Print the tables; return (target, met) pairs."""
    print(f"python {info['python']}, ccxt {info['ccxt']}, {info['cpu_count']} CPUs, {info['date']}")
    print()
    print('1. Throughput vs the limit (10 ids/request, 5 requests/s; bound = (ceil(N/10) - 1) / 5 s)')
    head = (f"{'class':<6} {'N':>5} {'reqs':>5} {'bound s':>8} {'wall s':>8} {'ratio':>6} {'1032':>5} "
            f"{'peak/1s':>7} {'gap min':>8} {'gap med':>8} {'lead ms':>8} {'tail ms':>8} {'canceled':>8}")
    print(head)
    print('-' * len(head))
    for r in runs:
        print(f'{r.cls:<6} {r.n:>5} {r.requests:>5} {r.bound_s:>8.2f} {r.wall_s:>8.3f} {_fmt(r.ratio, ".3f"):>6} '
              f'{r.refused_1032:>5} {r.peak_per_1s:>7} {_fmt(r.gap_min_ms, ".1f"):>8} '
              f'{_fmt(r.gap_median_ms, ".1f"):>8} {_fmt(r.lead_ms, ".1f"):>8} {_fmt(r.tail_ms, ".1f"):>8} '
              f'{r.canceled:>8}' + (f'  ERROR {r.error:.80}' if r.error else ''))
    print()
    print('2. Overhead per 10-id cancel over ccxt (transport stubbed, rate limiter off; us per call)')
    head = (f"{'handle_errors':<14} {'plugin best':>11} {'ccxt best':>10} {'ratio':>6}  "
            f"{'plugin med':>10} {'ccxt med':>9} {'ratio':>6}")
    print(head)
    print('-' * len(head))
    for v in overhead['variants']:
        label = 'in both' if v['handle_errors_included'] else 'bypassed'
        print(f"{label:<14} {v['plugin_best_us']:>11.1f} {v['ccxt_best_us']:>10.1f} {v['ratio_best']:>6.3f}  "
              f"{v['plugin_median_us']:>10.1f} {v['ccxt_median_us']:>9.1f} {v['ratio_median']:>6.3f}")
    print()
    print(f"3. Import cost, fresh processes ({imports['repeat']} each; ms)")
    head = (f"{'measure':<17} {'ccxt med':>9} {'plugin med':>10} {'ratio':>6}  "
            f"{'ccxt min':>9} {'plugin min':>10} {'ratio':>6}")
    print(head)
    print('-' * len(head))
    for label in ('import_statement', 'whole_process'):
        m = imports[label]
        print(f"{label:<17} {m['ccxt']['median_ms']:>9.1f} {m['ccxt_htx_tpsl']['median_ms']:>10.1f} "
              f"{m['ratio_median']:>6.3f}  {m['ccxt']['min_ms']:>9.1f} {m['ccxt_htx_tpsl']['min_ms']:>10.1f} "
              f"{m['ratio_min']:>6.3f}")
    extra = imports['importtime']
    print(f"   -X importtime: {len(extra['extra_modules_self_us'])} modules beyond ccxt's, "
          f"{extra['extra_self_us_total'] / 1000:.1f} ms self time in all")
    print()

    big = [r for r in runs if r.n >= TARGET_THROUGHPUT_MIN_N]
    with_errors = next(v for v in overhead['variants'] if v['handle_errors_included'])
    targets = [
        (f'throughput ratio <= {TARGET_THROUGHPUT_RATIO} for N >= {TARGET_THROUGHPUT_MIN_N}',
         bool(big) and all(r.ratio is not None and r.ratio <= TARGET_THROUGHPUT_RATIO for r in big)),
        ('zero 1032 refusals, every id canceled, peak <= 5/s',
         all(r.refused_1032 == 0 and r.canceled == r.n and r.peak_per_1s <= REQUESTS_PER_SECOND for r in runs)),
        (f'overhead ratio <= {TARGET_OVERHEAD_RATIO} (best-of, handle_errors in both)',
         with_errors['ratio_best'] <= TARGET_OVERHEAD_RATIO),
        (f'import ratio <= {TARGET_IMPORT_RATIO} (import statement, median)',
         imports['import_statement']['ratio_median'] <= TARGET_IMPORT_RATIO),
    ]
    for name, met in targets:
        print(f"{'MET    ' if met else 'NOT MET'}  {name}")
    if not big:
        print('         (no N >= 200 in this run: use the full mode for the throughput target)')
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='short run: N = 10, 100; fewer repetitions')
    parser.add_argument('--out', type=Path, default=None,
                        help='JSON file (default bench/results.json, bench/results-quick.json with --quick)')
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL
    out: Path = args.out or BENCH_DIR / ('results-quick.json' if args.quick else 'results.json')

    info = machine_info()
    started = time.monotonic()
    print('part 1: throughput against the sandbox ...', file=sys.stderr, flush=True)
    runs = part_throughput(settings)
    print('part 2: overhead over ccxt ...', file=sys.stderr, flush=True)
    gc.collect()
    overhead = part_overhead(settings)
    print('part 3: import cost ...', file=sys.stderr, flush=True)
    imports = part_import(settings)
    info['runtime_s'] = round(time.monotonic() - started, 1)
    print(file=sys.stderr)

    targets = print_report(info, runs, overhead, imports)
    results = {
        'mode': 'quick' if args.quick else 'full',
        'machine': info,
        'settings': asdict(settings),
        'throughput': [asdict(r) for r in runs],
        'overhead': overhead,
        'import': imports,
        'targets': [{'target': name, 'met': met} for name, met in targets],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + '\n')
    print(f'\nwritten to {out} (runtime {info["runtime_s"]} s)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
