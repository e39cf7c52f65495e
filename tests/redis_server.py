"""A real ``redis-server`` on 127.0.0.1 for the shared-budget tests and benchmark (no mocks).

``RedisServer()`` starts one on a free port in a temporary directory (nothing saved to disk),
``stop()`` / ``start()`` take it down and bring it back on the same port (the fault tests).
``redis_url()`` says where the tests find Redis: a server they start themselves when
``redis-server`` is on PATH, else ``HTX_TPSL_TEST_REDIS_URL`` (set by ``.ci/redis``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time

ENV_URL = 'HTX_TPSL_TEST_REDIS_URL'
ENV_REQUIRED = 'HTX_TPSL_REQUIRE_REDIS'  # set by .ci/redis: a missing Redis fails instead of skipping


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def available() -> bool:
    return shutil.which('redis-server') is not None


class RedisServer:
    """``redis-server --port P --bind 127.0.0.1``, no persistence; a context manager."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.dir = tempfile.mkdtemp(prefix='htx-tpsl-redis-')
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def start(self) -> RedisServer:
        binary = shutil.which('redis-server')
        if binary is None:
            raise RuntimeError('redis-server is not on PATH')
        self.process = subprocess.Popen(
            [binary, '--port', str(self.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
             '--dir', self.dir, '--daemonize', 'no', '--loglevel', 'warning'],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f'redis-server exited with {self.process.returncode} on port {self.port}')
            try:
                with socket.create_connection(('127.0.0.1', self.port), timeout=0.2) as conn:
                    conn.sendall(b'PING\r\n')
                    if conn.recv(16).startswith(b'+PONG'):
                        return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(f'redis-server did not answer on port {self.port}')

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as abrupt as a crash: nothing is flushed
            self.process.wait(5)
        self.process = None

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
