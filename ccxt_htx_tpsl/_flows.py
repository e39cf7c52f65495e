"""The TP/SL methods as flows: all their logic, once, for the sync, async and pro classes.

What this module may know: everything below it (``_core`` and what ``_core`` may know); never the
exchange classes (``_sync``, ``async_support``, ``pro``), which drive the flows.

A flow is a generator typed ``Flow[T]`` (``_model``): it validates, then yields a step and is sent
the answer: :data:`~ccxt_htx_tpsl._model.LOAD_MARKETS` (answer ``[]``), or a
:class:`~ccxt_htx_tpsl._model.Send` of calls (answer: per call, its classified attempts; the driver
re-sends as :meth:`TpslFlowsMixin._tpsl_resend` says). The flow's return value is the method's
result; an exception it raises is the method's. The drivers (``_sync.py``, ``async_support.py``)
are the only code that differs between the classes, and they close a flow in ``finally``.

Every method flow is built from the same steps, written once:

1. :meth:`~TpslFlowsMixin._tpsl_draft`: validation that needs no market (nothing is sent on failure);
2. :meth:`~TpslFlowsMixin._flow_job`: load the markets, check the market, choose the API family
   (route ``'auto'``: ``GET /v5/account/asset_mode`` once per instance) -> a :class:`Job`;
3. the method's own step on the family, run through :meth:`~TpslFlowsMixin._flow_switching`: a
   request HTX refuses with a wrong-family code (``protocol.WRONG_FAMILY_CODES``) did nothing, so on
   route ``'auto'`` the refused part is sent once more on the other family, which is then cached.
   An explicit ``route`` is never switched: such a refusal is ``NotSupported`` naming the other route.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ccxt.base.errors import ArgumentsRequired, BadRequest, BadResponse, BaseError, OrderNotFound

from . import _endpoints, _errors, _families, _validate, protocol
from ._core import TpslCoreMixin, has_retry_loop, logger, method_name, wall_ms
from ._family import Family
from ._model import (
    LOAD_MARKETS,
    RECONCILED,
    Attempt,
    Call,
    CreateSpec,
    Flow,
    IdResult,
    Json,
    Leg,
    Pause,
    Retry,
    Send,
    new_client_id,
    next_send,
)

RETRY_OPTIONS = ('maxRetriesOnFailure', 'defaultMaxRetriesOnFailure', 'maxRetriesOnFailureDelay',
                 'defaultMaxRetriesOnFailureDelay', 'resendRateLimited')
# ccxt reads it to take another method's options (and would then re-send a create): refused
CCXT_INTERNAL = ('callerMethodName',)
# keys each method sets itself: refused in params
CANCEL_KEYS = ('contract_code', 'order_id', 'algo_id', 'algo_client_order_id', 'pair', 'contract_type')
CREATE_KEYS = ('contract_code', 'direction', 'volume', 'side', 'type', 'margin_mode', 'tp_trigger_price',
               'sl_trigger_price', 'tp_order_price', 'sl_order_price', 'tp_order_price_type', 'sl_order_price_type',
               'tp_type', 'sl_type', 'algo_client_order_id', 'pair', 'contract_type', 'reduce_only')
LIST_KEYS = ('contract_code', 'page_index', 'page_size', 'from', 'limit', 'direct', 'pair', 'contract_type')
HISTORY_KEYS = (*LIST_KEYS, 'status', 'states', 'state', 'create_date', 'sort_by', 'start_time', 'margin_mode')
HISTORY_ACTIONS: dict[str | None, str] = {'closed': 'fetchClosed', 'canceled': 'fetchCanceled',
                                          None: 'fetchCanceledAndClosed'}
CANCEL_ALL_KEYS = ('contract_code', 'direction', 'pair', 'contract_type')
PRICE_TYPES = ('market', 'limit', 'optimal_5', 'optimal_10', 'optimal_20')
CCXT_NAME = re.compile(r'[a-z][a-z0-9]*[A-Z][A-Za-z0-9]*')  # ccxt's camelCase; HTX's fields are snake_case
CCXT_HINTS = {
    'hedged': "the position a TP/SL closes is HTX's position_side ('long', 'short' or 'both')",
    'clientOrderId': "takeProfit / stopLoss take {'triggerPrice': ..., 'clientOrderId': ...}",
    'reduceOnly': 'TP/SL orders always reduce the position',
    'takeProfitPrice': 'the takeProfit argument', 'stopLossPrice': 'the stopLoss argument',
    'triggerPrice': 'the takeProfit / stopLoss arguments', 'stopLossTakeProfit': 'these methods are TP/SL only',
    'trigger': 'these methods are TP/SL only', 'stop': 'these methods are TP/SL only',
    'trailing': 'these methods are TP/SL only',
}
POSITION_SIDES = ('long', 'short', 'both')
SWITCHED = 'switched'  # a route value inside a flow: already moved to the other family once
FINAL = ('canceled', 'closed')  # a lost cancel reply whose ids HTX shows in these states did its job
RECONCILE_REQUESTS = 3
"""At most this many requests ask HTX about the ids of one lost reply (the open list, then the history)."""
RECONCILE_SETTLE_MS = 1000.0
MAX_SETTLE_MS = 10_000.0
"""v5 create: how long to wait before the last look for a client order id HTX does not show yet (ours)."""

LEG_NAMES = {'tp': 'take-profit', 'sl': 'stop-loss'}

W = TypeVar('W')  # the work a family step is given: ids, legs, or nothing (a listing)
R = TypeVar('R')  # what a family step returns


@dataclass(frozen=True)
class Draft:
    """A method call validated before anything is sent (no market data needed)."""

    method: str  # the unified name, e.g. 'cancelIsolatedTpslOrders'
    where: str  # the prefix of every message: 'htx cancelIsolatedTpslOrders()'
    margin: str  # 'isolated' or 'cross'
    symbol: str
    params: Json  # the caller's params, a copy, less the options read from it
    route: str  # 'auto', 'v5' or 'v1'
    retry: Retry


@dataclass(frozen=True)
class Job(Draft):
    """A method call ready to send: the draft, its market and the API family it goes to (``route``
    becomes SWITCHED once the call moved to the other family)."""

    market: Json
    family: Family
    switched_from: Attempt | None = None  # the wrong-family refusal that moved it

    @classmethod
    def of(cls, draft: Draft, market: Json, family: Family) -> Job:
        return cls(draft.method, draft.where, draft.margin, draft.symbol, draft.params, draft.route, draft.retry,
                   market, family)


@dataclass
class Tried(Generic[R, W]):
    """What a family step did: its result, and the part of its work HTX refused with a wrong-family
    code (``refusal`` set; that part did nothing)."""

    result: R
    refused: W
    refusal: Attempt | None = None


@dataclass
class Refused(Generic[W]):
    """Work refused for the wrong family on a route that may not switch, and the ``NotSupported`` to report."""

    work: W
    error: BaseError


@dataclass(frozen=True)
class Query:
    """What a listing asks HTX for: the open list, or finished orders (history) of a status, since a time."""

    history: bool = False
    status: str | None = None  # history: 'closed', 'canceled', or None for both
    since: int | None = None  # history: the earliest creation time, ms
    want: frozenset[str] | None = None  # stop paging once every one of these ids was seen
    want_clients: frozenset[str] | None = None  # ... or every one of these client order ids
    enough: int | None = None  # stop paging once this many orders were read (pages come newest first)
    pages: int | None = None  # stop (without an error) after this many pages: a bounded lookup
    recent: bool = False  # history: the most recently updated first, where the family can ask for it

    def satisfied(self, orders: dict[str, Any]) -> bool:
        if self.want is not None and self.want <= orders.keys():
            return True
        if self.want_clients is not None and self.want_clients <= {o.get('clientOrderId') for o in orders.values()}:
            return True
        if self.enough is None:
            return False
        wanted = orders.values() if self.status is None else [o for o in orders.values() if o['status'] == self.status]
        return len(wanted) >= self.enough


OPEN = Query()


@dataclass(frozen=True)
class LostCancelAll:
    """HTX's own cancel-all, at least one attempt of which got no usable reply."""

    attempt: Attempt  # the first lost attempt
    sent_at: float  # local ms, before the first send
    named: list[Any] = dataclasses.field(default_factory=list)  # what a later reply named
    answered: bool = False  # a later attempt got HTX's reply

Unsent = Callable[[Json, BaseError], BaseError]
CancelResult = tuple[dict[str, IdResult], list[tuple[list[str], Attempt]], int]
"""What a cancel step did on one family: each id's outcome, the failed requests with their ids, requests sent."""
"""What a method raises when the family could not be chosen (nothing of the call was sent)."""


class TpslFlowsMixin(TpslCoreMixin):
    """Every TP/SL method's logic; the drivers send."""

    # -- sending: what the drivers ask ---------------------------------------------------------

    def _tpsl_resend(self, call: Call, retry: Retry | None, attempts: list[Attempt]) -> float | None:
        """None when ``call`` is settled; else the ms to wait before (re)sending it.

        The rule is ``retry``'s (``_model.Retry.next``, pure); this logs and counts each re-send
        (``tpsl_counters``). A create (``retry`` None) is sent once.
        """
        decision = next_send(retry, attempts)
        if decision is None or retry is None:
            return None if decision is None else decision.delay_ms
        if decision.reason == 'rate_limited':
            self.tpsl_counters['rate_limited_resends'] += 1
            resent = sum(1 for a in attempts if a.rate_limited)
            logger.warning('%s %s: HTX refused the request with 1032 (rate limit), which did nothing; '
                           're-sending it (%d of %d)', self.id, call.path, resent, retry.rate_limited)
        elif decision.reason == 'retry':
            self.tpsl_counters['retries'] += 1
        return decision.delay_ms

    @property
    def tpsl_counters(self) -> Counter[str]:
        """How often this exchange re-sent a TP/SL request: ``rate_limited_resends`` (1032) and ``retries``."""
        counters: Counter[str] | None = self.__dict__.get('_tpsl_counters')
        if counters is None:
            counters = self.__dict__['_tpsl_counters'] = Counter(rate_limited_resends=0, retries=0)
        return counters

    def _tpsl_body(self, call: Call) -> Any:
        """What to pass to the endpoint: ``call.body``, with ccxt's own hidden retry turned off.

        ccxt's ``fetch2`` (4.3.56 and later) reads ``maxRetriesOnFailure`` from params first, then
        ``options[path]``, and removes it before signing: a 0 in params makes exactly one attempt,
        whatever options say, and leaves ccxt's own methods on the same path alone. A list body
        (the v5 cancel) carries no option: ``options[path]`` is kept at 0 for it.
        """
        if not has_retry_loop(type(self)):
            return call.body  # ccxt before 4.3.56 never re-sends
        if isinstance(call.body, dict):
            return dict(call.body, maxRetriesOnFailure=0)
        path = _endpoints.BY_KEY[call.path].path
        options = self.options.get(path)
        if not (isinstance(options, dict) and options.get('maxRetriesOnFailure') == 0):
            self.options[path] = dict(options if isinstance(options, dict) else {}, maxRetriesOnFailure=0,
                                      maxRetriesOnFailureDelay=0)
        return call.body

    _tpsl_broken_connection: tuple[type[BaseException], ...] = (ConnectionError,)  # each driver names its library's

    def _tpsl_attempt(self, value: Any) -> Attempt:
        """One attempt's reply or ccxt exception, classified once, here (``_errors.classify``)."""
        if isinstance(value, BaseError):
            value = _errors.broken_connection(value, self._tpsl_broken_connection)
        return _errors.classify(value)

    # -- the prelude every method shares ---------------------------------------------------------

    def _tpsl_draft(self, action: str, margin: str, symbol: Any, params: Any, forbidden: tuple[str, ...],
                    create: bool = False, one: bool = False) -> Draft:
        """Validate what needs no market: symbol, params (a copy), route, options. A create refuses
        retry options (it is never re-sent) and takes its retry (for the family question) from options."""
        method = method_name(action, margin, one)
        where = f'{self.id} {method}()'
        if create and isinstance(params, dict):
            for name in RETRY_OPTIONS:
                if name in params:
                    raise BadRequest(f'{where} is never re-sent (after a lost reply a second request could place '
                                     f'the orders twice): remove {name} from params')
        checked = _validate.symbol(symbol, where)
        copied = _validate.params(params, where)
        route = self._tpsl_route(method, copied, where)
        self._tpsl_forbid(copied, forbidden, where)
        for key in CCXT_INTERNAL:
            if key in copied:
                raise BadRequest(f"{where} {key} is ccxt's own (it would take another method's options, retries "
                                 'included): remove it from params')
        retry = self._tpsl_retry(method, {} if create else copied, where)
        self._tpsl_ccxt_names(copied, margin, where, create)
        return Draft(method, where, margin, checked, copied, route, retry)

    @staticmethod
    def _tpsl_ccxt_names(params: Json, margin: str, where: str, create: bool) -> None:
        """The one rule for ccxt's own param names, on both families: HTX's fields are snake_case, so a
        camelCase key is ccxt's spelling. ``marginMode`` equal to the method's margin is dropped (the
        method says it), ``positionSide`` on a create is HTX's ``position_side``; any other is refused
        before anything is sent, never passed to HTX as a raw field."""
        for key in list(params):
            if key == 'marginMode':
                value = params.pop(key)
                if value != margin:
                    other = 'cross' if margin == 'isolated' else 'isolated'
                    raise BadRequest(f'{where} is the {margin}-margin method; for marginMode {value!r:.40} use the '
                                     f'{other} one (e.g. cancel_{other}_tpsl_orders)')
            elif key == 'positionSide' and create:
                continue  # read by the create as position_side
            elif key in CCXT_HINTS or CCXT_NAME.fullmatch(key):
                hint = CCXT_HINTS.get(key, 'HTX fields are snake_case')
                raise BadRequest(f"{where} params take HTX's field names; {key!r:.40} is ccxt's spelling, which this "
                                 f'method does not take ({hint}); nothing was sent')

    def _flow_job(self, draft: Draft, unsent: Unsent | None = None) -> Flow[Job]:
        """Load the markets, check the market, choose the family. If choosing it failed (no reply to
        the asset-mode question), nothing of the call was sent: ``unsent`` says what to raise."""
        yield LOAD_MARKETS
        market = self._tpsl_market(draft.symbol, draft.margin, draft.method)
        try:
            family = yield from self._flow_family(draft.route, draft.retry)
        except BaseError as error:
            if unsent is None:
                raise
            raise unsent(market, error) from error
        return Job.of(draft, market, family)

    def _flow_asset_mode(self, retry: Retry) -> Flow[str | None]:
        """The family ``GET /v5/account/asset_mode`` names; None when HTX refused to say (not cached)."""
        endpoint = _endpoints.ASSET_MODE
        last = (yield Send((Call(endpoint.attr, endpoint.key, {}),), retry))[0][-1]
        if last.error is not None:
            if last.unknown:
                raise last.error
            return None
        # {"code": 200, "msg": "Success", "data": {"assets_mode": 0}} (doc); SDKs read "asset_mode"
        data = last.reply.get('data') if isinstance(last.reply, dict) else None
        value = None
        if isinstance(data, dict):
            value = next((protocol.code_of(data[k]) for k in protocol.ASSET_MODE_KEYS if k in data), None)
        family = protocol.ASSET_MODE_FAMILY.get(value or '')
        if family is None:  # an unknown mode: v5, where a wrong-family refusal is unambiguous
            logger.info('%s: unrecognised asset mode %r; using the v5 family', self.id, value)
            family = protocol.V5
        return family

    def _flow_family(self, route: str, retry: Retry) -> Flow[Family]:
        """The family a call uses: the explicit route, or what 'auto' decided (asked once per instance)."""
        if route in _families.FAMILIES:
            return _families.FAMILIES[route]
        if self._tpsl_auto_family is None:
            name = yield from self._flow_asset_mode(retry)
            if name is None:  # HTX refused the question: the classic family, for this call only
                return _families.FAMILIES[protocol.CLASSIC]
            self._tpsl_auto_family = name
        return _families.FAMILIES[self._tpsl_auto_family]

    def _flow_switching(self, job: Job, work: W, step: Callable[[Job, W], Flow[Tried[R, W]]]
                        ) -> Flow[tuple[list[tuple[Job, R]], Refused[W] | None]]:
        """Run ``step`` on the job's family; the part HTX refuses with a wrong-family code goes once
        more to the other family when the route is 'auto' (remembered for the instance). Returns each
        family's result with the job that got it, and what stays refused (explicit route: ``NotSupported``)."""
        results: list[tuple[Job, R]] = []
        while True:
            tried = yield from step(job, work)
            results.append((job, tried.result))
            if tried.refusal is None:
                return results, None
            if job.route != protocol.AUTO:
                return results, Refused(tried.refused, _errors.wrong_family(self.id, job.method, job.family.name,
                                                                             tried.refusal))
            other = _families.other(job.family)
            logger.info('%s: HTX refused a %s request with a wrong-family code; using the %s family from now on',
                        self.id, job.family.name, other.name)
            self._tpsl_auto_family = other.name
            job = dataclasses.replace(job, family=other, route=SWITCHED, switched_from=tried.refusal)
            work = tried.refused

    # -- which family ------------------------------------------------------------------------

    def _flow_route(self, params: Any) -> Flow[str]:
        """The family ('v1' or 'v5') the TP/SL methods use with these params; asks HTX once for 'auto'."""
        method = 'fetchTpslRoute'
        where = f'{self.id} {method}()'
        copied = _validate.params(params, where)
        route = self._tpsl_route(method, copied, where)
        family = yield from self._flow_family(route, self._tpsl_retry(method, copied, where))
        return family.name

    # -- cancel by id ------------------------------------------------------------------------

    def _flow_cancel(self, ids: Any, symbol: Any, params: Any, margin: str) -> Flow[list[Any]]:
        order_ids = _validate.order_ids(ids, f"{self.id} {method_name('cancel', margin)}()")
        draft = self._tpsl_draft('cancel', margin, symbol, params, CANCEL_KEYS)

        def unsent(market: Json, error: BaseError) -> BaseError:  # every id as it was, unknown here
            lost = Attempt(error=error)
            outcomes: dict[str, IdResult] = {}
            self._tpsl_failed_chunk(_families.FAMILIES[protocol.CLASSIC], order_ids, lost, False, outcomes)
            for result in outcomes.values():
                result.lost = False  # nothing was sent: as it was, which no one asked HTX
            return self._tpsl_failure(draft.method, [lost], 1, self._tpsl_outcome_orders(market, order_ids, outcomes))

        job = yield from self._flow_job(draft, unsent)
        cancelled = yield from self._flow_cancel_report(job, order_ids)
        return cancelled

    def _flow_cancel_report(self, job: Job, ids: list[str]) -> Flow[list[Any]]:
        """Cancel ``ids``: one order structure per id, or the first failure raised with all of them.

        Before answering, every id whose reply was lost is looked up on HTX (:meth:`_flow_reconcile`);
        a failed request all of whose ids HTX then shows cancelled or fired is no longer a failure."""
        outcomes: dict[str, IdResult] = {}
        failures: list[tuple[list[str], Attempt]] = []
        sent = 0
        results, refused = yield from self._flow_switching(job, ids, self._step_cancel)
        for used, (found, failed, requests) in results:
            outcomes.update(found)
            failures += failed
            sent += requests
            lost = [i for i in found if found[i].lost]
            if lost and self._tpsl_reconciling():
                yield from self._flow_reconcile(used, lost, outcomes, requests=len(failed) or 1)
        if refused is not None:  # NotSupported, carrying HTX's refusal: its code and message for each id
            failure = _errors.classify(refused.error)
            failures.append((refused.work, failure))
            self._tpsl_failed_chunk(results[-1][0].family, refused.work, failure, False, outcomes)
        orders = self._tpsl_outcome_orders(job.market, ids, outcomes)
        # a lost reply is no failure once HTX shows every one of its ids cancelled or fired
        remaining = [f for chunk, f in failures
                     if f.refused or any(outcomes[i].lost or outcomes[i].status not in FINAL for i in chunk)]
        if remaining:
            raise self._tpsl_failure(job.method, remaining, sent, orders)
        return orders

    def _tpsl_reconciling(self) -> bool:
        """``options['tpslReconcile']``: ask HTX about ids whose reply was lost (default True)."""
        return self.options.get('tpslReconcile', True) is not False

    def _flow_reconcile(self, job: Job, lost: list[str], outcomes: dict[str, IdResult], requests: int) -> Flow[None]:
        """Ask HTX what became of ``lost`` ids (the open list, then the history, most recent updates
        first), at most :data:`RECONCILE_REQUESTS` requests per lost reply. An id HTX shows takes the
        state it shows (marked reconciled); an id it shows nowhere, or a lookup that fails, stays None."""
        try:
            found = yield from self._flow_find(job, lost, None, budget=RECONCILE_REQUESTS * requests)
        except BaseError as error:
            logger.warning('%s %s: asking HTX about %d ids whose reply was lost failed (%s: %s); their state stays '
                           'unknown', self.id, job.method, len(lost), type(error).__name__, self._tpsl_scrub(error))
            return
        for order_id, order in found.items():
            info = dict(order['info'], **{RECONCILED: True}) if isinstance(order['info'], dict) else order['info']
            outcomes[order_id] = IdResult(order['status'], info)

    def _step_cancel(self, job: Job, ids: list[str]) -> Flow[Tried[CancelResult, list[str]]]:
        """Cancel ``ids`` in requests of at most ``max_cancel_ids`` on the job's family:
        (outcomes, failures, requests sent), and the ids refused for the wrong family."""
        family = job.family
        size = family.max_cancel_ids
        chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
        calls = tuple(family.cancel_call(job.market, job.margin, chunk, job.params) for chunk in chunks)
        results = yield Send(calls, job.retry)
        outcomes: dict[str, IdResult] = {}
        failures: list[tuple[list[str], Attempt]] = []
        wrong: list[str] = []
        refusal: Attempt | None = None
        for chunk, attempts in zip(chunks, results, strict=True):
            last = attempts[-1]
            unknown_before = any(a.unknown for a in attempts[:-1])
            if last.error is not None:
                if last.wrong_family and not unknown_before:
                    wrong += chunk
                    refusal = refusal or last
                    continue
                failures.append((chunk, last))
                self._tpsl_failed_chunk(family, chunk, last, unknown_before, outcomes)
                continue
            parsed = family.cancel_outcomes(self, chunk, last.reply)
            if parsed is None:
                failure = _errors.classify(BadResponse(f'{self.id} {job.method}() unexpected reply: '
                                                       f'{last.reply!r:.300}'))
                failures.append((chunk, failure))
                self._tpsl_failed_chunk(family, chunk, failure, True, outcomes)
                continue
            for order_id in chunk:
                found = parsed.get(order_id)
                if found is None:
                    found = IdResult(None, family.unknown_info(order_id, 'NotMentioned',
                                                               'HTX did not mention this id in its reply'), lost=True)
                elif found.status is None and unknown_before:  # an earlier attempt may have done it
                    found.lost = True
                outcomes[order_id] = found
        return Tried((outcomes, failures, len(chunks)), wrong, refusal)

    def _tpsl_failed_chunk(self, family: Family, chunk: list[str], failure: Attempt, unknown_before: bool,
                           outcomes: dict[str, IdResult]) -> None:
        """Outcomes of a request that raised: HTX refused it (nothing was done) or no answer came.

        Either way no state is confirmed (status None): after a refusal each order is as it was,
        which HTX did not say; after no answer the request may or may not have been carried out.
        """
        if failure.refused and not unknown_before:
            message = _families.refusal_message(_errors.htx_reply(failure.error))
            for order_id in chunk:
                outcomes[order_id] = IdResult(None, family.refused_info(order_id, failure.code, message),
                                              failure.code)
            return
        text = str(failure.error)
        if unknown_before:
            text = 'outcome unknown: an earlier attempt got no reply (it may have been carried out); then ' + text
        name = type(failure.error).__name__
        for order_id in chunk:
            outcomes[order_id] = IdResult(None, family.unknown_info(order_id, name, text), lost=True)

    def _tpsl_failure(self, method: str, failures: list[Attempt], requests: int,
                      orders: list[dict[str, Any]]) -> BaseError:
        """The first failure, re-raised as its own ccxt class, with every id's outcome attached."""
        first = failures[0].error
        assert first is not None  # failures hold failed attempts only
        counts = Counter(order['status'] for order in orders)
        parts = [f'{counts[s]} {s}' for s in ('canceled', 'closed', 'open') if counts[s]]
        parts.append(f'{counts[None]} without a confirmed state')
        message = (f'{first} [{method}(): {len(failures)} of {requests} requests failed; of {len(orders)} ids '
                   f'{", ".join(parts)}: see .orders, and ccxt_htx_tpsl.outcome(order) for HTX\'s code]')
        error = _errors.attach(type(first)(message), orders=orders, htx_reply=_errors.htx_reply(first))
        error.__cause__ = first  # the failure itself, and through it its cause (scrubbed)
        return self._tpsl_scrub(error)

    # -- create ------------------------------------------------------------------------------

    def _flow_create(self, symbol: Any, side: Any, amount: Any, take_profit: Any, stop_loss: Any, params: Any,
                     margin: str) -> Flow[list[Any]]:
        draft = self._tpsl_draft('create', margin, symbol, params, CREATE_KEYS, create=True)
        where, params = draft.where, draft.params
        side = _validate.side(side, where, 'side (the closing direction)')
        contracts = _validate.amount(amount, where)
        position_side = params.pop('position_side', params.pop('positionSide', None))
        if position_side is not None and position_side not in POSITION_SIDES:
            raise BadRequest(f"{where} position_side must be one of {', '.join(POSITION_SIDES)}, "
                             f'got {position_side!r:.40}')
        raw_legs = [(kind, leg) for kind, leg in (('tp', take_profit), ('sl', stop_loss)) if leg is not None]
        if not raw_legs:
            raise ArgumentsRequired(where + ' requires a takeProfit or a stopLoss trigger price, or both')
        checked = [self._tpsl_check_leg(kind, leg, where) for kind, leg in raw_legs]
        client_ids = [leg[4] for leg in checked if leg[4] is not None]
        if len(client_ids) != len(set(client_ids)):
            raise BadRequest(f'{where} takeProfit and stopLoss have the same clientOrderId: each order needs its own')

        def unsent(market: Json, error: BaseError) -> BaseError:
            failure = type(error)(f'{where} nothing was created: asking HTX which API family the account uses got '
                                  f'no usable reply ({type(error).__name__}: {error}); no create was sent, so '
                                  'sending it again is safe')
            return self._tpsl_scrub(_errors.attach(failure, orders=[]))

        job = yield from self._flow_job(draft, unsent)
        symbol = job.market['symbol']
        legs = [Leg(kind, self.price_to_precision(symbol, str(trigger)),
                    None if price is None else self.price_to_precision(symbol, str(price)), price_type, client_id)
                for kind, trigger, price, price_type, client_id in checked]
        spec = CreateSpec(side, contracts, margin, legs, position_side)
        results, refused = yield from self._flow_switching(
            job, legs, lambda j, w: self._step_create(j, dataclasses.replace(spec, legs=w)))
        orders: list[Any] = []
        failures: list[tuple[list[Leg], Attempt]] = []
        for _, (created, failed) in results:
            orders += created
            failures += failed
        if refused is not None:
            failures.append((refused.work, _errors.classify(refused.error)))
        if failures:
            raise self._tpsl_create_failure(job, orders, failures)
        return orders

    def _tpsl_check_leg(self, kind: str, leg: Any, where: str) -> tuple[str, Any, Any, str, str | None]:
        """(kind, trigger, price, price type, client id) of a takeProfit / stopLoss argument:
        a trigger price, or ccxt's ``{'triggerPrice', 'price', 'type', 'clientOrderId'}``."""
        name = 'takeProfit' if kind == 'tp' else 'stopLoss'
        price = client_id = None
        price_type = 'market'
        if isinstance(leg, dict):
            unknown = set(leg) - {'triggerPrice', 'price', 'type', 'clientOrderId'}
            if unknown:
                raise BadRequest(f'{where} {name} takes triggerPrice, price, type and clientOrderId; '
                                 f'got {sorted(map(str, unknown))!r:.80}')
            trigger = leg.get('triggerPrice')
            if leg.get('price') is not None:
                price = _validate.price(leg['price'], where, name + '.price')
                price_type = 'limit'
            price_type = leg.get('type', price_type)
            if price_type not in PRICE_TYPES:
                raise BadRequest(f"{where} {name}.type must be one of {', '.join(PRICE_TYPES)}, got {price_type!r:.40}")
            if price is not None and price_type != 'limit':
                raise BadRequest(f'{where} {name}.price is the price of a limit order; type {price_type!r} takes none')
            if price_type == 'limit' and price is None:
                raise ArgumentsRequired(f'{where} {name}.price is required for a limit {name} order')
            client = leg.get('clientOrderId')
            if client is not None:
                if not isinstance(client, str | int) or isinstance(client, bool) or not str(client).strip():
                    raise BadRequest(f'{where} {name}.clientOrderId must be a non-empty str or int')
                client_id = str(client).strip()
        else:
            trigger = leg
        checked = _validate.price(trigger, where, name + ' trigger price')
        return kind, checked, price, price_type, client_id

    def _step_create(self, job: Job, spec: CreateSpec) -> Flow[Tried[tuple[list[Any], list[tuple[list[Leg], Attempt]]],
                                                                     list[Leg]]]:
        """Send each create once: (orders created, [(legs, failure)]), and the legs refused for the wrong family.

        On v5 every leg carries a client order id (the caller's, or one made here), by which a leg
        whose reply was lost is found on HTX before anyone hears "may exist" (:meth:`_flow_reconcile_create`)."""
        family, where = job.family, job.where
        if family.name == protocol.V5:
            legs = [leg if leg.client_id else dataclasses.replace(leg, client_id=new_client_id(), generated=True)
                    for leg in spec.legs]
        else:  # the classic API takes no client order id: only the package's own are dropped silently
            legs = [dataclasses.replace(leg, client_id=None, generated=False) if leg.generated else leg
                    for leg in spec.legs]
        spec = dataclasses.replace(spec, legs=legs)
        if family.name == protocol.CLASSIC and any(leg.client_id for leg in spec.legs):
            if job.switched_from is None:
                raise BadRequest(f"{where} classic TP/SL orders have no client order id; use route 'v5' or drop "
                                 'clientOrderId')
            # refused on v5 (nothing was created), and the classic API takes no client order id
            refused = BadRequest(f'{where} HTX refused the v5 create for this account ({job.switched_from.error}); '
                                 'its classic API takes no client order id: not created, send it again without '
                                 'clientOrderId')
            _errors.attach(refused, htx_reply=_errors.htx_reply(job.switched_from.error))
            return Tried(([], [(spec.legs, _errors.classify(refused))]), [])
        if family.name == protocol.V5 and any(leg.price_type not in ('market', 'limit') for leg in spec.legs):
            raise BadRequest(f"{where} v5 TP/SL orders take type 'market' or 'limit' only")
        closes = 'long' if spec.side == 'sell' else 'short'
        if family.name == protocol.CLASSIC and spec.position_side not in (None, closes):
            raise BadRequest(f'{where} on the classic API a TP/SL with side {spec.side!r} closes the {closes} '
                             f'position; position_side {spec.position_side!r} cannot be sent there')
        pairs = family.create_calls(job.market, spec, job.params)
        sent_at = wall_ms()  # not rounded: compared with the offset the replies prove
        results = yield Send(tuple(call for call, _ in pairs), None)  # a create is never re-sent
        orders: list[Any] = []
        failures: list[tuple[list[Leg], Attempt]] = []
        wrong: list[Leg] = []
        refusal: Attempt | None = None
        for (_, legs), attempts in zip(pairs, results, strict=True):
            last = attempts[-1]
            if last.error is not None:
                if last.wrong_family:  # refused: nothing was created, so sending it elsewhere is no re-send
                    wrong += legs
                    refusal = refusal or last
                else:
                    failures.append((legs, last))
                continue
            created = family.created_orders(self, job.market, spec, legs, last.reply)
            orders += created.orders
            if created.missing:  # created or not: the reply does not say
                failures.append((created.missing, _errors.classify(BadResponse(created.problem))))
        lost = [leg for legs, failure in failures if failure.unknown or isinstance(failure.error, BadResponse)
                for leg in legs]
        if lost and self._tpsl_reconciling():
            found = yield from self._flow_reconcile_create(job, spec, lost, sent_at)
            orders += found.values()
            failures = [(still, failure) for legs, failure in failures
                        if (still := [leg for leg in legs if id(leg) not in found])]
        return Tried((orders, failures), wrong, refusal)

    def _flow_reconcile_create(self, job: Job, spec: CreateSpec, lost: list[Leg],
                               sent_at: float) -> Flow[dict[int, Any]]:
        """The orders HTX shows for legs whose create reply was lost, by ``id(leg)``; never a re-send.

        An order counts only when it is exactly this leg (kind, side, volume, trigger, type and price)
        and HTX created it no earlier than the send could have arrived: the local send time plus a
        sure lower bound of HTX's clock offset (``ts`` minus reply time, from the pacing). v5 also
        needs the leg's client order id; it is looked for in the open list, the history and (after a
        settle time, ``options['tpslReconcileSettleMs']``, default 1000) the open list once more: at
        most 3 requests. Classic has no client id: the open list, where exactly one such order counts.
        Anything else leaves the leg unknown ("may exist"), as does a lookup that fails."""
        found: dict[int, Any] = {}
        try:
            if job.family.name == protocol.V5:
                wanted = {leg.client_id: leg for leg in lost if leg.client_id}
                query = Query(want_clients=frozenset(wanted), pages=1)
                for step, listing in enumerate((query, dataclasses.replace(query, history=True, recent=True), query)):
                    if step == 2:
                        yield Pause(self._tpsl_settle_ms())
                    listed = yield from self._flow_listed(job, listing)
                    for order in listed:
                        leg = wanted.get(order.get('clientOrderId'))
                        if leg is not None and self._tpsl_same_leg(order, spec, leg, self._tpsl_arrival(sent_at)):
                            found[id(wanted.pop(order['clientOrderId']))] = self._tpsl_reconciled(order)
                    if not wanted:
                        break
            else:
                listed = yield from self._flow_listed(job, Query(pages=RECONCILE_REQUESTS))
                arrival = self._tpsl_arrival(sent_at)
                for leg in lost:
                    matches = [o for o in listed if self._tpsl_same_leg(o, spec, leg, arrival)]
                    if len(matches) == 1:
                        found[id(leg)] = self._tpsl_reconciled(matches[0])
        except BaseError as error:
            logger.warning('%s %s: asking HTX about %d legs whose create reply was lost failed (%s: %s); they may '
                           'exist', self.id, job.method, len(lost), type(error).__name__, self._tpsl_scrub(error))
        return found

    def _tpsl_arrival(self, sent_at: float) -> float | None:
        """The earliest HTX time a request sent at local ``sent_at`` can have arrived: plus the sure
        lower bound of the clock offset the replies so far prove; None before any reply proved one."""
        floor = self._tpsl_pacer.latency.floor()
        return None if floor is None else sent_at + floor

    def _tpsl_settle_ms(self) -> float:
        value = self.options.get('tpslReconcileSettleMs', RECONCILE_SETTLE_MS)
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value < math.inf:
            return RECONCILE_SETTLE_MS  # a bad value never stalls or breaks the answer after a lost create
        return min(float(value), MAX_SETTLE_MS)

    @staticmethod
    def _tpsl_same_leg(order: Any, spec: CreateSpec, leg: Leg, arrival: float | None) -> bool:
        """A listed order that is exactly this leg, created by HTX no earlier than ``arrival``."""
        trigger = order['takeProfitPrice'] if leg.kind == 'tp' else order['stopLossPrice']
        created = order.get('timestamp')
        limit = leg.price_type == 'limit'
        return (arrival is not None and isinstance(created, int) and created > arrival
                and trigger is not None and float(trigger) == float(leg.trigger)
                and order.get('side') == spec.side and order.get('amount') == spec.amount
                and order.get('type') == ('limit' if limit else 'market')
                and (not limit or (order.get('price') is not None and leg.price is not None
                                   and float(order['price']) == float(leg.price))))

    @staticmethod
    def _tpsl_reconciled(order: Any) -> Any:
        """``order`` (as HTX listed it) marked as learned after a lost reply (``outcome(order).reconciled``)."""
        if isinstance(order.get('info'), dict):
            order['info'] = dict(order['info'], **{RECONCILED: True})
        return order

    def _tpsl_create_failure(self, job: Job, orders: list[Any], failures: list[tuple[list[Leg], Attempt]]) -> BaseError:
        """The class of the first failure whose outcome is unknown, else of the first refusal; the
        message tells each failed leg's fate and how to check. ``htx_reply`` is set only when every
        failed leg was refused (nothing of them exists): code that reads it may place them again."""
        listing = job.method.replace('create', 'fetchOpen')
        parts = []
        unknown: list[Attempt] = []
        for legs, failure in failures:
            names = ' and '.join(LEG_NAMES[leg.kind] for leg in legs)
            if failure.unknown or isinstance(failure.error, BadResponse):
                unknown.append(failure)
                parts.append(f'{names}: no usable reply ({type(failure.error).__name__}: {failure.error}); '
                             'it MAY HAVE BEEN CREATED')
            else:
                parts.append(f'{names}: refused by HTX, not created ({failure.error})')
        created = ', '.join(f"{LEG_NAMES.get('tp' if o.get('takeProfitPrice') is not None else 'sl')} {o['id']}"
                            for o in orders)
        message = f'{job.where} ' + '; '.join(parts)
        if created:
            message += f'; created: {created} (see .orders)'
        if unknown:
            snake = ''.join('_' + c.lower() if c.isupper() else c for c in listing)
            message += (f". This package never re-sends a create: check with exchange.{snake}("
                        f"'{job.market['symbol']}') before placing it again")
        first = (unknown[0] if unknown else failures[0][1]).error
        assert first is not None  # failures hold failed attempts only
        error = _errors.attach(type(first)(message), orders=orders,
                               htx_reply=None if unknown else _errors.htx_reply(first))
        error.__cause__ = first
        return self._tpsl_scrub(error)

    # -- list, history, fetch by id ---------------------------------------------------------

    def _flow_list(self, symbol: Any, since: Any, limit: Any, params: Any, margin: str) -> Flow[list[Any]]:
        draft = self._tpsl_draft('fetchOpen', margin, symbol, params, LIST_KEYS)
        since, limit = self._tpsl_since_limit(draft, since, limit)
        job = yield from self._flow_job(draft)
        orders = yield from self._flow_listed(job, OPEN)
        return self._tpsl_since_limit_filter(orders, since, limit, tail=False)

    def _flow_history(self, symbol: Any, since: Any, limit: Any, params: Any, margin: str,
                      status: str | None) -> Flow[list[Any]]:
        """Finished TP/SL orders of ``status`` ('closed': fired; 'canceled': cancelled, or fired and
        refused; None: both), oldest first; with ``limit`` and no ``since``, the newest ``limit`` of them."""
        draft = self._tpsl_draft(HISTORY_ACTIONS[status], margin, symbol, params, HISTORY_KEYS)
        since, limit = self._tpsl_since_limit(draft, since, limit)
        job = yield from self._flow_job(draft)
        query = Query(history=True, status=status, since=since, enough=limit if since is None else None)
        orders = [o for o in (yield from self._flow_listed(job, query)) if status is None or o['status'] == status]
        return self._tpsl_since_limit_filter(orders, since, limit, tail=since is None)

    def _flow_fetch_one(self, order_id: Any, symbol: Any, params: Any, margin: str) -> Flow[Any]:
        """One TP/SL order by id: in the open list, else in history; ``OrderNotFound`` when HTX shows it nowhere."""
        where = f"{self.id} {method_name('fetch', margin, one=True)}()"
        if order_id is None:
            raise ArgumentsRequired(where + ' requires an order id')
        wanted = _validate.order_id(order_id, 0, where)
        draft = self._tpsl_draft('fetch', margin, symbol, params, HISTORY_KEYS, one=True)
        job = yield from self._flow_job(draft)
        found = yield from self._flow_find(job, [wanted], None)
        if wanted not in found:
            raise OrderNotFound(f'{where} HTX shows no {margin} TP/SL order {wanted} of {job.market["symbol"]}, open '
                                f'or finished (history reaches back {protocol.CLASSIC_HISTORY_MAX_DAYS} days on '
                                'the classic API)')
        return found[wanted]

    def _flow_find(self, job: Job, ids: list[str], since: int | None,
                   budget: int | None = None) -> Flow[dict[str, Any]]:
        """The orders of ``ids`` HTX shows: the open list first, then history (since ``since``; the most
        recently updated first); paging stops once every id was seen, or after ``budget`` requests in
        all (None: no bound but the listings' own). An id HTX shows nowhere is absent from the result."""
        wanted = frozenset(ids)
        open_pages = None if budget is None else max(1, budget - 1)  # at least one request left for history
        listed, used = yield from self._flow_listing(job, Query(want=wanted, pages=open_pages))
        found = {o['id']: o for o in listed if o['id'] in wanted}
        left = None if budget is None else budget - used
        if len(found) < len(wanted) and (left is None or left > 0):
            missing = wanted - set(found)
            finished = yield from self._flow_listed(job, Query(history=True, since=since, want=missing, pages=left,
                                                               recent=True))
            found.update({o['id']: o for o in finished if o['id'] in missing})
        return found

    def _tpsl_since_limit(self, draft: Draft, since: Any, limit: Any) -> tuple[int | None, int | None]:
        """``since`` (ms) and ``limit`` validated: whole numbers >= 0, or None."""
        checked = [None if v is None else int(_validate.non_negative(v, name, draft.where, integer=True))
                   for name, v in (('since', since), ('limit', limit))]
        return checked[0], checked[1]

    def _tpsl_since_limit_filter(self, orders: list[Any], since: int | None, limit: int | None,
                                 tail: bool) -> list[Any]:
        orders.sort(key=lambda o: (o['timestamp'] is None, o['timestamp'] or 0))
        result: list[Any] = self.filter_by_since_limit(orders, since, limit, 'timestamp', tail)
        return result

    def _flow_listed(self, job: Job, query: Query) -> Flow[list[Any]]:
        """The TP/SL orders of the job's margin and market a listing shows (open, or finished), each id
        once (pages can overlap: an order placed while paging shifts the classic pages; v5's ``from``
        may be inclusive)."""
        orders, _ = yield from self._flow_listing(job, query)
        return orders

    def _flow_listing(self, job: Job, query: Query) -> Flow[tuple[list[Any], int]]:
        """:meth:`_flow_listed`, and how many requests it took."""
        results, refused = yield from self._flow_switching(job, query, self._step_pages)
        if refused is not None:
            raise refused.error
        orders, _ = results[-1][1]
        return list(orders.values()), sum(pages for _, (_, pages) in results)

    def _step_pages(self, job: Job, query: Query) -> Flow[Tried[tuple[dict[str, Any], int], Query]]:
        """Every page of the listing on the job's family, as orders by id; a refusal of the first
        page for the wrong family is handed back to switch. Paging ends early once the query has
        what it wants (every id it looks for, or ``enough`` orders, newest first).

        Bounded by a request count (``family.max_pages``) and by progress: a page cursor seen
        before raises ``BadResponse``.
        """
        family = job.family
        orders: dict[str, Any] = {}
        cursor: Any = None
        seen: set[Any] = set()
        for _page in range(family.max_pages):
            if query.history:
                call = family.history_call(job.market, job.margin, cursor, job.params, query.since, query.status,
                                           query.recent)
            else:
                call = family.list_call(job.market, job.margin, cursor, job.params)
            last = (yield Send((call,), job.retry))[0][-1]
            if last.error is not None:
                if last.wrong_family and cursor is None:
                    return Tried((orders, _page + 1), query, last)
                raise last.error
            page = family.list_page(self, last.reply, cursor, call.body)
            for item in page.items:
                order = family.listed_order(self, item, job.market, job.margin)
                if order is not None:
                    orders.setdefault(order['id'], order)
            if page.cursor is None or query.satisfied(orders) or (query.pages is not None and _page + 1 >= query.pages):
                return Tried((orders, _page + 1), query)
            if page.cursor in seen:
                raise BadResponse(f'{job.where} paging makes no progress: page {page.cursor!r:.40} again')
            seen.add(page.cursor)
            cursor = page.cursor
        raise BadResponse(f'{job.where} paging did not end after {family.max_pages} pages')

    # -- cancel all --------------------------------------------------------------------------

    def _flow_cancel_all(self, symbol: Any, params: Any, margin: str) -> Flow[list[Any]]:
        draft = self._tpsl_draft('cancelAll', margin, symbol, params, CANCEL_ALL_KEYS)
        side = draft.params.pop('side', None)
        if side is not None:
            _validate.side(side, draft.where)
        job = yield from self._flow_job(draft)
        results, refused = yield from self._flow_switching(job, side, self._step_cancel_all)
        if refused is not None:
            raise refused.error
        used, replied = results[-1]
        if isinstance(replied, list):
            return replied
        if isinstance(replied, LostCancelAll):  # HTX's own cancel-all got no usable reply at least once
            answer: list[Any] = yield from self._flow_cancel_all_lost(used, replied, side)
            return answer
        # every listed order, whatever state it shows: it is in the open list, and HTX decides
        listed = [o for o in (yield from self._flow_listed(used, OPEN)) if side is None or o['side'] == side]
        if not listed:  # HTX listed none: nothing to cancel
            return []
        cancelled = yield from self._flow_cancel_report(used, [o['id'] for o in listed])
        return cancelled

    def _flow_cancel_all_lost(self, job: Job, lost: LostCancelAll, side: str | None) -> Flow[list[Any]]:
        """HTX's cancel-all may have cancelled orders that no reply names. Ask HTX: the history's
        orders cancelled after the request could have arrived (the most recently updated first, at
        most 3 requests) are reported as such (reconciled); the orders still open are cancelled by id.
        With the named orders of a reply that came after all, that is the answer; when no reply came
        at all it is raised, with all of it in ``.orders``: never 'nothing to cancel'."""
        orders = {o['id']: o for o in lost.named}
        arrival = self._tpsl_arrival(lost.sent_at)
        asked: BaseError | None = None
        try:
            finished = yield from self._flow_listed(job, Query(history=True, status='canceled', recent=True,
                                                               pages=RECONCILE_REQUESTS))
            for order in finished:
                updated = order.get('lastUpdateTimestamp')
                if (arrival is not None and isinstance(updated, int) and updated > arrival
                        and (side is None or order['side'] == side) and order['id'] not in orders):
                    orders[order['id']] = self._tpsl_reconciled(order)
            still_open = [o['id'] for o in (yield from self._flow_listed(job, OPEN))
                          if side is None or o['side'] == side]
        except BaseError as error:
            logger.warning('%s %s: asking HTX what its cancel-all did failed (%s: %s)', self.id, job.method,
                           type(error).__name__, self._tpsl_scrub(error))
            still_open = []
            asked = error
        if still_open:
            try:
                by_id = yield from self._flow_cancel_report(job, still_open)
            except BaseError as error:
                by_id = _errors.orders(error) or []
            orders.update({o['id']: o for o in by_id})
        answer = list(orders.values())
        if lost.answered:
            return answer
        first = lost.attempt.error
        assert first is not None
        shows = (f'HTX shows {len(answer)} orders cancelled since or still open (those cancelled by id)'
                 if asked is None else f'asking HTX what it did failed too ({type(asked).__name__}), so what it '
                 f'cancelled is unknown ({len(answer)} orders named)')
        failure = type(first)(
            f'{first} [{job.method}(): the reply to HTX\'s cancel-all was lost, so it may have cancelled '
            f'orders no reply names; {shows}: see .orders]')
        failure.__cause__ = first
        raise self._tpsl_scrub(_errors.attach(failure, orders=answer))

    def _step_cancel_all(self, job: Job, side: str | None) -> Flow[Tried[list[Any] | LostCancelAll | None,
                                                                         str | None]]:
        """HTX's own cancel-all on the job's family: the orders it names, [] only when HTX said there
        was nothing to cancel; None when the family has no cancel-all (the flow lists, then cancels);
        the lost attempt when an attempt got no usable reply (the flow asks HTX what is still open)."""
        family = job.family
        call = family.cancel_all_call(job.market, job.margin, side, job.params)
        if call is None:
            return Tried(None, side)
        sent_at = wall_ms()  # not rounded: compared with the offset the replies prove
        attempts = (yield Send((call,), job.retry))[0]
        last = attempts[-1]
        lost = next((a for a in attempts if a.unknown), None)
        if last.error is None:
            named = family.cancel_all_named(self, last.reply)
            outcomes = family.cancel_outcomes(self, named, last.reply) if named is not None else None
            if named is None or outcomes is None:  # no usable reply: it may have cancelled orders it does not name
                unusable = BadResponse(f'{job.where} unexpected reply: {last.reply!r:.300}')
                if self._tpsl_reconciling():
                    return Tried(LostCancelAll(Attempt(error=unusable, transient=True), sent_at, [], False), side)
                raise unusable
            replied = self._tpsl_outcome_orders(job.market, named, outcomes)
            if lost is not None and self._tpsl_reconciling():  # an earlier attempt may have cancelled more
                return Tried(LostCancelAll(lost, sent_at, replied, True), side)
            return Tried(replied, side)
        if lost is not None and self._tpsl_reconciling():  # 1051 after it: answered, naming nothing
            nothing_left = last.refused and last.code == protocol.NOTHING_TO_CANCEL
            return Tried(LostCancelAll(lost, sent_at, [], nothing_left), side)
        if last.refused and last.code == protocol.NOTHING_TO_CANCEL:
            # 1051 also answers classic calls of unified accounts (SDK note): unless HTX already
            # told this instance the account is classic, ask before believing "nothing to cancel"
            if family.name == protocol.CLASSIC and self._tpsl_auto_family != protocol.CLASSIC:
                named_family = yield from self._flow_asset_mode(job.retry)
                if named_family == protocol.V5:
                    raise _errors.wrong_family(self.id, job.method, family.name, last)
            return Tried([], side)
        if last.wrong_family:
            return Tried(None, side, last)
        raise last.error
