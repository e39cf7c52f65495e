"""HTX's rate budget shared by every process of one account: ``options['tpslRateStore']``.

HTX counts its limits per UID and per endpoint, whatever process sends. Each exchange instance
paces itself (:mod:`._pacing`); with a store, every instance naming the same store also counts the
requests of the others, in HTX's own time:

- ``'sqlite:///PATH'`` (or a plain path): every process on one host naming the same file;
- ``'redis://HOST:PORT/DB'`` (``rediss://`` for TLS; needs ``pip install 'ccxt-htx-tpsl[redis]'``):
  every process on every machine naming the same Redis.

The rule is the in-process one, kept in the store: a request may be sent when, for each window it
counts in, fewer than ``limit`` earlier requests (of any process) can still be in HTX's window when
it arrives at the earliest, and it is at least one spacing after the previous one. Each process
places its requests in HTX's time with its own samples of HTX's ``ts`` (so machines with different
clocks agree): a request is stored with the time by which it had surely arrived (its reply's
``ts``; before the reply, its send time plus the highest latency seen, at most one window), and
leaves the store one window after that. A checked-and-recorded reservation is one atomic step (a
Lua script in Redis, an ``IMMEDIATE`` transaction in SQLite): two processes never take the same
slot. An exhausted window in HTX's headers, or a 1032, blocks every process until HTX's reset.

Faults: a store that cannot be reached (at the start or later) is logged once as a warning and
this process paces by itself meanwhile (what it sends is still recorded locally); it tries again
after a growing pause (0.5 s to 8 s) and, once the store answers, puts its recent requests back
into it and shares again. A process killed at any moment leaves only timed entries behind: they
stop counting one window after the request's latest possible arrival. Nothing here raises into a
request: the pacing only decides *when* to send.

Keys: ``htx-tpsl:v1:<id>:<window>`` where ``<id>`` is a SHA-256 of the API host and the account's
UID (ccxt's ``uid`` credential) or, when it is not set, of the API key. Neither the key nor the
secret is ever stored or logged; a store URL is logged without its password.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from ._pacing import Pacer, Ticket

logger = logging.getLogger('ccxt_htx_tpsl')

PREFIX = 'htx-tpsl:v1'
TIMEOUT_S = 0.25  # a store call (connect or reply) that takes longer counts as unreachable
RETRY_FIRST_S = 0.5  # after a failure, the store is tried again after this, doubling ...
RETRY_MAX_S = 8.0  # ... up to this
PENDING_MS = 100.0  # a reservation not marked sent within this is not handed out again by wait()
ABANDONED_MS = 1000.0  # ... and one older than this is not taken by sent() either
PEERS_MS = 10_000.0  # processes that asked the store within this long are counted as sharing the budget
SLOW_MS = 1.0  # a reservation that took longer than this has its latest arrival moved to the send time
REDIS_SCHEMES = ('redis', 'rediss', 'unix')


@dataclass(frozen=True)
class Slot:
    """One window a request counts in, as the store needs it (times in ms, HTX's clock)."""

    key: str
    limit: int
    interval: float
    spacing: float
    late: float  # by when the request surely arrived, before its reply says


class Store(Protocol):
    """A place several processes keep HTX's windows in; every method is one atomic step."""

    name: str  # the URL without its password

    def acquire(self, slots: Sequence[Slot], member: str, early: float, force: bool, peers: tuple[str, str],
                ) -> tuple[float, int]:
        """Reserve a slot in every window for a request arriving at ``early`` at the earliest: the ms
        to wait (0: reserved; else nothing reserved; ``force``: reserve anyway), and how many
        processes used the budget lately (``peers``: the account's key for them and this process's tag)."""
        ...

    def settle(self, keys: Sequence[str], member: str, arrived: float, blocked: Sequence[float | None],
               ttl_ms: int) -> None:
        """The request ``member`` had surely arrived by ``arrived``; each window blocked until ``blocked``."""
        ...

    def add(self, entries: Sequence[tuple[str, str, float]], ttl_ms: int) -> None:
        """Put ``(window key, member, arrived by)`` entries back (after an outage)."""
        ...

    def ping(self) -> str:
        """A short description of the store if it answers; raises if not."""
        ...


# -- Redis ------------------------------------------------------------------------------------

# KEYS: per window, its sorted set (member -> arrived-by time) then its hash (last, blocked); last,
# the account's sorted set of processes (tag -> last seen). ARGV: n, member, early, force, ttl, tag,
# peers_ms, then per window: limit, interval, spacing, late. Replies a string (Redis turns Lua numbers
# into integers): 'wait peers', wait the ms to wait ('0': reserved).
ACQUIRE_LUA = """
local n, member, early, force, ttl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), ARGV[4] == '1', ARGV[5]
local tag, peers_ms, peers = ARGV[6], tonumber(ARGV[7]), KEYS[2 * n + 1]
redis.call('ZADD', peers, early, tag)
redis.call('ZREMRANGEBYSCORE', peers, '-inf', early - peers_ms)
redis.call('PEXPIRE', peers, math.floor(peers_ms))
local count_peers = redis.call('ZCARD', peers)
local wait = 0
for i = 1, n do
  local a = 7 + (i - 1) * 4
  local limit, interval, spacing = tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  local z, h = KEYS[2 * i - 1], KEYS[2 * i]
  -- Entries are dropped only a window after they stop counting for this request: another
  -- process may place the same instant a little earlier in HTX's time and still need them.
  redis.call('ZREMRANGEBYSCORE', z, '-inf', early - 2 * interval)
  local count = redis.call('ZCOUNT', z, '(' .. string.format('%.3f', early - interval), '+inf')
  if count >= limit then
    local total = redis.call('ZCARD', z)
    local oldest = redis.call('ZRANGE', z, total - limit, total - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(oldest[2]) + interval - early)
  end
  local meta = redis.call('HMGET', h, 'last', 'blocked')
  if meta[1] then wait = math.max(wait, tonumber(meta[1]) + spacing - early) end
  if meta[2] then wait = math.max(wait, tonumber(meta[2]) - early) end
end
if wait > 0 and not force then return string.format('%.3f %d', wait, count_peers) end
for i = 1, n do
  local late = ARGV[7 + (i - 1) * 4 + 4]
  local z, h = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZADD', z, late, member)
  local last = tonumber(redis.call('HGET', h, 'last'))
  if not last or early > last then redis.call('HSET', h, 'last', string.format('%.3f', early)) end
  redis.call('PEXPIRE', z, ttl)
  redis.call('PEXPIRE', h, ttl)
end
return string.format('0 %d', count_peers)
"""

# KEYS as above. ARGV: n, member, arrived, ttl, then per window: blocked-until ('' for none).
SETTLE_LUA = """
local n, member, arrived, ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], ARGV[4]
for i = 1, n do
  local z, h = KEYS[2 * i - 1], KEYS[2 * i]
  redis.call('ZADD', z, arrived, member)
  redis.call('PEXPIRE', z, ttl)
  local blocked = tonumber(ARGV[4 + i])
  if blocked then
    local old = tonumber(redis.call('HGET', h, 'blocked'))
    if not old or blocked > old then redis.call('HSET', h, 'blocked', string.format('%.3f', blocked)) end
    redis.call('PEXPIRE', h, ttl)
  end
end
return 1
"""


class RedisStore:
    """The windows in Redis: one sorted set and one hash per window; every step one Lua script."""

    def __init__(self, url: str) -> None:
        import redis  # the 'redis' extra; an ImportError is reported by open_store
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.name = redacted(url)
        # No retries inside redis-py (its default backs off for seconds): a failed call falls back
        # to in-process pacing at once, and the pacer tries the store again later.
        self.client: Any = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_S, socket_connect_timeout=TIMEOUT_S, retry_on_timeout=False,
            retry=Retry(NoBackoff(), 0), health_check_interval=0)
        self._acquire = self.client.register_script(ACQUIRE_LUA)  # EVALSHA, loaded again after a restart
        self._settle = self.client.register_script(SETTLE_LUA)

    @staticmethod
    def _keys(keys: Iterable[str]) -> list[str]:
        return [name for key in keys for name in (key + ':z', key + ':h')]

    def acquire(self, slots: Sequence[Slot], member: str, early: float, force: bool, peers: tuple[str, str],
                ) -> tuple[float, int]:
        args: list[Any] = [len(slots), member, repr(early), '1' if force else '0', _ttl(slots), peers[1], PEERS_MS]
        for slot in slots:
            args += [slot.limit, repr(slot.interval), repr(slot.spacing), repr(slot.late)]
        reply = self._acquire(keys=[*self._keys(s.key for s in slots), peers[0]], args=args)
        wait, count = (reply.decode() if isinstance(reply, bytes) else str(reply)).split()
        return float(wait), int(count)

    def settle(self, keys: Sequence[str], member: str, arrived: float, blocked: Sequence[float | None],
               ttl_ms: int) -> None:
        args: list[Any] = [len(keys), member, repr(arrived), ttl_ms]
        args += ['' if b is None else repr(b) for b in blocked]
        self._settle(keys=self._keys(keys), args=args)

    def add(self, entries: Sequence[tuple[str, str, float]], ttl_ms: int) -> None:
        with self.client.pipeline(transaction=True) as pipe:
            for key, member, arrived in entries:
                pipe.zadd(key + ':z', {member: arrived})
                pipe.pexpire(key + ':z', ttl_ms)
            pipe.execute()

    def ping(self) -> str:
        info = self.client.info('server')
        return f"Redis {info.get('redis_version', '?')}"


# -- SQLite -----------------------------------------------------------------------------------

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (win TEXT NOT NULL, member TEXT NOT NULL, late REAL NOT NULL,
                                    expires REAL NOT NULL, PRIMARY KEY (win, member)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_late ON entries (win, late);
CREATE TABLE IF NOT EXISTS meta (win TEXT PRIMARY KEY, last REAL, blocked REAL, expires REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS peers (account TEXT NOT NULL, tag TEXT NOT NULL, seen REAL NOT NULL,
                                  PRIMARY KEY (account, tag)) WITHOUT ROWID;
"""


class SqliteStore:
    """The windows in one SQLite file (WAL): every step one ``BEGIN IMMEDIATE`` transaction."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = 'sqlite://' + path
        self._lock = threading.Lock()  # one connection per store object, used by one thread at a time
        self._db: sqlite3.Connection | None = None
        self._pid = os.getpid()

    def _connection(self) -> sqlite3.Connection:
        if self._db is None or self._pid != os.getpid():
            db = sqlite3.connect(self.path, timeout=1.0, isolation_level=None, check_same_thread=False)
            try:
                for attempt in range(20):  # processes opening the file at once: switching to WAL is not queued
                    try:
                        if db.execute('PRAGMA journal_mode').fetchone()[0].lower() != 'wal':
                            db.execute('PRAGMA journal_mode=WAL')
                        db.execute('PRAGMA synchronous=OFF')  # pacing state: losing the last writes is harmless
                        db.executescript(SCHEMA)
                        break
                    except sqlite3.OperationalError as error:
                        if 'locked' not in str(error) or attempt == 19:
                            raise
                        time.sleep(0.01 * (attempt + 1))
            except BaseException:
                db.close()
                raise
            self._db, self._pid = db, os.getpid()
        return self._db

    def _transaction(self, work: Any) -> Any:
        with self._lock:
            db = self._connection()
            try:
                db.execute('BEGIN IMMEDIATE')
                result = work(db)
                db.execute('COMMIT')
                return result
            except BaseException as error:
                try:
                    if db.in_transaction:
                        db.execute('ROLLBACK')
                except sqlite3.Error:
                    pass
                if isinstance(error, sqlite3.Error) and 'locked' not in str(error):
                    self._db = None  # opened again next time (the file may have gone)
                    db.close()
                raise

    def acquire(self, slots: Sequence[Slot], member: str, early: float, force: bool, peers: tuple[str, str],
                ) -> tuple[float, int]:
        expires = time.time() * 1000 + _ttl(slots)

        def work(db: sqlite3.Connection) -> tuple[float, int]:
            db.execute('INSERT OR REPLACE INTO peers VALUES (?, ?, ?)', (peers[0], peers[1], early))
            db.execute('DELETE FROM peers WHERE account = ? AND seen <= ?', (peers[0], early - PEERS_MS))
            count = int(db.execute('SELECT count(*) FROM peers WHERE account = ?', (peers[0],)).fetchone()[0])
            wait = 0.0
            for slot in slots:
                # dropped a window after they stop counting for this request (see ACQUIRE_LUA)
                db.execute('DELETE FROM entries WHERE win = ? AND late <= ?', (slot.key, early - 2 * slot.interval))
                lates = [row[0] for row in db.execute(
                    'SELECT late FROM entries WHERE win = ? AND late > ? ORDER BY late DESC LIMIT ?',
                    (slot.key, early - slot.interval, slot.limit))]
                if len(lates) >= slot.limit:
                    wait = max(wait, lates[slot.limit - 1] + slot.interval - early)
                row = db.execute('SELECT last, blocked FROM meta WHERE win = ?', (slot.key,)).fetchone()
                if row is not None:
                    last, blocked = row
                    if last is not None:
                        wait = max(wait, last + slot.spacing - early)
                    if blocked is not None:
                        wait = max(wait, blocked - early)
            if wait > 0 and not force:
                return wait, count
            for slot in slots:
                db.execute('INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)', (slot.key, member, slot.late, expires))
                db.execute('INSERT INTO meta (win, last, expires) VALUES (?, ?, ?) ON CONFLICT (win) DO UPDATE SET '
                           'last = max(coalesce(last, excluded.last), excluded.last), expires = excluded.expires',
                           (slot.key, early, expires))
            if secrets.randbelow(64) == 0:  # now and then, drop what every process has forgotten
                now = time.time() * 1000
                db.execute('DELETE FROM entries WHERE expires < ?', (now,))
                db.execute('DELETE FROM meta WHERE expires < ?', (now,))
                db.execute('DELETE FROM peers WHERE seen < ?', (early - PEERS_MS,))
            return 0.0, count

        wait, count = self._transaction(work)
        return float(wait), int(count)

    def settle(self, keys: Sequence[str], member: str, arrived: float, blocked: Sequence[float | None],
               ttl_ms: int) -> None:
        expires = time.time() * 1000 + ttl_ms

        def work(db: sqlite3.Connection) -> None:
            for key, until in zip(keys, blocked, strict=True):
                db.execute('INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)', (key, member, arrived, expires))
                if until is not None:
                    db.execute('INSERT INTO meta (win, blocked, expires) VALUES (?, ?, ?) ON CONFLICT (win) DO UPDATE '
                               'SET blocked = max(coalesce(blocked, excluded.blocked), excluded.blocked), '
                               'expires = max(expires, excluded.expires)', (key, until, expires))

        self._transaction(work)

    def add(self, entries: Sequence[tuple[str, str, float]], ttl_ms: int) -> None:
        expires = time.time() * 1000 + ttl_ms

        def work(db: sqlite3.Connection) -> None:
            db.executemany('INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?)',
                           [(key, member, arrived, expires) for key, member, arrived in entries])

        self._transaction(work)

    def ping(self) -> str:
        with self._lock:
            version = self._connection().execute('SELECT sqlite_version()').fetchone()[0]
        return f'SQLite {version}, {self.path}'


# -- opening a store --------------------------------------------------------------------------

_STORES: dict[tuple[int, str], Store] = {}  # per process: instances naming one URL share its connection
_STORES_LOCK = threading.Lock()


def redacted(url: str) -> str:
    """The URL without its user, password and query (redis-py reads ``?password=`` too), for logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ''
        if parts.port is not None:
            host += f':{parts.port}'
    except ValueError:  # not even a URL (e.g. an unclosed IPv6 bracket): show its scheme only
        return url.split(':', 1)[0] + '://***'
    user = '***@' if parts.password is not None or parts.username is not None else ''
    query = '?***' if parts.query else ''
    return urlunsplit((parts.scheme, user + host, parts.path, '', '')) + query


def sqlite_path(url: str) -> str | None:
    """The file of a ``sqlite:///PATH`` URL (``sqlite:////PATH`` too) or a plain path; None for anything else."""
    if url.lower().startswith('sqlite://'):
        path = url[len('sqlite://'):]
        return '/' + path.lstrip('/') if path.startswith('/') else path
    if '://' in url:
        return None
    return url


def open_store(url: str) -> Store:
    """The store a URL names (one per process and URL); ValueError or ImportError if it names none."""
    key = (os.getpid(), url)
    with _STORES_LOCK:
        store = _STORES.get(key)
        if store is None:
            scheme = urlsplit(url).scheme.lower() if '://' in url else ''
            if scheme in REDIS_SCHEMES:
                store = RedisStore(url)
            elif (path := sqlite_path(url)) is not None and path:
                store = SqliteStore(os.path.abspath(os.path.expanduser(path)))
            else:
                raise ValueError(f'tpslRateStore: {redacted(url)!r} is neither sqlite:///PATH, a path nor redis://')
            _STORES[key] = store
    return store


def describe_store(url: str | None) -> tuple[str, bool, str]:
    """For the CLI's doctor: ``(name, ok, detail)`` of ``options['tpslRateStore']`` (None: in-process)."""
    if not url:
        return 'in-process', True, 'each exchange instance paces by itself (no tpslRateStore)'
    try:
        store = open_store(url)
    except ImportError:
        return redacted(url), False, "the 'redis' package is missing: pip install 'ccxt-htx-tpsl[redis]'"
    except ValueError as error:
        return redacted(url), False, str(error)
    try:
        return store.name, True, store.ping()
    except Exception as error:
        return store.name, False, f'unreachable ({type(error).__name__}); pacing falls back to in-process'


def account_id(hostname: str, uid: Any, api_key: Any) -> str:
    """Who the windows belong to, hashed: the API host with the UID, or with the API key if no UID."""
    who = f'uid:{uid}' if uid not in (None, '') else f'key:{api_key or ""}'
    return hashlib.sha256(f'{hostname}\0{who}'.encode()).hexdigest()[:32]


def new_pacer(exchange: Any, paths: Mapping[str, Iterable[str]], windows: Mapping[str, tuple[float, float]],
              margin: float, sure: Iterable[str]) -> Pacer:
    """The exchange's pacer: in-process without ``options['tpslRateStore']``, shared with one."""
    url = exchange.options.get('tpslRateStore')
    if not url:
        return Pacer(paths, windows, margin, sure)
    store: Store | None = None
    try:
        store = open_store(str(url))
    except ImportError:
        logger.warning("%s: tpslRateStore %s needs the 'redis' package (pip install 'ccxt-htx-tpsl[redis]'); "
                       'pacing in this process only', exchange.id, redacted(str(url)))
    except ValueError as error:
        logger.warning('%s: %s; pacing in this process only', exchange.id, error)
    if store is None:
        return Pacer(paths, windows, margin, sure)
    urls = getattr(exchange, 'urls', None)
    hostnames = urls.get('hostnames') if isinstance(urls, dict) else None
    contract = hostnames.get('contract') if isinstance(hostnames, dict) else None
    hostname = str(contract or getattr(exchange, 'hostname', '') or '')
    account = account_id(hostname, getattr(exchange, 'uid', None), getattr(exchange, 'apiKey', None))
    return SharedPacer(paths, windows, margin, sure, store=store, account=account, label=str(exchange.id))


def _ttl_after(arrived: float, interval: float) -> int:
    """How long (ms) keys must live for an entry that arrived by ``arrived``: two windows after it, and a second."""
    return int(max(0.0, arrived - time.time() * 1000) + 2 * interval) + 1000


def _ttl(slots: Sequence[Slot]) -> int:
    """How long a window's keys outlive their last request: its latest arrival plus two windows, and a second."""
    return int(max((2 * s.interval + max(0.0, s.late - time.time() * 1000) for s in slots), default=0.0)) + 1000


# -- the pacer --------------------------------------------------------------------------------

_SEQUENCE = itertools.count()


class SharedPacer(Pacer):
    """A :class:`Pacer` whose windows are also kept in a store that other processes share.

    ``wait`` first applies the in-process rule (its own requests, HTX's headers and refusals as
    seen here), then asks the store, which reserves the slot when it answers 0; ``sent`` marks that
    reservation as this request's (or records one anyway when the caller gave up waiting), and
    ``replied`` / ``lost`` tell the store when the request had surely arrived.
    """

    def __init__(self, paths: Mapping[str, Iterable[str]], windows: Mapping[str, tuple[float, float]],
                 margin: float, sure: Iterable[str], *, store: Store, account: str, label: str = 'htx') -> None:
        super().__init__(paths, windows, margin, sure)
        self.store = store
        self.account = account
        self.label = label
        self.shared = True  # False while the store is unreachable
        self._retry_at = 0.0  # monotonic s: when to try the store again
        self._retry_s = RETRY_FIRST_S
        self._tag = f'{os.getpid()}-{secrets.token_hex(4)}'
        self.peers = 1  # processes sharing the budget lately, as the store last said
        self.forced = 0  # requests recorded without a reservation (the caller stopped waiting)
        self._last_sent: dict[str, float] = {}  # window -> this process's last send (for pacing alone)
        self._pending: dict[str, tuple[str, float]] = {}  # path -> (member, when reserved)
        self._members: dict[int, tuple[Ticket, str]] = {}  # id(ticket) -> (ticket, member) until settled

    # -- the store's keys and arguments

    def _key(self, window: str) -> str:
        return f'{PREFIX}:{self.account}:{window}'

    def _slots(self, path: str, now: float) -> tuple[list[Slot], float]:
        sure = path in self.sure
        low = self.latency.floor() if sure else self.latency.low()
        spread = self.latency.spread()
        keys = self.keys(path)
        safety = max((self.windows[k].safety for k in keys), default=0.0)
        early = now + (low if low is not None else 0.0) - safety  # HTX's time of the earliest arrival
        slots = []
        for key in keys:
            window = self.windows[key]
            late = now + min(self.latency.high(), window.interval)
            spacing = window.spacing - min(spread, window.interval / 2) / window.limit
            slots.append(Slot(self._key(key), window.limit, window.interval, spacing, late))
        return slots, early

    def _peers(self) -> tuple[str, str]:
        return f'{PREFIX}:{self.account}:peers', self._tag

    def _member(self) -> str:
        return f'{self._tag}-{next(_SEQUENCE)}'

    # -- availability

    def _usable(self) -> bool:
        return self.shared or time.monotonic() >= self._retry_at

    def _failed(self, error: BaseException) -> None:
        if self.shared:
            logger.warning('%s: rate store %s unreachable (%s); pacing in this process only until it answers',
                           self.label, self.store.name, type(error).__name__)
        self.shared = False
        self._retry_at = time.monotonic() + self._retry_s
        self._retry_s = min(RETRY_MAX_S, self._retry_s * 2)

    def _answered(self, now: float) -> None:
        if self.shared:
            return
        self.shared = True
        self._retry_s = RETRY_FIRST_S
        try:  # what this process sent meanwhile counts for the others from now on
            entries = []
            for key, window in self.windows.items():
                for ticket in window.recent:
                    arrived = ticket.arrived_by if ticket.arrived_by is not None else ticket.sent + self.latency.high()
                    if arrived + window.interval > now:
                        entries.append((self._key(key), f'{self._tag}-r{id(ticket)}', arrived))
            if entries:
                self.store.add(entries, int(max(w.interval for w in self.windows.values()) * 2) + 1000)
        except Exception as error:
            self._failed(error)
            return
        logger.warning('%s: rate store %s answers again; pacing shared', self.label, self.store.name)

    # -- Pacer

    def patience(self, path: str) -> float:
        """As in-process, times the processes sharing the budget: each waits its turn among them."""
        return super().patience(path) * (max(1, self.peers) if self.shared else 1)

    def _alone(self, path: str, now: float, local: float) -> float:
        """While the store is unreachable: this process's share of the spacing (as many as were sharing)."""
        for key in self.keys(path):
            window = self.windows[key]
            local = max(local, self._last_sent.get(key, -math.inf) + window.spacing * self.peers - now)
        return local

    def wait(self, path: str, now: float) -> float:
        local = super().wait(path, now)
        if not self._usable():
            return self._alone(path, now, local)
        if local > 0 or not self.keys(path):
            return local
        pending = self._pending.get(path)
        if pending is not None and now - pending[1] < PENDING_MS:
            return 0.0  # reserved, not yet sent
        slots, early = self._slots(path, now)
        member = self._member()
        try:
            wait, self.peers = self.store.acquire(slots, member, early, False, self._peers())
        except Exception as error:
            self._failed(error)
            return self._alone(path, now, local)
        self._answered(now)
        if wait > 0:
            cap = max(self.windows[k].interval + self.windows[k].spacing for k in self.keys(path))
            return min(wait, cap)
        self._pending[path] = (member, now)
        return 0.0

    def sent(self, path: str, now: float) -> Ticket:
        ticket = super().sent(path, now)
        for key in ticket.window_keys:
            self._last_sent[key] = now
        pending = self._pending.pop(path, None)
        member: str | None = None
        if pending is not None and now - pending[1] < ABANDONED_MS:
            member = pending[0]
            if now - pending[1] > SLOW_MS and ticket.window_keys and self.shared:
                # The store took a while to answer (a busy SQLite file, a slow network): the
                # reservation's latest arrival was reckoned from before the call; move it to now.
                keys = ticket.window_keys
                late = now + min(self.latency.high(), min(self.windows[k].interval for k in keys))
                try:
                    self.store.settle([self._key(k) for k in keys], member, late, [None] * len(keys),
                                      _ttl_after(late, max(self.windows[k].interval for k in keys)))
                except Exception as error:
                    self._failed(error)
        elif ticket.window_keys and self._usable():  # the caller stopped waiting: it counts all the same
            self.forced += 1
            slots, early = self._slots(path, now)
            try:
                _, self.peers = self.store.acquire(slots, candidate := self._member(), early, True, self._peers())
                member = candidate
                self._answered(now)
            except Exception as error:
                self._failed(error)
        if member is not None:
            if len(self._members) > 10_000:  # tickets nobody settled (should not happen): forget the oldest
                for stale in list(self._members)[:1000]:
                    del self._members[stale]
            self._members[id(ticket)] = (ticket, member)
        return ticket

    def replied(self, ticket: Ticket, now: float, server_ts: Any, headers: Mapping[str, Any] | None,
                rate_limited: bool) -> None:
        done = ticket.done
        super().replied(ticket, now, server_ts, headers, rate_limited)
        if not done:
            self._settle(ticket)

    def lost(self, ticket: Ticket, now: float) -> None:
        done = ticket.done
        super().lost(ticket, now)
        if not done:
            self._settle(ticket)

    def _settle(self, ticket: Ticket) -> None:
        record = self._members.pop(id(ticket), None)
        if record is None or record[0] is not ticket or ticket.arrived_by is None or not self.shared:
            return
        keys = ticket.window_keys
        blocked = [self.windows[k].blocked_until if self.windows[k].blocked_until > -math.inf else None for k in keys]
        ttl = _ttl_after(ticket.arrived_by, max(self.windows[k].interval for k in keys)) if keys else 1000
        try:
            self.store.settle([self._key(k) for k in keys], record[1], ticket.arrived_by, blocked, ttl)
        except Exception as error:
            self._failed(error)
