"""Every HTX endpoint this package calls: path, HTTP method, family, rate-limit budget, ccxt cost.

What this module may know: ``protocol`` and ccxt's ``Entry``. It is the one table: the ``Entry``
declarations that send the requests (:func:`entries`, set on ``TpslCoreMixin`` under the attribute
names listed here, snake_case and camelCase as ccxt spells them) are generated from it, so that
behaviour never depends on which ccxt version declares what.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ccxt.base.types import Entry

from . import protocol


@dataclass(frozen=True)
class Endpoint:
    """One HTX endpoint as this package uses it."""

    attr: str  # the implicit-API method (an Entry class attribute) that sends it
    path: str
    method: str
    family: str  # protocol.CLASSIC or protocol.V5
    budget: str  # the UID budget it counts in: 'trade' or 'read'
    own_window: bool  # HTX documents a limit of its own (the classic TP/SL endpoints: 5/s)
    cost: float = 1  # ccxt's rate-limiter units, as ccxt's own htx declares the endpoint (pacing is _pacing's)

    @property
    def key(self) -> str:
        """What pacing and error handling know it by: ``METHOD path``."""
        return f'{self.method} {self.path}'


def _classic(name: str, budget: str) -> Endpoint:
    return Endpoint(f'contract_private_post_linear_swap_api_v1_{name}', f'linear-swap-api/v1/{name}', 'POST',
                    protocol.CLASSIC, budget, True)


CLASSIC_CANCEL = {'isolated': _classic('swap_tpsl_cancel', 'trade'),
                  'cross': _classic('swap_cross_tpsl_cancel', 'trade')}
CLASSIC_CANCEL_ALL = {'isolated': _classic('swap_tpsl_cancelall', 'trade'),
                      'cross': _classic('swap_cross_tpsl_cancelall', 'trade')}
CLASSIC_ORDER = {'isolated': _classic('swap_tpsl_order', 'trade'),
                 'cross': _classic('swap_cross_tpsl_order', 'trade')}
CLASSIC_OPEN = {'isolated': _classic('swap_tpsl_openorders', 'read'),
                'cross': _classic('swap_cross_tpsl_openorders', 'read')}
CLASSIC_HISTORY = {'isolated': _classic('swap_tpsl_hisorders', 'read'),
                   'cross': _classic('swap_cross_tpsl_hisorders', 'read')}

V5_ORDER = Endpoint('contract_private_post_v5_algo_order', 'v5/algo/order', 'POST', protocol.V5, 'trade', False,
                    0.41679)
V5_CANCEL = Endpoint('contract_private_post_v5_algo_cancel_orders', 'v5/algo/cancel_orders', 'POST', protocol.V5,
                     'trade', False, 0.41679)
V5_OPENS = Endpoint('contract_private_get_v5_algo_order_opens', 'v5/algo/order/opens', 'GET', protocol.V5, 'read',
                    False, 0.41679)
V5_DETAIL = Endpoint('contract_private_get_v5_algo_order', 'v5/algo/order', 'GET', protocol.V5, 'read', False,
                     0.41679)
"""One algo order by id (observed: ``data`` a one-item list). Declared, so that it exists on every ccxt
version (the docs and the sandbox's tests call it), but not handled: ccxt's own fetch_order sends it."""
V5_HISTORY = Endpoint('contract_private_get_v5_algo_order_history', 'v5/algo/order/history', 'GET', protocol.V5,
                      'read', False, 0.41679)
ASSET_MODE = Endpoint('contract_private_get_v5_account_asset_mode', 'v5/account/asset_mode', 'GET', protocol.V5,
                      'read', False, 0.20834)

ALL: tuple[Endpoint, ...] = (
    *CLASSIC_CANCEL.values(), *CLASSIC_CANCEL_ALL.values(), *CLASSIC_ORDER.values(), *CLASSIC_OPEN.values(),
    *CLASSIC_HISTORY.values(), V5_ORDER, V5_CANCEL, V5_OPENS, V5_HISTORY, ASSET_MODE,
)
"""The endpoints the package sends and handles (pacing, error handling, transport guards)."""
DECLARED_ONLY: tuple[Endpoint, ...] = (V5_DETAIL,)
"""Declared as ``Entry`` on every ccxt version, and otherwise left to ccxt."""
BY_KEY: dict[str, Endpoint] = {e.key: e for e in ALL}
PATHS: frozenset[str] = frozenset(e.path for e in ALL)
CREATES: frozenset[str] = frozenset(e.key for e in (*CLASSIC_ORDER.values(), V5_ORDER))
"""Requests that open orders: never re-sent, by this package or by ccxt."""


def camel(attr: str) -> str:
    """ccxt's camelCase spelling of an implicit-API method: ``contract_private_get_x`` -> ``contractPrivateGetX``."""
    first, *rest = attr.split('_')
    return first + ''.join(part[:1].upper() + part[1:] for part in rest)


def entries() -> dict[str, Any]:
    """Every endpoint's ``Entry`` (one object serves the sync, async and pro classes: it calls
    ``self.request``), under its snake_case and camelCase attribute names."""
    declared: dict[str, Any] = {}
    for endpoint in (*ALL, *DECLARED_ONLY):
        entry = Entry(endpoint.path, ['contract', 'private'], endpoint.method, {'cost': endpoint.cost})
        declared[endpoint.attr] = declared[camel(endpoint.attr)] = entry
    return declared


def from_url(url: str, method: str) -> Endpoint | None:
    """The endpoint a request URL goes to, or None for any other endpoint."""
    path = url.split('?', 1)[0]
    scheme = path.find('://')
    start = path.find('/', scheme + 3) if scheme >= 0 else -1
    if start >= 0:  # the common case: https://host/<path>
        found = BY_KEY.get(f'{method} {path[start + 1:]}')
        if found is not None:
            return found
    for endpoint in ALL:  # a prefixed URL (a proxy)
        if endpoint.method == method and path.endswith('/' + endpoint.path):
            return endpoint
    if '%2F' in url or '%2f' in url:  # a proxy URL carrying the target URL percent-encoded
        target = unquote(url)
        for endpoint in ALL:
            tail = '/' + endpoint.path
            if endpoint.method == method and (tail + '?' in target or target.endswith(tail)):
                return endpoint
    return None
