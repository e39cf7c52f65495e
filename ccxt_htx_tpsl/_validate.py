"""Input checks that need no market data: refused here, nothing is sent, not even ``load_markets``."""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from ccxt.base.errors import ArgumentsRequired, BadRequest, BadSymbol

from . import protocol

MAX_ID_DIGITS = 19
_INT64_MAX = 2**63 - 1
_INT64_MAX_TEXT = str(_INT64_MAX)  # compared as text with other 19-digit ids
MAX_NUMBER = Decimal(_INT64_MAX)
MISSING: Any = object()


def canonical_id(item: Any) -> bool:
    """A str that is an HTX order id as it stands (the common case, checked cheaply)."""
    return (
        type(item) is str
        and 0 < len(item) <= MAX_ID_DIGITS
        and item.isascii()
        and item.isdigit()
        and item[0] != '0'
        and (len(item) < MAX_ID_DIGITS or item <= _INT64_MAX_TEXT)
    )


def order_id(item: Any, position: int, where: str) -> str:
    """``item`` as an HTX order id (a positive integer of at most 19 digits, as str), or BadRequest."""
    if canonical_id(item):
        return str(item)
    where = f'{where} order id at position {position}'
    if isinstance(item, bool) or not isinstance(item, str | int):
        raise BadRequest(f'{where} must be a str or int, got {type(item).__name__} {_show(item)}')
    if isinstance(item, int):
        if 0 < item <= _INT64_MAX:
            return str(item)
        raise BadRequest(f'{where} is not an HTX order id (a positive integer of at most 19 digits)')
    text = item.strip()
    if not text:
        raise BadRequest(f'{where} is blank')
    if not canonical_id(text):  # length first: never int() a 5,000-digit string
        raise BadRequest(f'{where} is not an HTX order id (a positive integer of at most 19 digits): {_show(text)}')
    return text


def order_ids(ids: Any, where: str) -> list[str]:
    """The caller's distinct ids, in order: a list or tuple of str/int, one id, or a comma-joined string."""
    if ids is None or (isinstance(ids, str | list | tuple) and len(ids) == 0):
        raise ArgumentsRequired(where + ' requires a non-empty list of order ids')
    if type(ids) is list and all(map(canonical_id, ids)):
        return list(dict.fromkeys(ids))
    items: Sequence[Any]
    if isinstance(ids, str):
        items = ids.split(',')
    elif isinstance(ids, list | tuple):
        items = ids
    elif isinstance(ids, int) and not isinstance(ids, bool):
        items = [ids]
    else:
        raise BadRequest(f'{where} ids must be a list or tuple of order ids (str or int), one id, '
                         f'or a comma-joined string; got {type(ids).__name__}')
    distinct: dict[str, None] = {}
    for position, item in enumerate(items):
        distinct.setdefault(order_id(item, position, where), None)
    return list(distinct)


def symbol(value: Any, where: str) -> str:
    """A non-empty symbol string (unified or contract code)."""
    if value is None:
        raise ArgumentsRequired(where + ' requires a symbol argument')
    if not isinstance(value, str) or not value.strip():
        raise BadSymbol(f'{where} symbol must be a non-empty string, got {_show(value)}')
    return value


def params(value: Any, where: str) -> dict[str, Any]:
    """A copy of ``params`` (never the caller's dict: options are removed from it)."""
    if not isinstance(value, dict):
        raise BadRequest(f'{where} params must be a dict, got {type(value).__name__}')
    for key in value:
        if not isinstance(key, str):
            raise BadRequest(f'{where} params keys are HTX field names (str); got {type(key).__name__} {_show(key)}')
    return dict(value)


def route(value: Any, where: str) -> str:
    """One of protocol.ROUTES, or BadRequest naming them (None and '' included)."""
    if isinstance(value, str) and value in protocol.ROUTES:
        return value
    allowed = ', '.join(repr(r) for r in protocol.ROUTES)
    raise BadRequest(f'{where} route must be one of {allowed}, got {_show(value)}')


def non_negative(value: Any, name: str, where: str, integer: bool) -> float:
    """A finite number >= 0 (an int when ``integer``): NaN, infinities, negatives and junk refused."""
    if type(value) is int and 0 <= value < 2**63:  # the common case (options left at their defaults)
        return float(value)
    number = None if isinstance(value, str) and len(value) > 32 else decimal(value)
    if number is None or number < 0 or (integer and number != number.to_integral_value()):
        kind = 'a whole number' if integer else 'a number'
        raise BadRequest(f'{where} {name} must be {kind} >= 0, got {_show(value)}')
    return float(number)


def side(value: Any, where: str, what: str = 'side') -> str:
    if value not in ('buy', 'sell'):
        raise BadRequest(f"{where} {what} must be 'buy' or 'sell', got {_show(value)}")
    return str(value)


NUMBER_TEXT = re.compile(r'[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?')


def decimal(value: Any) -> Decimal | None:
    """A finite number given as int, float or str, within 1e+-30; None for anything else (bool included)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    if (isinstance(value, str) and len(value) > 64) or (isinstance(value, int) and abs(value).bit_length() > 128):
        return None  # never convert a huge int to text (Python refuses beyond 4,300 digits)
    text = str(value).strip()
    if isinstance(value, str) and not NUMBER_TEXT.fullmatch(text):
        return None  # Decimal would also read '1_000', full-width digits and 'NaN'; HTX reads none of them
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() and abs(number.adjusted()) <= 30 else None


def amount(value: Any, where: str) -> int:
    """A whole, positive number of contracts below 2**63."""
    number = decimal(value)
    if number is None:
        raise BadRequest(f'{where} amount must be a number of contracts, got {type(value).__name__} {_show(value)}')
    if number != number.to_integral_value():
        raise BadRequest(f'{where} amount is a whole number of contracts, got {_show(value)}')
    if number <= 0 or number > MAX_NUMBER:
        raise BadRequest(f'{where} amount must be positive and below 2**63, got {_show(value)}')
    return int(number)


def price(value: Any, where: str, name: str) -> Decimal:
    number = decimal(value)
    if number is None or not 0 < number < MAX_NUMBER:
        raise BadRequest(f'{where} {name} must be a positive number, got {_show(value)}')
    return number


def _show(value: Any) -> str:
    if isinstance(value, int) and abs(value).bit_length() > 128:
        return f'an int of {abs(value).bit_length()} bits'
    if isinstance(value, str) and len(value) > 60:
        return repr(value[:57]) + '...'
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'
