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
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote

REDACTED = '***'
MIN_SECRET = 6  # shorter values would redact ordinary words
MAX_DEPTH = 64  # containers nested deeper are replaced whole: recursing further could exhaust the stack
# a key or a signature (base64), raw or percent-encoded: letters, digits and -._~+/=%
_VALUE = r'[A-Za-z0-9\-._~+/=%]+'
_PARAM = re.compile(r'((?:AccessKeyId|Signature)(?:=|%3[dD]|%253[dD]))' + _VALUE)
_SIGNATURE = re.compile(r'Signature(?:=|%3[dD]|%253[dD])(' + _VALUE + ')')


class _Escapes:
    """Escapes every character of a text but ASCII letters, digits and ``keep``."""

    def __init__(self, escape: Callable[[str], str], keep: str = '-._~') -> None:
        self.pattern = re.compile('[^A-Za-z0-9' + re.escape(keep) + ']')
        self.escape = escape
        self.cache: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self._one, text)

    def _one(self, match: re.Match[str]) -> str:
        char = match.group()
        escaped = self.cache.get(char)
        if escaped is None:
            escaped = self.cache[char] = self.escape(char)
        return escaped


def _percent(form: str) -> Callable[[str], str]:
    return lambda char: ''.join(form.format(byte) for byte in char.encode())


_PERCENT = _Escapes(_percent('%{:02X}'))  # urllib's quote(value, safe='')
_PERCENT_LOWER = _Escapes(_percent('%{:02x}'))
_PERCENT_PATH = _Escapes(_percent('%{:02X}'), '-._~/')  # quote(value): '/' kept
_PERCENT_PATH_LOWER = _Escapes(_percent('%{:02x}'), '-._~/')
_PERCENT_FORM = _Escapes(lambda char: '+' if char == ' ' else _percent('%{:02X}')(char))  # quote_plus
_PERCENT_FORM_LOWER = _Escapes(lambda char: '+' if char == ' ' else _percent('%{:02x}')(char))


def _reference(form: str) -> Callable[[str], str]:
    return lambda char: form.format(ord(char))


_ENTITIES = tuple(_Escapes(_reference(form)) for form in ('&#x{:X};', '&#x{:x};', '&#{};'))  # HTML references


def spellings(value: str) -> set[str]:
    """Every spelling of ``value`` a message may carry: raw, upper- and lower-case, URL-encoded once
    or twice (either hex case, ``+`` for spaces), JSON-escaped slashes, HTML character references
    (hex and decimal), base64 (also inside a longer encoded text) and hex."""
    found = {value, value.upper(), value.lower(), value.replace('/', '\\/'),
             value.replace('+', ' ')}  # the last: a form decoder's reading of a base64 signature
    found.update(escape(value) for escape in _ENTITIES)
    for upper, lower in ((_PERCENT, _PERCENT_LOWER), (_PERCENT_PATH, _PERCENT_PATH_LOWER),
                         (_PERCENT_FORM, _PERCENT_FORM_LOWER)):
        once, once_lower = upper(value), lower(value)
        found.update((once, _PERCENT(once), _PERCENT_LOWER(once), once_lower, _PERCENT_LOWER(once_lower)))
    raw = value.encode()
    found.add(raw.hex())
    found.update(_base64_windows(raw))  # base64 of a longer text holding the value
    found.update((base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()))
    return {s for s in found if len(s) >= MIN_SECRET}


_RUN = re.compile('[A-Za-z0-9]+')


def may_hold(text: str, value: str) -> bool:
    """False only when ``text`` surely holds no spelling of ``value`` (cheap: no spellings built).

    Every spelling :func:`spellings` lists keeps each run of ASCII letters and digits of ``value``
    as it is, upper- or lower-cased, or (hex) hex-encoded, except the base64 ones, which hold one
    of the base64 windows of ``value``: the text is searched for those alone."""
    run = max(_RUN.findall(value), key=len, default='')
    if len(run) < MIN_SECRET:
        return True  # too little to search for: decide by the spellings
    if any(form in text for form in (run, run.upper(), run.lower(), run.encode().hex())):
        return True
    return any(window in text for window in _base64_windows(value.encode()))


def _base64_windows(raw: bytes) -> set[str]:
    """What base64 of a longer text holding ``raw`` always contains, at each alignment, in both alphabets."""
    found = set()
    for offset in range(3):
        start, end = (8 * offset + 5) // 6, 8 * (offset + len(raw)) // 6
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.add(encode(bytes(offset) + raw).decode()[start:end])
    return found


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
        found: set[str] = set()
        for value in signatures:  # as it stands in the URL: percent-encoded (a spelling of the decoded one)
            decoded = unquote(value)
            found.update(spellings(decoded))
            if len(value) >= MIN_SECRET:
                found.add(value)
            twice = unquote(decoded)
            if twice != decoded:
                found.update(spellings(twice))
        return Scrubber(_spellings=found.union(self.spellings)) if found else self

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
        escaped = '\\u' in body
        scrubber = self.with_signatures(v for v in extra if escaped or may_hold(body, unquote(v)))
        clean = scrubber._text(body)
        if clean != body or escaped:
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
