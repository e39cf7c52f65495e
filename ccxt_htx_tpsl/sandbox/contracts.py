"""The sandbox's USDT-margined contract catalogue, in ``swap_contract_info``'s shape."""

from __future__ import annotations

from calendar import timegm
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from .errors import CONTRACT_NOT_FOUND, PARAM_ILLEGAL, HtxError, Json, now_ms

ISOLATED = 'isolated'
CROSS = 'cross'
_FUNDING_PERIOD_MS = 8 * 3600 * 1000


def _utc_ms(year: int, month: int, day: int, hour: int = 0) -> int:
    return timegm((year, month, day, hour, 0, 0, 0, 0, 0)) * 1000


@dataclass(frozen=True)
class Contract:
    """One USDT-margined contract; ``support_margin_mode`` is ``all``, ``isolated`` or ``cross``."""

    contract_code: str
    support_margin_mode: str
    contract_size: float
    price_tick: float
    reference_price: float  # what seeded TP/SL trigger prices are derived from
    contract_type: str = 'swap'  # swap | this_week | next_week | quarter | next_quarter
    delivery_ms: int | None = None  # dated futures only

    @property
    def symbol(self) -> str:
        return self.contract_code.split('-')[0]

    @property
    def pair(self) -> str:
        return '-'.join(self.contract_code.split('-')[:2])

    @property
    def business_type(self) -> str:
        return 'swap' if self.delivery_ms is None else 'futures'

    def supports(self, margin_mode: str) -> bool:
        """Whether orders in ``margin_mode`` (isolated|cross) exist for this contract."""
        return self.support_margin_mode in ('all', margin_mode)

    def to_htx(self, now: int) -> Json:
        """The ``swap_contract_info`` item; swaps carry empty delivery fields, like HTX."""
        next_funding = (now // _FUNDING_PERIOD_MS + 1) * _FUNDING_PERIOD_MS
        delivery_date = delivery_time = ''
        if self.delivery_ms is not None:
            delivery_time = str(self.delivery_ms)
            delivery_date = _yyyymmdd(self.delivery_ms)
        return {
            'symbol': self.symbol,
            'contract_code': self.contract_code,
            'contract_size': self.contract_size,
            'price_tick': self.price_tick,
            'delivery_date': delivery_date,
            'delivery_time': delivery_time,
            'create_date': '20201021',
            'contract_status': 1,
            'settlement_date': str(next_funding),
            'support_margin_mode': self.support_margin_mode,
            'business_type': self.business_type,
            'pair': self.pair,
            'contract_type': self.contract_type,
            'trade_partition': 'USDT',
            'settlement_period': '8',
        }


def _yyyymmdd(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime('%Y%m%d')


CONTRACTS: tuple[Contract, ...] = (
    Contract('BTC-USDT', 'all', 0.001, 0.1, 90000.0),
    Contract('ETH-USDT', 'all', 0.01, 0.01, 3000.0),
    Contract('XRP-USDT', CROSS, 10.0, 0.0001, 2.0),  # a perpetual without isolated margin
    Contract('TRX-USDT', ISOLATED, 100.0, 0.00001, 0.3),  # a perpetual without cross margin
    Contract('BTC-USDT-261225', CROSS, 0.001, 0.1, 90000.0, 'quarter', _utc_ms(2026, 12, 25, 8)),
)
_BY_CODE = {c.contract_code: c for c in CONTRACTS}
_BUSINESS_TYPES = ('swap', 'futures', 'all')


def find(contract_code: str) -> Contract | None:
    """The contract with that code, or None."""
    return _BY_CODE.get(contract_code)


def find_by_pair(pair: str, contract_type: str) -> Contract | None:
    """The contract for ``pair`` + ``contract_type`` (the cross endpoints' alternative to a code)."""
    return next((c for c in CONTRACTS if c.pair == pair and c.contract_type == contract_type), None)


def contract_info(query: Mapping[str, str]) -> list[Json]:
    """``swap_contract_info``: filter the catalogue like HTX (``business_type`` defaults to swap)."""
    business_type = query.get('business_type') or 'swap'
    if business_type not in _BUSINESS_TYPES:
        raise HtxError(PARAM_ILLEGAL, 'Illegal parameter business_type.')
    code = query.get('contract_code')
    if code and code not in _BY_CODE:
        raise HtxError(CONTRACT_NOT_FOUND)
    # exact-match filters (HTX's semantics for support_margin_mode=cross vs "all" are unconfirmed)
    wanted = {
        'contract_code': code,
        'support_margin_mode': query.get('support_margin_mode'),
        'pair': query.get('pair'),
        'contract_type': query.get('contract_type'),
    }
    now = now_ms()
    items = [c.to_htx(now) for c in CONTRACTS if business_type in ('all', c.business_type)]
    return [item for item in items if all(not v or item[k] == v for k, v in wanted.items())]
