"""Plain data every layer shares: requests, attempts, legs, pages, per-id results, the typed steps of a flow.

What this module may know: Python, and ccxt's exception base class (an attempt that failed holds
one). It imports nothing of this package, so every other module can import it. Nothing here does
I/O or reads the exchange; the few functions are pure readers of JSON values.

A **flow** (``_flows.py``) is a generator typed :data:`Flow`: it yields a :data:`Step` and is sent,
for each call of the step, the list of its attempts (``[]`` for :class:`LoadMarkets`). A driver
(``_sync.py``, ``async_support.py``) performs the step and closes the flow in ``finally``.
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar

from ccxt.base.errors import BaseError

Json = dict[str, Any]
T = TypeVar('T')

# -- what a flow asks its driver to do ----------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request to send: the implicit-API method (an ``Entry`` attribute), its ``METHOD path`` key and body."""

    endpoint: str
    path: str
    body: Any


@dataclass(frozen=True)
class Attempt:
    """One attempt at a :class:`Call`, classified once where it happened (``_errors.classify``).

    ``error`` None: HTX's accepted reply is ``reply``. Otherwise ``refused`` says HTX refused the
    whole request (it did nothing; ``code`` is HTX's), else no usable reply came back and the
    request may or may not have been carried out. ``transient``: a failure that may pass when the
    request is sent again (a timeout, a network error, an error page, 1000/1001/1004, 1032).
    ``rate_limited``: refused with 1032; ``wrong_family``: refused with a code saying the account
    uses the other API family. Both did nothing.
    """

    reply: Any = None
    error: BaseError | None = None
    code: str | None = None
    refused: bool = False
    transient: bool = False
    rate_limited: bool = False
    wrong_family: bool = False

    @property
    def unknown(self) -> bool:
        """An attempt that may or may not have been carried out: no HTX reply came back."""
        return self.error is not None and not self.refused


@dataclass(frozen=True)
class Resend:
    """The retry policy's answer: send the call (again) after ``delay_ms``; ``reason`` for logs and counters."""

    delay_ms: float
    reason: str  # 'first', 'rate_limited' (a 1032, which did nothing) or 'retry' (ccxt's maxRetriesOnFailure)


FIRST: Final = Resend(0.0, 'first')


@dataclass(frozen=True)
class Retry:
    """How a request may be re-sent: an immutable value whose :meth:`next` is a pure function of the attempts.

    A create is sent with no ``Retry`` at all (``Send.retry`` None): once, whatever happens.
    """

    max_retries: int = 0  # ccxt's maxRetriesOnFailure: transient failures
    delay_ms: float = 0.0  # ccxt's maxRetriesOnFailureDelay
    rate_limited: int = 0  # 1032 refusals re-sent (they did nothing), on top of max_retries

    def next(self, attempts: Sequence[Attempt]) -> Resend | None:
        """None when the call is settled, else when to send it again.

        A reply is final, even one refusing every id. A 1032 refusal did nothing: re-sent up to
        ``rate_limited`` times. Other transient failures are re-sent up to ``max_retries`` times.
        """
        if not attempts:
            return FIRST
        last = attempts[-1]
        if last.error is None:
            return None
        limited = sum(1 for a in attempts if a.rate_limited)
        if last.rate_limited and limited <= self.rate_limited:
            return Resend(0.0, 'rate_limited')
        others = len(attempts) - min(limited, self.rate_limited)
        if last.transient and others <= self.max_retries:
            return Resend(self.delay_ms, 'retry')
        return None


def next_send(retry: Retry | None, attempts: Sequence[Attempt]) -> Resend | None:
    """``retry.next(attempts)``; without a retry (a create) the call is sent exactly once."""
    if retry is None:
        return None if attempts else FIRST
    return retry.next(attempts)


@dataclass(frozen=True)
class LoadMarkets:
    """Step: the driver loads the markets (answer: ``[]``)."""


LOAD_MARKETS: Final = LoadMarkets()


@dataclass(frozen=True)
class Send:
    """Step: the driver sends every call (the async class concurrently), each re-sent as ``retry`` says;
    the answer is, per call in order, the list of its attempts."""

    calls: tuple[Call, ...]
    retry: Retry | None  # None: never re-sent (a create)


@dataclass(frozen=True)
class Pause:
    """Step: the driver waits ``ms`` milliseconds (answer: ``[]``); a bounded settle time, never a busy loop."""

    ms: float


Step = LoadMarkets | Send | Pause
Answer = list[list[Attempt]]
Flow = Generator[Step, Answer, T]
"""What a flow yields, is sent, and returns."""

# -- what the methods work on -------------------------------------------------------------------


@dataclass
class IdResult:
    """What became of one id in a cancel: the ccxt status, HTX's item (``info``) and its code.
    ``lost``: no reply said what became of it (the request may have been carried out): ask HTX."""

    status: str | None
    info: Any
    code: str | None = None
    lost: bool = False


@dataclass
class Leg:
    """One half of a TP/SL pair to create: ``kind`` 'tp' or 'sl'."""

    kind: str
    trigger: str  # trigger price, already at the market's precision
    price: str | None = None  # order price for a limit order
    price_type: str = 'market'  # HTX's order price type ('market', 'limit', 'optimal_5'...)
    client_id: str | None = None
    generated: bool = False  # ``client_id`` was made by the package (to find the order after a lost reply)


@dataclass
class CreateSpec:
    """A validated create: what both families need to build their requests."""

    side: str  # the closing direction: 'sell' closes a long, 'buy' a short
    amount: int  # contracts
    margin: str
    legs: list[Leg] = field(default_factory=list)
    position_side: str | None = None  # v5 only; derived from ``side`` when None


@dataclass
class Created:
    """What a create reply confirms: an order per confirmed leg, and the legs it does not name
    (created or not: the reply does not say)."""

    orders: list[Json]
    missing: list[Leg] = field(default_factory=list)
    problem: str | None = None  # why ``missing`` is not empty


@dataclass
class Page:
    """One page of a listing: its raw items and where the next page starts (None: the last)."""

    items: list[Any]
    cursor: Any = None


RECONCILED: Final = 'tpsl_reconciled'
"""The key added to ``info`` (HTX's listing item) of an order whose state was learned by asking HTX after
its reply was lost: ``outcome(order).reconciled``."""

# -- pure readers of HTX's JSON values -----------------------------------------------------------

# what ccxt's order test accepts: after bitcoin's first block, before 2038 (older ccxt releases
# also fail to format anything beyond year 9999)
MIN_TIMESTAMP: Final = 1_230_940_800_000
MAX_TIMESTAMP: Final = 2_147_483_647_999


def new_client_id() -> str:
    """A client order id for a v5 TP/SL leg: 18 random digits, a positive integer below 2**63 (unconfirmed:
    HTX publishes no format for ``algo_client_order_id``; a number fits both a string and a long field)."""
    return str(secrets.randbelow(9 * 10**17) + 10**17)


def now_ms() -> int:
    """The local wall clock in ms (what HTX's times are compared with)."""
    return int(time.time() * 1000)


def safe_timestamp(value: Any) -> int | None:
    """A millisecond timestamp (int or digit string) in ccxt's plausible range, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit() and len(text) <= 16):
            return None
        value = int(text)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int) and MIN_TIMESTAMP < value <= MAX_TIMESTAMP:
        return value
    return None


def positive(number: Any) -> Any:
    """``number`` when it is a finite number above zero (a price, an amount), else None."""
    return (number if isinstance(number, int | float) and not isinstance(number, bool) and 0 < number < math.inf
            else None)


def side(value: Any) -> str | None:
    """'buy' or 'sell', else None."""
    return value if value in ('buy', 'sell') else None
