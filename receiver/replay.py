"""The replay guard: a token already used for another body is refused.

The platform's token does not sign the body (platform.md §1.3), so a captured token could carry
any body during its life. With the guard on, the first body seen with a token is remembered in the
store until the token expires; the same token with the same body (the platform's own retry) passes,
with another body it is refused with 401 ``token_replayed``. The store holds digests only: never a
usable token.

    >>> import asyncio
    >>> from receiver.store import MemoryStore
    >>> from receiver.tokens import VerifyOptions
    >>> guard = ReplayGuard(MemoryStore(), VerifyOptions(), fail_mode="open")
    >>> claims = {"exp": 4102444800}
    >>> asyncio.run(guard.check(b"signature", claims, b"{}"))
    >>> asyncio.run(guard.check(b"signature", claims, b"{}"))  # a retry: the same body
    >>> asyncio.run(guard.check(b"signature", claims, b'{"id": 1}'))
    Traceback (most recent call last):
    ...
    receiver.errors.TokenError: Invalid token: already used for a different request.
"""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any, Final, Literal

from receiver.errors import StoreUnavailableError, TokenError
from receiver.store import Store
from receiver.tokens import VerifyOptions
from receiver.wire import ErrorId, Message

ReplayFailMode = Literal["open", "closed"]
MAX_REPLAY_TTL: Final = 86_400  # seconds a seen token is remembered at most

logger = logging.getLogger("receiver")


class ReplayGuard:
    """Checks each verified token against the ``store``. When the store cannot be reached,
    ``fail_mode="open"`` lets calls through unchecked (logged, counted) and ``"closed"`` raises
    :class:`StoreUnavailableError` (answered 503)."""

    def __init__(self, store: Store, options: VerifyOptions, *, fail_mode: ReplayFailMode) -> None:
        self._store = store
        self._options = options
        self._fail_mode = fail_mode
        self.skipped = 0  # calls let through unchecked because the store was away

    async def check(self, signature: bytes, claims: dict[str, Any], body: bytes) -> None:
        """Refuse a token already used for another body; pass a retry of the same body."""
        token_key = hashlib.sha256(signature).digest()
        body_digest = hashlib.sha256(body).digest()
        try:
            first_use = await self._store.first_use(token_key, body_digest, self.ttl(claims))
        except StoreUnavailableError:
            if self._fail_mode == "closed":
                raise
            self.skipped += 1
            if self.skipped == 1 or self.skipped % 1000 == 0:
                logger.warning(
                    "Replay guard skipped: the store is unavailable and replay_fail_mode is"
                    " 'open' (%d calls so far).",
                    self.skipped,
                )
            return
        if not first_use:
            raise TokenError(ErrorId.TOKEN_REPLAYED, Message.TOKEN_REPLAYED)

    def ttl(self, claims: dict[str, Any], *, now: float | None = None) -> float:
        """How long a token stays acceptable from now: until ``exp`` (and ``iat`` + max age)
        plus the leeway; at least one second."""
        options = self._options
        current = time.time() if now is None else now
        # exp is required and was checked (int() succeeds); a far-future exp is capped so that
        # the store's entries stay bounded in time.
        until: float = min(int(claims["exp"]), int(current) + MAX_REPLAY_TTL) + options.leeway
        if options.max_age is not None and "iat" in claims:
            until = min(until, int(claims["iat"]) + options.max_age + options.leeway)
        return max(1.0, until - current)
