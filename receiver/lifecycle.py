"""The receiver's life: startup and shutdown hooks, readiness, and the error hooks.

``@app.on_startup`` hooks run at ASGI lifespan startup, after the receiver's own startup (the
secrets read, the store made); one that raises stops startup with its message. ``/readyz``
answers 200 only once they have run and the store, when it is a shared one, has answered once;
it answers 503 again from the moment shutdown begins. ``@app.on_shutdown`` hooks run at lifespan
shutdown, after the server has answered its last call. ``@app.on_error`` hooks observe a handler
that failed or missed its deadline: they run after the answer was sent, each bounded in time, and
what they raise is logged, never passed on.

Hooks may be sync or async; sync ones run in a worker thread.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, Literal

import anyio.to_thread

from receiver.dispatch import CallContext
from receiver.errors import ConfigurationError, StoreUnavailableError
from receiver.store import Store

logger = logging.getLogger("receiver")

Hook = Callable[[], Any]
ErrorHook = Callable[[BaseException, CallContext], Any]
State = Literal["idle", "starting", "ready", "stopping"]

ERROR_HOOK_TIMEOUT: Final = 5.0


async def _call(fn: Callable[..., Any], *args: Any) -> None:
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    ):
        await fn(*args)
        return
    result = await anyio.to_thread.run_sync(fn, *args)
    if inspect.isawaitable(result):
        await result


class Lifecycle:
    """Hooks and the state that ``/readyz`` reports."""

    def __init__(self) -> None:
        self.startup_hooks: list[Hook] = []
        self.shutdown_hooks: list[Hook] = []
        self.error_hooks: list[ErrorHook] = []
        self.state: State = "idle"
        self._store: Store | None = None
        self._store_answered = False
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self, store: Store) -> None:
        """Run the startup hooks (after the receiver's own startup); ready when they are done
        and the store has answered. A hook that raises stops startup: ConfigurationError."""
        self.state = "starting"
        self._store = store
        await self._check_store()
        for hook in self.startup_hooks:
            try:
                await _call(hook)
            except Exception as exc:
                raise ConfigurationError(
                    f"The startup hook {_name(hook)} failed: {type(exc).__name__}: {exc}"
                ) from exc
        self.state = "ready"

    async def stop(self) -> None:
        """Not ready from now on; run the shutdown hooks (each failure logged); wait a moment
        for error hooks still running."""
        self.state = "stopping"
        for hook in self.shutdown_hooks:
            try:
                await _call(hook)
            except Exception:
                logger.exception("The shutdown hook %s failed", _name(hook))
        if self._pending:
            await asyncio.wait(self._pending, timeout=ERROR_HOOK_TIMEOUT)

    async def readiness(self, startup: Callable[[], object]) -> tuple[bool, str]:
        """Whether to take calls, and why not. Without lifespan events (an app mounted in one
        that does not forward them), ready once the receiver's own startup works, no startup
        hooks being registered."""
        if self.state == "idle":
            if self.startup_hooks:
                return False, "startup hooks have not run (the server sends no lifespan events)"
            try:
                startup()
            except ConfigurationError as exc:
                logger.error("Receiver misconfigured: %s", exc)
                return False, "the receiver is misconfigured; see its log"
            return True, "ready"
        if self.state == "stopping":
            return False, "shutting down"
        if self.state == "starting":
            return False, "starting"
        if not self._store_answered and not await self._check_store():
            return False, "the shared store has not answered yet"
        return True, "ready"

    async def _check_store(self) -> bool:
        ping: Callable[[], Awaitable[None]] | None = getattr(self._store, "ping", None)
        if ping is None or self._store_answered:
            self._store_answered = True
            return True
        try:
            await ping()
        except StoreUnavailableError:
            logger.warning(
                "The shared store does not answer yet; /readyz answers 503 until it does."
            )
            return False
        self._store_answered = True
        return True

    def report_error(self, error: BaseException, ctx: CallContext) -> None:
        """Run the error hooks for a handler's failure, in the background, each bounded."""
        if not self.error_hooks:
            return
        task = asyncio.get_running_loop().create_task(self._run_error_hooks(error, ctx))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _run_error_hooks(self, error: BaseException, ctx: CallContext) -> None:
        for hook in self.error_hooks:
            try:
                with anyio.fail_after(ERROR_HOOK_TIMEOUT):
                    await _call(hook, error, ctx)
            except TimeoutError:
                logger.error(
                    "The error hook %s took longer than %gs", _name(hook), ERROR_HOOK_TIMEOUT
                )
            except Exception:
                logger.exception("The error hook %s failed", _name(hook))


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', fn)}"
