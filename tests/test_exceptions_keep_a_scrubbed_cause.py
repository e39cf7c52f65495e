"""Exceptions keep their cause chain as plain ccxt's do (``__cause__``: the refused connection, the DNS
failure, the reset), scrubbed: no key, secret or signature in any link's text or attributes, in any
spelling. Sync and async, against a sandbox on 127.0.0.1 that is stopped before the call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ccxt
import pytest

from ccxt_htx_tpsl._secrets import spellings
from ccxt_htx_tpsl.sandbox import DEMO_API_KEY, DEMO_SECRET, Sandbox

from .conftest import Run, ids

SYMBOL = 'BTC/USDT:USDT'


def chain(error: BaseException) -> list[BaseException]:
    links, link = [], error
    while link is not None and link not in links:
        links.append(link)
        link = link.__cause__ if link.__cause__ is not None else link.__context__
    return links


def assert_no_secret_in_the_chain(error: BaseException, secrets: Iterable[str]) -> None:
    """No secret spelling in any link's str, repr, args or attributes (one level deep)."""
    forms = {form for secret in secrets if secret for form in spellings(secret)}
    for link in chain(error):
        texts = [str(link), repr(link), *map(repr, link.args)]
        texts += [repr(value) + ' ' + str(getattr(value, 'url', '')) for value in vars(link).values()]
        for text in texts:
            assert not any(form in text for form in forms), (type(link).__name__, text[:200])


@pytest.mark.parametrize('call', ['cancel', 'create', 'list'])
def test_a_refused_connection_is_the_cause_and_carries_no_secret(make_exchange: Any, run: Run,
                                                                 call: str) -> None:
    with Sandbox(account_mode='classic') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        run(exchange.load_markets())
    # the sandbox is gone: connecting is refused
    method = {'cancel': lambda: exchange.cancel_isolated_tpsl_orders(ids(1, 2), SYMBOL, {'route': 'v1'}),
              'create': lambda: exchange.create_isolated_tpsl_orders(SYMBOL, 'sell', 1, 70000, None, {'route': 'v1'}),
              'list': lambda: exchange.fetch_open_isolated_tpsl_orders(SYMBOL, None, None, {'route': 'v1'})}[call]
    with pytest.raises(ccxt.NetworkError) as raised:
        run(method())
    links = chain(raised.value)
    assert len(links) >= 2  # the cause is kept, as in plain ccxt
    causes = ' '.join(f'{type(link).__name__}: {link}' for link in links[1:])
    assert 'refused' in causes.lower() or 'connect' in causes.lower(), causes
    assert_no_secret_in_the_chain(raised.value, (DEMO_API_KEY, DEMO_SECRET))


def test_ccxts_own_methods_on_a_tpsl_endpoint_raise_no_credential(make_exchange: Any, run: Run) -> None:
    with Sandbox(account_mode='unified') as sandbox:
        exchange = make_exchange(sandbox.hostname)
        exchange.options['tpslUnified'] = False  # ccxt's own create_order, not the package's answer to it
        run(exchange.load_markets())
        sandbox.inject('order', drop=True)  # ccxt's create_order with a stop-loss goes to v5/algo/order
        raised: BaseException | None = None
        try:
            run(exchange.create_order(SYMBOL, 'market', 'sell', 1, None, {'stopLossPrice': 50000,
                                                                         'marginMode': 'isolated'}))
        except ccxt.BaseError as error:
            raised = error
        if not any(r.endpoint == 'order' for r in sandbox.requests):
            pytest.skip(f"ccxt {ccxt.__version__}'s create_order does not send a stop-loss to v5/algo/order")
    assert isinstance(raised, ccxt.NetworkError) and 'AccessKeyId=***' in str(raised)
    assert_no_secret_in_the_chain(raised, (DEMO_API_KEY, DEMO_SECRET))
