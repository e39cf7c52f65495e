"""``python -m ccxt_htx_tpsl.sandbox``: the same command as ``htx-tpsl sandbox`` (serve a sandbox in
the foreground until Ctrl-C / SIGTERM), kept as a thin alias so that one command line is documented and tested."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """``htx-tpsl sandbox`` with these arguments (default: the process's own)."""
    from ..cli import main as cli_main

    return cli_main(['sandbox', *(sys.argv[1:] if argv is None else argv)])


if __name__ == '__main__':
    sys.exit(main())
