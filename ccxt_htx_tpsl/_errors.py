"""Errors, once: the exact exceptions of the TP/SL endpoints, what an attempt's outcome was, and the
facts an exception carries for the caller (``.orders``, ``.htx_reply``).

What this module may know: ``_model``, ``protocol``, the family registry (``_families``, to read a
refusal in either envelope) and ccxt's exception classes. It knows no exchange class and does no I/O.

Every attempt at a request is classified here, where it happened (:func:`classify`), into the
:class:`~ccxt_htx_tpsl._model.Attempt` the flows and the retry policy read:

- an accepted reply: HTX's answer, final (even one refusing every id);
- a refusal with HTX's code (``refused``): HTX did nothing; ``transient`` for 1001, 1004, 1032;
- no usable reply (timeout, reset, error page, HTTP >= 500, 1000, garbage): the request may or may
  not have been carried out; ``transient`` for network errors and ``BadResponse``.
"""

from __future__ import annotations

from typing import Any, Final

from ccxt.base.errors import (
    AuthenticationError,
    BadRequest,
    BadResponse,
    BadSymbol,
    BaseError,
    ExchangeError,
    ExchangeNotAvailable,
    NetworkError,
    NotSupported,
    OnMaintenance,
    RateLimitExceeded,
)

from . import _families, protocol
from ._model import Attempt, Json

# Top-level codes for the TP/SL endpoints, before ccxt's own table (these endpoints only, so other
# endpoints keep ccxt's behaviour). Sources: HTX's USDT-M error table, protocol.WRONG_FAMILY_CODES.
EXACT: Final[dict[str, type[BaseError]]] = {
    protocol.AUTH_FAILED: AuthenticationError,
    protocol.SYSTEM_NOT_READY: OnMaintenance,
    protocol.SYSTEM_BUSY: ExchangeNotAvailable,
    protocol.CONTRACT_NOT_FOUND: BadSymbol,
    protocol.RATE_LIMITED: RateLimitExceeded,
    protocol.BATCH_TOO_LARGE: BadRequest,
    protocol.IN_SETTLEMENT: OnMaintenance,
    protocol.IN_DELIVERY: OnMaintenance,
    **dict.fromkeys(protocol.WRONG_FAMILY_CODES, NotSupported),
}

# failures that may pass when sent again (ccxt's OperationFailed in 4.5; spelled out: ccxt 4.2 files
# BadResponse elsewhere): timeouts, network errors, error pages, 1000/1001/1004/1032, garbled replies
TRANSIENT: Final = (NetworkError, BadResponse)


# -- the facts an exception carries ---------------------------------------------------------------


def attach(error: BaseError, *, orders: list[Any] | None = None, htx_reply: Json | None = None) -> BaseError:
    """Set the caller-facing facts on ``error``: ``.orders`` (what the method would have returned)
    and ``.htx_reply`` (HTX's refusal: set only when HTX refused, i.e. did nothing)."""
    error.orders = orders  # ccxt's classes declare no attributes: set here only
    error.htx_reply = htx_reply
    return error


def htx_reply(error: BaseException | None) -> Json | None:
    """HTX's refusal an exception carries, or None (no reply, or not HTX's)."""
    reply = getattr(error, 'htx_reply', None)
    return reply if isinstance(reply, dict) else None


def orders(error: BaseException | None) -> list[Any] | None:
    """The order structures an exception carries (``.orders``), or None."""
    found = getattr(error, 'orders', None)
    return found if isinstance(found, list) else None


# -- what an attempt's outcome was ----------------------------------------------------------------


def outcome_unknown(http_status: Any, code: str) -> bool:
    """A refusal-shaped reply that does not say the request did nothing (protocol.UNKNOWN_OUTCOME_CODES,
    a v5 code from 500 to 599, any reply with an HTTP status of 500 or more)."""
    if isinstance(http_status, int) and http_status >= 500:
        return True
    return code in protocol.UNKNOWN_OUTCOME_CODES or (len(code) == 3 and code.startswith('5') and code.isdigit())


def classify(value: Any) -> Attempt:
    """One attempt: HTX's accepted reply, or the ccxt exception it raised (``handle_errors`` set
    ``htx_reply`` only on a refusal, which did nothing)."""
    if not isinstance(value, BaseError):
        return Attempt(reply=value)
    refusal = htx_reply(value)
    transient = isinstance(value, TRANSIENT)
    if refusal is None:
        return Attempt(error=value, transient=transient)
    code = _families.refusal_code(refusal)
    return Attempt(error=value, code=code, refused=True, transient=transient,
                   rate_limited=code == protocol.RATE_LIMITED, wrong_family=code in protocol.WRONG_FAMILY_CODES)


def broken_connection(error: BaseError, broken: tuple[type[BaseException], ...]) -> BaseError:
    """A connection broken while the reply was read is a network error, on both classes.

    ccxt's async class maps aiohttp's ``ClientPayloadError`` (a reset in the middle of the body)
    to a plain ``ExchangeError``, which a retry would not re-send; the sync class already says
    ``NetworkError``. ``broken`` are the HTTP library's classes for it (each driver names its own).
    The request may or may not have been carried out either way.
    """
    cause = error.__cause__
    if type(error) is ExchangeError and isinstance(cause, broken):
        network = NetworkError(*error.args)
        network.__cause__ = cause
        return network
    return error


# -- refusals the flows report ---------------------------------------------------------------------


def wrong_family(exchange_id: str, method: str, family: str, attempt: Attempt) -> BaseError:
    """``NotSupported`` for a wrong-family refusal on an explicit route, naming the route to use."""
    other = _families.OTHER[family]
    refusal = htx_reply(attempt.error)
    message = _families.refusal_message(refusal)
    failure = NotSupported(
        f"{exchange_id} {method}() HTX refused the {family} API for this account ({attempt.code}: {message}); "
        f"it uses the {other} API: pass params={{'route': '{other}'}}, or set "
        f"exchange.options['tpslRoute'] = '{other}' (or 'auto', the default, to let the package ask HTX)")
    return attach(failure, htx_reply=refusal)
