"""CachedSecrets: what stands between forged webhook ids and a source that leaves the process.

A TTL + LRU cache around another source, with single-flight lookups (one call per id at a time),
a bound on concurrent lookups and a token-bucket rate limit on new ones.

Forged webhook ids must not starve real ones (a new webhook, and every webhook after a restart,
has nothing cached). So lookups have two budgets. A token whose signature verifies with a secret
the cache can vouch for (the source's ``vouched_secrets()``, e.g. every product secret of a
ProductSecrets, and the secrets it has looked up since it started) comes from a webhook of ours:
its lookup draws on a budget of its own, which forged ids cannot spend. Other lookups share the
general budget. The proof is tried only when the general budget is spent.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable

import anyio

from receiver import tokens
from receiver._text import type_phrase
from receiver.errors import SecretConfigurationError, SecretLookupError
from receiver.secrets._config import describe
from receiver.secrets.ids import is_plausible_webhook_id
from receiver.secrets.sources import SecretSource, vouched_secrets

# The package's one logger, the name users configure (not this module's __name__).
logger = logging.getLogger("receiver.secrets")

# How often CachedSecrets may log that its rate limit refused lookups.
_RATE_WARNING_INTERVAL = 60.0
# Secrets a token is tried against to prove it is ours (each try is one HMAC): the vouched ones
# first, then those learned from lookups, most recent first.
MAX_PROOF_SECRETS = 64


class _Pending:
    """One lookup in flight; callers asking for the same id wait on it."""

    __slots__ = ("cancelled", "done", "error", "secrets")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.secrets: tuple[bytes, ...] = ()
        self.error: SecretLookupError | None = None
        self.cancelled = False


class CachedSecrets:
    """Cache and bound the lookups of another source; what stands between forged ids and an API.

    - hits are kept for ``ttl`` seconds, misses (unknown webhooks) for ``miss_ttl``;
    - concurrent lookups of one id make one call;
    - at most ``max_entries`` ids are kept; unknown ids are evicted before known ones, each
      least recently used first;
    - at most ``max_concurrent_lookups`` calls run at once;
    - new lookups (failed ones included) are limited to ``max_lookups_per_second`` (bursts of
      as many). Past that, an id with no cached answer is answered as unknown, without a call,
      and an expired secret is served until a lookup is allowed again;
    - failed lookups are not cached: the next call tries again.

    >>> import anyio
    >>> from receiver.secrets import CallableSecrets
    >>> calls = []
    >>> def lookup(webhook_id):
    ...     calls.append(webhook_id)
    ...     return "s3cret"
    >>> source = CachedSecrets(CallableSecrets(lookup), ttl=60)
    >>> async def twice():
    ...     return [await source.secrets_for("WBH-5433-8787") for _ in range(2)]
    >>> anyio.run(twice), calls
    ([(b's3cret',), (b's3cret',)], ['WBH-5433-8787'])
    """

    def __init__(
        self,
        source: SecretSource,
        *,
        ttl: float = 300.0,
        miss_ttl: float = 30.0,
        max_entries: int = 10_000,
        max_concurrent_lookups: int = 8,
        max_lookups_per_second: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if isinstance(source, type) or not isinstance(source, SecretSource):
            raise SecretConfigurationError(
                "CachedSecrets wraps a secret source (an object with async secrets_for() and"
                f" known_webhook_ids()), not {describe(source)}."
            )
        _check_number("ttl", ttl, minimum=0)
        _check_number("miss_ttl", miss_ttl, minimum=0)
        _check_number("max_lookups_per_second", max_lookups_per_second, minimum=0, inclusive=False)
        for name, count in (
            ("max_entries", max_entries),
            ("max_concurrent_lookups", max_concurrent_lookups),
        ):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise SecretConfigurationError(f"CachedSecrets {name} must be an integer >= 1.")
        self._source = source
        self._ttl = float(ttl)
        self._miss_ttl = float(miss_ttl)
        self._max_entries = max_entries
        self._max_concurrent_lookups = max_concurrent_lookups
        self._rate = float(max_lookups_per_second)
        self._clock = clock
        self._hits: OrderedDict[str, tuple[tuple[bytes, ...], float]] = OrderedDict()
        self._misses: OrderedDict[str, float] = OrderedDict()
        self._pending: dict[str, _Pending] = {}
        self._slots = anyio.Semaphore(max_concurrent_lookups)
        self._general = _Bucket(self._rate, clock())
        self._proven = _Bucket(self._rate, clock())
        self._vouched = tuple(vouched_secrets(source))[:MAX_PROOF_SECRETS]
        self._learned: OrderedDict[bytes, None] = OrderedDict()
        self._refused = 0
        self._next_warning_at = -math.inf

    @property
    def source(self) -> SecretSource:
        """The wrapped source."""
        return self._source

    def known_webhook_ids(self) -> frozenset[str] | None:
        """Those of the wrapped source."""
        return self._source.known_webhook_ids()

    @property
    def size(self) -> int:
        """How many webhook ids have a cached answer, secrets or unknown (at most max_entries)."""
        return len(self._hits) + len(self._misses)

    def invalidate(self, webhook_id: str | None = None) -> None:
        """Forget the cached answer for ``webhook_id`` (every answer if None), e.g. after a
        rotation, so the next call looks it up again."""
        if webhook_id is None:
            self._hits.clear()
            self._misses.clear()
        else:
            self._hits.pop(webhook_id, None)
            self._misses.pop(webhook_id, None)

    async def secrets_for_token(
        self, webhook_id: str, token: tokens.UnverifiedToken
    ) -> tuple[bytes, ...]:
        """:meth:`secrets_for` for a call's token: when the general budget is spent, a token
        signed with a secret this cache vouches for is looked up on a budget of its own."""
        return await self.secrets_for(webhook_id, token=token)

    async def secrets_for(
        self, webhook_id: str, *, token: tokens.UnverifiedToken | None = None
    ) -> tuple[bytes, ...]:
        """The cached secrets of ``webhook_id``, looked up when needed and allowed."""
        if not is_plausible_webhook_id(webhook_id):
            return ()
        while True:
            now = self._clock()
            hit = self._hits.get(webhook_id)
            if hit is not None and now < hit[1]:
                self._hits.move_to_end(webhook_id)
                return hit[0]
            expires_at = self._misses.get(webhook_id)
            if expires_at is not None:
                if now < expires_at:
                    self._misses.move_to_end(webhook_id)
                    return ()
                del self._misses[webhook_id]
            pending = self._pending.get(webhook_id)
            if pending is None:
                break
            await pending.done.wait()
            if pending.cancelled:
                continue  # whoever was looking it up gave up; look again
            if pending.error is not None:
                raise pending.error
            return pending.secrets
        # Lookups queued behind max_concurrent_lookups are bounded too, should the source hang.
        if len(self._pending) >= self._max_entries or not (
            self._general.take(now)
            or (token is not None and self._proves(token) and self._proven.take(now))
        ):
            self._note_refused(now)
            # A known webhook keeps working through a flood of forged ids.
            return hit[0] if hit is not None else ()
        return await self._lookup(webhook_id)

    def _proves(self, token: tokens.UnverifiedToken) -> bool:
        """Whether ``token`` is signed with a secret this cache vouches for."""
        learned = reversed(self._learned)
        candidates = [*self._vouched, *learned][:MAX_PROOF_SECRETS]
        return tokens.verify_signature(token, candidates)

    async def _lookup(self, webhook_id: str) -> tuple[bytes, ...]:
        pending = self._pending[webhook_id] = _Pending()
        try:
            async with self._slots:
                secrets = await self._source.secrets_for(webhook_id)
            if not isinstance(secrets, tuple) or not all(
                isinstance(s, bytes) and s for s in secrets
            ):
                raise SecretLookupError(
                    f"The secret source {type(self._source).__name__} answered webhook"
                    f" {webhook_id!r} with {type_phrase(secrets)}; secrets_for() must return"
                    " a tuple of non-empty bytes (empty for an unknown webhook)."
                )
        except SecretLookupError as exc:
            pending.error = exc
            raise
        except Exception as exc:
            pending.error = SecretLookupError(
                f"The secret source {type(self._source).__name__} raised {type(exc).__name__}"
                f" while looking up webhook {webhook_id!r}; the call is refused."
            )
            raise pending.error from exc
        except BaseException:
            pending.cancelled = True
            raise
        else:
            self._store(webhook_id, secrets, self._clock())
            pending.secrets = secrets
        finally:
            del self._pending[webhook_id]
            pending.done.set()
        return secrets

    def _store(self, webhook_id: str, secrets: tuple[bytes, ...], now: float) -> None:
        self._hits.pop(webhook_id, None)
        self._misses.pop(webhook_id, None)
        if secrets:
            for secret in secrets:
                self._learned[secret] = None
                self._learned.move_to_end(secret)
            while len(self._learned) > MAX_PROOF_SECRETS:
                self._learned.popitem(last=False)
            if self._ttl > 0:
                self._hits[webhook_id] = (secrets, now + self._ttl)
        elif self._miss_ttl > 0:
            self._misses[webhook_id] = now + self._miss_ttl
        while len(self._hits) + len(self._misses) > self._max_entries:
            (self._misses or self._hits).popitem(last=False)

    def _note_refused(self, now: float) -> None:
        self._refused += 1
        if now < self._next_warning_at:
            return
        logger.warning(
            "Secret lookups exceed max_lookups_per_second=%g: %d call(s) for webhook ids without a"
            " cached answer were refused as unknown, without a lookup. A flood of unknown ids"
            " usually means forged tokens; if these are your webhooks, raise"
            " max_lookups_per_second or list their secrets statically.",
            self._rate,
            self._refused,
        )
        self._refused = 0
        self._next_warning_at = now + _RATE_WARNING_INTERVAL

    def __repr__(self) -> str:
        return (
            f"CachedSecrets({self._source!r}, ttl={self._ttl:g}, miss_ttl={self._miss_ttl:g},"
            f" max_entries={self._max_entries}, max_concurrent_lookups="
            f"{self._max_concurrent_lookups}, max_lookups_per_second={self._rate:g})"
        )


class _Bucket:
    """A token bucket: ``rate`` tokens a second, bursts of as many (at least one)."""

    __slots__ = ("_capacity", "_rate", "_refilled_at", "_tokens")

    def __init__(self, rate: float, now: float) -> None:
        self._rate = rate
        self._capacity = max(1.0, rate)
        self._tokens = self._capacity
        self._refilled_at = now

    def take(self, now: float) -> bool:
        if self._rate == math.inf:
            return True
        if now > self._refilled_at:
            self._tokens = min(
                self._capacity, self._tokens + (now - self._refilled_at) * self._rate
            )
            self._refilled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


def _check_number(name: str, value: object, *, minimum: float, inclusive: bool = True) -> None:
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not math.isnan(value)
        and (value >= minimum if inclusive else value > minimum)
    )
    if not ok:
        bound = f">= {minimum:g}" if inclusive else f"> {minimum:g}"
        raise SecretConfigurationError(f"CachedSecrets {name} must be a number {bound}.")
