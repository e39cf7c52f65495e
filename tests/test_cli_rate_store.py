"""``--rate-store`` on the command line: the doctor shows the store in use and whether it answers, and
the commands pace through it (each test runs the command in a subprocess; nothing leaves 127.0.0.1)."""

from __future__ import annotations

import json
import pathlib
import sqlite3

from ccxt_htx_tpsl.sandbox import Sandbox

from .test_cli import finish, start

UNREACHABLE = 'redis://127.0.0.1:1/0'  # nothing listens on port 1


def test_doctor_shows_the_store_and_that_it_answers(tmp_path: pathlib.Path) -> None:
    store = tmp_path / 'budget.db'
    done = finish(start('doctor', '--sandbox', '--rate-store', f'sqlite:///{store}', '--json'))
    report = json.loads(done.out)
    assert report['rate_store']['store'] == f'sqlite://{store}' and report['rate_store']['ok'] is True
    assert report['healthy'] is True and done.returncode == 0
    done = finish(start('doctor', '--sandbox'))
    assert 'rate store    in-process: answers' in done.out  # without the option: each process paces alone


def test_doctor_reports_a_store_that_does_not_answer_as_a_problem() -> None:
    done = finish(start('doctor', '--sandbox', '--rate-store', UNREACHABLE))
    assert f'rate store    {UNREACHABLE}: DOES NOT ANSWER' in done.out
    assert f'problem: the rate store {UNREACHABLE} does not answer' in done.out
    assert done.returncode == 1


def test_cancel_paces_through_the_store_it_is_given(tmp_path: pathlib.Path) -> None:
    store = tmp_path / 'budget.db'
    with Sandbox(account_mode='classic') as sandbox:
        seeded = sandbox.add_tpsl_orders('BTC-USDT', count=3)
        done = finish(start('cancel', 'BTC-USDT', *seeded, '--url', sandbox.url, '--rate-store', f'sqlite:///{store}'))
    assert done.returncode == 0, done
    with sqlite3.connect(store) as db:  # the request was recorded in the shared windows
        tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables and sum(db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables) > 0
