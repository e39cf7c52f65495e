"""The interface each API family implements (``_classic.py``, ``_v5.py``) and the narrow host it may use.

What this module may know: the plain data of ``_model``, nothing else of this package. A family
builds requests and reads replies; validation, chunking, pacing, retries, switching families and
result assembly are shared flows (``_flows.py``). A family never sees the exchange: it gets a
:class:`Host`, which is what it really uses of it (ccxt's ``safe_*`` readers, the exchange's id
for messages, and the two order builders of ``_results``).
"""

from __future__ import annotations

from typing import Any, Protocol

from ._model import Call, Created, CreateSpec, IdResult, Json, Leg, Page


class Host(Protocol):
    """What a family may use of the exchange."""

    @property
    def id(self) -> str:
        """The exchange's id ('htx'), the prefix of every message."""

    def safe_string(self, dictionary: Any, key: Any, default: Any = None) -> Any: ...

    def safe_string_2(self, dictionary: Any, key1: Any, key2: Any, default: Any = None) -> Any: ...

    def safe_number(self, dictionary: Any, key: Any, default: Any = None) -> Any: ...

    def safe_integer(self, dictionary: Any, key: Any, default: Any = None) -> Any: ...

    def _tpsl_order(self, fields: Json, market: Json) -> Json:
        """ccxt's ``safe_order`` on ``fields`` in ``market``."""

    def _tpsl_new_order(self, market: Json, spec: CreateSpec, leg: Leg, order_id: str, client_id: str | None,
                        info: Any) -> Json:
        """The order structure of one leg HTX just created."""


class Family(Protocol):
    """One API family: request building and reply parsing for create, list and cancel."""

    name: str  # 'v1' or 'v5', the value of the ``route`` option
    max_cancel_ids: int
    max_pages: int  # a listing raises BadResponse rather than ask for more pages

    def refusal_code(self, reply: Any) -> str | None:
        """The code of a top-level refusal in this family's envelope, or None for an accepted reply."""

    # cancel by id
    def cancel_call(self, market: Json, margin: str, ids: list[str], params: Json) -> Call:
        """The request cancelling ``ids`` (at most ``max_cancel_ids``)."""

    def cancel_outcomes(self, host: Host, ids: list[str], reply: Any) -> dict[str, IdResult] | None:
        """The outcome of each id HTX names in an accepted reply; None when the reply is unreadable."""

    def refused_info(self, order_id: str, code: str | None, message: Any) -> Json:
        """``info`` of an id whose request HTX refused as a whole, in this family's spelling."""

    def unknown_info(self, order_id: str, error: str, message: str) -> Json:
        """``info`` of an id whose outcome is unknown (no reply from HTX), in this family's spelling."""

    # create
    def create_calls(self, market: Json, spec: CreateSpec, params: Json) -> list[tuple[Call, list[Leg]]]:
        """The requests creating the legs of ``spec``, each with the legs it creates."""

    def created_orders(self, host: Host, market: Json, spec: CreateSpec, legs: list[Leg], reply: Any) -> Created:
        """The ccxt orders a create reply confirms (one per leg) and the legs it does not name."""

    # list
    def list_call(self, market: Json, margin: str, cursor: Any, params: Json) -> Call:
        """The request for one page (``cursor`` None: the first)."""

    def list_page(self, host: Host, reply: Any, cursor: Any, request: Any) -> Page:
        """One page's items and the next cursor; ``BadResponse`` if unreadable or paging stalls."""

    def history_call(self, market: Json, margin: str, cursor: Any, params: Json, since: int | None,
                     status: str | None, recent: bool = False) -> Call:
        """The request for one page of finished TP/SL orders (``status``: 'closed', 'canceled' or None
        for both; ``since``: the earliest creation time in ms, or None; ``recent``: the most recently
        updated first, where the family can ask). Its pages read as the open listing's (``list_page``,
        ``listed_order``)."""

    def listed_order(self, host: Host, item: Any, market: Json, margin: str) -> Json | None:
        """A listed item (open or finished) as a ccxt order; None when it is not a TP/SL order of
        ``margin`` and the market."""

    # cancel all
    def cancel_all_call(self, market: Json, margin: str, side: str | None, params: Json) -> Call | None:
        """HTX's own cancel-all request, or None when the family has none (list, then cancel)."""

    def cancel_all_named(self, host: Host, reply: Any) -> list[str] | None:
        """The ids a cancel-all reply names, in order; None when the reply is unreadable."""
