#!/usr/bin/env python
"""Benchmark ``cancel_isolated_tpsl_orders``: figures, not a pass/fail test (exit 0; 2 for a bad command line).

    python bench/run.py                  # full run: the tables on stdout, nothing written to a file
    python bench/run.py --quick          # short run (fewer and smaller runs): indicative only
    python bench/run.py --out FILE       # also write every figure as JSON to FILE (not a tracked file)
    python bench/run.py --only jitter    # one part (repeatable): quiet, jitter, rtt, overhead, import

Five parts (see bench/README.md for what each figure means):

1. quiet path: one call against a fresh embedded sandbox on loopback, sync and async class, after
   0.5 s idle and right after ``load_markets()``; classic family (5 requests/s, the bound), plus a
   route 'auto' row (the asset-mode question timed) and a v5 row;
2. jitter: the sandbox adds a one-way latency of uniform(20, 120) ms before it counts a request;
   10 runs of 1,000 ids per class;
3. RTT sweep: a fixed one-way latency of 0, 50, 150, 300 ms, 200 ids per class;
4. the plugin's CPU cost per 10-id cancel against ccxt's own request + parse, transport stubbed;
5. ``import ccxt_htx_tpsl`` against ``import ccxt``, in fresh processes.

Progress and measured run times go to stderr; the tables to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import gc
import hashlib
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent

IDS_PER_REQUEST = 10  # HTX: at most 10 ids per swap_tpsl_cancel (and, assumed, per v5 cancel) request
REQUESTS_PER_SECOND = 5  # HTX: at most 5 swap_tpsl_cancel requests per second
UID_TRADE = (72, 3.0)  # HTX: 72 trade requests per 3 s per UID: the only limit on the v5 cancel
SYMBOL = 'BTC/USDT:USDT'
CONTRACT = 'BTC-USDT'
CANCEL_PATH = 'linear-swap-api/v1/swap_tpsl_cancel'
ENDPOINT = {'v1': 'swap_tpsl_cancel', 'v5': 'cancel_orders'}  # last path segment, as the sandbox records it
RATE_LIMITED = 1032
IDLE_S = 0.5  # "markets loaded a while ago"
JITTER_MS = (20.0, 120.0)

TARGET_QUIET = 1.03  # wall / bound, for N >= 200
TARGET_QUIET_MIN_N = 200
TARGET_JITTER_RATIO = 1.08
TARGET_JITTER_REFUSALS_PER_1000 = 1.0
TARGET_OVERHEAD = 1.05
TARGET_IMPORT = 1.05


@dataclass(frozen=True)
class Settings:
    """How long each part runs."""

    sizes: tuple[int, ...]  # quiet path, classic family
    extra_n: int  # the route 'auto' and v5 rows
    jitter_runs: int
    jitter_n: int
    rtt_ms: tuple[float, ...]
    rtt_n: int
    overhead_number: int  # calls per timing
    overhead_repeat: int  # timings per path
    import_repeat: int  # fresh processes per module


FULL = Settings(sizes=(10, 100, 200, 1000), extra_n=200, jitter_runs=10, jitter_n=1000, rtt_ms=(0, 50, 150, 300),
                rtt_n=200, overhead_number=200, overhead_repeat=25, import_repeat=30)
QUICK = Settings(sizes=(10, 200), extra_n=100, jitter_runs=2, jitter_n=200, rtt_ms=(0, 300), rtt_n=100,
                 overhead_number=100, overhead_repeat=7, import_repeat=7)
PARTS = ('quiet', 'jitter', 'rtt', 'overhead', 'import')


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- one cancel against a fresh sandbox ---------------------------------------------------------


def classic_bound_s(requests: int) -> float:
    """(requests - 1) / 5 s: the time between the first and the last request at 5 per second."""
    return max(0, requests - 1) / REQUESTS_PER_SECOND


def v5_spacing_bound_s(requests: int) -> float:
    """(requests - 1) x 3 s / 72: the UID trade budget spread evenly, as the package sends."""
    return max(0, requests - 1) * UID_TRADE[1] / UID_TRADE[0]


def v5_window_bound_s(requests: int) -> float:
    """What HTX's 72-per-3-s window itself allows: 72 at once, the next 72 three seconds later."""
    return max(0, math.ceil(requests / UID_TRADE[0]) - 1) * UID_TRADE[1]


def peak_in_window(arrivals: Sequence[float], window_s: float = 1.0) -> int:
    """The most arrivals in any half-open window of ``window_s`` seconds (HTX's and the sandbox's count)."""
    from ccxt_htx_tpsl.sandbox.ratelimit import peak_in_window as peak  # imported late, as the package is here

    return peak(arrivals, window_s)


@dataclass
class CancelRun:
    """One ``cancel_isolated_tpsl_orders`` call of ``n`` ids against a fresh sandbox."""

    flavour: str  # 'sync' or 'async'
    family: str  # 'v1' (classic) or 'v5'
    route: str  # the route passed in params ('auto': none passed, the first call asks the asset mode)
    n: int
    idle_s: float  # idle between load_markets() and the call
    latency_ms: tuple[float, float] | None  # the sandbox's one-way latency
    seed: int | None
    requests: int  # cancel requests the sandbox received (re-sends included)
    other_requests: int  # any other request during the call (the asset-mode question)
    bound_s: float
    wall_s: float  # the call, start to return
    ratio: float | None  # wall / bound; None when the bound is 0
    refused_1032: int  # counted at the server
    refused_at: list[int]  # which cancel requests (0-based, in arrival order) were refused
    other_errors: int  # cancel requests answered with another top-level error
    resends: int  # tpsl_counters['rate_limited_resends'] + ['retries']
    peak_per_1s: int  # most cancel arrivals (refused included) in any 1-second window
    gap_min_ms: float | None
    gap_median_ms: float | None
    window_slack_ms: float | None  # mean of arrival[k] - arrival[k - 5] - 1000 ms (classic), else None
    lead_ms: float | None  # call start -> first cancel arrives
    tail_ms: float | None  # last cancel arrives -> call returns
    gc_ms: float  # time the process spent in garbage collections during the call
    canceled: int  # ids reported 'canceled'
    not_canceled: int  # ids reported otherwise (None: refused or unknown)
    error: str | None  # what the call raised, if anything
    extra: dict[str, Any] = field(default_factory=dict)


def _exchange_params(route: str) -> dict[str, Any]:
    return {} if route == 'auto' else {'route': route}


class GcClock:
    """When the garbage collector ran (any thread) while active: a pause inside a timed call."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float]] = []
        self._started: float | None = None

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == 'start':
            self._started = time.monotonic()
        elif self._started is not None:
            self.pauses.append((self._started, time.monotonic()))
            self._started = None

    def within(self, start: float, end: float) -> float:
        """Seconds of collection between ``start`` and ``end`` (monotonic)."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b in self.pauses)

    def __enter__(self) -> GcClock:
        gc.collect()  # start every timed call with no garbage left by the previous runs
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


def _cancel_sync(hostname: str, ids: list[str], route: str, idle_s: float) -> tuple[float, float, list[Any], str | None,
                                                                                     int]:
    import ccxt

    import ccxt_htx_tpsl
    from ccxt_htx_tpsl.sandbox import exchange_config

    exchange = ccxt_htx_tpsl.htx(exchange_config(hostname))
    exchange.load_markets()
    if idle_s:
        time.sleep(idle_s)
    start = time.monotonic()
    try:
        orders: list[Any] = exchange.cancel_isolated_tpsl_orders(ids, SYMBOL, _exchange_params(route))
        error = None
    except ccxt.BaseError as exc:
        orders, error = getattr(exc, 'orders', None) or [], f'{type(exc).__name__}: {exc}'
    end = time.monotonic()
    return start, end, orders, error, sum(exchange.tpsl_counters.values())


async def _cancel_async(hostname: str, ids: list[str], route: str, idle_s: float) -> tuple[float, float, list[Any],
                                                                                           str | None, int]:
    import ccxt

    import ccxt_htx_tpsl.async_support
    from ccxt_htx_tpsl.sandbox import exchange_config

    exchange = ccxt_htx_tpsl.async_support.htx(exchange_config(hostname))
    try:
        await exchange.load_markets()
        if idle_s:
            await asyncio.sleep(idle_s)
        start = time.monotonic()
        try:
            orders: list[Any] = await exchange.cancel_isolated_tpsl_orders(ids, SYMBOL, _exchange_params(route))
            error = None
        except ccxt.BaseError as exc:
            orders, error = getattr(exc, 'orders', None) or [], f'{type(exc).__name__}: {exc}'
        end = time.monotonic()
    finally:
        await exchange.close()
    return start, end, orders, error, sum(exchange.tpsl_counters.values())


def cancel_run(flavour: str, n: int, *, family: str = 'v1', route: str = 'v1', idle_s: float = 0.0,
               latency_ms: tuple[float, float] | None = None, seed: int | None = None) -> CancelRun:
    """Seed n orders in a fresh sandbox, cancel them in one call, read what the server saw."""
    from ccxt_htx_tpsl.sandbox import Sandbox

    mode = 'classic' if family == 'v1' else 'unified'
    with Sandbox(account_mode=mode, latency=latency_ms, latency_seed=seed) as sandbox:
        if family == 'v1':
            ids = sandbox.add_tpsl_orders(CONTRACT, count=n)
        else:
            ids = sandbox.add_algo_orders(CONTRACT, count=n)
        with GcClock() as gc_clock:
            if flavour == 'sync':
                start, end, orders, error, resends = _cancel_sync(sandbox.hostname, ids, route, idle_s)
            else:
                start, end, orders, error, resends = asyncio.run(
                    _cancel_async(sandbox.hostname, ids, route, idle_s))
        records = sandbox.requests
    during = [r for r in records if start <= r.time <= end]
    cancels = [r for r in during if r.endpoint == ENDPOINT[family]]
    arrivals = sorted(r.time for r in cancels)
    gaps = [(b - a) * 1000 for a, b in itertools.pairwise(arrivals)]
    distinct = math.ceil(n / IDS_PER_REQUEST)
    bound = classic_bound_s(distinct) if family == 'v1' else v5_spacing_bound_s(distinct)
    wall = end - start
    slack = None
    if family == 'v1' and len(arrivals) > REQUESTS_PER_SECOND:
        k = REQUESTS_PER_SECOND
        slack = statistics.mean((arrivals[i] - arrivals[i - k]) * 1000 - 1000 for i in range(k, len(arrivals)))
    canceled = sum(o.get('status') == 'canceled' for o in orders)
    return CancelRun(
        flavour=flavour, family=family, route=route, n=n, idle_s=idle_s, latency_ms=latency_ms, seed=seed,
        requests=len(cancels), other_requests=len(during) - len(cancels), bound_s=bound, wall_s=wall,
        ratio=wall / bound if bound > 0 else None,
        refused_1032=sum(r.err_code == RATE_LIMITED for r in cancels),
        refused_at=[i for i, r in enumerate(sorted(cancels, key=lambda r: r.time)) if r.err_code == RATE_LIMITED],
        other_errors=sum(r.err_code not in (None, RATE_LIMITED) for r in cancels),
        resends=resends,
        peak_per_1s=peak_in_window(arrivals),
        gap_min_ms=min(gaps) if gaps else None,
        gap_median_ms=statistics.median(gaps) if gaps else None,
        window_slack_ms=slack,
        lead_ms=(arrivals[0] - start) * 1000 if arrivals else None,
        tail_ms=(end - arrivals[-1]) * 1000 if arrivals else None,
        gc_ms=gc_clock.within(start, end) * 1000,
        canceled=canceled,
        not_canceled=n - canceled,
        error=error,
        extra={'v5_window_bound_s': v5_window_bound_s(distinct)} if family == 'v5' else {},
    )


# -- parts 1-3: against the sandbox ------------------------------------------------------------


def part_quiet(settings: Settings) -> list[CancelRun]:
    runs = []
    for flavour in ('sync', 'async'):
        for idle in (IDLE_S, 0.0):
            for n in settings.sizes:
                progress(f'  quiet {flavour} N={n} idle={idle}')
                runs.append(cancel_run(flavour, n, idle_s=idle))
    for flavour in ('sync', 'async'):
        progress(f'  quiet {flavour} route auto N={settings.extra_n}')
        runs.append(cancel_run(flavour, settings.extra_n, route='auto'))
    for flavour in ('sync', 'async'):
        for n in (settings.extra_n, 1000) if settings is FULL else (settings.extra_n,):
            progress(f'  quiet {flavour} v5 N={n}')
            runs.append(cancel_run(flavour, n, family='v5', route='v5'))
    return runs


def part_jitter(settings: Settings) -> list[CancelRun]:
    runs = []
    for flavour in ('sync', 'async'):
        for i in range(settings.jitter_runs):
            progress(f'  jitter {flavour} run {i + 1}/{settings.jitter_runs} N={settings.jitter_n}')
            runs.append(cancel_run(flavour, settings.jitter_n, latency_ms=JITTER_MS, seed=1000 + i))
    return runs


def part_rtt(settings: Settings) -> list[CancelRun]:
    runs = []
    for latency in settings.rtt_ms:
        for flavour in ('sync', 'async'):
            progress(f'  rtt {flavour} one-way {latency:g} ms N={settings.rtt_n}')
            run = cancel_run(flavour, settings.rtt_n, latency_ms=(latency, latency), seed=1)
            spaced = (run.gap_median_ms or 0) <= 1000 / REQUESTS_PER_SECOND * 1.02
            run.extra['limited_by'] = 'the 5/s bound' if spaced else 'round trip'
            runs.append(run)
    return runs


def jitter_summary(runs: list[CancelRun]) -> dict[str, dict[str, Any]]:
    summary = {}
    for flavour in ('sync', 'async'):
        mine = [r for r in runs if r.flavour == flavour]
        if not mine:
            continue
        ratios = [r.ratio for r in mine if r.ratio is not None]
        clean = [r.ratio for r in mine if r.ratio is not None and not r.refused_1032]
        ids = sum(r.n for r in mine)
        summary[flavour] = {
            'runs': len(mine),
            'n': mine[0].n,
            'ratio_mean': statistics.mean(ratios),
            'ratio_min': min(ratios),
            'ratio_max': max(ratios),
            'refused_1032': sum(r.refused_1032 for r in mine),
            'refused_per_1000_ids': sum(r.refused_1032 for r in mine) / ids * 1000,
            'runs_with_refusal': sum(r.refused_1032 > 0 for r in mine),
            'ratio_mean_without_refusal': statistics.mean(clean) if clean else None,
            'refused_at': sorted(i for r in mine for i in r.refused_at),
            'not_canceled': sum(r.not_canceled for r in mine),
            'errors': sum(r.error is not None for r in mine),
            'peak_per_1s_max': max(r.peak_per_1s for r in mine),
            'gap_min_ms': min(r.gap_min_ms for r in mine if r.gap_min_ms is not None),
            'window_slack_ms_mean': statistics.mean(r.window_slack_ms for r in mine if r.window_slack_ms is not None),
            'lead_ms_mean': statistics.mean(r.lead_ms for r in mine if r.lead_ms is not None),
            'tail_ms_mean': statistics.mean(r.tail_ms for r in mine if r.tail_ms is not None),
        }
    return summary


# -- part 4: overhead over ccxt, transport stubbed ----------------------------------------------

CANNED_IDS = [str(1200000000000000001 + i) for i in range(IDS_PER_REQUEST)]
CANNED_REPLY = json.dumps(
    {'status': 'ok', 'data': {'errors': [], 'successes': ','.join(CANNED_IDS)}, 'ts': 1}, separators=(',', ':')
)


def stub_transport(exchange: Any, with_handle_errors: bool) -> list[tuple[str, str, Any]]:
    """Replace ``exchange.fetch`` (the HTTP round trip) with a canned 10-id reply; no socket is used.

    The stub decodes the reply with ccxt's own ``parse_json`` and, if ``with_handle_errors``, calls
    ``handle_errors`` on it as ccxt's real ``fetch`` does after every reply (ccxt.htx's for plain
    ccxt, the plugin's narrowed override for the plugin). Returns a list that records the first
    (method, url, body) sent, for the sanity check.
    """
    sent: list[tuple[str, str, Any]] = []

    def fetch(self: Any, url: str, method: str = 'GET', headers: Any = None, body: Any = None) -> Any:
        if not sent:
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


def _time_pair(plugin: Callable[[], Any], reference: Callable[[], Any], number: int, repeat: int,
               with_handle_errors: bool) -> OverheadVariant:
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
    return OverheadVariant(with_handle_errors, number, repeat, p_best, c_best, p_best / c_best, p_med, c_med,
                           p_med / c_med)


def part_overhead(settings: Settings) -> dict[str, Any]:
    """A full plugin cancel of 10 ids (route 'v1') against ccxt's request + parse_cancel_orders, same reply."""
    import ccxt

    import ccxt_htx_tpsl
    from ccxt_htx_tpsl.sandbox import Sandbox, exchange_config

    with Sandbox(account_mode='classic') as sandbox:  # only to load the markets; stopped before any timing
        config = dict(exchange_config(sandbox.hostname), enableRateLimit=False)
        plugin = ccxt_htx_tpsl.htx(config)
        reference = ccxt.htx(config)
        plugin.load_markets()
        reference.load_markets()
    body = {'contract_code': CONTRACT, 'order_id': ','.join(CANNED_IDS)}
    params = {'route': 'v1'}  # the classic request, exactly what ccxt's path sends; no asset-mode question

    def plugin_call() -> Any:
        return plugin.cancel_isolated_tpsl_orders(CANNED_IDS, SYMBOL, params)

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
                'endpoint': p_url.split('?')[0],
                'body': p_body,
            }
            if not (check['same_method'] and check['same_endpoint'] and check['same_body']):
                raise RuntimeError(f'the two paths send different requests: {sent_plugin[0]} / {sent_ccxt[0]}')
            if check['plugin_canceled'] != IDS_PER_REQUEST or check['ccxt_canceled'] != IDS_PER_REQUEST:
                raise RuntimeError(f'unexpected results: {check}')
        variants.append(_time_pair(plugin_call, ccxt_call, settings.overhead_number, settings.overhead_repeat,
                                   with_handle_errors))
    return {'gc_during_timing': False, 'check': check, 'variants': [asdict(v) for v in variants]}


# -- part 5: import cost ------------------------------------------------------------------------

_IMPORT_PROBE = 'import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)'


def _import_once(module: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds the import statement took, seconds the whole process took) in a fresh interpreter."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, '-c', _IMPORT_PROBE.format(module=module)],
                          capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(), env=env)
    return float(done.stdout.strip()), time.perf_counter() - start


def _importtime_modules(module: str, env: dict[str, str]) -> dict[str, int]:
    """``python -X importtime``: self time (us) of each module a fresh ``import module`` loads."""
    done = subprocess.run([sys.executable, '-X', 'importtime', '-c', f'import {module}'],
                          capture_output=True, text=True, check=True, cwd=tempfile.gettempdir(), env=env)
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
    """Both modules from cached bytecode (a private ``PYTHONPYCACHEPREFIX``, so that a source checkout
    and ``PYTHONDONTWRITEBYTECODE`` do not leave the plugin compiling at every import while ccxt's
    wheel has its ``.pyc``); and, if the environment sets ``PYTHONDONTWRITEBYTECODE``, as it runs here."""
    with tempfile.TemporaryDirectory(prefix='bench-pycache-') as prefix:
        env = {k: v for k, v in os.environ.items() if k != 'PYTHONDONTWRITEBYTECODE'}
        env['PYTHONPYCACHEPREFIX'] = prefix
        result = _import_variant(settings.import_repeat, env)
    result['bytecode'] = 'cached for both (private PYTHONPYCACHEPREFIX, written by the warm-up imports)'
    if os.environ.get('PYTHONDONTWRITEBYTECODE'):
        as_is = _import_variant(max(3, settings.import_repeat // 3), dict(os.environ))
        as_is['bytecode'] = ('as this environment runs: PYTHONDONTWRITEBYTECODE set, so modules without a '
                             '__pycache__ (a source checkout) are compiled at every import')
        result['environment_as_is'] = as_is
    return result


def _import_variant(repeat: int, env: dict[str, str]) -> dict[str, Any]:
    modules = ('ccxt', 'ccxt_htx_tpsl')
    for module in modules:  # warm the OS page cache (and the bytecode cache, when it can be written)
        _import_once(module, env)
    imports: dict[str, list[float]] = {m: [] for m in modules}
    processes: dict[str, list[float]] = {m: [] for m in modules}
    for i in range(repeat):  # interleaved, alternating which goes first
        for module in modules if i % 2 == 0 else reversed(modules):
            imported, process = _import_once(module, env)
            imports[module].append(imported)
            processes[module].append(process)
    base, plugin = _importtime_modules('ccxt', env), _importtime_modules('ccxt_htx_tpsl', env)
    extra = {name: us for name, us in plugin.items() if name not in base}
    result: dict[str, Any] = {'repeat': repeat}
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


# -- machine info, report, main -----------------------------------------------------------------


def _git(*args: str, cwd: Path = REPO_DIR) -> str | None:
    try:
        done = subprocess.run(['git', *args], capture_output=True, text=True, check=True, cwd=cwd)
    except (OSError, subprocess.CalledProcessError):
        return None
    return done.stdout.strip()


def refuse_tracked(parser: argparse.ArgumentParser, path: Path) -> None:
    """Results never go to a file git tracks (``parser.error`` if ``path`` is one)."""
    target = path.resolve()
    top = _git('rev-parse', '--show-toplevel', cwd=target.parent if target.parent.is_dir() else REPO_DIR)
    if top is None:
        return
    try:
        relative = target.relative_to(Path(top).resolve())
    except ValueError:
        return
    if _git('ls-files', '--error-unmatch', '--', str(relative), cwd=Path(top)) is not None:
        parser.error(f'{path} is tracked by git: write results elsewhere (e.g. /tmp/bench.json)')


def package_fingerprint() -> str:
    """sha256 of the package's sources: if it differs at the end, the code changed during the run."""
    digest = hashlib.sha256()
    for path in sorted((REPO_DIR / 'ccxt_htx_tpsl').rglob('*.py')):
        digest.update(str(path.relative_to(REPO_DIR)).encode() + b'\0' + path.read_bytes())
    return digest.hexdigest()[:16]


def machine_info() -> dict[str, Any]:
    import ccxt

    import ccxt_htx_tpsl

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
        'package_sha256': package_fingerprint(),
        'loadavg_start': _loadavg(),
    }


def _loadavg() -> list[float] | None:
    """1, 5 and 15-minute load averages: above the CPU count, other processes competed for the CPUs."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def _fmt(value: float | None, spec: str) -> str:
    return 'n/a' if value is None else format(value, spec)


def _print_runs(title: str, runs: list[CancelRun], show_latency: bool = False) -> None:
    print(title)
    head = (f"{'class':<6} {'fam':<3} {'route':<5} {'N':>5} {'idle':>4} " + (f"{'1-way':>7} " if show_latency else '')
            + f"{'reqs':>4} {'+oth':>4} {'bound s':>7} {'wall s':>7} {'ratio':>6} {'1032':>4} {'peak':>4} "
            f"{'gap min':>7} {'gap med':>7} {'lead ms':>7} {'tail ms':>7} {'gc ms':>5} {'canceled':>8}")
    print(head)
    print('-' * len(head))
    for r in runs:
        latency = ''
        if show_latency:
            lo, hi = r.latency_ms or (0, 0)
            latency = f"{(f'{lo:g}' if lo == hi else f'{lo:g}-{hi:g}'):>7} "
        print(f'{r.flavour:<6} {r.family:<3} {r.route:<5} {r.n:>5} {r.idle_s:>4.1f} {latency}{r.requests:>4} '
              f'{r.other_requests:>4} {r.bound_s:>7.2f} {r.wall_s:>7.3f} {_fmt(r.ratio, ".3f"):>6} '
              f'{r.refused_1032:>4} {r.peak_per_1s:>4} {_fmt(r.gap_min_ms, ".1f"):>7} '
              f'{_fmt(r.gap_median_ms, ".1f"):>7} {_fmt(r.lead_ms, ".1f"):>7} {_fmt(r.tail_ms, ".1f"):>7} '
              f'{r.gc_ms:>5.0f} {r.canceled:>8}' + (f'  ERROR {r.error:.80}' if r.error else ''))
    print()


def _quiet_targets(runs: list[CancelRun]) -> list[tuple[str, bool | None, str]]:
    targets = []
    for flavour in ('sync', 'async'):
        for idle, label in ((IDLE_S, 'idle 0.5 s'), (0.0, 'no idle')):
            rows = [r for r in runs if r.flavour == flavour and r.family == 'v1' and r.route == 'v1'
                    and r.idle_s == idle and r.n >= TARGET_QUIET_MIN_N]
            if not rows:
                targets.append((f'quiet {flavour}, {label}: wall/bound <= {TARGET_QUIET}, 0 refusals', None,
                                'no N >= 200 in this run'))
                continue
            met = all(r.ratio is not None and r.ratio <= TARGET_QUIET and r.refused_1032 == 0
                      and r.not_canceled == 0 for r in rows)
            figures = ', '.join(f'N={r.n}: {_fmt(r.ratio, ".3f")}, {r.refused_1032} refused' for r in rows)
            targets.append((f'quiet {flavour}, {label}: wall/bound <= {TARGET_QUIET}, 0 refusals', met, figures))
    return targets


def print_report(info: dict[str, Any], results: dict[str, Any]) -> list[tuple[str, bool | None, str]]:
    """Print the tables; return (target, met or None if not measured, figures)."""
    print(f"python {info['python']}, ccxt {info['ccxt']}, ccxt_htx_tpsl {info['ccxt_htx_tpsl']}, "
          f"{info['cpus_usable']} usable CPUs, {info['date']}, mode {results['mode']}, load average "
          f"{info['loadavg_start']} at the start, {info['loadavg_end']} at the end")
    dirty = ' + uncommitted changes' if info['package_tree_dirty'] else ''
    print(f"git {str(info['git_commit'])[:12]}{dirty}, package sources sha256 {info['package_sha256']}")
    if info['package_sha256_end'] != info['package_sha256']:
        print(f"WARNING: the package sources changed during the run (sha256 {info['package_sha256_end']} at the "
              'end): the parts that started new processes (import) measured other code than the rest')
    print('bound (classic) = (requests - 1) / 5 s, requests = ceil(N / 10); ratio = wall / bound; 1032 counted at '
          'the sandbox; peak = most cancel arrivals in any 1 s; all times ms unless marked')
    print()
    targets: list[tuple[str, bool | None, str]] = []
    quiet = [CancelRun(**r) for r in results.get('quiet', [])]
    if quiet:
        _print_runs("1. Quiet path (fresh sandbox on loopback; route passed in params; 'auto' asks "
                    'GET /v5/account/asset_mode first, counted in +oth; v5: bound = (requests - 1) x 3 s / 72)', quiet)
        for r in quiet:
            if r.family == 'v5':
                print(f"   v5 {r.flavour} N={r.n}: what HTX's 72-per-3-s window itself allows: "
                      f"{r.extra['v5_window_bound_s']:.1f} s; wall {r.wall_s:.3f} s")
        print()
        targets += _quiet_targets(quiet)
    jitter = [CancelRun(**r) for r in results.get('jitter', [])]
    if jitter:
        summary = results['jitter_summary']
        print(f'2. Jitter: one-way latency uniform{JITTER_MS} ms before the sandbox counts; '
              f'{summary[next(iter(summary))]["runs"]} runs per class, no idle')
        head = (f"{'class':<6} {'N':>5} {'runs':>4} {'ratio mean':>10} {'min':>6} {'max':>6} {'1032':>5} "
                f"{'/1000 ids':>9} {'not canc.':>9} {'peak':>4} {'gap min':>7} {'slack/5':>7} {'lead':>6} "
                f"{'tail':>5}")
        print(head)
        print('-' * len(head))
        for flavour, s in summary.items():
            print(f"{flavour:<6} {s['n']:>5} {s['runs']:>4} {s['ratio_mean']:>10.3f} {s['ratio_min']:>6.3f} "
                  f"{s['ratio_max']:>6.3f} {s['refused_1032']:>5} {s['refused_per_1000_ids']:>9.2f} "
                  f"{s['not_canceled']:>9} {s['peak_per_1s_max']:>4} {s['gap_min_ms']:>7.1f} "
                  f"{s['window_slack_ms_mean']:>7.1f} {s['lead_ms_mean']:>6.1f} {s['tail_ms_mean']:>5.1f}")
        print('   slack/5 = mean of arrival[k] - arrival[k-5] - 1000 ms (0 = arrivals exactly at the window edge)')
        print('   per run, ratio / 1032 refusals (@ which requests of the call, from 0):')
        for flavour in summary:
            print(f'   {flavour:<5} ' + ' '.join(
                f'{r.ratio:.3f}/{r.refused_1032}' + (f"@{','.join(map(str, r.refused_at))}" if r.refused_at else '')
                for r in jitter if r.flavour == flavour))
        for flavour, s in summary.items():
            print(f"   {flavour:<5} {s['runs_with_refusal']} of {s['runs']} runs had a refusal; the others' mean ratio "
                  f"{_fmt(s['ratio_mean_without_refusal'], '.3f')}")
        print()
        for flavour, s in summary.items():
            targets.append((f'jitter {flavour}: 0 ids None or refused', s['not_canceled'] == 0 and s['errors'] == 0,
                            f"{s['not_canceled']} ids not canceled, {s['errors']} calls raised"))
            targets.append((f'jitter {flavour}: <= {TARGET_JITTER_REFUSALS_PER_1000:g} refusal per 1,000 ids (mean)',
                            s['refused_per_1000_ids'] <= TARGET_JITTER_REFUSALS_PER_1000,
                            f"{s['refused_per_1000_ids']:.2f} per 1,000 ids ({s['refused_1032']} in {s['runs']} runs)"))
            targets.append((f'jitter {flavour}: wall/bound <= {TARGET_JITTER_RATIO} (mean; max shown)',
                            s['ratio_mean'] <= TARGET_JITTER_RATIO,
                            f"mean {s['ratio_mean']:.3f}, min {s['ratio_min']:.3f}, max {s['ratio_max']:.3f}"))
    rtt = [CancelRun(**r) for r in results.get('rtt', [])]
    if rtt:
        _print_runs('3. RTT sweep: fixed one-way latency (x, x) ms, no idle. The sync class sends one request '
                    'at a time: it is round-trip bound once a round trip exceeds 200 ms', rtt, show_latency=True)
        for r in rtt:
            per_request = r.wall_s / r.requests * 1000 if r.requests else float('nan')
            print(f'   {r.flavour:<5} one-way {r.latency_ms[0] if r.latency_ms else 0:>5g} ms: '
                  f'{per_request:6.1f} ms per request, gap median {_fmt(r.gap_median_ms, ".1f")} ms -> '
                  f"limited by {r.extra['limited_by']}")
        print()
    overhead = results.get('overhead')
    if overhead:
        print("4. Overhead per 10-id cancel over ccxt (transport stubbed, rate limiter off, route 'v1'; us per call)")
        head = (f"{'handle_errors':<14} {'plugin best':>11} {'ccxt best':>10} {'ratio':>6}  "
                f"{'plugin med':>10} {'ccxt med':>9} {'ratio':>6}")
        print(head)
        print('-' * len(head))
        for v in overhead['variants']:
            label = 'in both' if v['handle_errors_included'] else 'bypassed'
            print(f"{label:<14} {v['plugin_best_us']:>11.1f} {v['ccxt_best_us']:>10.1f} {v['ratio_best']:>6.3f}  "
                  f"{v['plugin_median_us']:>10.1f} {v['ccxt_median_us']:>9.1f} {v['ratio_median']:>6.3f}")
        print(f"   same request on both paths: {overhead['check']['endpoint']} {overhead['check']['body']}")
        print()
        for v in overhead['variants']:
            label = 'handle_errors in both' if v['handle_errors_included'] else 'handle_errors bypassed'
            targets.append((f'overhead <= {TARGET_OVERHEAD} ({label}, best of {v["repeat"]})',
                            v['ratio_best'] <= TARGET_OVERHEAD,
                            f"{v['ratio_best']:.3f} best, {v['ratio_median']:.3f} median"))
    imports = results.get('import')
    if imports:
        print('5. Import cost, fresh processes (ms)')
        head = (f"{'bytecode':<8} {'n':>3} {'measure':<17} {'ccxt med':>9} {'plugin med':>10} {'ratio':>6}  "
                f"{'ccxt min':>9} {'plugin min':>10} {'ratio':>6} {'extra modules':>13}")
        print(head)
        print('-' * len(head))
        for variant, label in ((imports, 'cached'), (imports.get('environment_as_is'), 'as is')):
            if variant is None:
                continue
            extra = variant['importtime']
            for measure in ('import_statement', 'whole_process'):
                m = variant[measure]
                print(f"{label:<8} {variant['repeat']:>3} {measure:<17} {m['ccxt']['median_ms']:>9.1f} "
                      f"{m['ccxt_htx_tpsl']['median_ms']:>10.1f} {m['ratio_median']:>6.3f}  "
                      f"{m['ccxt']['min_ms']:>9.1f} {m['ccxt_htx_tpsl']['min_ms']:>10.1f} {m['ratio_min']:>6.3f} "
                      f"{len(extra['extra_modules_self_us']):>3}, {extra['extra_self_us_total'] / 1000:5.1f} ms")
        print("   cached: both modules' bytecode cached (the target); as is: this environment's "
              'PYTHONDONTWRITEBYTECODE, the plugin compiled from source at every import')
        print("   extra modules: what -X importtime lists beyond ccxt's, and their self time")
        print()
        m = imports['import_statement']
        targets.append((f'import <= {TARGET_IMPORT} (import statement, median)', m['ratio_median'] <= TARGET_IMPORT,
                        f"{m['ratio_median']:.3f} median, {m['ratio_min']:.3f} min"))
    print('Targets' + (' (quick run: smaller N and fewer runs, indicative only)' if results['mode'] == 'quick' else ''))
    for name, met, figures in targets:
        word = 'n/a    ' if met is None else 'MET    ' if met else 'NOT MET'
        print(f'{word}  {name}: {figures}')
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--quick', action='store_true', help='short run: smaller N, fewer runs and repetitions')
    parser.add_argument('--out', type=Path, default=None, help='also write every figure as JSON to this file '
                        '(default: none; a file git tracks is refused)')
    parser.add_argument('--only', action='append', choices=PARTS, help='run only this part (repeatable)')
    args = parser.parse_args(argv)
    if args.out is not None:
        refuse_tracked(parser, args.out)
    settings = QUICK if args.quick else FULL
    parts = [p for p in PARTS if not args.only or p in args.only]

    info = machine_info()
    results: dict[str, Any] = {'mode': 'quick' if args.quick else 'full', 'settings': asdict(settings)}
    runtimes: dict[str, float] = {}
    started = time.monotonic()
    for part in parts:
        progress(f'part {part} ...')
        begun = time.monotonic()
        if part == 'quiet':
            results['quiet'] = [asdict(r) for r in part_quiet(settings)]
        elif part == 'jitter':
            runs = part_jitter(settings)
            results['jitter'] = [asdict(r) for r in runs]
            results['jitter_summary'] = jitter_summary(runs)
        elif part == 'rtt':
            results['rtt'] = [asdict(r) for r in part_rtt(settings)]
        elif part == 'overhead':
            gc.collect()
            results['overhead'] = part_overhead(settings)
        else:
            results['import'] = part_import(settings)
        runtimes[part] = round(time.monotonic() - begun, 1)
        progress(f'part {part}: {runtimes[part]} s (load average {_loadavg()})')
    info['runtime_s'] = round(time.monotonic() - started, 1)
    info['part_runtime_s'] = runtimes
    info['loadavg_end'] = _loadavg()
    info['package_sha256_end'] = package_fingerprint()
    targets = print_report(info, results)
    print(f"\nmeasured run time: {info['runtime_s']} s (" +
          ', '.join(f'{part} {seconds} s' for part, seconds in runtimes.items()) + ')')
    if args.out is not None:
        results['machine'] = info
        results['targets'] = [{'target': name, 'met': met, 'figures': figures} for name, met, figures in targets]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2) + '\n')
        progress(f'written to {args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
