"""HTX signature v2 (HmacSHA256) as pure functions: canonical query, signing, verification.

String to sign: ``METHOD\\nhost\\npath\\nquery`` where ``host`` is the lower-cased Host header
(with the port when there is one, as ccxt signs it) and ``query`` is every query parameter but
``Signature``, sorted by name and URL-encoded with upper-case hex (``:`` -> ``%3A``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from calendar import timegm
from collections.abc import Iterable, Mapping
from datetime import datetime
from urllib.parse import quote

from .errors import AUTH_FAILED

SIGNATURE_METHOD = 'HmacSHA256'
SIGNATURE_VERSION = '2'
REQUIRED = ('AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'Timestamp', 'Signature')
MSG_BAD_KEY = 'Incorrect Access key [Access key错误]'
MSG_FAILED = 'Verification failure [校验失败]'
_TIMESTAMP = re.compile(r'\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}')


class AuthError(Exception):
    """A refused signature; HTX answers it with ``err_code`` 403 and HTTP 200."""

    code = AUTH_FAILED

    def __init__(self, msg: str) -> None:
        self.msg = msg
        super().__init__(msg)


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    """The signed query: parameters but ``Signature``, sorted by name, RFC 3986-encoded."""
    pairs = sorted((k, v) for k, v in params if k != 'Signature')
    return '&'.join(f'{quote(k, safe="")}={quote(v, safe="")}' for k, v in pairs)


def string_to_sign(method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """HTX's pre-sign text: method, lower-cased host, path and canonical query, one per line."""
    return '\n'.join((method.upper(), host.lower(), path, canonical_query(params)))


def sign(secret: str, method: str, host: str, path: str, params: Iterable[tuple[str, str]]) -> str:
    """base64(HMAC-SHA256(secret, string_to_sign(...)))."""
    text = string_to_sign(method, host, path, params)
    digest = hmac.new(secret.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def parse_timestamp(value: str) -> float | None:
    """Seconds since the epoch for a UTC ``YYYY-MM-DDThh:mm:ss``, or None if malformed."""
    if not _TIMESTAMP.fullmatch(value):
        return None
    try:
        parsed = datetime.strptime(value, '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return None
    return float(timegm(parsed.timetuple()))


def verify(
    method: str,
    host: str,
    path: str,
    params: Iterable[tuple[str, str]],
    credentials: Mapping[str, str],
    now: float,
    max_skew_seconds: float,
) -> str:
    """Check a request's signature v2 and return its API key, or raise :class:`AuthError`.

    ``params`` are the decoded query pairs as received (duplicates included); ``now`` is the
    server's wall clock in seconds.
    """
    pairs = list(params)
    query = dict(pairs)
    if len(query) != len(pairs) or any(not query.get(name) for name in REQUIRED):
        raise AuthError(MSG_FAILED)
    secret = credentials.get(query['AccessKeyId'])
    if secret is None:
        raise AuthError(MSG_BAD_KEY)
    if query['SignatureMethod'] != SIGNATURE_METHOD or query['SignatureVersion'] != SIGNATURE_VERSION:
        raise AuthError(MSG_FAILED)
    stamp = parse_timestamp(query['Timestamp'])
    if stamp is None or abs(now - stamp) > max_skew_seconds:
        raise AuthError(MSG_FAILED)
    expected = sign(secret, method, host, path, pairs)
    if not hmac.compare_digest(expected.encode(), query['Signature'].encode()):
        raise AuthError(MSG_FAILED)
    return query['AccessKeyId']
