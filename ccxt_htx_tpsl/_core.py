"""What every TP/SL method shares: endpoint declarations and ccxt's hooks, narrowed to them.

Signing, throttling and error mapping stay ccxt's. This module extends them through
``describe()``, ``Entry`` declarations (generated from ``_endpoints``), ``calculate_rate_limiter_cost``
/ ``throttle`` (pacing per HTX endpoint, ``_pacing.py``) and a ``handle_errors`` that changes nothing
for any other endpoint. The methods themselves are flows in ``_flows.py``; the two API families live
in ``_classic.py`` and ``_v5.py``; only the lines that send differ between the sync (``_sync.py``)
and async classes.

What this module may know: everything below the flows (``_model``, ``_endpoints``, ``_families``,
``_errors``, ``_results``, ``_pacing``, ``_secrets``, ``_transport``, ``_validate``, ``protocol``);
never ``_flows`` or the exchange classes.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from ccxt.base.errors import BadRequest, BadSymbol, BaseError, ExchangeError, ExchangeNotAvailable, NotSupported

from . import _endpoints, _errors, _families, _validate, protocol
from ._model import Retry
from ._pacing import Pacer, Ticket
from ._ratestore import new_pacer  # options['tpslRateStore']: windows shared by processes
from ._results import TpslResultsMixin
from ._secrets import LOG_SCRUBBER, Scrubber
from ._transport import NOT_FOLLOWED, signed

if TYPE_CHECKING:  # ccxt is untyped (Any to mypy); this lets the mixins use Exchange's methods
    from ccxt.base.exchange import Exchange as _ExchangeBase
else:
    _ExchangeBase = object

logger = logging.getLogger('ccxt_htx_tpsl')
# the loggers that write signed URLs at DEBUG (ccxt's own logger is the exchange's ``logger`` too)
LOGGERS = ('ccxt.base.exchange', 'ccxt.async_support.base.exchange', 'urllib3.connectionpool')

DEFAULT_RESEND_RATE_LIMITED = 3
"""How often a request refused with 1032 (it did nothing) is re-sent by default; never a create."""

# The key of the TP/SL request whose throttle comes next (set by calculate_rate_limiter_cost,
# read by throttle: fetch2 calls them back to back), then the ticket of the request being sent
# (read by handle_errors and by the caller). Context variables: every asyncio task has its own.
_PENDING: contextvars.ContextVar[str | None] = contextvars.ContextVar('ccxt_htx_tpsl_pending', default=None)
_TICKET: contextvars.ContextVar[Ticket | None] = contextvars.ContextVar('ccxt_htx_tpsl_ticket', default=None)
# True while one of the package's own flows sends: only its replies are read the package's way
# (handle_errors); ccxt's own methods on the same endpoints keep ccxt's reading and exception classes.
_OWN: contextvars.ContextVar[bool] = contextvars.ContextVar('ccxt_htx_tpsl_own', default=False)


_RETRY_LOOP: dict[type, bool] = {}


def has_retry_loop(cls: type) -> bool:
    """Whether this ccxt release's ``fetch2`` re-sends by itself (``maxRetriesOnFailure``, 4.3.56 and later).

    ccxt's own ``fetch2`` is read, not the first one in ``cls``'s MRO: a subclass (or this package)
    that wraps ``fetch2`` must not hide ccxt's retry loop. (Per class, once: ccxt's code does not change.)"""
    found = _RETRY_LOOP.get(cls)
    if found is None:
        found = _RETRY_LOOP[cls] = _ccxt_fetch2_retries(cls)
    return found


def _ccxt_fetch2_retries(cls: type) -> bool:
    for klass in cls.__mro__:
        function = vars(klass).get('fetch2')
        if function is not None and klass.__module__.split('.', 1)[0] == 'ccxt':
            code = getattr(function, '__code__', None)
            return code is not None and 'maxRetriesOnFailure' in code.co_consts
    return False


def wall_ms() -> float:
    """The local wall clock in ms: what HTX's ``ts`` is compared with."""
    return time.time() * 1000


def method_name(action: str, margin: str, one: bool = False) -> str:
    """The unified method name, e.g. ``cancelIsolatedTpslOrders`` (``one``: ``fetchIsolatedTpslOrder``)."""
    return f"{action}{margin.capitalize()}TpslOrder{'' if one else 's'}"


class TpslCoreMixin(TpslResultsMixin, _ExchangeBase):
    """Endpoint declarations and ccxt hooks; mixed in before a ``ccxt.htx`` class."""

    _tpsl_auto_family: str | None = None  # what route 'auto' decided for this instance
    # ccxt before 4.5.65 parses JSON numbers as strings unless told otherwise: numbers as numbers,
    # whatever the version (4.5.65 and later ignore the flag)
    quoteJsonNumbers = False

    def describe(self) -> Any:
        # ccxt's own retry loop (fetch2, 4.3.56+) re-sends out of sight and outside the pacing: the
        # package's requests carry maxRetriesOnFailure 0 (ccxt reads and removes it from params).
        # The v5 cancel's body is a list, which carries no option: ccxt reads options[path] then.
        no_inner_retry = {_endpoints.V5_CANCEL.path: {'maxRetriesOnFailure': 0, 'maxRetriesOnFailureDelay': 0}}
        return self.deep_extend(super().describe(), {
            'has': {
                'cancelIsolatedTpslOrders': True,
                'cancelCrossTpslOrders': True,
                'cancelAllIsolatedTpslOrders': True,
                'cancelAllCrossTpslOrders': True,
                'createIsolatedTpslOrders': True,
                'createCrossTpslOrders': True,
                'fetchOpenIsolatedTpslOrders': True,
                'fetchOpenCrossTpslOrders': True,
                'fetchIsolatedTpslOrder': True,
                'fetchCrossTpslOrder': True,
                'fetchClosedIsolatedTpslOrders': True,
                'fetchClosedCrossTpslOrders': True,
                'fetchCanceledIsolatedTpslOrders': True,
                'fetchCanceledCrossTpslOrders': True,
                'fetchTpslRoute': True,
            },
            'options': {
                'tpslRoute': protocol.AUTO,
                # requests per window for endpoints with a limit of their own: [limit, interval ms]
                'tpslRateLimits': {e.key: list(protocol.CLASSIC_TPSL_RATE) for e in _endpoints.ALL if e.own_window},
                # the UID budgets every TP/SL endpoint counts in (all API keys of the account share them)
                'tpslUidRateLimits': {'trade': list(protocol.UID_TRADE_RATE), 'read': list(protocol.UID_READ_RATE)},
                'tpslRateLimitMargin': 0.0,
                'tpslResendRateLimited': DEFAULT_RESEND_RATE_LIMITED,
                **no_inner_retry,
            },
        })

    def set_sandbox_mode(self, enabled: Any) -> Any:
        """Point the exchange at an embedded sandbox you started (``options['sandboxUrl']``), or back.

        HTX has no testnet for USDT-margined swaps. With ``options['sandboxUrl']`` (e.g. a running
        ``htx-tpsl sandbox``'s ``http://127.0.0.1:8080``, or ``Sandbox().url``) this switches the contract
        host to it; without, it raises ``NotSupported`` saying how to use the sandbox.
        """
        urls = self.urls
        if not enabled:
            backup = urls.pop('tpslSandboxBackup', None)
            if backup is not None:
                urls['hostnames']['contract'], urls['api']['contract'] = backup
            self.isSandboxModeEnabled = False
            return None
        if urls.get('tpslSandboxBackup') is not None:
            return None  # already on (ccxt also calls this from the constructor for options['sandbox'])
        url = self.safe_string(self.options, 'sandboxUrl')
        parts = urlsplit(url) if url else None
        if parts is None or parts.scheme not in ('http', 'https') or not parts.netloc:
            raise NotSupported(
                f'{self.id} has no testnet for USDT-margined swaps (HTX publishes none). Use the embedded '
                'sandbox: `with ccxt_htx_tpsl.sandbox.Sandbox() as sandbox: exchange = '
                'ccxt_htx_tpsl.htx(sandbox.exchange_config())`, or run `htx-tpsl sandbox` and set '
                "exchange.options['sandboxUrl'] = 'http://127.0.0.1:8080' before set_sandbox_mode(True)")
        urls['tpslSandboxBackup'] = (urls['hostnames']['contract'], urls['api']['contract'])
        urls['hostnames']['contract'] = parts.netloc  # signed: part of the string to sign
        urls['api']['contract'] = parts.scheme + '://{hostname}'
        self.isSandboxModeEnabled = True
        return None

    # -- secrets -----------------------------------------------------------------------------

    @property
    def _tpsl_scrubber(self) -> Scrubber:
        secrets = (self.apiKey, self.secret, getattr(self, 'password', None))
        cached = self.__dict__.get('_tpsl_scrubber_cache')
        if cached is None or cached[0] != secrets:
            cached = (secrets, Scrubber(secrets))
            self.__dict__['_tpsl_scrubber_cache'] = cached
            self._tpsl_scrub_logs(secrets)
        scrubber: Scrubber = cached[1]
        return scrubber

    def _tpsl_scrub_logs(self, secrets: tuple[Any, ...] = ()) -> None:
        """ccxt's and urllib3's DEBUG lines carry signed URLs: scrub them as they are logged."""
        LOG_SCRUBBER.add(secrets)
        loggers = [logging.getLogger(name) for name in LOGGERS]
        own = getattr(self, 'logger', None)
        if isinstance(own, logging.Logger):
            loggers.append(own)
        LOG_SCRUBBER.install(*loggers)

    def fetch2(self, path: Any, api: Any = 'public', method: str = 'GET', params: Any = None, *args: Any,
               **kwargs: Any) -> Any:
        """A request that opens orders is never re-sent by ccxt's retry loop, whoever sends it (this
        package, or ccxt's own ``create_order`` with a take-profit on ``v5/algo/order``), whatever
        ``maxRetriesOnFailure`` options or params say: ccxt reads params first."""
        if (f'{method} {path}' in _endpoints.CREATES and isinstance(params, dict)
                and has_retry_loop(type(self))):
            params = dict(params, maxRetriesOnFailure=0)
            params.pop('defaultMaxRetriesOnFailure', None)
        return super().fetch2(path, api, method, {} if params is None else params, *args, **kwargs)

    def log(self, *args: Any) -> None:
        """ccxt's ``verbose`` output (a print of each signed request and its reply), scrubbed."""
        super().log(self._tpsl_scrubber.text(' '.join(str(arg) for arg in args)))

    def sign(self, *args: Any, **kwargs: Any) -> Any:
        _ = self._tpsl_scrubber  # reading it registers credentials set after construction with the log filter
        return super().sign(*args, **kwargs)

    def _tpsl_scrub(self, error: BaseError, extra: tuple[str, ...] = ()) -> BaseError:
        """``error`` with credentials removed from its message and attachments (in place)."""
        scrubber = self._tpsl_scrubber
        error.args = tuple(scrubber.text(str(arg), extra) for arg in error.args) or (scrubber.text(str(error)),)
        orders, reply = _errors.orders(error), _errors.htx_reply(error)
        if orders is not None or reply is not None:
            _errors.attach(error, orders=None if orders is None else scrubber.deep(orders, extra),
                           htx_reply=None if reply is None else scrubber.deep(reply, extra))
        self._tpsl_scrub_causes(error, scrubber, extra)
        return error

    @staticmethod
    def _tpsl_scrub_causes(error: BaseException, scrubber: Scrubber, extra: tuple[str, ...]) -> None:
        """The chain of causes a ccxt exception keeps (``__cause__``, as plain ccxt: the DNS failure,
        the refused or reset connection), scrubbed in place: every text, and any attribute that holds
        the signed request (an ``url`` with the key in it: urllib3's ``url``, requests' ``request``,
        aiohttp's ``request_info``) is dropped."""
        seen: set[int] = set()
        link = error.__cause__ if error.__cause__ is not None else (
            None if error.__suppress_context__ else error.__context__)
        while link is not None and id(link) not in seen and len(seen) < 32:
            seen.add(id(link))
            with contextlib.suppress(AttributeError, TypeError):
                link.args = tuple(scrubber.text(a, extra) if isinstance(a, str) else a for a in link.args)
            if isinstance(link, OSError):  # its str() reads strerror and the file names, not args
                for name in ('strerror', 'filename', 'filename2'):
                    value = getattr(link, name, None)
                    if isinstance(value, str):
                        setattr(link, name, scrubber.text(value, extra))
            for name, value in list(getattr(link, '__dict__', {}).items()):
                if isinstance(value, str):
                    clean: Any = scrubber.text(value, extra)
                elif value is None or isinstance(value, BaseException | int | float | bool | tuple):
                    continue
                else:
                    url = str(getattr(value, 'url', '') or '')
                    clean = None if url and scrubber.text(url, extra) != url else value
                if clean is not value:
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(link, name, clean)
            link = link.__cause__ if link.__cause__ is not None else link.__context__

    # -- pacing: ccxt's throttler hooks, per HTX endpoint ---------------------------------------

    @property
    def _tpsl_pacer(self) -> Pacer:
        pacer: Pacer | None = self.__dict__.get('_tpsl_pacer_instance')
        if pacer is None:
            pacer = self.__dict__['_tpsl_pacer_instance'] = self._tpsl_new_pacer()
        return pacer

    def _tpsl_new_pacer(self) -> Pacer:
        """Windows from options: each limited endpoint's own, then its UID budget."""
        windows: dict[str, tuple[float, float]] = {}
        for key, value in (self.options.get('tpslRateLimits') or {}).items():
            window = _window(value)
            if window is not None:
                windows[key] = window
        for budget, value in (self.options.get('tpslUidRateLimits') or {}).items():
            window = _window(value)
            if window is not None:
                windows['uid:' + budget] = window
        paths = {e.key: (e.key, 'uid:' + e.budget) for e in _endpoints.ALL}
        margin = self.safe_number(self.options, 'tpslRateLimitMargin', 0.0) or 0.0
        return new_pacer(self, paths, windows, margin, _endpoints.CREATES)  # in-process unless tpslRateStore

    def calculate_rate_limiter_cost(
        self, api: Any, method: Any, path: Any, params: Any, config: dict[str, Any] = {}
    ) -> Any:
        """ccxt's cost, except that a TP/SL endpoint is paced by its own HTX windows (``throttle``)."""
        key = f'{method} {path}'
        if key in _endpoints.BY_KEY:
            _PENDING.set(key)
            return self.safe_number(config, 'cost', 1)
        return super().calculate_rate_limiter_cost(api, method, path, params, config)

    @staticmethod
    @contextlib.contextmanager
    def _tpsl_own_request() -> Iterator[None]:
        """While a flow's request is sent: its reply is read by the package (``handle_errors``)."""
        token = _OWN.set(True)
        try:
            yield
        finally:
            _OWN.reset(token)

    def _tpsl_take_pending(self) -> str | None:
        key = _PENDING.get()
        if key is not None:
            _PENDING.set(None)
        return key

    def _tpsl_mark_sent(self, key: str) -> None:
        _TICKET.set(self._tpsl_pacer.sent(key, wall_ms()))

    def _tpsl_settle_ticket(self) -> None:
        """After a request: if HTX's reply never reached handle_errors, it may still have arrived."""
        ticket = _TICKET.get()
        if ticket is not None:
            self._tpsl_pacer.lost(ticket, wall_ms())
            _TICKET.set(None)

    def parse_json(self, http_response: Any) -> Any:
        """ccxt's, except that a reply nested too deeply to decode is not JSON (ccxt before 4.5.65
        lets Python's RecursionError out of ``fetch``): it then reads as an unusable reply."""
        try:
            return super().parse_json(http_response)
        except RecursionError:
            return None

    # -- errors ------------------------------------------------------------------------------

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
        """ccxt's error handling, except for the package's own requests: per-id errors there are results.

        ccxt raises ``OrderNotFound`` on the first entry of ``data.errors`` even when other ids of
        the batch were cancelled, and reads a refused v5 item as cancelled. Here an accepted reply
        is returned as it is; a refusal is mapped with the codes ccxt lacks first, and the
        exception keeps the reply as ``htx_reply`` (HTX refused the whole request: it did nothing).
        Every reply also feeds the pacing (its ``ts``, its rate-limit headers, a 1032).
        """
        endpoint = _endpoints.from_url(url, method)
        code = _families.refusal_code(response)
        ticket = _TICKET.get() if endpoint is not None else None
        if ticket is not None:
            _TICKET.set(None)
            ts = response.get('ts') if isinstance(response, dict) else None
            try:
                self._tpsl_pacer.replied(ticket, wall_ms(), ts, headers, code == protocol.RATE_LIMITED)
            except Exception as bug:  # pacing learns from replies; a reply it cannot read must not lose the reply
                logger.warning('%s: pacing ignored a reply it could not read (%s)', self.id, type(bug).__name__)
        if isinstance(httpCode, int) and 300 <= httpCode < 400 and signed(url):  # not followed: see _transport
            target = _header(headers, 'location') or _header(headers, NOT_FOLLOWED.lower()) or '(no Location)'
            path = endpoint.path if endpoint is not None else url.split('?', 1)[0]
            error = ExchangeError(f'{self.id} {method} {path}: answered HTTP {httpCode} redirecting to {target}; '
                                  'a signed request is never sent on to another address')
            raise self._tpsl_scrub(error, _signature_of(url)) from None
        if endpoint is None or not _OWN.get():  # not the package's request: ccxt's reading, as in plain ccxt
            return super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody)
        signature = _signature_of(url)
        if isinstance(body, str):  # what we hand back, also in an accepted reply, never quotes the request
            clean = self._tpsl_scrubber.reply(body, response, signature)
            if clean is not body and getattr(self, 'last_http_response', None) == body:
                self.last_http_response = clean
        if code is None:
            return None
        feedback = f'{self.id} {body}'
        if _errors.outcome_unknown(httpCode, code):  # no htx_reply: the flows read it as a lost reply
            error = ExchangeNotAvailable(f'{feedback} (HTTP {httpCode}: not a refusal; the request may have '
                                         'been carried out)')
            raise self._tpsl_scrub(error, signature) from None
        try:
            self.throw_exactly_matched_exception(_errors.EXACT, code, feedback)
            super().handle_errors(
                httpCode, reason, url, method, headers, body, response, requestHeaders, requestBody)
            raise ExchangeError(feedback)  # a refusal ccxt does not know is still a refusal
        except BaseError as error:
            _errors.attach(error, htx_reply=response)
            raise self._tpsl_scrub(error, signature) from None

    # -- options -----------------------------------------------------------------------------

    def _tpsl_route(self, method: str, params: dict[str, Any], where: str) -> str:
        """``route``: params, then ``options[method]``, then ``options['tpslRoute']``; validated."""
        value = params.pop('route', _validate.MISSING)
        if value is _validate.MISSING:
            per_method = self.options.get(method)
            if isinstance(per_method, dict) and 'route' in per_method:
                value = per_method['route']
            else:
                value = self.options.get('tpslRoute', protocol.AUTO)
        return _validate.route(value, where)

    def _tpsl_retry(self, method: str, params: dict[str, Any], where: str) -> Retry:
        """ccxt's ``maxRetriesOnFailure`` / ``maxRetriesOnFailureDelay`` (params, options[method], options)
        and ``resendRateLimited`` (params) / ``options['tpslResendRateLimited']``; validated."""
        values = []
        for name in ('maxRetriesOnFailure', 'maxRetriesOnFailureDelay'):
            value = _validate.MISSING
            for key in (name, 'default' + name[0].upper() + name[1:]):
                if key in params:
                    found = params.pop(key)
                    value = found if value is _validate.MISSING else value
            if value is _validate.MISSING:
                value, _ = self.handle_option_and_params({}, method, name, 0)
            values.append(_validate.non_negative(value, name, where, integer=name == 'maxRetriesOnFailure'))
        resend = params.pop('resendRateLimited', self.options.get('tpslResendRateLimited', DEFAULT_RESEND_RATE_LIMITED))
        if resend is True:
            resend = DEFAULT_RESEND_RATE_LIMITED
        resend = 0 if resend is False or resend is None else resend
        count = _validate.non_negative(resend, 'resendRateLimited', where, integer=True)
        return Retry(int(values[0]), values[1], int(count))

    def _tpsl_forbid(self, params: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
        for key in keys:
            if key in params:
                raise BadRequest(f'{where} sets {key} itself; remove it from params')

    # -- markets -----------------------------------------------------------------------------

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
                f"{name} ({market['id']}) supports {mode} margin only, so it has no {margin} TP/SL orders")
        return market


def _window(value: Any) -> tuple[float, float] | None:
    """``[limit, interval_ms]``, or a number of requests per second; None when unusable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (float(value), 1000.0) if value > 0 else None
    if isinstance(value, list | tuple) and len(value) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0 for v in value):
        limit, interval = value
        # a fractional limit (e.g. 2.5 per s) becomes one request per 1/limit of the interval
        return (float(limit), float(interval)) if float(limit).is_integer() else (1.0, interval / limit)
    return None


def _header(headers: Any, name: str) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if str(key).lower() == name:
            return str(value)
    return None


def _signature_of(url: str) -> tuple[str, ...]:
    marker = url.find('Signature=')
    if marker < 0:
        return ()
    value = url[marker + len('Signature='):].split('&', 1)[0]
    return (value,)


for _name, _entry in _endpoints.entries().items():  # the one table: _endpoints.ALL
    setattr(TpslCoreMixin, _name, _entry)
