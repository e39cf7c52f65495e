"""Cancel TP/SL orders by id: validation, chunking, request building, per-id results.

Shared by ``cancel_isolated_tpsl_orders`` and ``cancel_cross_tpsl_orders``, on HTX's classic
(v1) endpoints or on the successor (v5) route; nothing here does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ccxt.base.errors import (
    ArgumentsRequired,
    BadRequest,
    BadResponse,
    BadSymbol,
    BaseError,
    NotSupported,
    OperationFailed,
)

from ._core import MAX_IDS_PER_REQUEST, TpslBaseMixin, scrub

# HTX answers per-id errors inside an "ok" reply. Most mean "this cancel did not happen" (ccxt
# htx's convention for that is status 'failed'); these codes tell the order's real state instead.
ERROR_CODE_STATUS: dict[str, str] = {
    '1071': 'canceled',  # repeated cancellation: the order is already cancelled
    '1063': 'closed',  # the order was already executed (triggered)
}
"""Per-id HTX error codes that tell the order's real state; any other per-id error is 'failed'."""
# "This order doesn't exist": after an attempt whose outcome was lost, possibly because it
# cancelled the order, so then the outcome is unknown rather than failed.
NOT_FOUND_CODES = frozenset({'1061'})

_ORDER_ID = re.compile(r'[1-9][0-9]{0,18}')
_INT64_MAX = 2**63 - 1
_INT64_MAX_TEXT = str(_INT64_MAX)  # 19 digits: compared as text with other 19-digit ids


def _canonical_id(item: Any) -> bool:
    """A str that is an HTX order id as it stands (the common case, checked cheaply)."""
    return (
        type(item) is str
        and item.isascii()
        and item.isdigit()
        and item[0] != '0'
        and (len(item) < 19 or (len(item) == 19 and item <= _INT64_MAX_TEXT))
    )


@dataclass(frozen=True)
class Route:
    """One way to cancel TP/SL orders by id: which method, margin mode, API and endpoint."""

    method: str  # the unified method name, for messages and options
    margin: str  # 'isolated' or 'cross'
    api: str  # 'v1' (classic) or 'v5' (successor)
    endpoint: str  # the implicit API method that sends one request
    max_ids: int = MAX_IDS_PER_REQUEST

    @property
    def info_keys(self) -> tuple[str, str, str]:
        """How this API names an item's id, code and message; ``info`` built here uses the same."""
        return ('order_id', 'err_code', 'err_msg') if self.api == 'v1' else ('algo_id', 'code', 'message')


ROUTES: dict[tuple[str, str], Route] = {
    ('isolated', 'v1'): Route(
        'cancelIsolatedTpslOrders', 'isolated', 'v1', 'contract_private_post_linear_swap_api_v1_swap_tpsl_cancel'
    ),
    ('cross', 'v1'): Route(
        'cancelCrossTpslOrders', 'cross', 'v1', 'contract_private_post_linear_swap_api_v1_swap_cross_tpsl_cancel'
    ),
    ('isolated', 'v5'): Route(
        'cancelIsolatedTpslOrders', 'isolated', 'v5', 'contract_private_post_v5_algo_cancel_orders'
    ),
    ('cross', 'v5'): Route('cancelCrossTpslOrders', 'cross', 'v5', 'contract_private_post_v5_algo_cancel_orders'),
}
APIS = ('v1', 'v5')
_DEFAULT_NAMES = {name: 'default' + name[0].upper() + name[1:]  # ccxt's defaultXyz option spelling
                  for name in ('route', 'maxRetriesOnFailure', 'maxRetriesOnFailureDelay')}


def succeeded_ids(data: dict[str, Any]) -> list[str]:
    """The raw entries of a classic reply's ``successes`` (a comma-joined string; a list tolerated)."""
    successes = data.get('successes')
    if isinstance(successes, str):
        return successes.split(',')
    if isinstance(successes, list):
        return [str(s) for s in successes]
    return []


def chunked(ids: list[str], size: int = MAX_IDS_PER_REQUEST) -> list[list[str]]:
    """``ids`` in consecutive requests of at most ``size``."""
    return [ids[i:i + size] for i in range(0, len(ids), size)]


@dataclass
class CancelPlan:
    """What one call will send, settled in two steps around loading the markets.

    :meth:`TpslCancelMixin._tpsl_prepare` (no market data needed): the caller's distinct ids in
    order, the symbol, the route and the options; ``retries`` and ``retry_delay`` (ms) come from
    ccxt's ``maxRetriesOnFailure`` and ``maxRetriesOnFailureDelay`` (params, ``options[<method>]``
    or ``options``). :meth:`TpslCancelMixin._tpsl_plan`: the market, the chunks and one request
    per chunk.
    """

    ids: list[str]
    symbol: str = ''
    route: Route = ROUTES[('isolated', 'v1')]
    params: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    retry_delay: float = 0
    market: dict[str, Any] = field(default_factory=dict)
    chunks: list[list[str]] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)


class TpslCancelMixin(TpslBaseMixin):
    """The I/O-free half of the cancel-by-id methods."""

    # -- before sending ----------------------------------------------------------------------

    def _tpsl_check_arguments(self, ids: Any, symbol: Any, margin: str = 'isolated') -> tuple[list[str], str]:
        """Validate what needs no market data; return the caller's distinct ids, in order, and the symbol."""
        where = f"{self.id} {ROUTES[(margin, 'v1')].method}()"
        if symbol is None:
            raise ArgumentsRequired(where + ' requires a symbol argument')
        if not isinstance(symbol, str) or not symbol.strip():
            raise BadSymbol(f'{where} symbol must be a non-empty string, got {symbol!r:.60}')
        if ids is None or (isinstance(ids, str | list | tuple) and len(ids) == 0):
            raise ArgumentsRequired(where + ' requires a non-empty list of order ids')
        if type(ids) is list and all(map(_canonical_id, ids)):
            return list(dict.fromkeys(ids)), symbol
        items: Sequence[Any]
        if isinstance(ids, str):
            items = ids.split(',')
        elif isinstance(ids, list | tuple):
            items = ids
        elif isinstance(ids, int) and not isinstance(ids, bool):
            items = [ids]
        else:
            raise BadRequest(
                f'{where} ids must be a list or tuple of order ids (str or int), one id, '
                f'or a comma-joined string; got {type(ids).__name__}'
            )
        distinct: dict[str, None] = {}
        for position, item in enumerate(items):
            distinct.setdefault(self._tpsl_order_id(item, position, where), None)
        return list(distinct), symbol

    @staticmethod
    def _tpsl_order_id(item: Any, position: int, where: str) -> str:
        if _canonical_id(item):
            return str(item)  # the common case, checked without building a message
        where = f'{where} order id at position {position}'
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

    def _tpsl_market(self, symbol: str, margin: str, method: str) -> dict[str, Any]:
        """The market of ``symbol`` (unified or contract code), if it can hold ``margin`` TP/SL orders."""
        market: dict[str, Any] = self.market(symbol)
        name = f"{self.id} {method}() {market['symbol']}"
        if market.get('spot'):
            kind: str | None = 'spot market'
        elif not market.get('linear'):
            kind = 'coin-margined (inverse) contract'
        elif margin == 'isolated' and not market.get('swap'):
            kind = 'USDT-margined dated future, and those are cross-margin only'
        else:
            kind = None
        if kind is not None:
            where = 'USDT-margined perpetual swaps' if margin == 'isolated' else 'USDT-margined contracts'
            raise BadSymbol(f'{name} is a {kind}; {margin} TP/SL orders exist only on {where}')
        mode = self.safe_string(market.get('info'), 'support_margin_mode')
        if mode is not None and mode not in ('all', margin):
            raise NotSupported(
                f"{name} ({market['id']}) supports {mode} margin only, so it has no {margin} TP/SL orders"
            )
        return market

    def _tpsl_option(self, params: dict[str, Any], method: str, name: str, default: Any) -> tuple[Any, dict[str, Any]]:
        """ccxt's ``handle_option_and_params``, skipped when no params and no option could set ``name``."""
        options = self.options
        if params or method in options or name in options or _DEFAULT_NAMES[name] in options:
            value, params = self.handle_option_and_params(params, method, name, default)
            return value, params
        return default, params

    def _tpsl_route(self, method: str, margin: str, params: dict[str, Any]) -> tuple[Route, dict[str, Any]]:
        """The classic (v1) route unless ``params['route']`` or ``options[method]['route']`` says 'v5'."""
        api, params = self._tpsl_option(params, method, 'route', 'v1')
        if api not in APIS:
            raise BadRequest(f'{self.id} {method}() route must be one of {", ".join(APIS)}, got {api!r:.40}')
        return ROUTES[(margin, api)], params

    def _tpsl_prepare(self, ids: Any, symbol: Any, params: dict[str, Any], margin: str) -> CancelPlan:
        """Everything that needs no market data: refused here, nothing is sent, not even load_markets."""
        order_ids, symbol = self._tpsl_check_arguments(ids, symbol, margin)
        method = ROUTES[(margin, 'v1')].method
        if not isinstance(params, dict):
            raise BadRequest(f'{self.id} {method}() params must be a dict, got {type(params).__name__}')
        route, params = self._tpsl_route(method, margin, params)
        retries, params = self._tpsl_option(params, method, 'maxRetriesOnFailure', 0)
        retry_delay, params = self._tpsl_option(params, method, 'maxRetriesOnFailureDelay', 0)
        numbers = {'maxRetriesOnFailure': self.safe_integer({'v': retries}, 'v'),
                   'maxRetriesOnFailureDelay': self.safe_number({'v': retry_delay}, 'v')}
        for name, value in numbers.items():
            if value is None or value < 0:
                raise BadRequest(f'{self.id} {method}() {name} must be a number >= 0')
        for key in ('contract_code', 'order_id', 'algo_id'):
            if key in params:
                raise BadRequest(f'{self.id} {method}() sets {key} itself; remove it from params')
        return CancelPlan(order_ids, symbol, route, params, int(numbers['maxRetriesOnFailure']),
                          float(numbers['maxRetriesOnFailureDelay']))

    def _tpsl_plan(self, plan: CancelPlan) -> CancelPlan:
        """With the markets loaded: check the market, chunk the ids, one request body per chunk."""
        route = plan.route
        plan.market = market = self._tpsl_market(plan.symbol, route.margin, route.method)
        plan.chunks = chunked(plan.ids, route.max_ids)
        contract = {'contract_code': market['id']}
        if route.api == 'v1':
            plan.requests = [self.extend(contract, {'order_id': ','.join(c)}, plan.params) for c in plan.chunks]
        else:  # v5 takes an array, one item per order
            plan.requests = [[self.extend(contract, {'algo_id': i}, plan.params) for i in c] for c in plan.chunks]
        return plan

    def _tpsl_next_attempt(self, plan: CancelPlan, attempts: list[Any]) -> float | None:
        """None when a request is settled; else milliseconds to wait before (re)sending it.

        Only failures that may pass are retried (ccxt's ``OperationFailed``): a timeout, a network
        error or an error page, and HTX refusals of that class (1032 rate limit, 1000/1004 busy,
        1001/1056/1059 maintenance), which did nothing, so re-sending is safe. An ok reply is final,
        even one refusing every id, and so are other refusals (403, 1052, 1510...).
        """
        if not attempts:
            return 0
        if len(attempts) > plan.retries or not isinstance(attempts[-1], OperationFailed):
            return None
        return plan.retry_delay

    # -- after sending -----------------------------------------------------------------------

    def _tpsl_result(self, plan: CancelPlan, outcomes: Sequence[list[Any]]) -> list[dict[str, Any]]:
        """One order structure per distinct id, in the caller's order; raise if a request failed.

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
                orders.update(self._tpsl_failed_chunk(plan.route, chunk, outcome))
                continue
            if plan.route.api == 'v1':
                parsed = self._tpsl_parse_reply(chunk, outcome)
            else:
                parsed = self._tpsl_parse_v5_reply(chunk, outcome)
            if parsed is not None:
                self._tpsl_unmentioned(plan.route, chunk, parsed)
            if parsed is not None and any(self._tpsl_unknown(attempt) for attempt in attempts[:-1]):
                parsed = self._tpsl_after_unknown_attempt(parsed)
            if parsed is None:
                failure = BadResponse(f'{self.id} {plan.route.method}() unexpected reply: {outcome!r:.300}')
                failures.append((index, failure))
                orders.update(self._tpsl_failed_chunk(plan.route, chunk, failure))
            else:
                orders.update(parsed)
        symbol = plan.market['symbol']
        for order in orders.values():  # our own fresh dicts
            order['symbol'] = symbol
        result = [self.safe_order(orders[order_id]) for order_id in plan.ids]
        if failures:
            raise self._tpsl_error(plan, failures, result)
        return result

    def _tpsl_parse_reply(self, chunk: list[str], reply: Any) -> dict[str, dict[str, Any]] | None:
        """Per-id outcomes of one classic ``status: "ok"`` reply; None if it has no usable data."""
        if not isinstance(reply, dict) or reply.get('status') != 'ok' or not isinstance(reply.get('data'), dict):
            return None
        data = reply['data']
        errors = data.get('errors')
        found = self._tpsl_error_items(chunk, errors if isinstance(errors, list) else [], 'order_id', 'err_code')
        wanted = set(chunk)
        for raw in succeeded_ids(data):
            order_id = raw.strip()
            if order_id in wanted:  # a success wins over an error item for the same id
                found[order_id] = {'id': order_id, 'status': 'canceled', 'info': raw}
        return found

    def _tpsl_parse_v5_reply(self, chunk: list[str], reply: Any) -> dict[str, dict[str, Any]] | None:
        """Per-id outcomes of one successor-route reply (``code`` 200, one ``data`` item per order)."""
        if not isinstance(reply, dict) or str(reply.get('code')) != '200' or not isinstance(reply.get('data'), list):
            return None
        items = [item for item in reply['data'] if isinstance(item, dict)]
        succeeded = [item for item in items if str(item.get('code')) == '200']
        found = self._tpsl_error_items(chunk, [i for i in items if i not in succeeded], 'algo_id', 'code')
        wanted = set(chunk)
        for item in succeeded:
            order_id = self.safe_string(item, 'algo_id')
            if order_id in wanted:
                found[order_id] = {'id': order_id, 'status': 'canceled', 'info': item}
        return found

    def _tpsl_error_items(
        self, chunk: list[str], items: list[Any], id_key: str, code_key: str
    ) -> dict[str, dict[str, Any]]:
        wanted = set(chunk)
        found: dict[str, dict[str, Any]] = {}
        for item in items:
            order_id = self.safe_string(item, id_key) if isinstance(item, dict) else None
            if order_id in wanted:
                status = ERROR_CODE_STATUS.get(self.safe_string(item, code_key) or '', 'failed')
                found[order_id] = {'id': order_id, 'status': status, 'info': item}
        return found

    @staticmethod
    def _tpsl_unmentioned(route: Route, chunk: list[str], found: dict[str, dict[str, Any]]) -> None:
        """Ids HTX did not mention: the outcome is unknown."""
        id_key = route.info_keys[0]
        for order_id in chunk:
            found.setdefault(order_id, {'id': order_id, 'status': None, 'info': {id_key: order_id}})

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
            code = str(info.get('err_code', info.get('code'))) if isinstance(info, dict) else None
            if order['status'] == 'failed' and code in NOT_FOUND_CODES:
                order['status'] = None
        return parsed

    def _tpsl_failed_chunk(self, route: Route, chunk: list[str], error: BaseError) -> dict[str, dict[str, Any]]:
        """Outcomes of a request that raised.

        If HTX answered with a refusal it refused the whole request: nothing in it was
        cancelled, so each id is ``failed`` with HTX's code. Otherwise (timeout, network, an HTML
        error page) the request may or may not have been carried out: ``status`` is None.
        """
        reply = getattr(error, 'htx_reply', None)
        id_key, code_key, message_key = route.info_keys
        result: dict[str, dict[str, Any]] = {}
        for order_id in chunk:
            if isinstance(reply, dict):  # in the route's own spelling, like its per-item errors
                info: dict[str, Any] = {
                    id_key: order_id,
                    code_key: reply.get('err_code', reply.get('err-code', reply.get('code'))),
                    message_key: reply.get('err_msg', reply.get('err-msg', reply.get('message'))),
                }
                result[order_id] = {'id': order_id, 'status': 'failed', 'info': info}
            else:
                info = {id_key: order_id, 'error': type(error).__name__, message_key: scrub(str(error))}
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
            f'{scrub(str(first))} [{plan.route.method}(): {len(failures)} of {len(plan.requests)} requests '
            f'failed, first request {index + 1}; of {len(orders)} ids {counts["canceled"]} canceled, '
            f'{counts["failed"]} not canceled, {counts[None]} unknown: see .orders]'
        )
        error = type(first)(message)
        error.orders = orders
        error.htx_reply = getattr(first, 'htx_reply', None)
        return error
