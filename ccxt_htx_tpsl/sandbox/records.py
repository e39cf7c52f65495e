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
    err_code: int | None  # top-level HTX err_code; None for an ok reply or a non-JSON one
    order_ids: list[str] = field(default_factory=list)  # the body's order_id, split on ','


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


def order_ids_in(body: bytes) -> list[str]:
    """The ids of a JSON body's ``order_id`` field (``"1,2"`` or a number); [] otherwise."""
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        return []
    value = parsed.get('order_id') if isinstance(parsed, dict) else None
    if isinstance(value, bool) or not isinstance(value, str | int):
        return []
    return [part.strip() for part in str(value).split(',') if part.strip()]
