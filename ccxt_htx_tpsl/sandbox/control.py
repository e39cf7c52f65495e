"""The sandbox's own control endpoint, for a sandbox that runs in another process: not an HTX endpoint.

``POST /sandbox/mark_price`` with a JSON object ``{"contract": "BTC-USDT", "price": "99000"}``
(``"fail": true`` optional) does what :meth:`Sandbox.set_mark_price` does in the sandbox's own
process, and answers HTTP 200 ``{"contract": "BTC-USDT", "price": "99000", "fired": [ids...]}``,
or HTTP 400 ``{"error": "..."}`` naming what was wrong (nothing changed). ``htx-tpsl mark-price``
is its client.

It is shaped so that nobody mistakes it for HTX: a path under ``/sandbox/``, which HTX does not
serve, and replies without HTX's envelope keys (``status``, ``err_code``, ``code``, ``ts``). It is
the harness talking, not a client of HTX: no signature, latency, fault, rate window or request
record applies to it. Any other method or path under ``/sandbox/`` answers the 404 every unknown
path gets. What this module may know: aiohttp, nothing of the sandbox's state (the runner hands
it the function that moves the price).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aiohttp import web

MARK_PRICE_PATH = '/sandbox/mark_price'
CONTROL_ROUTES = frozenset({('POST', MARK_PRICE_PATH)})
MAX_CONTROL_BODY_BYTES = 4096
MARK_PRICE_FIELDS = ('contract', 'price', 'fail')
logger = logging.getLogger('ccxt_htx_tpsl.sandbox')  # the sandbox's own log (server.py masks credentials in it)

MarkPrice = Callable[[str, str, bool], dict[str, Any]]
"""``(contract, price, fail)`` -> the reply; ``ValueError`` (its message is the answer) when refused."""


class ControlError(ValueError):
    """A control request the sandbox refuses: HTTP 400 with this message."""


def _reply(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(text=json.dumps(payload, ensure_ascii=False), status=status,
                        content_type='application/json')


def mark_price_request(raw: bytes) -> tuple[str, str, bool]:
    """``(contract, price, fail)`` from a ``POST /sandbox/mark_price`` body, else :class:`ControlError`."""
    if len(raw) > MAX_CONTROL_BODY_BYTES:
        raise ControlError(f'the body is over {MAX_CONTROL_BODY_BYTES} bytes')
    try:
        body = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ControlError('the body must be a JSON object, e.g. {"contract": "BTC-USDT", "price": "99000"}') from None
    if not isinstance(body, dict):
        raise ControlError('the body must be a JSON object, e.g. {"contract": "BTC-USDT", "price": "99000"}')
    unknown = sorted(set(body) - set(MARK_PRICE_FIELDS))
    if unknown:
        raise ControlError(f'unknown fields {unknown}; the fields are {list(MARK_PRICE_FIELDS)}')
    contract, price, fail = body.get('contract'), body.get('price'), body.get('fail', False)
    if not isinstance(contract, str) or not contract:
        raise ControlError('"contract" must be a contract code or a unified symbol, e.g. "BTC-USDT"')
    if isinstance(price, bool) or not isinstance(price, str | int | float):
        raise ControlError('"price" must be a positive number, or numeric text')
    if not isinstance(fail, bool):
        raise ControlError('"fail" must be true or false')
    return contract, str(price), fail


def mark_price_handler(mark_price: MarkPrice) -> Callable[[web.Request], Any]:
    """The ``POST /sandbox/mark_price`` handler over ``mark_price`` (the runner's)."""

    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            raw = await request.read()
        except web.HTTPException:  # over aiohttp's client_max_size
            return _reply({'error': f'the body is over {MAX_CONTROL_BODY_BYTES} bytes'}, 400)
        try:
            return _reply(mark_price(*mark_price_request(raw)))
        except ValueError as refused:  # ControlError, or the sandbox's own (an unknown contract, a bad price)
            return _reply({'error': str(refused)}, 400)
        except Exception:  # a bug: JSON all the same, never aiohttp's plain-text 500
            logger.exception('sandbox: unexpected error answering POST %s', MARK_PRICE_PATH)
            return _reply({'error': 'unexpected failure inside the sandbox (see its log)'}, 500)

    return handle
