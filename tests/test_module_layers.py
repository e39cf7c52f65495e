"""The package's modules import only downwards (docs/architecture.md): no import loop, counting the
imports under ``TYPE_CHECKING``; the API families never see the exchange classes, the flows or the core."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / 'ccxt_htx_tpsl'

# A module may import modules of a lower layer only (the sandbox's own modules: each other, without a loop).
LAYERS: dict[str, int] = {
    'protocol': 0, '_model': 0, '_secrets': 0, '_pacing': 0,
    '_validate': 1, '_endpoints': 1, '_family': 1, '_ratestore': 1,
    '_transport': 2, '_classic': 2, '_v5': 2, '_results': 2,
    '_families': 3,
    '_errors': 4,
    '_core': 5,
    '_flows': 6,
    '_unified': 7,
    '_sync': 8, 'async_support': 8,
    'pro': 9, '': 9,  # '' is the package itself (__init__)
    'sandbox': 10,  # every module of the sandbox: it knows protocol, never the client
    'cli': 11, '__main__': 12, 'sandbox.__main__': 12,  # both: thin aliases of the command line
}
FAMILY_MODULES = ('_classic', '_v5')
FAMILY_MAY_IMPORT = {'_model', '_family', '_endpoints', 'protocol'}


def _name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix('').parts)
    if parts[-1] == '__init__':
        parts.pop()
    return '.'.join(parts)


def _resolve(module: str, package: str, node: ast.ImportFrom) -> set[str]:
    """The package's modules an ``import from`` names ('' for the package itself)."""
    if node.level:
        base = package.split('.') if package else []
        base = base[:len(base) - node.level + 1]
        target = '.'.join(base + ([node.module] if node.module else []))
    elif node.module and node.module.startswith('ccxt_htx_tpsl'):
        target = node.module[len('ccxt_htx_tpsl'):].lstrip('.')
    else:
        return set()
    found = set()
    for alias in node.names:
        candidate = f'{target}.{alias.name}' if target else alias.name
        path = PACKAGE.joinpath(*candidate.split('.'))
        found.add(candidate if path.with_suffix('.py').exists() or (path / '__init__.py').exists() else target)
    return found


def imports() -> dict[str, set[str]]:
    """Every module of the package -> the package's modules it imports, wherever (TYPE_CHECKING too)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob('*.py')):
        name = _name(path)
        package = name if path.name == '__init__.py' else name.rpartition('.')[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.ImportFrom):
                found |= _resolve(name, package, node)
            elif isinstance(node, ast.Import):
                found |= {a.name[len('ccxt_htx_tpsl'):].lstrip('.') for a in node.names
                          if a.name.split('.')[0] == 'ccxt_htx_tpsl'}
        found.discard(name)
        graph[name] = found
    return graph


def layer(name: str) -> int:
    if name in LAYERS:
        return LAYERS[name]
    if name.startswith('sandbox.'):
        return LAYERS['sandbox']
    raise AssertionError(f'{name}: not in docs/architecture.md nor in LAYERS; give it a layer')


GRAPH = imports()


def test_the_graph_was_read() -> None:  # the checks below would pass on an empty graph
    assert {'_flows', '_core', '_classic', '_v5', 'sandbox.server'} <= set(GRAPH)
    assert '_core' in GRAPH['_flows'] and '_model' in GRAPH['_classic'] and 'protocol' in GRAPH['sandbox.server']


@pytest.mark.parametrize('module', sorted(GRAPH))
def test_a_module_imports_only_lower_layers(module: str) -> None:
    own = layer(module)
    for target in GRAPH[module]:
        same_sandbox = module.startswith('sandbox') and target.startswith('sandbox') and own == layer(target)
        assert layer(target) < own or same_sandbox, f'{module} (layer {own}) imports {target} (layer {layer(target)})'


def test_there_is_no_import_loop() -> None:
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, ' -> '.join((*path, module))
        if module in done:
            return
        for target in GRAPH.get(module, ()):
            visit(target, (*path, module))
        done.add(module)

    for module in GRAPH:
        visit(module, ())


@pytest.mark.parametrize('family', FAMILY_MODULES)
def test_a_family_knows_only_the_data_its_interface_and_the_protocol(family: str) -> None:
    assert GRAPH[family] <= FAMILY_MAY_IMPORT, GRAPH[family] - FAMILY_MAY_IMPORT


def test_architecture_md_lists_every_module() -> None:
    text = (PACKAGE.parent / 'docs' / 'architecture.md').read_text(encoding='utf-8')
    missing = [m for m in GRAPH if m and not m.startswith('sandbox.') and f'`{m}' not in text]
    assert not missing, f'docs/architecture.md does not list {missing}'
