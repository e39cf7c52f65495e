"""The registry of API families, and a refusal read in either family's envelope.

What this module may know: the two families (``_classic``, ``_v5``), their interface and
``protocol``. Everything above it (errors, flows, the exchange hooks) asks here, never a family
module directly, which family a name means and what code a reply refuses with.
"""

from __future__ import annotations

from typing import Any, Final

from . import protocol
from ._classic import CLASSIC
from ._family import Family
from ._v5 import V5_FAMILY

FAMILIES: Final[dict[str, Family]] = {protocol.CLASSIC: CLASSIC, protocol.V5: V5_FAMILY}
OTHER: Final = {protocol.CLASSIC: protocol.V5, protocol.V5: protocol.CLASSIC}


def other(family: Family) -> Family:
    """The family an account uses when HTX refuses ``family`` with a wrong-family code."""
    return FAMILIES[OTHER[family.name]]


def refusal_code(reply: Any) -> str | None:
    """The code of a top-level refusal in either envelope (classic ``status: error``, v5 ``code`` not 200)."""
    return CLASSIC.refusal_code(reply) or V5_FAMILY.refusal_code(reply)


def refusal_message(reply: Any) -> Any:
    """HTX's message in a refusal, in either envelope's spelling; None when it has none."""
    if not isinstance(reply, dict):
        return None
    for key in ('err_msg', 'err-msg', 'message', 'msg'):
        if key in reply:
            return reply[key]
    return None
