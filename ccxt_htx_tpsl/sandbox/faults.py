"""Fault injection: HTX error replies, gateway HTML error pages and slow replies, on demand.

Faults act in front of the API, like a gateway: before signature checks and rate limiting.
Each fault counts the calls to its endpoint (the last path segment, or any when None) from the
moment it is injected: it lets ``after`` calls through, then acts on the next ``times`` calls.
When several faults would act on one call, the earliest injected wins.
"""

from __future__ import annotations

import http
import threading
from dataclasses import dataclass

from .errors import message_for


@dataclass
class Fault:
    """One injected fault; see :meth:`Sandbox.inject`."""

    endpoint: str | None
    times: int = 1
    after: int = 0
    err_code: int | None = None
    err_msg: str | None = None
    http_status: int | None = None
    delay: float | None = None
    drop: bool = False  # the request takes effect, then the connection closes without its reply
    seen: int = 0
    fired: int = 0

    def __post_init__(self) -> None:
        if self.err_code is None and self.http_status is None and self.delay is None and not self.drop:
            raise ValueError('a fault needs err_code, http_status, delay or drop')
        if self.drop and (self.err_code is not None or self.http_status is not None):
            raise ValueError('drop lets the request take effect: give it no err_code or http_status')
        if self.err_code is not None and self.http_status is not None:
            raise ValueError('give err_code (an HTX error reply) or http_status (a gateway page), not both')
        if self.http_status is not None and not 400 <= self.http_status <= 599:
            raise ValueError(f'http_status must be 400-599, got {self.http_status}')
        if self.times < 1 or self.after < 0 or (self.delay is not None and self.delay < 0):
            raise ValueError(f'need times >= 1, after >= 0, delay >= 0; got {self.times}, {self.after}, '
                             f'{self.delay}')

    @property
    def replaces_reply(self) -> bool:
        """True when the call is answered by the fault (and so changes no state)."""
        return self.err_code is not None or self.http_status is not None

    @property
    def message(self) -> str:
        """The ``err_msg`` of an ``err_code`` fault."""
        return self.err_msg or message_for(self.err_code or 0)


class FaultInjector:
    """The pending faults; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def take(self, endpoint: str) -> Fault | None:
        """Count one call to ``endpoint``; return the fault that acts on it, if any."""
        chosen: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.endpoint not in (None, endpoint):
                    continue
                if fault.seen < fault.after:
                    fault.seen += 1
                elif chosen is None:
                    chosen = fault
                    fault.fired += 1
            self._faults = [f for f in self._faults if f.fired < f.times]
        return chosen


def gateway_page(status: int) -> str:
    """An HTML error page shaped like the ones a CDN (Cloudflare) serves."""
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = 'Error'
    return (
        f'<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n'
        f'<center><h1>{status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n'
        '</body>\r\n</html>\r\n'
    )
