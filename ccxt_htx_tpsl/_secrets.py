"""Keep credentials out of every message: the API key, the secret and request signatures, in any encoding.

ccxt puts signed URLs in its exception messages, and an HTX refusal may echo the URL, raw or
percent-encoded (once or twice, upper- or lower-case hex), JSON-escaped, HTML-escaped, in ``err_msg``,
or quote the signature alone. :class:`Scrubber` replaces every such spelling of each secret with
``***``, and any ``AccessKeyId=`` / ``Signature=`` query value with it, also inside base64 of a
longer text (an echoed URL, say).
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
MAX_DEPTH = 64  # containers nested deeper are replaced whole: recursing further could exhaust the stack
# a key or a signature (base64), raw or percent-encoded: letters, digits and -._~+/=%
_VALUE = r'[A-Za-z0-9\-._~+/=%]+'
_PARAM = re.compile(r'((?:AccessKeyId|Signature)(?:=|%3[dD]|%253[dD]))' + _VALUE)
_SIGNATURE = re.compile(r'Signature(?:=|%3[dD]|%253[dD])(' + _VALUE + ')')
_HEX = re.compile(r'%[0-9A-F]{2}')


def _lower_hex(text: str) -> str:
    return _HEX.sub(lambda m: m.group().lower(), text)


def _entities(value: str, form: str) -> str:
    return ''.join(c if c.isalnum() or c in '-_.~' else form.format(ord(c)) for c in value)


def spellings(value: str) -> set[str]:
    """Every spelling of ``value`` a message may carry: raw, upper- and lower-case, URL-encoded once
    or twice (either hex case, ``+`` for spaces), JSON-escaped slashes, HTML character references
    (hex and decimal), base64 (also inside a longer encoded text) and hex."""
    found = {value, value.upper(), value.lower(), value.replace('/', '\\/'),
             _entities(value, '&#x{:X};'), _entities(value, '&#x{:x};'), _entities(value, '&#{};')}
    for once in (quote(value, safe=''), quote(value), quote_plus(value)):
        twice = quote(once, safe='')
        found.update((once, twice, _lower_hex(once), _lower_hex(twice), quote_plus(once)))
    found.add(value.replace('+', ' '))  # a form decoder's reading of a base64 signature
    raw = value.encode()
    found.add(raw.hex())
    for offset in range(3):  # base64 of a longer text holding the value: the characters only it decides
        start, end = (8 * offset + 5) // 6, 8 * (offset + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(bytes(offset) + raw).decode()[start:end])
    found.update((base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()))
    return {s for s in found if len(s) >= MIN_SECRET}


class Scrubber:
    """Redacts a fixed set of secrets (and any signature found in the text itself)."""

    def __init__(self, secrets: Iterable[Any] = (), *, _spellings: Iterable[str] = ()) -> None:
        found = set(_spellings)
        for secret in secrets:
            if isinstance(secret, str) and len(secret) >= MIN_SECRET:
                found.update(spellings(secret))
        self.spellings = sorted(found, key=len, reverse=True)  # longest first

    def with_signatures(self, signatures: Iterable[str]) -> Scrubber:
        """This scrubber, also redacting these signatures (as they stand in a URL, or decoded)."""
        forms: set[str] = set()
        for value in signatures:
            forms.update((value, unquote(value), unquote(unquote(value))))
        return Scrubber(forms, _spellings=self.spellings) if forms else self

    def text(self, text: str, extra: Iterable[str] = ()) -> str:
        """``text`` with every secret spelling, signature and credential query value replaced;
        ``extra``: signatures to redact as well (the one of the request a reply answers)."""
        return self.with_signatures(extra)._text(text)

    def _text(self, text: str) -> str:
        scrubber = self.with_signatures(match.group(1) for match in _SIGNATURE.finditer(text))
        for spelling in scrubber.spellings:
            if spelling in text:
                text = text.replace(spelling, REDACTED)
        return _PARAM.sub(r'\1' + REDACTED, text)

    def deep(self, value: Any, extra: Iterable[str] = ()) -> Any:
        """``value`` with every string inside (dict keys and values, list items) scrubbed; a copy."""
        return self.with_signatures(extra)._deep(value)

    def _deep(self, value: Any, depth: int = 0) -> Any:
        if isinstance(value, str):
            return self._text(value)
        if depth >= MAX_DEPTH and isinstance(value, dict | list | tuple):
            return REDACTED  # unread below here; no HTX reply nests this deep
        if isinstance(value, dict):
            return {self._deep(k, depth + 1): self._deep(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self._deep(v, depth + 1) for v in value)
        return value

    def reply(self, body: str, parsed: Any, extra: Iterable[str] = ()) -> str:
        """Scrub a reply: ``parsed`` (its JSON) in place, and the body returned scrubbed.

        A server may quote the request back (its URL, its signature) in any field, also of an
        accepted reply. One pass over the body text finds nothing in the common case; JSON's
        ``\\u`` escapes could hide a spelling from it, so a body with any is scrubbed field by field.
        """
        scrubber = self.with_signatures(extra)
        clean = scrubber._text(body)
        if clean != body or '\\u' in body:
            if isinstance(parsed, dict):
                scrubbed = scrubber._deep(parsed)
                parsed.clear()
                parsed.update(scrubbed)
            elif isinstance(parsed, list):
                parsed[:] = scrubber._deep(parsed)
        return clean


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
