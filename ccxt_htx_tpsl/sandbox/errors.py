"""HTX error codes the sandbox answers with, their messages, and the reply envelopes.

Codes come from :mod:`ccxt_htx_tpsl.protocol` (strings there, JSON numbers on the wire, so ints
here). Wording follows HTX's USDT-margined swap error table; clients must match on the code:
HTX's wording drifts.

Envelopes (see :func:`envelope_for`):

- classic (``/linear-swap-api/v1/...`` and every non-``/v5`` path):
  ``{"status": "ok", "data", "ts"}`` / ``{"status": "error", "err_code", "err_msg", "ts"}``;
- v5 (``/v5/...``): ``{"code": 200, "message": "Success", "data", "ts"}`` /
  ``{"code", "message", "data": null, "ts"}`` (observed shape; ``code`` and ``ts`` JSON numbers);
- two v5 replies say ``msg`` instead of ``message``: ``GET /v5/account/asset_mode`` (HTX's doc
  example) and the 4007 refusal (the only published 4007 reply, ``protocol.V5_REFUSAL_FOR_CLASSIC``).

Every ``ts`` is the wall-clock ms at which the reply is built, i.e. after any simulated latency.
"""

from __future__ import annotations

import time
from typing import Any, Final

from .. import protocol

Json = dict[str, Any]

CLASSIC_ENVELOPE: Final = 'classic'
V5_ENVELOPE: Final = 'v5'
V5_PREFIX: Final = '/v5/'

AUTH_FAILED = int(protocol.AUTH_FAILED)
SYSTEM_ERROR = int(protocol.SYSTEM_ERROR)
SYSTEM_NOT_READY = int(protocol.SYSTEM_NOT_READY)
SYSTEM_BUSY = int(protocol.SYSTEM_BUSY)
CONTRACT_NOT_FOUND = int(protocol.CONTRACT_NOT_FOUND)
INPUT_ERROR = int(protocol.INPUT_ERROR)
RATE_LIMITED = int(protocol.RATE_LIMITED)
BAD_PRICE_TYPE = 1034
NO_ORDERS_TO_CANCEL = int(protocol.NOTHING_TO_CANCEL)
BATCH_TOO_LARGE = int(protocol.BATCH_TOO_LARGE)
IN_SETTLEMENT = int(protocol.IN_SETTLEMENT)
IN_DELIVERY = int(protocol.IN_DELIVERY)
ORDER_NOT_FOUND = int(protocol.ORDER_NOT_FOUND)
ORDER_CANCELLING = int(protocol.ORDER_CANCELLING)
ORDER_EXECUTED = int(protocol.ORDER_EXECUTED)
PARAM_EMPTY = int(protocol.PARAM_EMPTY)
PARAM_ILLEGAL = int(protocol.PARAM_ILLEGAL)
ORDER_ALREADY_CANCELLED = int(protocol.ORDER_ALREADY_CANCELLED)
NO_CROSS_MARGIN = 1348
V5_OK = int(protocol.OK_CODE)
V5_OK_MESSAGE = 'Success'

# A unified account (either unified mode) on a classic private endpoint: 6023, observed
# (protocol.CLASSIC_REFUSAL_FOR_UNIFIED). Change it per sandbox with ``Sandbox(migrated_error=...)``.
CLASSIC_REFUSAL: Final = (int(protocol.CLASSIC_REFUSAL_FOR_UNIFIED[0]), protocol.CLASSIC_REFUSAL_FOR_UNIFIED[1])
# ASSUMED (protocol.V5_REFUSAL_FOR_CLASSIC): a classic account on a v5 algo endpoint gets 4007, in the
# v5 envelope with ``msg`` like the one 4007 reply ever published. Change it with ``Sandbox(v5_refusal=...)``.
V5_REFUSAL: Final = (int(protocol.V5_REFUSAL_FOR_CLASSIC[0]), protocol.V5_REFUSAL_FOR_CLASSIC[1])
# What a path or method the sandbox does not implement answers: HTTP 404, like HTX's gateway for an
# unknown path, with protocol.INPUT_ERROR (1030) in the path's envelope, saying "not implemented by the
# sandbox: METHOD /path". UNCONFIRMED: the body of HTX's 404 (no capture); the sandbox answers in JSON
# so that a client under test fails with a readable error instead of an HTML or Spring page.
NOT_FOUND_STATUS: Final = 404
NOT_IMPLEMENTED = INPUT_ERROR

MESSAGES: dict[int, str] = {
    AUTH_FAILED: 'Verification failure [校验失败]',
    SYSTEM_ERROR: 'System error.',
    SYSTEM_NOT_READY: 'The system is not ready.',
    SYSTEM_BUSY: 'System busy. Please try again later.',
    CONTRACT_NOT_FOUND: 'This contract doesnt exist.',
    INPUT_ERROR: 'Input error.',
    RATE_LIMITED: 'The number of access exceeded the limit.',
    BAD_PRICE_TYPE: 'Incorrect field of order price type.',
    NO_ORDERS_TO_CANCEL: 'No orders to cancel.',
    BATCH_TOO_LARGE: 'The number exceeds the batch limit.',
    IN_SETTLEMENT: "In settlement. Your order can't be placed/withdrew currently.",
    IN_DELIVERY: "In delivery. Your order can't be placed/withdrew currently.",
    ORDER_NOT_FOUND: 'This order doesnt exist.',
    ORDER_CANCELLING: 'Cancelling. Please be patient.',
    ORDER_EXECUTED: 'The order has been executed.',
    ORDER_ALREADY_CANCELLED: 'Repeated cancellation, the order has been cancelled.',
    NO_CROSS_MARGIN: 'This contract does not support cross margin mode.',
    CLASSIC_REFUSAL[0]: CLASSIC_REFUSAL[1],
    V5_REFUSAL[0]: V5_REFUSAL[1],
}
# The other wrong-family codes HTX was seen to use, so that ``inject(err_code=4002)`` reads right.
for _code, (_msg, _evidence) in protocol.WRONG_FAMILY_CODES.items():
    MESSAGES.setdefault(int(_code), _msg)


def message_for(code: int) -> str:
    """HTX's message for ``code``, or a generic one for codes the sandbox does not know."""
    return MESSAGES.get(code, 'Abnormal service. Please try again later.')


class HtxError(Exception):
    """A top-level HTX failure, answered in the route's error envelope."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        self.code = code
        self.msg = msg if msg is not None else message_for(code)
        super().__init__(f'{code}: {self.msg}')


def now_ms() -> int:
    """Wall-clock time in milliseconds, as HTX's ``ts``."""
    return time.time_ns() // 1_000_000


def envelope_for(path: str) -> str:
    """The envelope a path answers in: v5 for ``/v5/...``, classic for everything else."""
    return V5_ENVELOPE if path.startswith(V5_PREFIX) or path == V5_PREFIX.rstrip('/') else CLASSIC_ENVELOPE


def error_body(code: int, msg: str | None = None) -> Json:
    """HTX's classic top-level error envelope (sent with HTTP 200)."""
    return {'status': 'error', 'err_code': code, 'err_msg': msg or message_for(code), 'ts': now_ms()}


def ok_body(data: Any) -> Json:
    """HTX's classic success envelope."""
    return {'status': 'ok', 'data': data, 'ts': now_ms()}


def v5_error_body(code: int, msg: str | None = None, *, message_key: str = 'message') -> Json:
    """The v5 top-level error envelope (HTTP 200, ``data`` null); ``message_key='msg'`` for 4007."""
    return {'code': code, message_key: msg or message_for(code), 'data': None, 'ts': now_ms()}


def v5_ok_body(data: Any, *, message_key: str = 'message') -> Json:
    """The v5 success envelope: ``code`` 200, even when every item of a batch failed."""
    return {'code': V5_OK, message_key: V5_OK_MESSAGE, 'data': data, 'ts': now_ms()}


def error_in(envelope: str, code: int, msg: str | None = None) -> Json:
    """An error body in ``envelope`` (:data:`CLASSIC_ENVELOPE` or :data:`V5_ENVELOPE`)."""
    return v5_error_body(code, msg) if envelope == V5_ENVELOPE else error_body(code, msg)
