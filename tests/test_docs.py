"""Every code block of README.md and docs/*.md runs, so a snippet that stops working fails the suite.

- ``python`` blocks run as written, in this process (the network is blocked but for 127.0.0.1: a
  block that would reach HTX fails); each must be self-contained (they use the embedded sandbox).
- ``sh`` blocks: each ``htx-tpsl`` command runs as a subprocess, with no HTX credentials in its
  environment (so it uses an embedded sandbox); a foreground ``htx-tpsl sandbox`` is started,
  checked and stopped with Ctrl-C. Any other command (installing, CI scripts, the benchmark) must
  be listed in ``RUN_ELSEWHERE`` with what runs it, or this test fails.
- Other blocks (``text``, ``json``...) are output samples and are not run.
"""

from __future__ import annotations

import contextlib
import io
import os
import pathlib
import re
import signal
import subprocess
import sys
from typing import Any

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = [ROOT / 'README.md', *sorted((ROOT / 'docs').glob('*.md'))]
FENCE = re.compile(r'^```([\w-]*)[^\n]*\n(.*?)^```\s*$', re.M | re.S)
RUN_ELSEWHERE = {
    "python3 -m venv .venv && . .venv/bin/activate && pip install . && htx-tpsl demo":
        '.ci/run runs the quick start, word for word, in a fresh clone',
    "python3 -m venv .venv && . .venv/bin/activate && pip install '.[test]' && pytest":
        '.ci/run runs the quick start, word for word, in a fresh clone',
    "pip install -e '.[test,dev]'": 'a developer setup (.ci/run installs the same extras)',
    "pip install '.[docs]'": '.ci/run',
    'pytest': 'this is the test suite',
    'bash .ci/run': 'CI itself',
    'bash .ci/matrix': 'the matrix job (several minutes per ccxt version)',
    'bash .ci/pythons': 'the Python 3.12/3.13 job (several minutes per Python)',
    'mkdocs build --strict': '.ci/run builds the docs with --strict',
    'pytest --record-mode=rewrite tests/test_cancel.py tests/test_lifecycle.py':
        'records the cassettes anew against the sandbox; the replays of this suite check them',
    'python bench/run.py': 'the benchmark (minutes; prints figures, asserts nothing)',
    'python bench/soak.py': 'the soak (10 minutes; prints memory over time)',
    "pip install 'ccxt-htx-tpsl[redis]'": 'an install from the index (.ci/run installs the test extras, with redis)',
    'python bench/shared_budget.py': 'the shared-budget benchmark (minutes; prints figures, asserts nothing)',
    'python bench/lost_replies.py': 'the lost-replies benchmark (a minute; prints figures, asserts nothing)',
    'bash .ci/redis pytest tests/test_shared_budget.py': '.ci/run runs the whole suite under .ci/redis',
}


def blocks() -> list[tuple[str, str, int, str]]:
    found = []
    for path in FILES:
        text = path.read_text()
        for match in FENCE.finditer(text):
            language, code = match.group(1).lower(), match.group(2)
            line = text.count('\n', 0, match.start()) + 1
            found.append((path.relative_to(ROOT).as_posix(), language, line, code))
    return found


BLOCKS = blocks()
PYTHON = [(f, line, code) for f, lang, line, code in BLOCKS if lang in ('python', 'py')]
SHELL = [(f, line, code) for f, lang, line, code in BLOCKS if lang in ('sh', 'bash', 'shell', 'console')]


def commands(code: str) -> list[str]:
    """The block's commands, comments and blank lines dropped (a trailing comment too)."""
    found = []
    for raw in code.splitlines():
        line = raw.split('  #', 1)[0].strip()
        if line and not line.startswith('#'):
            found.append(line)
    return found


def test_the_docs_have_blocks_and_every_language_is_known() -> None:
    assert PYTHON and SHELL
    known = {'python', 'py', 'sh', 'bash', 'shell', 'console', 'text', 'json', 'yaml', 'toml', 'ini', ''}
    assert {lang for _, lang, _, _ in BLOCKS} <= known


@pytest.mark.parametrize(('path', 'line', 'code'), PYTHON, ids=[f'{f}:{n}' for f, n, _ in PYTHON])
def test_python_block_runs(path: str, line: int, code: str) -> None:
    namespace: dict[str, Any] = {'__name__': '__main__'}
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(code, f'{path}:{line}', 'exec'), namespace)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith('HTX_')}
    env['PYTHONPATH'] = str(ROOT) + os.pathsep + env.get('PYTHONPATH', '')
    return env


def _run_cli(arguments: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, '-m', 'ccxt_htx_tpsl', *arguments], capture_output=True, text=True,
                          timeout=120, env=_environment(), cwd=ROOT)


def _run_foreground_sandbox(arguments: list[str]) -> None:
    process = subprocess.Popen([sys.executable, '-m', 'ccxt_htx_tpsl', *arguments], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, env=_environment(), cwd=ROOT)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        assert 'sandbox' in first.lower(), first
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=15)
    assert process.returncode in (0, 130, -signal.SIGINT)


@pytest.mark.parametrize(('path', 'line', 'code'), SHELL, ids=[f'{f}:{n}' for f, n, _ in SHELL])
def test_shell_block_runs(path: str, line: int, code: str) -> None:
    for command in commands(code):
        if command in RUN_ELSEWHERE:
            continue
        words = command.split()
        if words[0] == 'htx-tpsl' or words[:3] == ['python', '-m', 'ccxt_htx_tpsl']:
            arguments = words[1:] if words[0] == 'htx-tpsl' else words[3:]
            if arguments[:1] == ['sandbox']:
                # the documented port may be taken here: any free one shows the same
                _run_foreground_sandbox([a if a != '8080' else '0' for a in arguments] +
                                        ([] if '--port' in arguments else ['--port', '0']))
                continue
            done = _run_cli(arguments)
            assert done.returncode in (0, 1), f'{path}:{line} `{command}` exited {done.returncode}:\n{done.stderr}'
            continue
        pytest.fail(f'{path}:{line}: `{command}` is neither run here nor listed in RUN_ELSEWHERE')
