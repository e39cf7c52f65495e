"""Keep credentials out of every message: the API key, the secret and request signatures, in any encoding.

ccxt puts signed URLs in its exception messages, and an HTX refusal may echo the URL, raw or
percent-encoded (once or twice, upper- or lower-case hex), JSON-escaped, in ``err_msg``.
:class:`Scrubber` replaces every such spelling of each secret with ``***``, and any
``AccessKeyId=`` / ``Signature=`` query value with it.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote

REDACTED = '***'
MIN_SECRET = 6  # shorter values would redact ordinary words
# a key or a signature (base64), raw or percent-encoded: letters, digits and -._~+/=%
_VALUE = r'[A-Za-z0-9\-._~+/=%]+'
_PARAM = re.compile(r'((?:AccessKeyId|Signature)(?:=|%3[dD]|%253[dD]))' + _VALUE)
_SIGNATURE = re.compile(r'Signature(?:=|%3[dD]|%253[dD])(' + _VALUE + ')')
_HEX = re.compile(r'%[0-9A-F]{2}')


def _lower_hex(text: str) -> str:
    return _HEX.sub(lambda m: m.group().lower(), text)


def spellings(value: str) -> set[str]:
    """Every spelling of ``value`` a message may carry: raw, URL-encoded once or twice (either hex
    case, ``+`` for spaces), JSON-escaped slashes, base64 and hex."""
    found = {value, value.replace('/', '\\/')}
    for once in (quote(value, safe=''), quote(value), quote_plus(value)):
        twice = quote(once, safe='')
        found.update((once, twice, _lower_hex(once), _lower_hex(twice), quote_plus(once)))
    raw = value.encode()
    found.update((base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode(), raw.hex()))
    return {s for s in found if len(s) >= MIN_SECRET}


class Scrubber:
    """Redacts a fixed set of secrets (and any signature found in the text itself)."""

    def __init__(self, secrets: Iterable[Any] = ()) -> None:
        self.spellings: list[str] = []
        for secret in secrets:
            if isinstance(secret, str) and len(secret) >= MIN_SECRET:
                self.spellings.extend(spellings(secret))
        self.spellings = sorted(set(self.spellings), key=len, reverse=True)  # longest first

    def text(self, text: str, extra: Iterable[str] = ()) -> str:
        """``text`` with every secret spelling, signature and credential query value replaced."""
        signatures = set(extra)
        for match in _SIGNATURE.finditer(text):
            value = match.group(1)
            signatures.update((value, unquote(value), unquote(unquote(value))))
        spellings_ = self.spellings
        if signatures:
            more = set()
            for signature in signatures:
                if len(signature) >= MIN_SECRET:
                    more.update(spellings(signature))
            spellings_ = sorted(set(spellings_) | more, key=len, reverse=True)
        for spelling in spellings_:
            if spelling in text:
                text = text.replace(spelling, REDACTED)
        return _PARAM.sub(r'\1' + REDACTED, text)

    def deep(self, value: Any, extra: Iterable[str] = ()) -> Any:
        """``value`` with every string inside (dict keys and values, list items) scrubbed; a copy."""
        if isinstance(value, str):
            return self.text(value, extra)
        if isinstance(value, dict):
            return {self.deep(k, extra): self.deep(v, extra) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.deep(v, extra) for v in value)
        return value

    def clean(self, value: Any) -> bool:
        """Whether ``value`` holds no secret spelling (for cheap checks before copying)."""
        return bool(self.deep(value) == value)


class LogScrubber(logging.Filter):
    """A logging filter that scrubs every record of the loggers it is installed on.

    ccxt (at DEBUG) and urllib3 log signed request URLs; this package's exchanges register their
    credentials here and install it on those loggers, so a record never carries a key or signature.
    """

    def __init__(self) -> None:
        super().__init__('ccxt_htx_tpsl')
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._scrubber = Scrubber()

    def add(self, secrets: Iterable[Any]) -> None:
        """Also redact these values (an exchange's credentials)."""
        new = {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET} - self._secrets
        if new:
            with self._lock:
                self._secrets |= new
                self._scrubber = Scrubber(self._secrets)

    def install(self, *loggers: logging.Logger) -> None:
        for logger in loggers:
            if self not in logger.filters:
                logger.addFilter(self)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            return True
        clean = self._scrubber.text(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True


LOG_SCRUBBER = LogScrubber()
"""The one filter every exchange of this package registers its credentials with."""
