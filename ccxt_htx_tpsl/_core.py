"""What every TP/SL method shares: endpoint declarations and ccxt's hooks, narrowed to them.

Signing, throttling and error mapping stay ccxt's. This module extends them through
``describe()``, ``Entry`` declarations, ``calculate_rate_limiter_cost`` and a ``handle_errors``
that changes nothing for any other endpoint. The per-method logic lives in ``_cancel.py`` and
``_lifecycle.py``; only the lines that send a request differ between the sync class
(``_sync.py``) and the async and pro classes (``async_support.py``).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from ccxt.base.errors import (
    AuthenticationError,
    BadRequest,
    BadSymbol,
    BaseError,
    ExchangeError,
    ExchangeNotAvailable,
    NotSupported,
    OnMaintenance,
    RateLimitExceeded,
)
from ccxt.base.types import Entry

if TYPE_CHECKING:  # ccxt is untyped (Any to mypy); this lets the mixins use Exchange's methods
    from ccxt.base.exchange import Exchange as _ExchangeBase
else:
    _ExchangeBase = object

CANCEL_PATH = 'linear-swap-api/v1/swap_tpsl_cancel'
CROSS_CANCEL_PATH = 'linear-swap-api/v1/swap_cross_tpsl_cancel'
CANCEL_ALL_PATH = 'linear-swap-api/v1/swap_tpsl_cancelall'
ORDER_PATH = 'linear-swap-api/v1/swap_tpsl_order'
OPEN_ORDERS_PATH = 'linear-swap-api/v1/swap_tpsl_openorders'
V5_CANCEL_PATH = 'v5/algo/cancel_orders'

MAX_IDS_PER_REQUEST = 10
"""Ids per cancel request: HTX's "maximum 10 orders can be withdrew at one time"; more are chunked."""

# Endpoints with a limit of their own, in requests per second (options['tpslRateLimits']).
ENDPOINT_RATE_LIMITS: dict[str, float] = {
    CANCEL_PATH: 5,
    CROSS_CANCEL_PATH: 5,
    CANCEL_ALL_PATH: 5,
    # unconfirmed: HTX documents no limit of its own for v5 algo cancels; ccxt prices it at
    # HTX's trade budget of 72 requests per 3 s (24/s)
    V5_CANCEL_PATH: 24,
}
# Requests are spaced this much wider than the limit, so that network jitter cannot put one
# request too many into HTX's window: 205 ms for a 5/s endpoint (options['tpslRateLimitMargin']).
RATE_LIMIT_MARGIN = 0.025
NO_INNER_RETRY_PATHS = frozenset({CANCEL_PATH, CROSS_CANCEL_PATH, V5_CANCEL_PATH, ORDER_PATH})
# Every endpoint whose replies this package reads; handle_errors is narrowed to these.
TPSL_PATHS = frozenset({*ENDPOINT_RATE_LIMITS, ORDER_PATH, OPEN_ORDERS_PATH})

# Top-level codes ccxt 4.5 does not map (they surface as a bare ExchangeError there). Used for
# these endpoints only, before ccxt's own table, so other endpoints keep ccxt's behaviour.
TPSL_EXACT_EXCEPTIONS: dict[str, type[BaseError]] = {
    '403': AuthenticationError,
    '1000': ExchangeNotAvailable,  # system error
    '1001': OnMaintenance,  # system not ready
    '1004': ExchangeNotAvailable,  # system busy, retry later
    '1014': BadSymbol,  # contract doesn't exist
    '1032': RateLimitExceeded,  # the number of access exceeded the limit
    '1052': BadRequest,  # batch size over the limit
    '1056': OnMaintenance,  # settlement in progress
    '1059': OnMaintenance,  # delivery in progress
    # this account must use HTX's new API (see MIGRATION_CODES)
    '1510': NotSupported,
    '4002': NotSupported,
    '4003': NotSupported,
    '4004': NotSupported,
    '4005': NotSupported,
}
# Codes that mean "this account has moved to HTX's new API" on the classic endpoints. 1510 is
# HTX's code for a merged (unified) USDT-M account calling an API it may not use; what HTX answers
# after its 2026 migration is unconfirmed, so a refusal carrying one of these gets a hint.
MIGRATION_CODES = frozenset({'1510', '4002', '4003', '4004', '4005'})
NOTHING_TO_CANCEL = '1051'  # "No orders to cancel.": an empty result for cancel-all, not a failure

MIGRATION_HINT = " - this account has to use HTX's new (v5) API"
ROUTE_HINT = (
    ": send the cancels there with params={'route': 'v5'}, or for every call with "
    "exchange.options['cancelIsolatedTpslOrders'] = {'route': 'v5'} (likewise 'cancelCrossTpslOrders')"
)
NO_ROUTE_HINT = (
    '; this method has no v5 route in ccxt_htx_tpsl (only the cancels by id have one: '
    "params={'route': 'v5'})"
)
_CREDENTIALS_IN_URL = re.compile(r'((?:AccessKeyId|Signature)=)[^&\s\'"]+')


def scrub(text: str) -> str:
    """Remove the API key and the signature that ccxt puts in URLs (and so in its messages)."""
    return _CREDENTIALS_IN_URL.sub(r'\1***', text)


def scrubbed(error: BaseError) -> BaseError:
    """``error`` with the credentials ccxt put in its message removed; raise it ``from None``, as
    ccxt chains the HTTP library's exception, whose message holds the signed URL too."""
    error.args = (scrub(str(error)),)
    return error


def path_of(url: str) -> str | None:
    """The TP/SL endpoint path a request URL goes to, or None for any other endpoint."""
    path = url.split('?', 1)[0]
    return next((p for p in TPSL_PATHS if path.endswith('/' + p)), None)


class TpslBaseMixin(_ExchangeBase):
    """Endpoint declarations and ccxt hooks; mixed in before a ``ccxt.htx`` class."""

    # Endpoints ccxt 4.5 no longer declares. ``Entry`` only calls ``self.request``, so each
    # declaration serves the sync, async and pro classes. The three cancels are declared at the
    # cost of a plain request; their own limit (HTX's 5 requests/s) is options['tpslRateLimits'],
    # applied by calculate_rate_limiter_cost: 2.05 at ccxt's default rateLimit of 100 ms.
    contract_private_post_linear_swap_api_v1_swap_tpsl_cancel = (
        contractPrivatePostLinearSwapApiV1SwapTpslCancel
    ) = Entry(CANCEL_PATH, ['contract', 'private'], 'POST', {'cost': 1})
    contract_private_post_linear_swap_api_v1_swap_cross_tpsl_cancel = (
        contractPrivatePostLinearSwapApiV1SwapCrossTpslCancel
    ) = Entry(CROSS_CANCEL_PATH, ['contract', 'private'], 'POST', {'cost': 1})
    contract_private_post_linear_swap_api_v1_swap_tpsl_cancelall = (
        contractPrivatePostLinearSwapApiV1SwapTpslCancelall
    ) = Entry(CANCEL_ALL_PATH, ['contract', 'private'], 'POST', {'cost': 1})
    contract_private_post_linear_swap_api_v1_swap_tpsl_order = (
        contractPrivatePostLinearSwapApiV1SwapTpslOrder
    ) = Entry(ORDER_PATH, ['contract', 'private'], 'POST', {'cost': 1})
    contract_private_post_linear_swap_api_v1_swap_tpsl_openorders = (
        contractPrivatePostLinearSwapApiV1SwapTpslOpenorders
    ) = Entry(OPEN_ORDERS_PATH, ['contract', 'private'], 'POST', {'cost': 1})

    def describe(self) -> Any:
        # fetch2 reads options[path]['maxRetriesOnFailure'] before the global option: ccxt's
        # invisible retry stays off where it could report a wrong status (the cancels by id, which
        # retry where they can see each attempt) or place orders twice (create). Listing and
        # cancel-all keep ccxt's retry: repeating them is harmless.
        no_inner_retry = {path: {'maxRetriesOnFailure': 0} for path in NO_INNER_RETRY_PATHS}
        return self.deep_extend(super().describe(), {
            'has': {
                'cancelIsolatedTpslOrders': True,
                'cancelCrossTpslOrders': True,
                'cancelAllIsolatedTpslOrders': True,
                'createIsolatedTpslOrders': True,
                'fetchOpenIsolatedTpslOrders': True,
            },
            'options': {
                'tpslRateLimits': dict(ENDPOINT_RATE_LIMITS),
                'tpslRateLimitMargin': RATE_LIMIT_MARGIN,
                **no_inner_retry,
            },
        })

    def calculate_rate_limiter_cost(
        self, api: Any, method: Any, path: Any, params: Any, config: dict[str, Any] = {}
    ) -> Any:
        """Space endpoints with a limit of their own by that limit, whatever ``rateLimit`` is set.

        The cost is the larger of the declared one (ccxt's units: a plain request is 1, so a
        slower ``rateLimit`` slows these endpoints too) and ``options['tpslRateLimits'][path]``
        (requests/s) widened by ``options['tpslRateLimitMargin']``, which alone sets the pace at
        ccxt's default ``rateLimit`` and can follow a limit HTX changes, up or down.
        """
        cost = super().calculate_rate_limiter_cost(api, method, path, params, config)
        per_second = self.safe_number(self.options.get('tpslRateLimits'), path)
        if per_second and per_second > 0 and self.rateLimit > 0:
            margin = max(0.0, self.safe_number(self.options, 'tpslRateLimitMargin', RATE_LIMIT_MARGIN))
            cost = max(cost, 1000 / per_second * (1 + margin) / self.rateLimit)
        return cost

    def handle_errors(
        self,
        httpCode: int,
        reason: str,
        url: str,
        method: str,
        headers: Any,
        body: str,
        response: Any,
        requestHeaders: Any,
        requestBody: Any,
    ) -> Any:
        """ccxt's error handling, except that per-id errors of a TP/SL cancel are results.

        ccxt raises ``OrderNotFound`` on the first entry of ``data.errors`` even when other ids
        of the batch were cancelled. For the TP/SL endpoints an ``ok`` reply is returned as it
        is; an error reply is mapped with the codes ccxt lacks first, and the raised exception
        keeps the reply as ``htx_reply`` (HTX refused the whole request: nothing was done).
        """
        path = path_of(url)
        if path is None:
            return super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody
            )
        code = self._tpsl_error_code(response)
        if code is None or (path == CANCEL_ALL_PATH and code == NOTHING_TO_CANCEL):
            return None
        feedback = self.id + ' ' + body
        try:
            self.throw_exactly_matched_exception(TPSL_EXACT_EXCEPTIONS, code, feedback)
            super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody
            )
            raise ExchangeError(feedback)  # a v5 code ccxt does not know: still a refusal
        except BaseError as error:
            error.htx_reply = response
            if code in MIGRATION_CODES and path != V5_CANCEL_PATH:
                hint = ROUTE_HINT if path in (CANCEL_PATH, CROSS_CANCEL_PATH) else NO_ROUTE_HINT
                error.args = (str(error) + MIGRATION_HINT + hint,)
            raise

    @staticmethod
    def _tpsl_error_code(response: Any) -> str | None:
        """The code of a top-level refusal, in v1 (``status: error``) or v5 (``code`` ≠ 200) shape."""
        if not isinstance(response, dict):
            return None
        if response.get('status') == 'error':
            return str(response.get('err_code', response.get('err-code')))
        if 'status' not in response and 'code' in response and str(response['code']) != '200':
            return str(response['code'])
        return None

