"""What the sandbox received: one :class:`RequestRecord` per request, in arrival order."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RequestRecord:
    """One received request and how it was answered."""

    time: float  # arrival, time.monotonic() seconds
    method: str
    path: str
    api_key: str | None  # the AccessKeyId presented, known or not
    endpoint: str  # last path segment
    status: int  # HTTP status of the reply
    err_code: int | None  # top-level HTX err_code (v5: ``code`` other than 200); None for ok or non-JSON
    order_ids: list[str] = field(default_factory=list)  # the body's order_id split on ','; v5: each item's id


class RequestLog:
    """Thread-safe append-only list of records."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of every record so far."""
        with self._lock:
            return list(self._records)


def _id_text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def order_ids_in(body: bytes) -> list[str]:
    """The ids of a JSON body: its ``order_id`` field (``"1,2"`` or a number), or for a v5 array
    each item's ``algo_id`` (else its ``algo_client_order_id``); [] otherwise."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return []
    if isinstance(parsed, list):
        items = [item for item in parsed if isinstance(item, dict)]
        found = [_id_text(item.get('algo_id')) or _id_text(item.get('algo_client_order_id')) for item in items]
        return [i for i in found if i is not None]
    value = _id_text(parsed.get('order_id')) if isinstance(parsed, dict) else None
    return [part.strip() for part in (value or '').split(',') if part.strip()]
