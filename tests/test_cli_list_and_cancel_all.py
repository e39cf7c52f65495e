"""``htx-tpsl list`` shows the open TP/SL orders of a contract, and with ``--history`` what became of
the finished ones (fired: closed, with the order it placed; cancelled: canceled); ``htx-tpsl
cancel-all`` cancels every open one (or one side) and reports each id, as ``cancel`` does. Both on
a unified (v5) and a classic (v1) account.

The commands run as they are run (``python -m ccxt_htx_tpsl`` in a subprocess, helpers from
``test_cli``) against sandboxes on 127.0.0.1. Runs that do not depend on each other start together:
the first phase lists, cancels and moves prices (``htx-tpsl mark-price``), the second lists the
history that left. Command lines refused before anything is sent run in this process (``cli.main``).
"""

from __future__ import annotations

import json
import re
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ccxt_htx_tpsl import cli
from ccxt_htx_tpsl.sandbox import Sandbox

from .test_cli import KEY, SECRET, Done, assert_no_credentials, finish, run_all, start

BTC, ETH, TRX = 'BTC/USDT:USDT', 'ETH-USDT', 'TRX-USDT'
ROUTE = {'unified': 'route: v5 (auto)', 'classic': 'route: v1 (auto)'}
PLACED_FROM = {'unified': '16000000000000000', 'classic': '11000000000000000'}  # the sandbox's placed order ids


def rows_of(done: Done) -> list[dict[str, str]]:
    """The table on stdout, a dict per row, cut at the columns the header starts."""
    header, *lines = done.out.splitlines()
    starts = [match.start() for match in re.finditer(r'\S+', header)]
    ends = [*starts[1:], None]
    return [{name: line[a:b].strip() for name, a, b in zip(header.split(), starts, ends, strict=True)}
            for line in lines]


@dataclass
class Seeded:
    """One account mode's sandbox and the ids seeded in it."""

    sandbox: Sandbox
    take_profits: list[str]  # BTC, sell: closing a long
    stop_loss: str  # BTC, buy: closing a short
    cross: str  # BTC, cross margin
    fires: str  # ETH, sell TP at 3300: fired by mark-price 3300
    stays: str  # ETH, sell TP at 4000: still open after it
    cancelled: str  # ETH, buy TP: cancelled by cancel-all --side buy


def seed(mode: str) -> Seeded:
    sandbox = Sandbox(account_mode=mode, rate_limit=100).start()  # concurrent runs: room in the classic window
    if mode == 'classic':
        take_profits = sandbox.add_tpsl_orders('BTC-USDT', count=2, trigger_price=99_000)
        [stop_loss] = sandbox.add_tpsl_orders('BTC-USDT', direction='buy', tpsl_order_type='sl', trigger_price=99_500)
        [cross] = sandbox.add_tpsl_orders('BTC-USDT', margin_mode='cross', trigger_price=98_000)
        [fires] = sandbox.add_tpsl_orders(ETH, trigger_price=3_300)
        [stays] = sandbox.add_tpsl_orders(ETH, trigger_price=4_000)
        [cancelled] = sandbox.add_tpsl_orders(ETH, direction='buy', trigger_price=2_500)
        sandbox.add_tpsl_orders(TRX, trigger_price=0.33)  # fired with --fail: HTX could not place its order
    else:
        take_profits = sandbox.add_algo_orders('BTC-USDT', 2, tp_trigger_price=99_000)
        [stop_loss] = sandbox.add_algo_orders('BTC-USDT', 1, type='sl', side='buy', position_side='short',
                                              sl_trigger_price=99_500)
        [cross] = sandbox.add_algo_orders('BTC-USDT', 1, margin_mode='cross', tp_trigger_price=98_000)
        [fires] = sandbox.add_algo_orders(ETH, 1, tp_trigger_price=3_300)
        [stays] = sandbox.add_algo_orders(ETH, 1, tp_trigger_price=4_000)
        [cancelled] = sandbox.add_algo_orders(ETH, 1, side='buy', position_side='short', tp_trigger_price=2_500)
    return Seeded(sandbox, take_profits, stop_loss, cross, fires, stays, cancelled)


@dataclass
class Runs:
    done: dict[str, Done]
    seeded: dict[str, Seeded]
    partial: list[str]  # the 12 orders of the v5 cancel-all whose second batch HTX refused


@pytest.fixture(scope='module')
def runs() -> Iterator[Runs]:
    seeded = {mode: seed(mode) for mode in ('unified', 'classic')}
    unified, classic = seeded['unified'].sandbox.url, seeded['classic'].sandbox.url
    with Sandbox() as partly, Sandbox(account_mode='classic') as busy, socket.socket() as closed:
        partial = partly.add_algo_orders('BTC-USDT', 12)
        partly.inject('cancel_orders', err_code=1004, after=1, times=10)  # the second batch of 10: refused
        busy.add_tpsl_orders('BTC-USDT', count=2)
        busy.inject('swap_tpsl_cancelall', err_code=1004, times=10)
        busy.inject('swap_tpsl_openorders', err_code=1004, times=10)
        closed.bind(('127.0.0.1', 0))  # bound, not listening: connections are refused
        nothing = f'http://127.0.0.1:{closed.getsockname()[1]}'
        first = ('list unified', 'list classic', 'cross', 'fire unified', 'fire classic', 'fire failing',
                 'cancel buys unified', 'cancel buys classic', 'nothing unified', 'nothing classic', 'partial',
                 'refused', 'busy', 'unreachable', 'v1 on unified', 'bad key list', 'bad key cancel-all')
        done = dict(zip(first, run_all(
            ('list', BTC, '--url', unified),
            ('list', 'BTC-USDT', '--url', classic, '--json'),
            ('list', BTC, '--cross', '--url', classic, '--json'),
            ('mark-price', '--url', unified, ETH, '3300'),
            ('mark-price', '--url', classic, 'ETH/USDT:USDT', '3300.5', '--json'),
            ('mark-price', '--url', classic, TRX, '0.35', '--fail'),
            ('cancel-all', ETH, '--side', 'buy', '--url', unified),
            ('cancel-all', ETH, '--side', 'buy', '--url', classic, '--json'),
            ('cancel-all', 'XRP-USDT', '--cross', '--url', unified),
            ('cancel-all', 'XRP-USDT', '--cross', '--url', classic, '--json'),
            ('cancel-all', BTC, '--url', partly.url),
            ('cancel-all', BTC, '--url', busy.url, '--json'),
            ('list', BTC, '--url', busy.url),
            ('list', BTC, '--url', nothing, '--json'),
            ('list', BTC, '--url', unified, '--route', 'v1'),
            ('list', BTC, '--url', classic, '--api-key', KEY, '--secret', SECRET),
            ('cancel-all', BTC, '--url', unified, '--api-key', KEY, '--secret', SECRET, '--json'),
        ), strict=True))
        second = ('history unified', 'history classic', 'closed unified', 'failed classic', 'history later')
        done.update(zip(second, run_all(
            ('list', ETH, '--history', '--url', unified),
            ('list', ETH, '--history', '--url', classic, '--json'),
            ('list', ETH, '--history', '--status', 'closed', '--url', unified, '--json'),
            ('list', TRX, '--history', '--limit', '1', '--url', classic),
            ('list', ETH, '--history', '--url', unified, '--since', str(int(time.time() * 1000) + 3_600_000)),
        ), strict=True))
        yield Runs(done, seeded, partial)
    for one in seeded.values():
        one.sandbox.stop()


# -- list ------------------------------------------------------------------------------------


@pytest.mark.parametrize('mode', ['unified', 'classic'])
def test_list_shows_every_open_order_with_its_kind_side_trigger_and_amount(runs: Runs, mode: str) -> None:
    seeded = runs.seeded[mode]
    done = runs.done[f'list {mode}']
    assert done.returncode == 0 and ROUTE[mode] in done.err
    if mode == 'unified':
        rows = [{k: row[k] for k in ('id', 'status', 'kind', 'side', 'trigger', 'amount')} for row in rows_of(done)]
    else:  # --json: the same, with numbers as numbers
        rows = [{'id': row['id'], 'status': row['status'], 'kind': row['kind'], 'side': row['side'],
                 'trigger': f"{row['trigger_price']:g}", 'amount': f"{row['amount']:g}"}
                for row in json.loads(done.out)]
    assert rows == [
        *({'id': i, 'status': 'open', 'kind': 'tp', 'side': 'sell', 'trigger': '99000', 'amount': '1'}
          for i in seeded.take_profits),
        {'id': seeded.stop_loss, 'status': 'open', 'kind': 'sl', 'side': 'buy', 'trigger': '99500', 'amount': '1'},
    ]  # oldest first; the cross-margin order is not among them
    assert done.summary() == ['summary: 3 open']
    assert done.err.splitlines()[0].startswith(f'listing the open isolated TP/SL orders of {done_symbol(mode)} on '
                                               'http://127.0.0.1:')


def done_symbol(mode: str) -> str:
    return BTC if mode == 'unified' else 'BTC-USDT'


def test_list_json_has_one_object_per_order_with_the_history_fields_empty(runs: Runs) -> None:
    [order, *_] = json.loads(runs.done['list classic'].out)
    assert set(order) == {'id', 'symbol', 'status', 'kind', 'side', 'type', 'trigger_price', 'take_profit_price',
                          'stop_loss_price', 'price', 'amount', 'timestamp', 'datetime', 'placed', 'code', 'message'}
    assert (order['symbol'], order['type'], order['take_profit_price'], order['stop_loss_price']) == (
        BTC, 'market', 99_000, None)
    assert (order['placed'], order['code'], order['message']) == (None, None, None)
    assert isinstance(order['timestamp'], int) and order['datetime'].endswith('Z')


def test_list_cross_lists_the_cross_margin_orders(runs: Runs) -> None:
    done = runs.done['cross']
    assert done.returncode == 0 and 'listing the open cross TP/SL orders' in done.err
    assert [row['id'] for row in json.loads(done.out)] == [runs.seeded['classic'].cross]


def test_an_empty_listing_exits_0_and_says_so(runs: Runs) -> None:
    later = runs.done['history later']  # --since an hour ahead
    assert later.returncode == 0 and later.out == ''
    assert later.summary() == ['summary: no finished (closed and canceled) isolated TP/SL orders of ETH-USDT']


# -- history, after mark-price fired an order and cancel-all cancelled one -----------------------


@pytest.mark.parametrize('mode', ['unified', 'classic'])
def test_history_shows_the_fired_order_closed_with_its_placed_order_and_the_cancelled_one(runs: Runs,
                                                                                         mode: str) -> None:
    seeded = runs.seeded[mode]
    fired, cancelled = runs.done[f'fire {mode}'], runs.done[f'cancel buys {mode}']
    assert fired.returncode == 0 and cancelled.returncode == 0
    if mode == 'unified':  # mark-price prints the ids that fired, one a line; with --json the sandbox's answer
        assert fired.out.splitlines() == [seeded.fires]
    else:
        assert json.loads(fired.out) == {'contract': ETH, 'price': '3300.5', 'fired': [seeded.fires]}
    done = runs.done[f'history {mode}']
    assert done.returncode == 0 and ROUTE[mode] in done.err
    if mode == 'unified':
        rows = {row['id']: (row['status'], row['placed']) for row in rows_of(done)}
    else:
        rows = {row['id']: (row['status'], row['placed']) for row in json.loads(done.out)}
    assert set(rows) == {seeded.fires, seeded.cancelled}  # the one still open is not history
    assert rows[seeded.cancelled] == ('canceled', '' if mode == 'unified' else None)
    status, placed = rows[seeded.fires]
    assert status == 'closed' and placed is not None and placed.startswith(PLACED_FROM[mode])
    assert sorted(done.summary()) == ['summary: 1 canceled', 'summary: 1 closed']


def test_history_status_closed_lists_only_the_fired_orders(runs: Runs) -> None:
    done = runs.done['closed unified']
    [row] = json.loads(done.out)
    assert done.returncode == 0 and (row['id'], row['status']) == (runs.seeded['unified'].fires, 'closed')
    assert 'listing the finished (closed) isolated TP/SL orders of ETH-USDT' in done.err


def test_history_shows_htxs_fail_code_for_an_order_that_fired_but_could_not_be_placed(runs: Runs) -> None:
    fired = runs.done['fire failing']
    assert fired.returncode == 0 and 'and failed to place their orders (--fail)' in fired.err
    done = runs.done['failed classic']
    [row] = rows_of(done)
    assert (row['id'], row['status'], row['placed'], row['code']) == (fired.out.strip(), 'canceled', '', '1048')
    assert row['message'] == 'Insufficient close amount available.'
    assert done.summary() == ['summary: 1 canceled (1048: Insufficient close amount available.)']


# -- cancel-all ------------------------------------------------------------------------------


@pytest.mark.parametrize('mode', ['unified', 'classic'])
def test_cancel_all_of_one_side_cancels_those_and_reports_every_id(runs: Runs, mode: str) -> None:
    seeded = runs.seeded[mode]
    done = runs.done[f'cancel buys {mode}']
    assert done.returncode == 0 and ROUTE[mode] in done.err
    if mode == 'unified':
        assert done.table() == [[seeded.cancelled, 'canceled']]
    else:
        assert [(row['id'], row['status'], row['code']) for row in json.loads(done.out)] == [
            (seeded.cancelled, 'canceled', None)]
    assert done.summary() == ['summary: 1 canceled']
    assert f'cancelling every open isolated buy TP/SL order of {ETH} on http://127.0.0.1:' in done.err


@pytest.mark.parametrize('mode', ['unified', 'classic'])
def test_cancel_all_with_nothing_to_cancel_exits_0_saying_htx_said_so(runs: Runs, mode: str) -> None:
    done = runs.done[f'nothing {mode}']
    assert done.returncode == 0
    assert done.out == ('' if mode == 'unified' else '[]\n')
    assert done.summary() == [
        'summary: nothing to cancel: HTX said there were no open cross TP/SL orders of XRP-USDT.']


def test_cancel_all_exits_1_with_every_row_when_htx_refused_part_of_it(runs: Runs) -> None:
    done = runs.done['partial']
    assert done.returncode == 1
    rows = {row[0]: row[1:] for row in done.table()}
    assert set(rows) == set(runs.partial)
    assert sorted(map(tuple, rows.values())) == [('canceled',)] * 10 + [('unconfirmed', '1004')] * 2
    assert done.summary() == ['summary: 10 canceled',
                              'summary: 2 unconfirmed (1004: System busy. Please try again later.)']
    assert done.errors() == ['error: ExchangeNotAvailable: HTX 1004: System busy. Please try again later. '
                             '(see docs/troubleshooting.md#1004)']


def test_cancel_all_refused_as_a_whole_exits_2_and_json_says_why(runs: Runs) -> None:
    done = runs.done['refused']
    assert done.returncode == 2
    error = json.loads(done.out)['error']
    assert {k: error[k] for k in ('type', 'code', 'exit_status', 'see')} == {
        'type': 'ExchangeNotAvailable', 'code': '1004', 'exit_status': 2, 'see': 'docs/troubleshooting.md#1004'}


# -- what cannot be listed -------------------------------------------------------------------


def test_list_exits_1_when_htx_cannot_answer_and_2_when_the_command_cannot_work(runs: Runs) -> None:
    busy, unreachable = runs.done['busy'], runs.done['unreachable']
    assert busy.returncode == 1 and busy.out == ''
    assert busy.errors() == ['error: ExchangeNotAvailable: HTX 1004: System busy. Please try again later. '
                             '(see docs/troubleshooting.md#1004)']
    assert unreachable.returncode == 1
    error = json.loads(unreachable.out)['error']
    assert (error['type'], error['exit_status'], error['see']) == (
        'NetworkError', 1, 'docs/troubleshooting.md#networkerror')
    assert error['cause'].startswith('connection refused')

    wrong = runs.done['v1 on unified']
    assert wrong.returncode == 2 and wrong.errors() == [
        'error: NotSupported: HTX refused the v1 API for this account (6023: The new feature is temporarily '
        'unavailable.); it uses the v5 API: use --route v5 (or --route auto) (see docs/troubleshooting.md#6023)']


def test_refused_credentials_exit_2_and_are_never_printed(runs: Runs) -> None:
    listed, cancelled = runs.done['bad key list'], runs.done['bad key cancel-all']
    assert listed.returncode == 2 and listed.errors() == [
        'error: AuthenticationError: HTX 403: Incorrect Access key [Access key错误] '
        '(see docs/troubleshooting.md#403)']
    assert cancelled.returncode == 2 and json.loads(cancelled.out)['error']['code'] == '403'
    assert '(--url, your --api-key)' in listed.err
    assert_no_credentials(listed, cancelled)


# -- refused before anything is sent ------------------------------------------------------------


@pytest.mark.parametrize(('argv', 'error'), [
    (['list', BTC], 'error: no HTX credentials: set HTX_API_KEY and HTX_SECRET (or pass --api-key and --secret) to '
                    'list on HTX, or pass --sandbox (an embedded sandbox) or --url URL (a running sandbox) to list '
                    'there; nothing was sent (see docs/troubleshooting.md#no-credentials)'),
    (['cancel-all', BTC, '--side', 'sell'], 'error: no HTX credentials: set HTX_API_KEY and HTX_SECRET (or pass '
     '--api-key and --secret) to cancel on HTX, or pass --sandbox (an embedded sandbox) or --url URL (a running '
     'sandbox) to cancel there; nothing was sent (see docs/troubleshooting.md#no-credentials)'),
    (['list', BTC, '--sandbox', '--status', 'closed'], 'error: --status needs --history: an open TP/SL order has no '
     'other status; nothing was sent (see docs/troubleshooting.md#usage-errors)'),
    (['list', BTC, '--sandbox', '--since', 'yesterday'], 'htx-tpsl list: error: argument --since: must be a time in '
     'milliseconds since 1970, e.g. 1767225600000'),
    (['list', BTC, '--sandbox', '--limit', '0'], 'htx-tpsl list: error: argument --limit: must be a whole number, '
     '1-1000000'),
    (['cancel-all', BTC, '--sandbox', '--side', 'long'], "htx-tpsl cancel-all: error: argument --side: invalid "
     "choice: '***'"),
])
def test_what_cannot_be_done_exits_2_before_sending(argv: list[str], error: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv('HTX_API_KEY', raising=False)
    monkeypatch.delenv('HTX_SECRET', raising=False)
    assert cli.main(argv) == 2
    out, err = capsys.readouterr()
    assert out == '' and any(line.startswith(error) for line in err.splitlines()), err


# -- Ctrl-C ----------------------------------------------------------------------------------


def test_ctrl_c_exits_130_and_a_cancel_all_says_its_outcome_is_unknown() -> None:
    with Sandbox(account_mode='classic') as sandbox:
        sandbox.add_tpsl_orders('BTC-USDT', count=2)
        sandbox.inject('swap_tpsl_cancelall', delay=10)  # HTX cancels; its reply is held back
        sandbox.inject('swap_tpsl_openorders', delay=10)
        cancelling = start('cancel-all', BTC, '--url', sandbox.url)
        listing = start('list', BTC, '--url', sandbox.url, '--json')
        while {'swap_tpsl_cancelall', 'swap_tpsl_openorders'} - set(sandbox.request_totals()['endpoint']):
            assert cancelling.poll() is None and listing.poll() is None, (finish(cancelling), finish(listing))
            time.sleep(0.01)
        for process in (cancelling, listing):
            process.send_signal(signal.SIGINT)
        cancel_all, listed = finish(cancelling), finish(listing)
    assert cancel_all.returncode == 130 and cancel_all.out == ''
    assert cancel_all.err.splitlines()[-1] == (
        'interrupted while HTX was asked to cancel: the outcome is unknown; list the open TP/SL orders '
        '(htx-tpsl list) to see what is left.')
    assert listed.returncode == 130 and json.loads(listed.out)['error']['type'] == 'KeyboardInterrupt'


def test_cancel_all_whose_reply_was_lost_exits_1_never_nothing_could_be_done() -> None:
    # the request reached HTX (every order is cancelled) but no reply came, nor any to the lookups after
    # it: the outcome is unknown, which is exit 1 as for `cancel`, not 2 ("nothing could be done")
    import subprocess
    import sys
    with Sandbox(account_mode='classic') as sandbox:
        sandbox.add_tpsl_orders('BTC-USDT', count=3)
        sandbox.inject('swap_tpsl_cancelall', drop=True, times=5)
        sandbox.inject('swap_tpsl_hisorders', http_status=502, times=50)
        sandbox.inject('swap_tpsl_openorders', http_status=502, times=50)
        done = subprocess.run([sys.executable, '-m', 'ccxt_htx_tpsl', 'cancel-all', 'BTC-USDT', '--url', sandbox.url,
                               '--route', 'v1', '--timeout', '3000', '--json'], capture_output=True, text=True,
                              timeout=120)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert json.loads(done.stdout) == []  # no id HTX named: the rows it could report
    assert 'error: NetworkError' in done.stderr and 'asking HTX what it did failed too' in done.stderr
