"""Shared state of a deployment: tokens already used (the replay guard) and statistics.

One interface, two backends:

- :class:`MemoryStore` (the default): this process only. Enough for one worker; with several
  workers or instances each keeps its own numbers and its own seen tokens.
- :class:`RedisStore` (``pip install 'mpt-receiver[redis]'``): every worker and instance that
  points at the same Redis shares both.

The receiver picks one from ``Receiver(store=...)``, else from the ``RECEIVER_STORE`` variable
(``memory``, ``redis://host:6379/0``, ``rediss://...``, ``unix:///run/redis.sock``; add
``?prefix=acme-prod:`` to keep deployments apart on one Redis).

Every Redis operation is bounded by a short timeout; a failure marks the store down for a short
while, so that during an outage calls do not each wait for a timeout. Callers get
:class:`~receiver.errors.StoreUnavailableError` and decide (the replay guard's fail mode; the
statistics stay in the process and are flushed later).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol, TypeVar, cast, runtime_checkable
from urllib.parse import parse_qsl, urlencode, urlsplit

import pydantic_core

from receiver._checks import non_negative_number, positive_number
from receiver._running import process_id, running_loop
from receiver.errors import ConfigurationError, StoreUnavailableError
from receiver.stats import Statistics, StatsDelta, WebhookStats

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger("receiver.store")

STORE_ENV = "RECEIVER_STORE"
DEFAULT_TIMEOUT = 0.5
FAILURES_BEFORE_DOWN = 3
DEFAULT_RETRY_INTERVAL = 1.0
DEFAULT_MAX_TOKENS = 100_000
DEFAULT_PREFIX = "receiver:"

T = TypeVar("T")


@runtime_checkable
class Store(Protocol):
    """What the receiver keeps beyond one call.

    ``shared`` says whether other processes see the same state: when true the receiver buffers
    statistics per webhook and flushes them with :meth:`merge_statistics`, and reads them back
    from the store.
    """

    shared: bool

    async def first_use(self, token_key: bytes, body_digest: bytes, ttl: float) -> bool:
        """Remember ``token_key`` for ``ttl`` seconds with the digest of its body. True when the
        token is new, or was seen with the same body (a retry); False when it was used for
        another body."""
        ...

    async def merge_statistics(
        self, deltas: Mapping[str, StatsDelta], *, origin: str, sequence: int
    ) -> None:
        """Add per-webhook deltas (calls seen since the last flush) exactly once: ``origin``
        names the flushing process and ``sequence`` its flush; a flush sent again after an
        error (which Redis may have applied before the error) is not counted twice."""
        ...

    async def statistics(self) -> list[WebhookStats]:
        """Every webhook's statistics, ordered by webhook id."""
        ...

    async def aclose(self) -> None:
        """Release connections (at shutdown)."""
        ...


class MemoryStore:
    """State of this process. Seen tokens are bounded by ``max_tokens``: past it the oldest
    entries are dropped (tokens live minutes, so this is a guard against memory growth, sized for
    far more calls than one process serves in a token's lifetime)."""

    shared = False

    def __init__(self, max_tokens: int = DEFAULT_MAX_TOKENS) -> None:
        if max_tokens < 1:
            raise ConfigurationError(f"max_tokens must be at least 1, not {max_tokens!r}.")
        self._tokens: dict[bytes, tuple[bytes, float]] = {}
        self._max_tokens = max_tokens
        self._statistics = Statistics()
        self._applied: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    async def first_use(self, token_key: bytes, body_digest: bytes, ttl: float) -> bool:
        now = time.monotonic()
        seen = self._tokens.get(token_key)
        if seen is not None and seen[1] > now:
            return seen[0] == body_digest
        self._drop_expired(now)
        while len(self._tokens) >= self._max_tokens:
            del self._tokens[next(iter(self._tokens))]
        self._tokens.pop(token_key, None)  # an expired entry: re-insert at the end
        self._tokens[token_key] = (body_digest, now + ttl)
        return True

    def _drop_expired(self, now: float) -> None:
        # Insertion order is roughly expiry order (one token lifetime for all), so expired
        # entries sit at the front: the loop stops at the first live one.
        expired: list[bytes] = []
        for key, (_, expires) in self._tokens.items():
            if expires > now or len(expired) >= 64:
                break
            expired.append(key)
        for key in expired:
            del self._tokens[key]

    async def merge_statistics(
        self, deltas: Mapping[str, StatsDelta], *, origin: str, sequence: int
    ) -> None:
        for webhook_id, delta in deltas.items():
            applied = self._applied.get((origin, webhook_id), 0)
            if sequence <= applied:
                continue
            self._statistics.merge(webhook_id, delta)
            self._applied[(origin, webhook_id)] = sequence

    async def statistics(self) -> list[WebhookStats]:
        return self._statistics.all()

    async def aclose(self) -> None:
        return None


# For each token of a batch (KEYS[i]): remember it with its body digest unless it is known; a
# known token passes only with the same digest. ARGV[1] is the batch's digests end to end and
# ARGV[2] "<digest size> <milliseconds to keep it>" for each token, space-separated; the answer
# is a string of "1" (passes) or "0" (a replay), one a token, in order. One command for the
# batch, atomic across instances. Two arguments and one string back instead of two arguments and
# an integer per token: redis-py packs and parses each one in Python, a fifth of its CPU a batch.
_FIRST_USE = """
local digests, offset, answers = ARGV[1], 1, {}
local each = string.gmatch(ARGV[2], '(%d+) (%d+)')
for i, key in ipairs(KEYS) do
  local size, milliseconds = each()
  local digest = string.sub(digests, offset, offset + size - 1)
  offset = offset + size
  if redis.call('SET', key, digest, 'NX', 'PX', milliseconds) then
    answers[i] = '1'
  else
    local seen = redis.call('GET', key)
    answers[i] = (seen == false or seen == digest) and '1' or '0'
  end
end
return table.concat(answers)
"""

# Add one webhook's delta once: KEYS[3] keeps, per flushing process, the last flush applied
# for each webhook (a flush retried after a timeout Redis had in fact applied is skipped).
# Last-call records replace older ones only (instances flush in any order). ARGV: webhook id,
# total, successes, failures, saw success (0/1), failures after the last success, type, then
# (record, callTime) for lastCall, lastSuccess, lastFailure, then a score and the flush number,
# then the time of the last unverified call ('' when none) and (reason, count) pairs of them.
_MERGE = """
local applied = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if tonumber(ARGV[15]) <= applied then return 0 end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[15])
redis.call('EXPIRE', KEYS[3], 86400)
local h = KEYS[1]
redis.call('HINCRBY', h, 'total', ARGV[2])
redis.call('HINCRBY', h, 'successes', ARGV[3])
redis.call('HINCRBY', h, 'failures', ARGV[4])
if ARGV[5] == '1' then
  redis.call('HSET', h, 'failuresSinceLastSuccess', ARGV[6])
else
  redis.call('HINCRBY', h, 'failuresSinceLastSuccess', ARGV[4])
end
if ARGV[7] ~= '' then redis.call('HSET', h, 'type', ARGV[7]) end
local names = {'lastCall', 'lastSuccess', 'lastFailure'}
for i, name in ipairs(names) do
  local record, at = ARGV[6 + 2 * i], ARGV[7 + 2 * i]
  if record ~= '' then
    local kept = redis.call('HGET', h, name .. 'Time')
    if kept == false or at >= kept then
      redis.call('HSET', h, name, record, name .. 'Time', at)
    end
  end
end
if ARGV[16] ~= '' then
  local kept = redis.call('HGET', h, 'lastUnverifiedTime')
  if kept == false or ARGV[16] >= kept then
    redis.call('HSET', h, 'lastUnverifiedTime', ARGV[16])
  end
end
for i = 17, #ARGV, 2 do
  redis.call('HINCRBY', h, 'unverified:' .. ARGV[i], ARGV[i + 1])
end
redis.call('ZADD', KEYS[2], ARGV[14], ARGV[1])
return 1
"""

_COUNTERS = ("total", "successes", "failures", "failuresSinceLastSuccess")


class RedisStore:
    """State shared through Redis by every process configured with the same URL and prefix.

    Args:
        url: ``redis://``, ``rediss://`` or ``unix://`` URL (database number and password as
            redis-py reads them).
        prefix: put before every key, to share one Redis between deployments.
        timeout: seconds any one operation may take (connect included).
        retry_interval: seconds to skip Redis after a failure before trying again.
        max_webhooks: how many webhooks' statistics are read back at most.
    """

    shared = True

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
        retry_interval: float = DEFAULT_RETRY_INTERVAL,
        max_webhooks: int = 10_000,
    ) -> None:
        try:
            import redis.asyncio  # noqa: F401 - checked here so a missing extra fails at startup
        except ImportError:
            raise ConfigurationError(
                "A redis:// store needs the redis package: pip install 'mpt-receiver[redis]'."
            ) from None
        self.timeout = positive_number("timeout", timeout)
        self.retry_interval = non_negative_number("retry_interval", retry_interval)
        self.url = url
        self.prefix = prefix
        self.max_webhooks = max_webhooks
        self._client: Redis | None = None
        # Checks of the replay guard waiting to be sent, and the task sending them (first_use).
        self._checks: list[_Check] = []
        self._sender: asyncio.Task[None] | None = None
        self._checks_owner: tuple[int, asyncio.AbstractEventLoop] | None = None
        self._owner: tuple[int, asyncio.AbstractEventLoop] | None = None
        self._down_until = 0.0
        self._down_since: float | None = None
        self._failures = 0  # consecutive

    def __repr__(self) -> str:
        return f"RedisStore({redacted_url(self.url)!r}, prefix={self.prefix!r})"

    @property
    def available(self) -> bool:
        """False while the store is considered down (after a failure, for retry_interval)."""
        return self._down_since is None

    def _connection(self) -> Redis:
        # A client belongs to one process and one event loop: after a fork (gunicorn --preload,
        # multiprocessing) or in a new loop, make a new one instead of sharing sockets.
        owner = (process_id(), running_loop())
        if self._client is None or self._owner != owner:
            self._forget_client()
            from redis.asyncio import Redis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            self._client = Redis.from_url(
                self.url,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 0),
                decode_responses=False,
            )
            self._owner = owner
        return self._client

    async def _run(self, operation: Callable[[Redis], Awaitable[T]]) -> T:
        if self._down_since is not None and time.monotonic() < self._down_until:
            raise StoreUnavailableError("The shared store is unavailable (retrying shortly).")
        try:
            async with asyncio.timeout(self.timeout):  # no extra task, unlike wait_for
                result = await operation(self._connection())
        except Exception as exc:
            # Not only RedisError: under uvloop redis-py can raise RuntimeError/AttributeError
            # when a connection closes under a command. redis-py itself disconnects a
            # connection whose command was interrupted, so no socket is left mid-reply.
            await self._failed(exc)
            raise StoreUnavailableError(
                f"The shared store did not answer: {type(exc).__name__}."
            ) from None
        self._failures = 0
        if self._down_since is not None:
            logger.warning(
                "Shared store %s is back after %.1f s.",
                redacted_url(self.url),
                time.monotonic() - self._down_since,
            )
            self._down_since = None
        return result

    async def _failed(self, exc: Exception) -> None:
        from redis.exceptions import ConnectionError as RedisConnectionError

        # A lone timeout may be this worker's event loop running late (a busy process), not
        # Redis: that fails the operations in flight only. Consecutive failures, or a refused
        # connection, mark the store down so that calls stop waiting on it.
        self._failures += 1
        refused = isinstance(exc, RedisConnectionError) or (
            isinstance(exc, OSError) and not isinstance(exc, TimeoutError)
        )
        if refused or self._failures >= FAILURES_BEFORE_DOWN:
            self._mark_down(exc)
            await self._drop_idle_connections()

    async def _drop_idle_connections(self) -> None:
        # Idle pooled sockets to a Redis that went away are half-closed: close them now rather
        # than keep them until reuse. Connections in use are not touched (closing them under a
        # command breaks it); redis-py drops those itself when their command fails.
        client = self._client
        if client is None:
            return
        try:
            async with asyncio.timeout(self.timeout):
                await client.connection_pool.disconnect(inuse_connections=False)
        except Exception:  # closing sockets of a Redis that is gone; nothing more to do
            logger.debug("Closing idle Redis connections failed", exc_info=True)

    def _mark_down(self, exc: BaseException) -> None:
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = now
            # The exception's text may quote the URL (with a password): only its type.
            logger.warning(
                "Shared store %s is unavailable (%s); retrying every %.1f s.",
                redacted_url(self.url),
                type(exc).__name__,
                self.retry_interval,
            )
        self._down_until = now + self.retry_interval

    async def first_use(self, token_key: bytes, body_digest: bytes, ttl: float) -> bool:
        loop = running_loop()
        owner = (process_id(), loop)
        check = _Check(
            self.prefix.encode() + b"replay:" + token_key.hex().encode(),
            body_digest,
            max(1, int(ttl * 1000)),
            loop.create_future(),
        )
        if self._checks_owner != owner:  # another process, or another loop: start afresh
            self._checks, self._sender, self._checks_owner = [], None, owner
        self._checks.append(check)
        if self._sender is None:
            self._sender = loop.create_task(self._send_waiting(), name="receiver-replay-checks")
        return await check.answer

    async def _send_waiting(self) -> None:
        """Send the waiting checks one batch at a time: the checks that arrive while a batch is
        on its way go together in the next one. At rest a check goes out at once; under load
        one round trip serves every call that arrived during the one before (a command per
        call cost more of the receiver's CPU than the rest of the call)."""
        try:
            while self._checks:
                batch, self._checks = self._checks, []
                try:
                    answers = await self._run(functools.partial(_send_checks, batch=batch))
                except Exception as exc:
                    for item in batch:
                        if not item.answer.done():
                            item.answer.set_exception(StoreUnavailableError(str(exc)))
                    continue
                except BaseException:  # cancelled (the loop closes): the batch cannot be told
                    for item in batch:
                        if not item.answer.done():
                            item.answer.set_exception(_interrupted())
                    raise
                for item, seen in zip(batch, answers, strict=True):
                    if not item.answer.done():
                        item.answer.set_result(seen)
        finally:
            self._sender = None
            waiting, self._checks = self._checks, []
            for item in waiting:  # only when cancelled
                if not item.answer.done():
                    item.answer.set_exception(_interrupted())

    async def merge_statistics(
        self, deltas: Mapping[str, StatsDelta], *, origin: str, sequence: int
    ) -> None:
        if not deltas:
            return
        ids_key = self.prefix + "stats:ids"
        applied_key = f"{self.prefix}stats:applied:{origin}"
        score = time.time()

        async def merge(client: Redis) -> Any:
            async with client.pipeline(transaction=False) as pipe:
                for webhook_id, delta in deltas.items():
                    args: list[Any] = [
                        webhook_id,
                        delta.total,
                        delta.successes,
                        delta.failures,
                        int(delta.saw_success),
                        delta.failures_since_last_success,
                        delta.webhook_type or "",
                    ]
                    for record in (delta.last_call, delta.last_success, delta.last_failure):
                        if record is None:
                            args += ["", ""]
                        else:
                            args += [pydantic_core.to_json(record), record["callTime"]]
                    args += [score, sequence, delta.last_unverified or ""]
                    for reason, count in delta.unverified.items():
                        args += [reason, count]
                    pipe.eval(_MERGE, 3, self._stats_key(webhook_id), ids_key, applied_key, *args)
                return await pipe.execute()

        await self._run(merge)

    async def statistics(self) -> list[WebhookStats]:
        async def read(client: Redis) -> list[WebhookStats]:
            # The most recently flushed first, should there be more than max_webhooks.
            ids = await client.zrange(
                self.prefix + "stats:ids", 0, self.max_webhooks - 1, desc=True
            )
            names = sorted(cast(bytes, raw).decode() for raw in ids)
            async with client.pipeline(transaction=False) as pipe:
                for webhook_id in names:
                    pipe.hgetall(self._stats_key(webhook_id))
                rows = await pipe.execute()
            return [_webhook_stats(name, row) for name, row in zip(names, rows, strict=True) if row]

        return await self._run(read)

    async def ping(self) -> None:
        """Raise StoreUnavailableError unless Redis answers (readiness at startup)."""

        async def ping(client: Redis) -> Any:
            return await client.ping()

        await self._run(ping)

    def _forget_client(self) -> None:
        """Drop the client; one made before a fork stays referenced for good. Collecting it in
        the child would close its sockets' transports, and that unregisters them from the
        parent's event loop, whose epoll instance the fork shares: the parent would never hear
        from Redis again."""
        client, self._client = self._client, None
        if client is not None and self._owner is not None and self._owner[0] != process_id():
            _INHERITED_CLIENTS.append(client)

    async def aclose(self) -> None:
        client = self._client
        self._forget_client()
        if client is not None and self._owner is not None and self._owner[0] == process_id():
            try:
                await asyncio.wait_for(client.aclose(), self.timeout)
            except Exception:  # closing at shutdown; nothing left to do
                logger.debug("Closing the Redis client failed", exc_info=True)

    def _stats_key(self, webhook_id: str) -> str:
        return f"{self.prefix}stats:{webhook_id}"


@dataclass(slots=True)
class _Check:
    """One replay-guard check waiting for its batch."""

    key: bytes
    digest: bytes
    milliseconds: int
    answer: asyncio.Future[bool]


# Redis clients a forked process inherited (see RedisStore._forget_client): one per store and
# fork at most.
_INHERITED_CLIENTS: list[object] = []


def _interrupted() -> StoreUnavailableError:
    return StoreUnavailableError("The replay check was interrupted.")


async def _send_checks(client: Redis, *, batch: list[_Check]) -> list[bool]:
    # One script call for the whole batch, by its SHA (redis-py loads it when Redis lacks it):
    # a command per check in a pipeline cost the receiver several times more CPU per call.
    # (Registering only hashes the script: kept nowhere, it cannot keep a client alive.)
    script = client.register_script(_FIRST_USE)
    sizes = " ".join(f"{len(item.digest)} {item.milliseconds}" for item in batch)
    digests = b"".join(item.digest for item in batch)
    answer = await script(keys=[item.key for item in batch], args=[digests, sizes])
    if not isinstance(answer, bytes) or len(answer) != len(batch) or answer.strip(b"01"):
        # Not a "0" or "1" for each token: no answer to trust, as if the store did not answer.
        raise StoreUnavailableError("The shared store gave an unexpected replay answer.")
    return [seen == _PASSES for seen in answer]


_PASSES: Final = ord("1")


def _webhook_stats(webhook_id: str, row: Mapping[bytes, bytes]) -> WebhookStats:
    fields = {key.decode(): value for key, value in row.items()}
    counters = {name: int(fields.get(name, b"0")) for name in _COUNTERS}
    record: dict[str, dict[str, Any] | None] = {}
    for name in ("lastCall", "lastSuccess", "lastFailure"):
        raw = fields.get(name)
        record[name] = None if raw is None else pydantic_core.from_json(raw)
    webhook_type = fields.get("type")
    unverified = {
        name.removeprefix("unverified:"): int(value)
        for name, value in fields.items()
        if name.startswith("unverified:")
    }
    last_unverified = fields.get("lastUnverifiedTime")
    return WebhookStats(
        webhook_id,
        webhook_type=webhook_type.decode() if webhook_type else None,
        total=counters["total"],
        successes=counters["successes"],
        failures=counters["failures"],
        failures_since_last_success=counters["failuresSinceLastSuccess"],
        last_call=record["lastCall"],
        last_success=record["lastSuccess"],
        last_failure=record["lastFailure"],
        unverified=unverified,
        last_unverified=last_unverified.decode() if last_unverified else None,
    )


def redacted_url(url: str) -> str:
    """``url`` without its password, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return parts._replace(netloc=user + host).geturl()


def store_from_url(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> Store:
    """The store a URL names: ``memory`` (or empty) or a Redis URL."""
    text = url.strip()
    if text in ("", "memory", "memory://"):
        return MemoryStore()
    parts = urlsplit(text)
    if parts.scheme.lower() in ("redis", "rediss", "unix"):
        # ?prefix=acme-prod: is ours (redis-py would refuse it); the rest is redis-py's.
        query = parse_qsl(parts.query, keep_blank_values=True)
        prefixes = [value for name, value in query if name == "prefix"]
        rest = urlencode([(name, value) for name, value in query if name != "prefix"])
        return RedisStore(
            parts._replace(query=rest).geturl(),
            prefix=prefixes[-1] if prefixes else DEFAULT_PREFIX,
            timeout=timeout,
        )
    raise ConfigurationError(
        f"{STORE_ENV} / store= must be 'memory' or a redis://, rediss:// or unix:// URL,"
        f" not {redacted_url(text)!r}."
    )


def as_store(value: object, *, timeout: float = DEFAULT_TIMEOUT) -> Store:
    """A :class:`Store` from ``Receiver(store=...)``: a store, a URL, or None (read
    ``RECEIVER_STORE``; memory when unset)."""
    if value is None:
        return store_from_url(os.environ.get(STORE_ENV, ""), timeout=timeout)
    if isinstance(value, str):
        return store_from_url(value, timeout=timeout)
    if isinstance(value, Store):
        return value
    raise ConfigurationError(f"store= takes a Store, a URL or None, not {type(value).__name__}.")


__all__ = [
    "STORE_ENV",
    "MemoryStore",
    "RedisStore",
    "Store",
    "as_store",
    "redacted_url",
    "store_from_url",
]
