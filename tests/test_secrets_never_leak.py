"""Credentials never reach the caller in any spelling: quoted signatures, accepted replies, log records of keys
set after construction, verbose output; sync and async, hostile server."""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import logging
from typing import Any
from urllib.parse import quote

import pytest

from .conftest import Make, Run, ids
from .hostile import (
    API_KEY,
    CANCEL,
    CREATE,
    OPEN_ORDERS,
    SECRET,
    V5_CANCEL,
    V5_CREATE,
    HostileServer,
    Record,
    classic_error,
    classic_ok,
    open_order,
    open_orders_page,
    reply,
    signatures,
    v5_ok,
)
from .test_hostile import assert_no_secret, failure

SYMBOL = 'BTC/USDT:USDT'


def _quoting(form: str) -> Any:
    """A refusal whose message quotes the request's signature, decoded, in ``form``."""
    def build(record: Record) -> Any:
        signature = record.params['Signature']
        text = {
            'json field': json.dumps({'Signature': signature}),
            'bare': f'bad signature {signature}',
            'colon': f'Signature: {signature}',
            'html entities': ''.join(c if c.isalnum() else f'&#x{ord(c):X};' for c in signature),
            'form decoded': f'sig {signature.replace("+", " ")}',
            'base64 of the url': base64.b64encode(record.url.encode()).decode(),
            'upper-case key': record.params['AccessKeyId'].upper(),
        }[form]
        return classic_error(1004, text)
    return build


FORMS = ['json field', 'bare', 'colon', 'html entities', 'form decoded', 'base64 of the url', 'upper-case key']


def _base64_windows(secret: str) -> set[str]:
    """What base64 of a longer text holding ``secret`` always contains, at each alignment."""
    raw = secret.encode()
    return {base64.b64encode(bytes(o) + raw).decode()[(8 * o + 5) // 6:8 * (o + len(raw)) // 6] for o in range(3)}


def _leaks(texts: list[str], server: HostileServer) -> list[str]:
    secrets = {API_KEY, API_KEY.upper(), SECRET, *_base64_windows(API_KEY)}
    for signature in signatures(server.requests):
        secrets |= {signature, quote(signature, safe=''), signature.replace('+', ' ').split(' ')[-1],
                    ''.join(c if c.isalnum() else f'&#x{ord(c):X};' for c in signature)}
    return sorted({s for s in secrets for text in texts if len(s) >= 6 and s in text})


@pytest.mark.parametrize('form', FORMS)
def test_a_signature_quoted_without_its_label_is_scrubbed(server: HostileServer, make: Make, run: Run,
                                                             form: str) -> None:
    # Only 'Signature=<value>' was recognised: the decoded signature quoted alone (and the key
    # upper-cased, or inside base64 of the echoed URL) came back in the exception and in .orders.
    exchange = make(server)
    server.script(CANCEL, reply(_quoting(form)))
    error = failure(run, lambda: exchange.cancel_isolated_tpsl_orders(ids(3500, 2), SYMBOL, {'route': 'v1'}))
    texts = [str(error), repr(error.args), repr(getattr(error, 'orders', None)),
             repr(getattr(error, 'htx_reply', None))]
    assert _leaks(texts, server) == []
    assert_no_secret(texts, server, form)


def test_accepted_replies_are_scrubbed_too(server: HostileServer, make: Make, run: Run) -> None:
    # Only refused ids' infos were scrubbed: an accepted create, listing or cancel item that quoted
    # the URL or the signature was handed back as it came, and kept in last_http_response.
    def quoting(record: Record) -> str:
        return f"{record.url} sig {record.params['Signature']}"

    exchange = make(server)
    server.script(CREATE, reply(lambda r: classic_ok({'tp_order': {'order_id': 0, 'order_id_str': ids(3600, 1)[0],
                                                                   'note': quoting(r)}, 'sl_order': None})))
    created = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, None, {'route': 'v1'}))
    server.script(OPEN_ORDERS, reply(lambda r: open_orders_page([dict(open_order(ids(3601, 1)[0]),
                                                                      order_source=quoting(r))], 1, 1)))
    listed = run(exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, {'route': 'v1'}))
    server.script(V5_CANCEL, reply(lambda r: v5_ok([{'code': 200, 'message': quoting(r), 'algo_id': i,
                                                       'algo_client_order_id': None} for i in r.order_ids()])))
    cancelled = run(exchange.cancel_isolated_tpsl_orders(ids(3602, 1), SYMBOL, {'route': 'v5'}))
    server.script(V5_CREATE, reply(lambda r: v5_ok([{'algo_id': ids(3603, 1)[0], 'algo_client_order_id': None,
                                                      'note': quoting(r)}])))
    created_v5 = run(exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 100000, None, {'route': 'v5'}))
    texts = [json.dumps(x, default=str) for x in (created, listed, cancelled, created_v5)]
    texts.append(str(exchange.last_http_response))
    assert _leaks(texts, server) == []
    assert [o['status'] for o in cancelled] == ['canceled']
    assert all('***' in t for t in texts)  # the quotes were there, redacted


def test_keys_set_after_construction_are_kept_out_of_log_records(
        server: HostileServer, make: Make, run: Run, caplog: pytest.LogCaptureFixture) -> None:
    # The log filter learnt the credentials at construction only: keys set afterwards (common in ccxt
    # code) appeared in ccxt's DEBUG lines wherever they were not in a URL's AccessKeyId.
    caplog.set_level(logging.DEBUG)
    exchange = make(server, apiKey='', secret='')
    exchange.apiKey, exchange.secret = API_KEY.replace('hostile', 'latekey'), SECRET.replace('hostile', 'latesec')
    key = exchange.apiKey
    server.script(CANCEL, reply(classic_error(1004, f'Incorrect Access key [{key}]')))
    failure(run, lambda: exchange.cancel_isolated_tpsl_orders(ids(3700, 1), SYMBOL, {'route': 'v1'}))
    lines = [r.getMessage() for r in caplog.records if r.threadName != 'hostile-htx']
    assert lines and not [line for line in lines if key in line or exchange.secret in line]


def test_verbose_output_is_scrubbed(server: HostileServer, make: Make, run: Run) -> None:
    # verbose=True printed every signed request (key and signature) and each reply to stdout.
    exchange = make(server, verbose=True)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run(exchange.cancel_isolated_tpsl_orders(ids(3800, 2), SYMBOL, {'route': 'v1'}))
    printed = out.getvalue()
    assert 'swap_tpsl_cancel' in printed  # verbose still shows the requests
    assert _leaks([printed], server) == []
    assert html.escape(API_KEY) not in printed


def test_the_cheap_check_before_scrubbing_a_reply_never_misses_a_spelling() -> None:
    # Building every spelling of a request's signature for every reply cost a 10-id cancel 40 % over
    # ccxt's own path; may_hold() skips it when the body surely holds none. It must never say "no"
    # for a text holding one of spellings() (or base64 of a longer text holding the signature).
    import random
    import string

    from ccxt_htx_tpsl._secrets import may_hold, spellings

    rng = random.Random(5)
    alphabet = string.ascii_letters + string.digits + '+/='
    for _ in range(300):
        signature = ''.join(rng.choice(alphabet) for _ in range(44))
        for spelling in spellings(signature):
            assert may_hold(f'{{"err_msg": "x{spelling}y"}}', signature), (signature, spelling)
        echoed = base64.b64encode(('?' * rng.randint(0, 2) + f'Signature={signature}&x').encode()).decode()
        assert may_hold(echoed, signature)
        assert not may_hold('{"status": "ok", "data": {"errors": [], "successes": "1200000000000000001"}}',
                            signature)
