"""Everything the sync, async and pro classes share: declaration, validation, chunking, parsing.

Only the few lines that send a request differ between the flavours (see ``_sync.py`` and
``async_support.py``); they call into :class:`TpslCancelMixin` before and after the I/O.
Signing, throttling and error mapping stay ccxt's: this module extends them through
``describe()``, an ``Entry`` declaration, ``calculate_rate_limiter_cost`` and a
``handle_errors`` that is narrowed to this endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ccxt.base.errors import (
    ArgumentsRequired,
    AuthenticationError,
    BadRequest,
    BadResponse,
    BadSymbol,
    BaseError,
    ExchangeNotAvailable,
    NotSupported,
    OnMaintenance,
    OperationFailed,
    RateLimitExceeded,
)
from ccxt.base.types import Entry

if TYPE_CHECKING:  # ccxt is untyped (Any to mypy); this lets the mixin use Exchange's methods
    from ccxt.base.exchange import Exchange as _ExchangeBase
else:
    _ExchangeBase = object

METHOD = 'cancelIsolatedTpslOrders'
CANCEL_PATH = 'linear-swap-api/v1/swap_tpsl_cancel'
MAX_IDS_PER_REQUEST = 10  # HTX: "maximum 10 orders can be withdrew at one time"

# HTX answers per-id errors inside a `status: "ok"` reply. Most mean "this cancel did not
# happen" (ccxt htx's convention for that is status 'failed'); these codes tell the order's
# real state instead.
ERROR_CODE_STATUS: dict[str, str] = {
    '1071': 'canceled',  # repeated cancellation: the order is already cancelled
    '1063': 'closed',  # the order was already executed (triggered)
}

# Top-level codes ccxt 4.5 does not map (they surface as a bare ExchangeError there). Used for
# this endpoint only, before ccxt's own table, so other endpoints keep ccxt's behaviour.
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
}

_ORDER_ID = re.compile(r'[1-9][0-9]{0,18}')
_INT64_MAX = 2**63 - 1
_CREDENTIALS_IN_URL = re.compile(r'((?:AccessKeyId|Signature)=)[^&\s\'"]+')


def chunked(ids: list[str]) -> list[list[str]]:
    """``ids`` in consecutive requests of at most :data:`MAX_IDS_PER_REQUEST`."""
    return [ids[i:i + MAX_IDS_PER_REQUEST] for i in range(0, len(ids), MAX_IDS_PER_REQUEST)]


def scrub(text: str) -> str:
    """Remove the API key and the signature that ccxt puts in URLs (and so in its messages)."""
    return _CREDENTIALS_IN_URL.sub(r'\1***', text)


@dataclass
class CancelPlan:
    """What one call will send: the market, the caller's distinct ids in order, one request per chunk.

    ``retries`` and ``retry_delay`` (ms) come from ccxt's ``maxRetriesOnFailure`` and
    ``maxRetriesOnFailureDelay`` (params, ``options['cancelIsolatedTpslOrders']`` or ``options``).
    """

    market: dict[str, Any]
    ids: list[str]
    chunks: list[list[str]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    retries: int = 0
    retry_delay: float = 0


class TpslCancelMixin(_ExchangeBase):
    """The I/O-free half of ``cancel_isolated_tpsl_orders``, mixed into ccxt's htx classes.

    Methods of ccxt's ``Exchange`` (``safe_*``, ``market``, ``extend``...) are reached through
    ``self``; the mixin must come first in the bases, before a ``ccxt.htx`` class.
    """

    # The endpoint ccxt 4.5 no longer declares. ``Entry`` only calls ``self.request``, so this
    # one declaration serves the sync, async and pro classes. ``cost`` is HTX's 5 requests/s at
    # ccxt's default ``rateLimit`` of 100 ms; ``calculate_rate_limiter_cost`` adds the margin.
    contract_private_post_linear_swap_api_v1_swap_tpsl_cancel = (
        contractPrivatePostLinearSwapApiV1SwapTpslCancel
    ) = Entry(CANCEL_PATH, ['contract', 'private'], 'POST', {'cost': 2})

    RATE_LIMITED_PATHS = frozenset({CANCEL_PATH})

    def describe(self) -> Any:
        return self.deep_extend(super().describe(), {
            'has': {
                'cancelIsolatedTpslOrders': True,
            },
            'options': {
                METHOD: {
                    # Minimum milliseconds between two requests to a 5-requests/s endpoint: 200 ms
                    # plus 2.5 % so that network jitter cannot put six requests in one second.
                    'minRequestInterval': 205,
                },
            },
        })

    # -- ccxt hooks, narrowed to this endpoint ---------------------------------------------

    def calculate_rate_limiter_cost(
        self, api: Any, method: Any, path: Any, params: Any, config: dict[str, Any] = {}
    ) -> Any:
        """Keep the endpoint at or under 5 requests/s whatever ``rateLimit`` the caller set."""
        cost = super().calculate_rate_limiter_cost(api, method, path, params, config)
        if path in self.RATE_LIMITED_PATHS and self.rateLimit > 0:
            interval = self.safe_number(self.options.get(METHOD, {}), 'minRequestInterval', 205)
            cost = max(cost, interval / self.rateLimit)
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
        of the batch were cancelled; for this endpoint a ``status: "ok"`` reply is returned as
        it is, and a ``status: "error"`` reply is mapped with the codes ccxt lacks first.
        """
        if not self._tpsl_is_endpoint(url):
            return super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody
            )
        status = response.get('status') if isinstance(response, dict) else None
        if status == 'ok':
            return None
        try:
            if status == 'error':
                code = self.safe_string_2(response, 'err_code', 'err-code')
                self.throw_exactly_matched_exception(
                    TPSL_EXACT_EXCEPTIONS, code, self.id + ' ' + body
                )
            return super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody
            )
        except BaseError as error:
            if status == 'error':
                error.htx_reply = response
            raise

    def _tpsl_is_endpoint(self, url: str) -> bool:
        path = url.split('?', 1)[0]
        return any(path.endswith('/' + p) for p in self.RATE_LIMITED_PATHS)

    # -- before sending ----------------------------------------------------------------------

    def _tpsl_check_arguments(self, ids: Any, symbol: Any) -> tuple[list[str], str]:
        """Validate what needs no market data; return the caller's distinct ids, in order, and the symbol."""
        if symbol is None:
            raise ArgumentsRequired(self.id + ' ' + METHOD + '() requires a symbol argument')
        if not isinstance(symbol, str) or not symbol.strip():
            raise BadSymbol(f'{self.id} {METHOD}() symbol must be a non-empty string, got {symbol!r:.60}')
        if ids is None or (isinstance(ids, str | list | tuple) and len(ids) == 0):
            raise ArgumentsRequired(self.id + ' ' + METHOD + '() requires a non-empty list of order ids')
        items: Sequence[Any]
        if isinstance(ids, str):
            items = ids.split(',')
        elif isinstance(ids, list | tuple):
            items = ids
        elif isinstance(ids, int) and not isinstance(ids, bool):
            items = [ids]
        else:
            raise BadRequest(
                f'{self.id} {METHOD}() ids must be a list or tuple of order ids (str or int), one id, '
                f'or a comma-joined string; got {type(ids).__name__}'
            )
        distinct: dict[str, None] = {}
        for position, item in enumerate(items):
            distinct.setdefault(self._tpsl_order_id(item, position), None)
        return list(distinct), symbol

    def _tpsl_order_id(self, item: Any, position: int) -> str:
        where = f'{self.id} {METHOD}() order id at position {position}'
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise BadRequest(f'{where} must be a str or int, got {type(item).__name__} {item!r:.60}')
        text = str(item).strip()
        if not text:
            raise BadRequest(f'{where} is blank')
        if not _ORDER_ID.fullmatch(text) or int(text) > _INT64_MAX:
            raise BadRequest(
                f'{where} is not an HTX order id (a positive integer of at most 19 digits): {text!r:.60}'
            )
        return text

    def _tpsl_market(self, symbol: str) -> dict[str, Any]:
        """The market of ``symbol`` (unified or contract code), if it can hold isolated TP/SL orders."""
        market: dict[str, Any] = self.market(symbol)
        name = f"{self.id} {METHOD}() {market['symbol']}"
        if market.get('spot'):
            kind = 'spot market'
        elif not market.get('linear'):
            kind = 'coin-margined (inverse) contract'
        elif not market.get('swap'):
            kind = 'USDT-margined dated future, and those are cross-margin only'
        else:
            kind = None
        if kind is not None:
            raise BadSymbol(
                f'{name} is a {kind}; isolated TP/SL orders exist only on USDT-margined perpetual swaps'
            )
        if self.safe_string(market.get('info'), 'support_margin_mode') == 'cross':
            raise NotSupported(
                f"{name} ({market['id']}) supports cross margin only, so it has no isolated TP/SL orders"
            )
        return market

    def _tpsl_plan(self, ids: list[str], symbol: str, params: dict[str, Any]) -> CancelPlan:
        """Chunk the ids into requests of at most 10; ``params`` go into every request body."""
        market = self._tpsl_market(symbol)
        for key in ('contract_code', 'order_id'):
            if key in params:
                raise BadRequest(f'{self.id} {METHOD}() sets {key} itself; remove it from params')
        retries, params = self.handle_option_and_params(params, METHOD, 'maxRetriesOnFailure', 0)
        retry_delay, params = self.handle_option_and_params(params, METHOD, 'maxRetriesOnFailureDelay', 0)
        plan = CancelPlan(market, ids, chunked(ids), retries=int(retries), retry_delay=float(retry_delay))
        # ccxt's own retry loop would re-send a request invisibly; the retries happen here
        # instead, where each attempt's outcome is seen (see _tpsl_next_attempt).
        no_inner_retry = {'maxRetriesOnFailure': 0}
        plan.requests = [
            self.extend({'contract_code': market['id'], 'order_id': ','.join(chunk)}, params, no_inner_retry)
            for chunk in plan.chunks
        ]
        return plan

    def _tpsl_next_attempt(self, plan: CancelPlan, attempts: list[Any]) -> float | None:
        """None when a request is settled; else milliseconds to wait before (re)sending it.

        Only failures that may pass are retried (ccxt's ``OperationFailed``: rate limit, timeout,
        network, exchange unavailable); a reply, even a refusal of every id, is final.
        """
        if not attempts:
            return 0
        if len(attempts) > plan.retries or not isinstance(attempts[-1], OperationFailed):
            return None
        return plan.retry_delay

    # -- after sending -----------------------------------------------------------------------

    def _tpsl_result(self, plan: CancelPlan, outcomes: Sequence[Any]) -> list[dict[str, Any]]:
        """One order structure per distinct id, in the caller's order; raise if a chunk failed.

        ``outcomes[i]`` lists the attempts at ``plan.requests[i]``: each the decoded reply or
        the ccxt exception it raised. A raised exception keeps its ccxt class and carries
        ``.orders``: the same list this method would have returned, with ``status: None`` where
        the outcome is unknown.
        """
        orders: dict[str, dict[str, Any]] = {}
        failures: list[tuple[int, BaseError]] = []
        for index, (chunk, attempts) in enumerate(zip(plan.chunks, outcomes, strict=True)):
            outcome = attempts[-1]
            if isinstance(outcome, BaseError):
                failures.append((index, outcome))
                orders.update(self._tpsl_failed_chunk(chunk, outcome))
                continue
            parsed = self._tpsl_parse_reply(chunk, outcome)
            if parsed is not None and any(self._tpsl_unknown(attempt) for attempt in attempts[:-1]):
                parsed = self._tpsl_after_unknown_attempt(parsed)
            if parsed is None:
                failure = BadResponse(f'{self.id} {METHOD}() unexpected reply: {outcome!r:.300}')
                failures.append((index, failure))
                orders.update(self._tpsl_failed_chunk(chunk, failure))
            else:
                orders.update(parsed)
        symbol = plan.market['symbol']
        result = [
            self.safe_order(self.extend(orders[order_id], {'symbol': symbol}))
            for order_id in plan.ids
        ]
        if failures:
            raise self._tpsl_error(plan, failures, result)
        return result

    def _tpsl_parse_reply(self, chunk: list[str], reply: Any) -> dict[str, dict[str, Any]] | None:
        """Per-id outcomes of one ``status: "ok"`` reply; None if the reply has no usable data."""
        if not isinstance(reply, dict) or reply.get('status') != 'ok' or not isinstance(reply.get('data'), dict):
            return None
        data = reply['data']
        wanted = set(chunk)
        found: dict[str, dict[str, Any]] = {}
        errors = data.get('errors')
        for item in errors if isinstance(errors, list) else []:
            order_id = self.safe_string(item, 'order_id') if isinstance(item, dict) else None
            if order_id in wanted:
                code = self.safe_string(item, 'err_code')
                status = ERROR_CODE_STATUS.get(code or '', 'failed')
                found[order_id] = {'id': order_id, 'status': status, 'info': item}
        successes = data.get('successes')
        if isinstance(successes, str):
            succeeded = successes.split(',')
        elif isinstance(successes, list):
            succeeded = [str(s) for s in successes]
        else:
            succeeded = []
        for raw in succeeded:
            order_id = raw.strip()
            if order_id in wanted:  # a success wins over an error item for the same id
                found[order_id] = {'id': order_id, 'status': 'canceled', 'info': raw}
        for order_id in chunk:  # ids HTX did not mention: the outcome is unknown
            found.setdefault(order_id, {'id': order_id, 'status': None, 'info': {'order_id': order_id}})
        return found

    @staticmethod
    def _tpsl_unknown(attempt: Any) -> bool:
        """An attempt that may or may not have been carried out (no HTX reply came back)."""
        return isinstance(attempt, BaseError) and not isinstance(getattr(attempt, 'htx_reply', None), dict)

    @staticmethod
    def _tpsl_after_unknown_attempt(parsed: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """A retry's "order doesn't exist" may mean the lost attempt cancelled it: unknown, not failed.

        1071 (already cancelled) and successes stay as they are; they are true either way.
        """
        for order in parsed.values():
            info = order['info']
            if order['status'] == 'failed' and isinstance(info, dict) and str(info.get('err_code')) == '1061':
                order['status'] = None
        return parsed

    def _tpsl_failed_chunk(self, chunk: list[str], error: BaseError) -> dict[str, dict[str, Any]]:
        """Outcomes of a chunk whose request raised.

        If HTX answered ``status: "error"`` it refused the whole request: nothing in it was
        cancelled, so each id is ``failed`` with HTX's code. Otherwise (timeout, network, an HTML
        error page) the request may or may not have been carried out: ``status`` is None.
        """
        reply = getattr(error, 'htx_reply', None)
        result: dict[str, dict[str, Any]] = {}
        for order_id in chunk:
            if isinstance(reply, dict):
                info: dict[str, Any] = {
                    'order_id': order_id,
                    'err_code': reply.get('err_code', reply.get('err-code')),
                    'err_msg': reply.get('err_msg', reply.get('err-msg')),
                }
                result[order_id] = {'id': order_id, 'status': 'failed', 'info': info}
            else:
                info = {'order_id': order_id, 'error': type(error).__name__, 'err_msg': scrub(str(error))}
                result[order_id] = {'id': order_id, 'status': None, 'info': info}
        return result

    def _tpsl_error(
        self, plan: CancelPlan, failures: list[tuple[int, BaseError]], orders: list[dict[str, Any]]
    ) -> BaseError:
        """The first failure, re-raised as its own ccxt class, with every id's outcome attached."""
        index, first = failures[0]
        counts = {'canceled': 0, 'failed': 0, None: 0}
        for order in orders:
            status = order['status']
            counts[status if status in counts else 'failed'] += 1
        message = (
            f'{scrub(str(first))} [{METHOD}(): {len(failures)} of {len(plan.requests)} requests failed, '
            f'first request {index + 1}; of {len(orders)} ids {counts["canceled"]} canceled, '
            f'{counts["failed"]} not canceled, {counts[None]} unknown: see .orders]'
        )
        error = type(first)(message)
        error.orders = orders
        return error
