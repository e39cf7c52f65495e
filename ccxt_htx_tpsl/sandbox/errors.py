"""HTX error codes the sandbox answers with, their messages, and the reply envelopes.

Codes and wording follow HTX's USDT-margined swap error table; where the brief or the
protocol notes quote a different wording (1061, 1071), that wording is used. Clients must
match on ``err_code``: HTX's ``err_msg`` wording drifts.

Two envelopes: the classic (v1) ``{"status": "error", "err_code", "err_msg", "ts"}`` and the
successor (v5) ``{"code", "message", "data", "ts"}`` where ``code`` 200 means success (the v5
shape is what ccxt, HTX.Net and gocryptotrader parse; a v5 reply with ``code`` 1067 was quoted
in ccxt issue #28884). The v5 API reuses the classic numeric codes as far as public clients
show (HTX.Net maps both with one table); that the per-order codes of a v5 cancel are the
classic 1061/1071/1063 is unconfirmed.
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
# An account moved to HTX's new USDT-M system (Multi-Assets Collateral, the 2026 migration) calling
# a classic private endpoint. UNCONFIRMED: nobody public has quoted HTX's answer. 1510 is the code
# HTX's error table gives for the nearest precedent ("Since you are the merged cross and isolated
# margin account for USDT-M futures , you cannot use the APIs. If you need to use, please change
# the account type via ..."), i.e. an account of a newer type refused by the classic APIs.
# Change it here, or per sandbox with ``Sandbox(migrated_error=(code, msg))``.
MIGRATED_ACCOUNT = 1510
V5_OK = 200
V5_OK_MESSAGE = 'Success'

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
    MIGRATED_ACCOUNT: ('Since you are the Multi-Assets Collateral mode account for USDT-M futures, you cannot use '
                       'the APIs. Please use the V5 API interfaces.'),
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


def v5_error_body(code: int, msg: str | None = None) -> Json:
    """The successor (v5) API's top-level error envelope (HTTP 200; ``data`` null is unconfirmed)."""
    return {'code': code, 'data': None, 'message': msg or message_for(code), 'ts': now_ms()}


def v5_ok_body(data: Any) -> Json:
    """The successor (v5) API's success envelope: ``code`` 200, even when every item of a batch failed."""
    return {'code': V5_OK, 'data': data, 'message': V5_OK_MESSAGE, 'ts': now_ms()}
