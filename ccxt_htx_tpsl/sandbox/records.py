"""What the sandbox received: one :class:`RequestRecord` per request, in arrival order.

The log keeps the ``max_records`` most recent records (a soak at the rate limit stays flat) and
running totals over every request ever received.
"""

from __future__ import annotations

import json
import threading
from collections import Counter, deque
from dataclasses import dataclass, field

MAX_ENDPOINT_TOTALS = 1000
OTHER_ENDPOINTS = '(other)'


@dataclass(frozen=True)
class RequestRecord:
    """One received request and how it was answered.

    ``api_key`` is the ``AccessKeyId`` presented (for tests to tell keys apart); the record keeps
    no signature, no query string and no body.
    """

    time: float  # arrival at the server (after any simulated latency), time.monotonic() seconds
    method: str
    path: str  # without the query string
    api_key: str | None  # the AccessKeyId presented, known or not
    endpoint: str  # last path segment: the fault key
    status: int  # HTTP status of the reply
    err_code: int | None  # top-level HTX err_code (v5: ``code`` other than 200); None for ok or non-JSON
    order_ids: list[str] = field(default_factory=list)  # the body's order_id split on ','; v5: each item's id
    uid: str | None = None  # the account of a signed request (None when the signature was refused)
    account_mode: str | None = None  # the key's account mode when the request was handled
    latency_ms: float = 0.0  # the simulated network delay before the request arrived


class RequestLog:
    """Thread-safe bounded log: the last ``max_records`` records and totals over all of them."""

    def __init__(self, max_records: int = 10_000) -> None:
        if max_records < 1:
            raise ValueError(f'max_records must be >= 1, got {max_records}')
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=max_records)
        self._total = 0
        self._by_endpoint: Counter[str] = Counter()
        self._by_code: Counter[int | None] = Counter()

    def append(self, record: RequestRecord) -> None:
        """Add one record (the oldest one leaves when the log is full)."""
        with self._lock:
            self._records.append(record)
            self._total += 1
            endpoint = record.endpoint
            if endpoint not in self._by_endpoint and len(self._by_endpoint) >= MAX_ENDPOINT_TOTALS:
                endpoint = OTHER_ENDPOINTS  # junk paths must not grow the totals
            self._by_endpoint[endpoint] += 1
            self._by_code[record.err_code] += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records kept."""
        with self._lock:
            return list(self._records)

    @property
    def total(self) -> int:
        """Requests received since the sandbox was built (kept or not)."""
        with self._lock:
            return self._total

    def totals(self) -> dict[str, dict[str, int]]:
        """Running counts since the start: by ``endpoint`` and by ``err_code`` (``'ok'`` for None)."""
        with self._lock:
            return {
                'endpoint': dict(self._by_endpoint),
                'err_code': {('ok' if code is None else str(code)): n for code, n in self._by_code.items()},
            }


def _id_text(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def order_ids_in(body: bytes) -> list[str]:
    """The ids of a JSON body: its ``order_id`` field (``"1,2"`` or a number), or for a v5 array
    each item's ``algo_id`` (else its ``algo_client_order_id``); [] otherwise (also for junk)."""
    try:
        parsed = json.loads(body) if body else None
    except (ValueError, RecursionError):
        return []
    if isinstance(parsed, list):
        items = [item for item in parsed if isinstance(item, dict)]
        found = [_id_text(item.get('algo_id')) or _id_text(item.get('algo_client_order_id')) for item in items]
        return [i for i in found if i is not None]
    value = _id_text(parsed.get('order_id')) if isinstance(parsed, dict) else None
    return [part.strip() for part in (value or '').split(',') if part.strip()]
