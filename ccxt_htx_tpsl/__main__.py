"""``python -m ccxt_htx_tpsl``: the ``htx-tpsl`` command."""

from .cli import main

raise SystemExit(main())
