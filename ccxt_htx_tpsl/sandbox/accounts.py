"""API keys, the account (UID) each belongs to, and each key's account mode; thread-safe.

HTX accounts live on one of two API families since 2026 (``protocol.CLASSIC`` / ``protocol.V5``),
which ``GET /v5/account/asset_mode`` tells by its asset mode:

=================== ========== ============================================================
mode                asset mode family
=================== ========== ============================================================
``classic``         0          ``/linear-swap-api/v1/...`` (single-asset, the old system)
``unified``         1          ``/v5/...`` (multi-assets collateral: what accounts are in 2026)
``unified-single``  2          ``/v5/...`` (single-asset on the new system; an SDK reading)
=================== ========== ============================================================

The mode is kept per API key (a test can give two keys of one UID different modes); orders and
rate budgets belong to the UID. Without ``uids`` each key is its own account, with a numeric UID
derived from its position in ``credentials`` (never the key itself, so records name no key twice).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Final

from .. import protocol

CLASSIC_MODE: Final = 'classic'
UNIFIED_MODE: Final = 'unified'
UNIFIED_SINGLE_MODE: Final = 'unified-single'
ACCOUNT_MODES: Final = (CLASSIC_MODE, UNIFIED_MODE, UNIFIED_SINGLE_MODE)
"""Every account mode a sandbox key can have; ``Sandbox(account_mode=...)`` defaults to ``'unified'``."""
ASSET_MODES: Final[dict[str, int]] = {CLASSIC_MODE: 0, UNIFIED_MODE: 1, UNIFIED_SINGLE_MODE: 2}
"""Account mode -> what ``GET /v5/account/asset_mode`` answers (``protocol.ASSET_MODE_FAMILY``)."""
FIRST_UID: Final = 100_000_001
UNKNOWN_UID: Final = 'unknown'


def check_mode(mode: object) -> str:
    """``mode`` if it is one of :data:`ACCOUNT_MODES`, else ValueError naming the choices."""
    if not isinstance(mode, str) or mode not in ACCOUNT_MODES:
        raise ValueError(f'account mode must be one of {list(ACCOUNT_MODES)}, got {mode!r}')
    return mode


def family_of(mode: str) -> str:
    """``protocol.CLASSIC`` or ``protocol.V5`` for an account mode."""
    return protocol.ASSET_MODE_FAMILY[str(ASSET_MODES[mode])]


class Accounts:
    """Credentials, UIDs and account modes."""

    def __init__(
        self,
        credentials: Mapping[str, str],
        *,
        uids: Mapping[str, str | int] | None = None,
        default_mode: str = UNIFIED_MODE,
        modes: Mapping[str, str] | None = None,
    ) -> None:
        self.credentials: dict[str, str] = dict(credentials)
        self.default_mode = check_mode(default_mode)
        given = {key: str(uid) for key, uid in (uids or {}).items()}
        if any(not uid for uid in given.values()):
            raise ValueError('a uid must not be empty')
        self._uids = {key: given.get(key, str(FIRST_UID + index)) for index, key in enumerate(self.credentials)}
        self._uids.update(given)
        self._lock = threading.Lock()
        self._modes: dict[str, str] = {key: check_mode(mode) for key, mode in (modes or {}).items()}

    def secret(self, api_key: str) -> str | None:
        """The key's secret, or None for a key the sandbox does not accept."""
        return self.credentials.get(api_key)

    def uid(self, api_key: str) -> str:
        """The UID the key belongs to (a key outside ``credentials`` counts as its own account)."""
        return self._uids.get(api_key, UNKNOWN_UID)

    def mode(self, api_key: str) -> str:
        """The key's account mode."""
        with self._lock:
            return self._modes.get(api_key, self.default_mode)

    def set_mode(self, api_key: str, mode: str) -> None:
        """Change one key's account mode."""
        check_mode(mode)
        with self._lock:
            self._modes[api_key] = mode

    def keys_in(self, *modes: str) -> frozenset[str]:
        """Known keys (credentials or overridden) whose mode is one of ``modes``."""
        with self._lock:
            keys = set(self.credentials) | set(self._modes)
            return frozenset(k for k in keys if self._modes.get(k, self.default_mode) in modes)
