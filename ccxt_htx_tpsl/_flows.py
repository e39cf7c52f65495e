"""The TP/SL methods as flows: all their logic, once, for the sync, async and pro classes.

A flow is a generator. It validates, then yields what it needs done and gets the answer back:

- ``LOAD_MARKETS``: the driver loads the markets (answer: None);
- a list of :class:`~ccxt_htx_tpsl._family.Call`: the driver sends them (the async class
  concurrently) and answers, for each, the list of its attempts: the decoded reply, or the ccxt
  exception it raised. The driver re-sends as :meth:`TpslFlowsMixin._tpsl_next_delay` says.

The flow's return value is the method's result; an exception it raises is the method's. The
drivers (``_sync.py``, ``async_support.py``) are the only code that differs between the classes.

Choosing the API family (route ``'auto'``): before the first request of an exchange instance,
``GET /v5/account/asset_mode`` says which family the account uses (cached); a request refused
with a wrong-family code (``protocol.WRONG_FAMILY_CODES``) did nothing, so it is sent once more on
the other family, which is then cached. An explicit ``route`` is never switched: such a refusal
raises ``NotSupported`` naming the other route.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any, TypeVar

from ccxt.base.errors import ArgumentsRequired, BadRequest, BadResponse, BaseError, NetworkError, NotSupported

from . import _endpoints, _validate, protocol
from ._core import FAMILIES, OTHER_FAMILY, TpslCoreMixin, has_retry_loop, logger, method_name
from ._family import Call, CreateSpec, Family, IdResult, Leg, Retry

LOAD_MARKETS = 'load_markets'
# failures that may pass when sent again (ccxt's OperationFailed in 4.5; spelled out: ccxt 4.2 files
# BadResponse elsewhere): timeouts, network errors, error pages, 1000/1001/1004/1032, garbled replies
RETRYABLE = (NetworkError, BadResponse)
T = TypeVar('T')
Flow = Generator[Any, Any, T]  # what a flow yields, is sent, returns

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
CANCEL_ALL_KEYS = ('contract_code', 'direction', 'pair', 'contract_type')
PRICE_TYPES = ('market', 'limit', 'optimal_5', 'optimal_10', 'optimal_20')
POSITION_SIDES = ('long', 'short', 'both')
SWITCHED = 'switched'  # a route value inside a flow: already moved to the other family once
LEG_NAMES = {'tp': 'take-profit', 'sl': 'stop-loss'}


def _unknown(attempt: Any) -> bool:
    """An attempt that may or may not have been carried out: no HTX reply came back."""
    return isinstance(attempt, BaseError) and not isinstance(getattr(attempt, 'htx_reply', None), dict)


def _reply_code(error: BaseError) -> str | None:
    reply = getattr(error, 'htx_reply', None)
    return FAMILIES[protocol.CLASSIC].refusal_code(reply) or FAMILIES[protocol.V5].refusal_code(reply)


def _reply_message(error: BaseError) -> Any:
    reply = getattr(error, 'htx_reply', None)
    if not isinstance(reply, dict):
        return None
    for key in ('err_msg', 'err-msg', 'message', 'msg'):
        if key in reply:
            return reply[key]
    return None


def _wrong_family(error: Any) -> bool:
    return isinstance(error, BaseError) and not _unknown(error) and _reply_code(error) in protocol.WRONG_FAMILY_CODES


class TpslFlowsMixin(TpslCoreMixin):
    """Every TP/SL method's logic; the drivers send."""

    # -- sending: what the drivers ask ---------------------------------------------------------

    def _tpsl_next_delay(self, call: Call, attempts: list[Any]) -> float | None:
        """None when ``call`` is settled; else the ms to wait before (re)sending it.

        A reply is final, even one refusing every id. A 1032 refusal did nothing: it is re-sent up
        to ``retry.rate_limited`` times (logged, counted in ``tpsl_counters``). Other failures that
        may pass (:data:`RETRYABLE`: a timeout, a network error, an error page, 1000/1001/1004, a
        garbled reply) are re-sent up to ccxt's ``maxRetriesOnFailure``. A create (``retry`` None)
        is sent once.
        """
        if not attempts:
            return 0.0
        last, retry = attempts[-1], call.retry
        if retry is None or not isinstance(last, BaseError):
            return None
        refused_1032 = sum(1 for a in attempts if isinstance(a, BaseError) and _reply_code(a) == protocol.RATE_LIMITED)
        if _reply_code(last) == protocol.RATE_LIMITED and refused_1032 <= retry.rate_limited:
            self.tpsl_counters['rate_limited_resends'] += 1
            logger.warning('%s %s: HTX refused the request with 1032 (rate limit), which did nothing; '
                           're-sending it (%d of %d)', self.id, call.path, refused_1032, retry.rate_limited)
            return 0.0
        others = len(attempts) - min(refused_1032, retry.rate_limited)
        if isinstance(last, RETRYABLE) and others <= retry.max_retries:
            self.tpsl_counters['retries'] += 1
            return retry.delay_ms
        return None

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

    # -- shared steps ------------------------------------------------------------------------

    def _flow_asset_mode(self, retry: Retry) -> Flow[Any]:
        """The family ``GET /v5/account/asset_mode`` names; None when HTX refused to say (not cached)."""
        endpoint = _endpoints.ASSET_MODE
        last = (yield [Call(endpoint.attr, endpoint.key, {}, retry)])[0][-1]
        if isinstance(last, BaseError):
            if _unknown(last):
                raise last
            return None
        # {"code": 200, "msg": "Success", "data": {"assets_mode": 0}} (doc); SDKs read "asset_mode"
        data = last.get('data') if isinstance(last, dict) else None
        value = None
        if isinstance(data, dict):
            value = next((protocol.code_of(data[k]) for k in protocol.ASSET_MODE_KEYS if k in data), None)
        family = protocol.ASSET_MODE_FAMILY.get(value or '')
        if family is None:  # an unknown mode: v5, where a wrong-family refusal is unambiguous
            logger.info('%s: unrecognised asset mode %r; using the v5 family', self.id, value)
            family = protocol.V5
        return family

    def _flow_family(self, route: str, retry: Retry) -> Flow[Any]:
        """The family a call uses: the explicit route, or what 'auto' decided (asked once per instance)."""
        if route in FAMILIES:
            family: Family = FAMILIES[route]
            return family
        if self._tpsl_auto_family is None:
            name = yield from self._flow_asset_mode(retry)
            if name is None:  # HTX refused the question: the classic family, for this call only
                return FAMILIES[protocol.CLASSIC]
            self._tpsl_auto_family = name
        return FAMILIES[self._tpsl_auto_family]

    def _tpsl_switch(self, family: Family) -> Family:
        """Route 'auto' learned that the account uses the other family: remember it."""
        other = OTHER_FAMILY[family.name]
        logger.info('%s: HTX refused a %s request with a wrong-family code; using the %s family from now on',
                    self.id, family.name, other)
        self._tpsl_auto_family = other
        return FAMILIES[other]

    def _tpsl_wrong_family_error(self, error: BaseError, family: Family, method: str) -> BaseError:
        other = OTHER_FAMILY[family.name]
        code, message = _reply_code(error), _reply_message(error)
        failure = NotSupported(
            f"{self.id} {method}() HTX refused the {family.name} API for this account ({code}: {message}); "
            f"it uses the {other} API: pass params={{'route': '{other}'}}, or set "
            f"exchange.options['tpslRoute'] = '{other}' (or 'auto', the default, to let the package ask HTX)")
        failure.htx_reply = getattr(error, 'htx_reply', None)
        return failure

    def _tpsl_common(self, action: str, margin: str, symbol: Any, params: Any,
                     forbidden: tuple[str, ...]) -> tuple[str, str, str, dict[str, Any], str]:
        """Method name, message prefix, symbol, params (a copy) and route; validated."""
        method = method_name(action, margin)
        where = f'{self.id} {method}()'
        checked = _validate.symbol(symbol, where)
        copied = _validate.params(params, where)
        route = self._tpsl_route(method, copied, where)
        self._tpsl_forbid(copied, forbidden, where)
        for key in CCXT_INTERNAL:
            if key in copied:
                raise BadRequest(f"{where} {key} is ccxt's own (it would take another method's options, retries "
                                 'included): remove it from params')
        return method, where, checked, copied, route

    # -- which family ------------------------------------------------------------------------

    def _flow_route(self, params: Any) -> Flow[str]:
        """The family ('v1' or 'v5') the TP/SL methods use with these params; asks HTX once for 'auto'."""
        method = 'fetchTpslRoute'
        where = f'{self.id} {method}()'
        copied = _validate.params(params, where)
        route = self._tpsl_route(method, copied, where)
        family: Family = yield from self._flow_family(route, self._tpsl_retry(method, copied, where))
        return family.name

    # -- cancel by id ------------------------------------------------------------------------

    def _flow_cancel(self, ids: Any, symbol: Any, params: Any, margin: str) -> Flow[list[Any]]:
        method = method_name('cancel', margin)
        order_ids = _validate.order_ids(ids, f'{self.id} {method}()')
        method, where, symbol, params, route = self._tpsl_common('cancel', margin, symbol, params, CANCEL_KEYS)
        retry = self._tpsl_retry(method, params, where)
        yield LOAD_MARKETS
        market = self._tpsl_market(symbol, margin, method)
        try:
            family = yield from self._flow_family(route, retry)
        except BaseError as error:  # nothing was sent to cancel: every id as it was, unknown here
            outcomes = {i: IdResult(None, FAMILIES[protocol.CLASSIC].unknown_info(i, type(error).__name__, str(error)))
                        for i in order_ids}
            orders = self._tpsl_outcome_orders(market, order_ids, outcomes)
            raise self._tpsl_failure(method, [error], 1, orders) from None
        cancelled: list[Any] = yield from self._flow_cancel_report(market, margin, order_ids, params, retry, route,
                                                                   family, method)
        return cancelled

    def _flow_cancel_report(self, market: dict[str, Any], margin: str, ids: list[str], params: dict[str, Any],
                            retry: Retry, route: str, family: Family, method: str) -> Flow[list[Any]]:
        """Cancel ``ids``: one order structure per id, or the first failure raised with all of them."""
        outcomes, failures, sent = yield from self._flow_cancel_ids(market, margin, ids, params, retry, route,
                                                                    family, method)
        orders = self._tpsl_outcome_orders(market, ids, outcomes)
        if failures:
            raise self._tpsl_failure(method, failures, sent, orders)
        return orders

    def _flow_cancel_ids(self, market: dict[str, Any], margin: str, ids: list[str], params: dict[str, Any],
                         retry: Retry, route: str, family: Family, method: str) -> Flow[Any]:
        """Cancel ``ids`` in requests of at most ``family.max_cancel_ids``: (outcomes, failures, requests)."""
        size = family.max_cancel_ids
        chunks = [ids[i:i + size] for i in range(0, len(ids), size)]
        results = yield [family.cancel_call(self, market, margin, chunk, params, retry) for chunk in chunks]
        outcomes: dict[str, IdResult] = {}
        failures: list[BaseError] = []
        wrong: list[str] = []
        wrong_error: BaseError | None = None
        for chunk, attempts in zip(chunks, results, strict=True):
            last = attempts[-1]
            unknown_before = any(_unknown(a) for a in attempts[:-1])
            if isinstance(last, BaseError):
                if _wrong_family(last) and not unknown_before:
                    wrong += chunk
                    wrong_error = wrong_error or last
                    continue
                failures.append(last)
                self._tpsl_failed_chunk(family, chunk, last, unknown_before, outcomes)
                continue
            parsed = family.cancel_outcomes(self, chunk, last)
            if parsed is None:
                failure = BadResponse(f'{self.id} {method}() unexpected reply: {last!r:.300}')
                failures.append(failure)
                self._tpsl_failed_chunk(family, chunk, failure, True, outcomes)
                continue
            for order_id in chunk:
                found = parsed.get(order_id)
                outcomes[order_id] = found if found is not None else IdResult(
                    None, family.unknown_info(order_id, 'NotMentioned', 'HTX did not mention this id in its reply'))
        sent = len(chunks)
        if wrong_error is not None:
            if route == protocol.AUTO:  # the refusal did nothing: the same cancels on the other family
                other = self._tpsl_switch(family)
                more, more_failures, more_sent = yield from self._flow_cancel_ids(
                    market, margin, wrong, params, retry, SWITCHED, other, method)
                outcomes.update(more)
                failures += more_failures
                sent += more_sent
            else:
                failure = self._tpsl_wrong_family_error(wrong_error, family, method)
                failures.append(failure)
                self._tpsl_failed_chunk(family, wrong, wrong_error, False, outcomes)
        return outcomes, failures, sent

    def _tpsl_failed_chunk(self, family: Family, chunk: list[str], error: BaseError, unknown_before: bool,
                           outcomes: dict[str, IdResult]) -> None:
        """Outcomes of a request that raised: HTX refused it (nothing was done) or no answer came.

        Either way no state is confirmed (status None): after a refusal each order is as it was,
        which HTX did not say; after no answer the request may or may not have been carried out.
        """
        if not _unknown(error) and not unknown_before:
            code, message = _reply_code(error), _reply_message(error)
            for order_id in chunk:
                outcomes[order_id] = IdResult(None, family.refused_info(order_id, code, message), code)
            return
        text = str(error)
        if unknown_before:
            text = 'outcome unknown: an earlier attempt got no reply (it may have been carried out); then ' + text
        name = type(error).__name__
        for order_id in chunk:
            outcomes[order_id] = IdResult(None, family.unknown_info(order_id, name, text))

    def _tpsl_failure(self, method: str, failures: list[BaseError], requests: int,
                      orders: list[dict[str, Any]]) -> BaseError:
        """The first failure, re-raised as its own ccxt class, with every id's outcome attached."""
        first = failures[0]
        counts = Counter(order['status'] for order in orders)
        parts = [f'{counts[s]} {s}' for s in ('canceled', 'closed', 'open') if counts[s]]
        parts.append(f'{counts[None]} without a confirmed state')
        message = (f'{first} [{method}(): {len(failures)} of {requests} requests failed; of {len(orders)} ids '
                   f'{", ".join(parts)}: see .orders, and ccxt_htx_tpsl.outcome(order) for HTX\'s code]')
        error = type(first)(message)
        error.orders = orders
        error.htx_reply = getattr(first, 'htx_reply', None)
        return self._tpsl_scrub(error)

    # -- create ------------------------------------------------------------------------------

    def _flow_create(self, symbol: Any, side: Any, amount: Any, take_profit: Any, stop_loss: Any, params: Any,
                     margin: str) -> Flow[list[Any]]:
        method = method_name('create', margin)
        where = f'{self.id} {method}()'
        if isinstance(params, dict):
            for name in RETRY_OPTIONS:
                if name in params:
                    raise BadRequest(f'{where} is never re-sent (after a lost reply a second request could place '
                                     f'the orders twice): remove {name} from params')
        method, where, symbol, params, route = self._tpsl_common('create', margin, symbol, params, CREATE_KEYS)
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
        yield LOAD_MARKETS
        market = self._tpsl_market(symbol, margin, method)
        legs = [Leg(kind, self.price_to_precision(market['symbol'], str(trigger)),
                    None if price is None else self.price_to_precision(market['symbol'], str(price)),
                    price_type, client_id)
                for kind, trigger, price, price_type, client_id in checked]
        spec = CreateSpec(side, contracts, margin, legs, position_side)
        family = yield from self._flow_family(route, self._tpsl_retry(method, {}, where))
        orders, failures = yield from self._flow_create_legs(market, spec, params, route, family, method, where)
        if failures:
            raise self._tpsl_create_failure(method, market, orders, failures)
        created: list[Any] = orders
        return created

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

    def _flow_create_legs(self, market: dict[str, Any], spec: CreateSpec, params: dict[str, Any], route: str,
                          family: Family, method: str, where: str) -> Flow[Any]:
        """Send each create once: (orders created, [(legs, failure)])."""
        if family.name == protocol.CLASSIC and any(leg.client_id for leg in spec.legs):
            raise BadRequest(f"{where} classic TP/SL orders have no client order id; use route 'v5' or drop "
                             'clientOrderId')
        if family.name == protocol.V5 and any(leg.price_type not in ('market', 'limit') for leg in spec.legs):
            raise BadRequest(f"{where} v5 TP/SL orders take type 'market' or 'limit' only")
        pairs = family.create_calls(self, market, spec, params)
        results = yield [call for call, _ in pairs]
        orders: list[Any] = []
        failures: list[tuple[list[Leg], BaseError]] = []
        wrong: list[Leg] = []
        wrong_error: BaseError | None = None
        for (_, legs), attempts in zip(pairs, results, strict=True):
            last = attempts[-1]
            if isinstance(last, BaseError):
                if _wrong_family(last):
                    wrong += legs
                    wrong_error = wrong_error or last
                else:
                    failures.append((legs, last))
                continue
            try:
                orders += family.created_orders(self, market, spec, legs, last)
            except BaseError as error:  # created or not: the reply does not say (for the legs it omits)
                orders += getattr(error, 'created', [])
                failures.append((getattr(error, 'missing', legs), error))
        if wrong_error is not None:
            if route == protocol.AUTO:  # refused: nothing was created, so this is not a re-send
                other = self._tpsl_switch(family)
                if other.name == protocol.CLASSIC and any(leg.client_id for leg in wrong):
                    refused = BadRequest(f'{where} HTX refused the v5 create for this account ({wrong_error}); '
                                         'its classic API takes no client order id: not created, send it again '
                                         'without clientOrderId')
                    refused.htx_reply = getattr(wrong_error, 'htx_reply', None)
                    failures.append((wrong, refused))
                    return orders, failures
                more_spec = CreateSpec(spec.side, spec.amount, spec.margin, wrong, spec.position_side)
                more, more_failures = yield from self._flow_create_legs(market, more_spec, params, SWITCHED, other,
                                                                        method, where)
                orders += more
                failures += more_failures
            else:
                failures.append((wrong, self._tpsl_wrong_family_error(wrong_error, family, method)))
        return orders, failures

    def _tpsl_create_failure(self, method: str, market: dict[str, Any], orders: list[Any],
                             failures: list[tuple[list[Leg], BaseError]]) -> BaseError:
        """The class of the first failure whose outcome is unknown, else of the first refusal; the
        message tells each failed leg's fate and how to check. ``htx_reply`` is set only when every
        failed leg was refused (nothing of them exists): code that reads it may place them again."""
        listing = method.replace('create', 'fetchOpen')
        parts = []
        unknown: list[BaseError] = []
        for legs, error in failures:
            names = ' and '.join(LEG_NAMES[leg.kind] for leg in legs)
            if _unknown(error) or isinstance(error, BadResponse):
                unknown.append(error)
                parts.append(f'{names}: no usable reply ({type(error).__name__}: {error}); it MAY HAVE BEEN CREATED')
            else:
                parts.append(f'{names}: refused by HTX, not created ({error})')
        created = ', '.join(f"{LEG_NAMES.get('tp' if o.get('takeProfitPrice') is not None else 'sl')} {o['id']}"
                            for o in orders)
        message = f'{self.id} {method}() ' + '; '.join(parts)
        if created:
            message += f'; created: {created} (see .orders)'
        if unknown:
            snake = ''.join('_' + c.lower() if c.isupper() else c for c in listing)
            message += (f". This package never re-sends a create: check with exchange.{snake}("
                        f"'{market['symbol']}') before placing it again")
        first = unknown[0] if unknown else failures[0][1]
        error = type(first)(message)
        error.orders = orders
        error.htx_reply = None if unknown else getattr(first, 'htx_reply', None)
        return self._tpsl_scrub(error)

    # -- list --------------------------------------------------------------------------------

    def _flow_list(self, symbol: Any, since: Any, limit: Any, params: Any, margin: str) -> Flow[list[Any]]:
        method, where, symbol, params, route = self._tpsl_common('fetchOpen', margin, symbol, params, LIST_KEYS)
        if since is not None:
            since = int(_validate.non_negative(since, 'since', where, integer=True))
        if limit is not None:
            limit = int(_validate.non_negative(limit, 'limit', where, integer=True))
        retry = self._tpsl_retry(method, params, where)
        yield LOAD_MARKETS
        market = self._tpsl_market(symbol, margin, method)
        family = yield from self._flow_family(route, retry)
        raw, family = yield from self._flow_pages(market, margin, params, retry, route, family, method)
        orders = self._tpsl_listed(family, raw, market, margin)
        orders.sort(key=lambda o: (o['timestamp'] is None, o['timestamp'] or 0))
        result: list[Any] = self.filter_by_since_limit(orders, since, limit)
        return result

    def _tpsl_listed(self, family: Family, raw: list[Any], market: dict[str, Any], margin: str) -> list[Any]:
        """The TP/SL orders of ``margin`` and the market in a listing, each id once (pages can overlap:
        an order placed while paging shifts the classic pages; v5's ``from`` may be inclusive)."""
        orders: dict[str, Any] = {}
        for item in raw:
            order = family.listed_order(self, item, market, margin)
            if order is not None:
                orders.setdefault(order['id'], order)
        return list(orders.values())

    def _flow_pages(self, market: dict[str, Any], margin: str, params: dict[str, Any], retry: Retry, route: str,
                    family: Family, method: str) -> Flow[Any]:
        """Every page of open TP/SL orders: (raw items, the family that answered).

        Bounded by a request count (``family.max_pages``) and by progress: a page cursor seen
        before raises ``BadResponse``.
        """
        raw: list[Any] = []
        cursor: Any = None
        seen: set[Any] = set()
        for _ in range(family.max_pages):
            call = family.list_call(self, market, margin, cursor, params, retry)
            last = (yield [call])[0][-1]
            if isinstance(last, BaseError):
                if _wrong_family(last) and cursor is None:
                    if route == protocol.AUTO:
                        other = self._tpsl_switch(family)
                        return (yield from self._flow_pages(market, margin, params, retry, SWITCHED, other, method))
                    raise self._tpsl_wrong_family_error(last, family, method)
                raise last
            page = family.list_page(self, last, cursor, call.body)
            raw += page.items
            if page.cursor is None:
                return raw, family
            if page.cursor in seen:
                raise BadResponse(f'{self.id} {method}() paging makes no progress: page {page.cursor!r:.40} again')
            seen.add(page.cursor)
            cursor = page.cursor
        raise BadResponse(f'{self.id} {method}() paging did not end after {family.max_pages} pages')

    # -- cancel all --------------------------------------------------------------------------

    def _flow_cancel_all(self, symbol: Any, params: Any, margin: str) -> Flow[list[Any]]:
        method, where, symbol, params, route = self._tpsl_common('cancelAll', margin, symbol, params,
                                                                 CANCEL_ALL_KEYS)
        side = params.pop('side', None)
        if side is not None:
            _validate.side(side, where)
        retry = self._tpsl_retry(method, params, where)
        yield LOAD_MARKETS
        market = self._tpsl_market(symbol, margin, method)
        family = yield from self._flow_family(route, retry)
        call = family.cancel_all_call(self, market, margin, side, params, retry)
        if call is not None:
            last = (yield [call])[0][-1]
            if isinstance(last, BaseError) and _wrong_family(last) and route == protocol.AUTO:
                family = self._tpsl_switch(family)
                route = SWITCHED
                call = family.cancel_all_call(self, market, margin, side, params, retry)
                last = (yield [call])[0][-1] if call is not None else None
            if call is not None:
                replied: list[Any] = yield from self._flow_cancel_all_reply(market, family, route, retry, last, method)
                return replied
        raw, family = yield from self._flow_pages(market, margin, params, retry, route, family, method)
        listed = [o for o in self._tpsl_listed(family, raw, market, margin)
                  if o['status'] == 'open' and (side is None or o['side'] == side)]
        ids = [o['id'] for o in listed]
        if not ids:  # HTX listed none: nothing to cancel
            return []
        cancelled: list[Any] = yield from self._flow_cancel_report(market, margin, ids, params, retry, route, family,
                                                                   method)
        return cancelled

    def _flow_cancel_all_reply(self, market: dict[str, Any], family: Family, route: str, retry: Retry, last: Any,
                               method: str) -> Flow[Any]:
        """The result of HTX's own cancel-all: [] only when HTX said there was nothing to cancel."""
        if isinstance(last, BaseError):
            if _reply_code(last) == protocol.NOTHING_TO_CANCEL and not _unknown(last):
                # 1051 also answers classic calls of unified accounts (SDK note): unless HTX already
                # told this instance the account is classic, ask before believing "nothing to cancel"
                if family.name == protocol.CLASSIC and self._tpsl_auto_family != protocol.CLASSIC:
                    named = yield from self._flow_asset_mode(retry)
                    if named == protocol.V5:
                        raise self._tpsl_wrong_family_error(last, family, method) from None
                return []
            if _wrong_family(last):
                raise self._tpsl_wrong_family_error(last, family, method)
            raise last
        named = family.cancel_all_named(self, last)
        outcomes = family.cancel_outcomes(self, named, last) if named is not None else None
        if named is None or outcomes is None:
            raise BadResponse(f'{self.id} {method}() unexpected reply: {last!r:.300}')
        return self._tpsl_outcome_orders(market, named, outcomes)
