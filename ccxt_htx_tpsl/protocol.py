"""HTX facts this package acts on, and the guesses it makes where HTX publishes none.

One module, shared by the client (``ccxt_htx_tpsl.htx``), the embedded sandbox and the docs, so
that a guess is made once and changed in one place. Each value says where it comes from:

- *doc*: HTX's API documentation;
- *observed*: a live HTX reply (``tests/data/htx-real-replies.json``, each with its source);
- *SDK*: what HTX's or third-party client libraries read or send, not HTX's own word;
- *GUESS*: no public source; the choice is ours and being wrong about it must be cheap.

Codes are strings: ccxt's recorder stores them as strings, HTX sends numbers; compare with
:func:`code_of`.
"""

from __future__ import annotations

from typing import Any, Final

# -- API families ------------------------------------------------------------------------------

CLASSIC: Final = 'v1'
"""The classic USDT-M API, ``/linear-swap-api/v1/...`` (accounts that did not move to the unified account)."""
V5: Final = 'v5'
"""The unified-account API, ``/v5/...`` (HTX's successor; accounts in multi-asset or new single-asset mode)."""
AUTO: Final = 'auto'
"""Route value: ask HTX which family the account uses (``GET /v5/account/asset_mode``), once per exchange."""
ROUTES: Final = (AUTO, V5, CLASSIC)
"""Every accepted value of the ``route`` option, default first."""

# ``GET /v5/account/asset_mode``: ``data.asset_mode`` (every SDK) or ``data.assets_mode`` (HTX's doc
# page). doc: 0 single-asset, 1 multi-assets; HTX.Net (an SDK): 2 single-asset on the new system.
# Reading 1 and 2 as "v5" is an SDK reading, not HTX's word.
ASSET_MODE_KEYS: Final = ('asset_mode', 'assets_mode')
ASSET_MODE_FAMILY: Final[dict[str, str]] = {'0': CLASSIC, '1': V5, '2': V5}

# -- limits ------------------------------------------------------------------------------------

CLASSIC_MAX_CANCEL_IDS: Final = 10
"""doc: ``swap_tpsl_cancel`` takes at most 10 comma-joined ids ("maximum 10 orders can be withdrew at one time")."""
CLASSIC_PAGE_SIZE: Final = 50
"""doc: the largest ``page_size`` of ``swap_tpsl_openorders``."""
CLASSIC_TPSL_RATE: Final = (5, 1000)
"""doc: 5 requests per second for each classic TP/SL endpoint (cancel, cancel-all, create, open orders);
assumed the same for the history endpoints (unconfirmed: their pages say nothing of it)."""
UID_TRADE_RATE: Final = (72, 3000)
"""doc: 72 trade requests per 3 s per UID, shared by every API key of the account."""
UID_READ_RATE: Final = (72, 3000)
"""doc (v5): 144 private requests per 3 s per UID, 72 trade + 72 read."""

V5_MAX_CANCEL_ITEMS: Final = 10
"""GUESS: items per ``POST /v5/algo/cancel_orders``. No source; ``v5/trade/cancel_batch_orders`` documents 10."""
V5_PAGE_LIMIT: Final = 100
"""SDK: the largest ``limit`` of ``GET /v5/algo/order/opens`` (default 10)."""
V5_MAX_PAGES: Final = 100
"""Ours: a listing stops with ``BadResponse`` after this many pages (10,000 orders at the largest limit)."""
CLASSIC_MAX_PAGES: Final = 200
"""Ours: a classic listing stops with ``BadResponse`` after this many pages (10,000 orders)."""

# history (finished TP/SL orders)
CLASSIC_HISTORY_ALL: Final = '0'
"""doc: ``swap_tpsl_hisorders`` ``status`` 0 asks for every finished state (else comma-joined codes, e.g. 4,5,6,11)."""
CLASSIC_HISTORY_MAX_DAYS: Final = 90
"""doc: ``create_date``, the days of history asked for, is at most 90."""
CLASSIC_HISTORY_PAGE_SIZE: Final = 50
"""doc: the largest ``page_size`` of ``swap_tpsl_hisorders`` (default 20)."""
V5_HISTORY_STATES: Final[dict[str | None, str]] = {
    'closed': 'effective',  # ccxt sends states=effective for closed algo orders (SDK reading)
    'canceled': 'canceled,failed',
    None: 'canceled,effective,failed',
}
"""SDK: ``GET /v5/algo/order/history`` ``states``, comma-joined (unconfirmed: HTX.Net sends ``state``; a
single state is what ccxt sends). Key: the ccxt status asked for (None: every finished order)."""
NO_ORDER_PLACED: Final = '-1'
"""doc (history example): ``relation_order_id`` of a TP/SL that never fired, i.e. placed no order."""
CLASSIC_HISTORY_STATUSES: Final = ('4', '5', '6', '11')
"""doc: the ``status`` codes a ``swap_(cross_)tpsl_hisorders`` query may name, comma-joined (besides
``CLASSIC_HISTORY_ALL``): 4 triggered and its order submitted, 5 submit failed, 6 cancelled, 11 expired."""
CLASSIC_HISTORY_DEFAULT_PAGE_SIZE: Final = 20
"""doc: the ``page_size`` of ``swap_(cross_)tpsl_hisorders`` when none is sent (at most
``CLASSIC_HISTORY_PAGE_SIZE``)."""
V5_FINISHED_STATES: Final = ('effective', 'canceled', 'failed')
"""SDK: the final algo ``state`` values ``GET /v5/algo/order/history`` lists (``canceled`` observed;
``effective`` = triggered and placed, ``failed`` = triggered, not placed: SDK enums)."""

# -- codes -------------------------------------------------------------------------------------

OK_CODE: Final = '200'
"""v5: ``code`` 200 is success, for the envelope and for each item of a batch (observed)."""
AUTH_FAILED: Final = '403'
SYSTEM_ERROR: Final = '1000'
SYSTEM_NOT_READY: Final = '1001'
UNKNOWN_OUTCOME_CODES: Final = frozenset({SYSTEM_ERROR})
"""Ours: a refusal that does not say the request did nothing (doc: 1000 "System error"; the sandbox
answers it for a failure inside a request). Read like a lost reply, as are a v5 ``code`` from 500 to
599 and any reply with an HTTP status of 500 or more (a gateway's JSON is not HTX's answer)."""
SYSTEM_BUSY: Final = '1004'
CONTRACT_NOT_FOUND: Final = '1014'
INPUT_ERROR: Final = '1030'
RATE_LIMITED: Final = '1032'
"""doc: "The number of access exceeded the limit". The request did nothing: safe to re-send."""
NOTHING_TO_CANCEL: Final = '1051'
"""doc: "No orders to cancel". Also reported (SDK note) for classic calls under a unified account."""
BATCH_TOO_LARGE: Final = '1052'
IN_SETTLEMENT: Final = '1056'
IN_DELIVERY: Final = '1059'
ORDER_NOT_FOUND: Final = '1061'
ORDER_CANCELLING: Final = '1062'
ORDER_EXECUTED: Final = '1063'
PARAM_EMPTY: Final = '1066'
PARAM_ILLEGAL: Final = '1067'
ORDER_ALREADY_CANCELLED: Final = '1071'
TPSL_NOT_IN_EFFECT: Final = '1408'

V5_ASSUMED_ITEM_CODES: Final = (ORDER_NOT_FOUND, ORDER_CANCELLING, ORDER_EXECUTED, ORDER_ALREADY_CANCELLED,
                                TPSL_NOT_IN_EFFECT)
"""GUESS: the per-item failure codes of a v5 algo cancel are the classic ones. Only a per-item success
(``code`` 200) has been observed; the sandbox answers these, and the client reads them as below."""

# What a per-id code says about the order, on either family: the order's state, as ccxt spells it
# (None: HTX confirmed no state), and whether the order was cancelled by this request.
CANCEL_CODE_STATUS: Final[dict[str, str | None]] = {
    ORDER_ALREADY_CANCELLED: 'canceled',  # doc: repeated cancellation, the order is already cancelled
    ORDER_EXECUTED: 'closed',  # doc: the order was already executed (triggered)
    ORDER_CANCELLING: 'open',  # doc: a cancel is in progress; the order exists until it completes
    TPSL_NOT_IN_EFFECT: 'open',  # doc: the TP/SL is not yet in effect and cannot be cancelled: still there
    ORDER_NOT_FOUND: None,  # doc: no such order (any more): HTX names no state
}
"""Per-id refusal codes and the status they imply; any other refusal code implies no state (None)."""

# Codes meaning "this account uses the other API family". Each with its evidence; a classic request
# refused with one of them did nothing, so it can be sent again on the v5 family (and vice versa).
WRONG_FAMILY_CODES: Final[dict[str, tuple[str, str]]] = {
    '6023': ('The new feature is temporarily unavailable.',
             'observed: a classic order call on a switched account, 2026-05/06 (ccxt#28732)'),
    '4002': ('The merged cross and isolated margin account for USDT-M futures is unavailable.'
             'Please complete the query with linear-swap-api/v3/unified_account_info',
             'observed: classic balance call after switching the account type (ccxt#28884)'),
    '4003': ('same template as 4002', "HTX's USDT-M error table"),
    '4004': ('same template as 4002', "HTX's USDT-M error table"),
    '4005': ('same template as 4002', "HTX's USDT-M error table"),
    '1510': ('Since you are the merged cross and isolated margin account for USDT-M futures, you cannot use '
             'the APIs...', "HTX's USDT-M error table"),
    '4007': ('Unified account special interface, non - one account is not available',
             "ccxt's error map (a unified-only interface called by another account)"),
    '6002': ('(no exact text published)', 'an SDK delivery note: old calls under a unified account'),
}
"""Wrong-family codes: code -> (message, evidence)."""

CLASSIC_REFUSAL_FOR_UNIFIED: Final = ('6023', WRONG_FAMILY_CODES['6023'][0])
"""What the sandbox answers a unified account on a classic endpoint (observed shape, ccxt#28732)."""
V5_REFUSAL_FOR_CLASSIC: Final = ('4007', WRONG_FAMILY_CODES['4007'][0])
"""GUESS: what the sandbox answers a classic account on a v5 algo endpoint (4007's text, v5 envelope)."""

# -- TP/SL orders -------------------------------------------------------------------------------

V5_TPSL_TYPES: Final = ('tp', 'sl', 'tpsl')
"""v5 algo ``type`` values that are TP/SL orders: ``tp`` observed; ``sl`` and ``tpsl`` SDK only (unconfirmed)."""
V5_STATE_STATUS: Final[dict[str, str | None]] = {
    'active': 'open',  # observed in open listings
    'effective': 'closed',  # SDK enum: triggered (ccxt reads it as closed)
    'canceled': 'canceled',  # observed in history
    'cancelled': 'canceled',
    'failed': 'canceled',  # SDK enum: ended without an order: not open, nothing executed
}
"""v5 algo ``state`` -> ccxt status; anything else is None."""
CLASSIC_STATUS: Final[dict[str, str | None]] = {
    '1': 'open',  # not active yet
    '2': 'open',  # ready, waiting for its trigger
    '3': 'open',  # triggered, order being submitted
    '4': 'closed',  # triggered, order submitted
    '5': 'canceled',  # submit failed: ended without an order
    '6': 'canceled',
    '8': 'canceled',  # cancelled, order not found
    '9': 'open',  # being cancelled
    '10': 'canceled',  # failed: ended without an order
    '11': 'canceled',  # expired
}
"""Classic ``swap_tpsl_openorders`` ``status`` -> ccxt status (ccxt's order test allows only
open, closed, canceled or None; failed and expired orders ended without execution)."""


def code_of(value: Any) -> str | None:
    """A code as a string (HTX sends numbers, ccxt's recorder strings); None when absent or not a code."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip()
        return text if text.isascii() and text.lstrip('-').isdigit() and len(text) <= 12 else None
    return None
