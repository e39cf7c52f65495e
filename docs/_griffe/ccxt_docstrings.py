"""Griffe extension for the API reference: read ccxt-style reST docstrings as Markdown.

The package's public methods follow ccxt's docstring convention so that they read like ccxt's own
methods (``:param dict [params]: ...``, ``:param str [params.route]: ...``, ``:returns dict[]: ...``,
reST links and roles). The source stays as it is; this extension only adapts the text that
mkdocstrings renders, before the Sphinx-style parser sees it:

* ``:param TYPE [params.name]: text`` (ccxt's mark for a key read from ``params``) is moved into
  the description of ``params``, as a list item, so the parser does not take it for an argument;
* ``:param TYPE [name]:`` (ccxt's mark for an optional argument) becomes ``:param TYPE name:``, so
  the parser matches it with the signature; an unknown name is still reported (and fails
  ``mkdocs build --strict``);
* reST links ```text <url>``` and ```text <url>`_`` become Markdown links;
* reST roles ``:meth:`x``` ``:attr:`x``` ``:class:`x``` ``:data:`x``` ... become code spans.

Only objects of the ``ccxt_htx_tpsl`` package are touched. Loaded from ``mkdocs.yml``
(``plugins.mkdocstrings.handlers.python.options.extensions``). This file is build code, not a page:
``exclude_docs`` keeps it out of the site.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_PARAM_KEY = re.compile(r'^:param\s+(?:(\S+)\s+)?\[(\w+)\.([\w.]+)\]:\s*(.*)$')
_OPTIONAL_PARAM = re.compile(r'^(:param(?:\s+\S+)?\s+)\[(\w+)\](\s*:)', re.MULTILINE)
_PARAMS_FIELD = re.compile(r'^:param(?:\s+\S+)?\s+\[?(\w+)\]?:')
_REST_LINK = re.compile(r'`([^`<>]+?)\s*<(https?://[^>\s]+)>`_{0,2}')
_REST_ROLE = re.compile(r':(?:py:)?(?:meth|attr|class|data|func|mod|obj|exc):`~?([^`]+)`')
_INDENT = '    '


def _fields(lines: list[str]) -> list[list[str]]:
    """Split docstring lines into blocks: a field (``:name ...:``) with its indented continuation
    lines, or a single line of anything else."""
    blocks: list[list[str]] = []
    for line in lines:
        continues = blocks and blocks[-1][0].startswith(':') and line[:1].isspace() and line.strip()
        if continues:
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _fold_param_keys(text: str) -> str:
    """Move ``:param T [params.key]: ...`` fields into the description of ``params``."""
    blocks = _fields(text.split('\n'))
    keys: dict[str, list[str]] = {}
    kept: list[list[str]] = []
    for block in blocks:
        match = _PARAM_KEY.match(block[0])
        if match is None:
            kept.append(block)
            continue
        kind, owner, key, first = match.groups()
        rest = ' '.join(line.strip() for line in block[1:])
        kind_text = f' (`{kind}`)' if kind else ''
        keys.setdefault(owner, []).append(f'- `{owner}.{key}`{kind_text}: {" ".join((first, rest)).strip()}')
    for block in kept:
        match = _PARAMS_FIELD.match(block[0])
        if match is not None and match.group(1) in keys:
            block.extend(['', *(_INDENT + item for item in keys.pop(match.group(1)))])
    if keys:  # no field for the owner: keep the keys visible as plain fields
        kept.extend([[f':param {owner}: ' + '; '.join(items)] for owner, items in keys.items()])
    return '\n'.join(line for block in kept for line in block)


def ccxt_to_markdown(text: str) -> str:
    """The docstring ``text`` with ccxt's reST conventions rewritten for mkdocstrings."""
    text = _fold_param_keys(text)
    text = _OPTIONAL_PARAM.sub(r'\1\2\3', text)
    text = _REST_LINK.sub(r'[\1](\2)', text)
    return _REST_ROLE.sub(r'`\1`', text)


class CcxtDocstrings(griffe.Extension):
    """Rewrite the docstrings of this package's objects as they are loaded."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and obj.path.startswith('ccxt_htx_tpsl'):
            obj.docstring.value = ccxt_to_markdown(obj.docstring.value)
