"""HTX error codes the sandbox answers with, their messages, and the reply envelopes.

Codes and wording follow HTX's USDT-margined swap error table; where the brief or the
protocol notes quote a different wording (1061, 1071), that wording is used. Clients must
match on ``err_code``: HTX's ``err_msg`` wording drifts.
"""

from __future__ import annotations

import time
from typing import Any

Json = dict[str, Any]

AUTH_FAILED = 403
SYSTEM_ERROR = 1000
SYSTEM_NOT_READY = 1001
SYSTEM_BUSY = 1004
CONTRACT_NOT_FOUND = 1014
INPUT_ERROR = 1030
RATE_LIMITED = 1032
BAD_PRICE_TYPE = 1034
NO_ORDERS_TO_CANCEL = 1051
BATCH_TOO_LARGE = 1052
IN_SETTLEMENT = 1056
IN_DELIVERY = 1059
ORDER_NOT_FOUND = 1061
ORDER_CANCELLING = 1062
ORDER_EXECUTED = 1063
PARAM_EMPTY = 1066
PARAM_ILLEGAL = 1067
ORDER_ALREADY_CANCELLED = 1071
NO_CROSS_MARGIN = 1348

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
}


def message_for(code: int) -> str:
    """HTX's message for ``code``, or a generic one for codes the sandbox does not know."""
    return MESSAGES.get(code, 'Abnormal service. Please try again later.')


class HtxError(Exception):
    """A top-level HTX failure: answered as ``{"status": "error", "err_code": ...}``."""

    def __init__(self, code: int, msg: str | None = None) -> None:
        self.code = code
        self.msg = msg if msg is not None else message_for(code)
        super().__init__(f'{code}: {self.msg}')


def now_ms() -> int:
    """Wall-clock time in milliseconds, as HTX's ``ts``."""
    return time.time_ns() // 1_000_000


def error_body(code: int, msg: str | None = None) -> Json:
    """HTX's top-level error envelope (sent with HTTP 200)."""
    return {'status': 'error', 'err_code': code, 'err_msg': msg or message_for(code), 'ts': now_ms()}


def ok_body(data: Any) -> Json:
    """HTX's success envelope."""
    return {'status': 'ok', 'data': data, 'ts': now_ms()}
