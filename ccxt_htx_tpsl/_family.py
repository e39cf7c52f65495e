"""What the two API families have in common: the requests a method sends and the interface each
family implements (``_classic.py``, ``_v5.py``). Validation, chunking, pacing, retries and result
assembly are shared (``_flows.py``, ``_results.py``); a family only builds requests and reads replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._core import TpslCoreMixin

Json = dict[str, Any]


@dataclass(frozen=True)
class Retry:
    """How a request may be re-sent. A create has none: it is sent once, whatever happens."""

    max_retries: int = 0  # ccxt's maxRetriesOnFailure: failures that may pass (OperationFailed)
    delay_ms: float = 0.0  # ccxt's maxRetriesOnFailureDelay
    rate_limited: int = 0  # 1032 refusals re-sent (they did nothing), on top of max_retries


@dataclass(frozen=True)
class Call:
    """One request to send: the implicit-API method (an ``Entry``), its path and body."""

    endpoint: str
    path: str
    body: Any
    retry: Retry | None  # None: never re-sent


@dataclass
class IdResult:
    """What became of one id in a cancel: the ccxt status, HTX's item (``info``) and its code."""

    status: str | None
    info: Any
    code: str | None = None


@dataclass
class Leg:
    """One half of a TP/SL pair to create: ``kind`` 'tp' or 'sl'."""

    kind: str
    trigger: str  # trigger price, already at the market's precision
    price: str | None = None  # order price for a limit order
    price_type: str = 'market'  # HTX's order price type ('market', 'limit', 'optimal_5'...)
    client_id: str | None = None


@dataclass
class CreateSpec:
    """A validated create: what both families need to build their requests."""

    side: str  # the closing direction: 'sell' closes a long, 'buy' a short
    amount: int  # contracts
    margin: str
    legs: list[Leg] = field(default_factory=list)
    position_side: str | None = None  # v5 only; derived from ``side`` when None


@dataclass
class Page:
    """One page of a listing: its raw items and where the next page starts (None: the last)."""

    items: list[Any]
    cursor: Any = None


class Family(Protocol):
    """One API family: request building and reply parsing for create, list and cancel."""

    name: str  # 'v1' or 'v5', the value of the ``route`` option
    max_cancel_ids: int
    max_pages: int  # a listing raises BadResponse rather than ask for more pages

    def refusal_code(self, reply: Any) -> str | None:
        """The code of a top-level refusal in this family's envelope, or None for an accepted reply."""

    # cancel by id
    def cancel_call(self, ex: TpslCoreMixin, market: Json, margin: str, ids: list[str], params: Json,
                    retry: Retry) -> Call:
        """The request cancelling ``ids`` (at most ``max_cancel_ids``)."""

    def cancel_outcomes(self, ex: TpslCoreMixin, ids: list[str], reply: Any) -> dict[str, IdResult] | None:
        """The outcome of each id HTX names in an accepted reply; None when the reply is unreadable."""

    def refused_info(self, order_id: str, code: str | None, message: Any) -> Json:
        """``info`` of an id whose request HTX refused as a whole, in this family's spelling."""

    def unknown_info(self, order_id: str, error: str, message: str) -> Json:
        """``info`` of an id whose outcome is unknown (no reply from HTX), in this family's spelling."""

    # create
    def create_calls(self, ex: TpslCoreMixin, market: Json, spec: CreateSpec,
                     params: Json) -> list[tuple[Call, list[Leg]]]:
        """The requests creating the legs of ``spec``, each with the legs it creates."""

    def created_orders(self, ex: TpslCoreMixin, market: Json, spec: CreateSpec, legs: list[Leg],
                       reply: Any) -> list[Json]:
        """The ccxt orders a create reply confirms (one per leg); ``BadResponse`` if unreadable."""

    # list
    def list_call(self, ex: TpslCoreMixin, market: Json, margin: str, cursor: Any, params: Json,
                  retry: Retry) -> Call:
        """The request for one page (``cursor`` None: the first)."""

    def list_page(self, ex: TpslCoreMixin, reply: Any, cursor: Any, request: Any) -> Page:
        """One page's items and the next cursor; ``BadResponse`` if unreadable or paging stalls."""

    def listed_order(self, ex: TpslCoreMixin, item: Any, market: Json, margin: str) -> Json | None:
        """A listed item as a ccxt order; None when it is not a TP/SL order of ``margin`` and the market."""

    # cancel all
    def cancel_all_call(self, ex: TpslCoreMixin, market: Json, margin: str, side: str | None, params: Json,
                        retry: Retry) -> Call | None:
        """HTX's own cancel-all request, or None when the family has none (list, then cancel)."""

    def cancel_all_named(self, ex: TpslCoreMixin, reply: Any) -> list[str] | None:
        """The ids a cancel-all reply names, in order; None when the reply is unreadable."""
