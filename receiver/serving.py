"""Serving an app with uvicorn the way ``receiver serve`` does, from Python.

:func:`serve` imports the app once to check it (``"module:attribute"`` or
``"path/to/file.py:attribute"``, as :func:`receiver._loader.load_app` reads them), makes the
cached development certificate when ``tls_dev=True``, and runs uvicorn with the receiver's log
lines on uvicorn's handler. SIGTERM or Ctrl-C stops it gracefully: no new connections, the calls
in progress get up to ``graceful_timeout`` seconds to finish, then the process exits with code 0.
``receiver serve`` is this module behind a command line.

    # acme.py
    from receiver import Order, Receiver

    app = Receiver(secrets={"WBH-5433-8787": "the-webhook-secret-the-webhook-secret"})


    @app.validate_purchase_order_draft
    async def check_purchase(order: Order) -> Order:
        return order

    # serve_acme.py, next to it: python serve_acme.py, then curl http://127.0.0.1:8080/healthz
    from receiver.serving import serve

    if __name__ == "__main__":  # the workers import this file again
        serve("acme:app", port=8080, workers=2, graceful_timeout=20)

The app is an import string, not the object, so that ``workers`` and ``reload`` can import it in
other processes. Before the server starts, :func:`serve` raises
:class:`receiver.errors.ReceiverError`: a ``ConfigurationError`` for options that cannot work
(``reload`` with several workers, a timeout that is not above 0, a certificate directory that
cannot be written) and an ``AppLoadError`` when the app cannot be imported; both say what to do.

The parts are public for whoever starts uvicorn another way: :func:`prepare` gives the keyword
arguments of ``uvicorn.run``, :func:`run` runs them with SIGTERM turned into exit code 0, and
:func:`server_options`, :func:`log_config` and :func:`sigterm_exits_zero` are their pieces.
"""

from __future__ import annotations

import contextlib
import copy
import ipaddress
import math
import os
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from receiver._checks import positive_number
from receiver._loader import LoadedApp, load_app
from receiver._protocol import BoundedHeadProtocol
from receiver._tls import DevCertificate, ensure_dev_certificate
from receiver.errors import ConfigurationError

__all__ = [
    "DEFAULT_GRACEFUL_TIMEOUT",
    "LOCAL_HOSTS",
    "LOG_LEVELS",
    "certificate_notes",
    "check_graceful_timeout",
    "check_reload",
    "dev_certificate",
    "log_config",
    "prepare",
    "run",
    "serve",
    "server_options",
    "server_url",
    "sigterm_exits_zero",
]

LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug", "trace")
LOCAL_HOSTS: Final = frozenset({"localhost", "127.0.0.1", "::1"})
DEFAULT_GRACEFUL_TIMEOUT: Final = 30
# Production defaults (README "Deploying"): connections and calls served at once before new ones
# get 503 (uvicorn counts idle keep-alive connections too); seconds an idle keep-alive connection
# is kept (above uvicorn's 5 s, so a proxy that reuses connections for up to a few seconds does
# not meet a closed one; keep your proxy's idle timeout below it); the listen queue.
DEFAULT_LIMIT_CONCURRENCY: Final = 1000
DEFAULT_KEEP_ALIVE: Final = 15
DEFAULT_BACKLOG: Final = 2048


def settings_notes(app: object) -> list[str]:
    """The effective settings of the receiver in ``app``, secrets masked, one line per option
    with where it came from (an argument, its ``RECEIVER_*`` variable, or the default)."""
    from receiver.app import find_receiver
    from receiver.settings import env_var

    found = find_receiver(app)
    if found is None:
        return []
    settings = found[0].settings
    lines = ["Receiver settings:"]
    for name, value in settings.__repr_args__():
        if name is None:
            continue
        if name in settings.model_fields_set:
            source = env_var(name) if env_var(name) in os.environ else "argument"
        else:
            source = "default"
        lines.append(f"  {name} = {value!r}  ({source})")
    return lines


def server_url(host: str, port: int, *, tls: bool) -> str:
    """``http(s)://host:port`` with IPv6 hosts in brackets."""
    try:
        bracketed = ipaddress.ip_address(host).version == 6
    except ValueError:
        bracketed = False
    shown = f"[{host}]" if bracketed else host
    return f"{'https' if tls else 'http'}://{shown}:{port}"


def log_config(log_level: str) -> dict[str, Any]:
    """uvicorn's logging configuration plus the level of the ``receiver`` loggers (one line per
    call at info). Their handler is the receiver's default one (:mod:`receiver.logs`), in the
    format of ``RECEIVER_LOG_FORMAT``, as under plain uvicorn."""
    from uvicorn.config import LOGGING_CONFIG

    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["receiver"] = {"level": log_level.upper()}
    return config


def check_reload(reload: bool, workers: int) -> None:
    """``--reload`` runs one process; it cannot be combined with several workers."""
    if reload and workers > 1:
        raise ConfigurationError(
            f"--reload and --workers {workers} cannot be combined: use --reload while developing"
            " and --workers in production."
        )


def check_graceful_timeout(seconds: float) -> float:
    """``--graceful-timeout``: a finite number of seconds above 0 (0 would cut every call in
    progress at once; uvicorn's own default, no limit, could keep a stopping server forever)."""
    if not (isinstance(seconds, int | float) and math.isfinite(seconds) and seconds > 0):
        shown = f"{seconds:g}" if isinstance(seconds, int | float) else repr(seconds)
        raise ConfigurationError(
            f"--graceful-timeout must be a finite number of seconds above 0, not {shown}: it is how"
            f" long calls in progress may take to finish when the server stops (default"
            f" {DEFAULT_GRACEFUL_TIMEOUT:g})."
        )
    return float(seconds)


def server_options(
    loaded: LoadedApp,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    reload: bool = False,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = False,
    proxy_headers: bool = False,
    certificate: DevCertificate | None = None,
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT,
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` for ``loaded`` (an import string, so that
    ``reload`` and ``workers`` can import it again in other processes).

    ``graceful_timeout`` is uvicorn's ``timeout_graceful_shutdown``: on SIGTERM or SIGINT the
    server stops accepting connections and waits this many seconds for the calls in progress,
    then cancels those still running. ``limit_concurrency`` connections and calls at once (more
    get 503), idle keep-alive connections closed after ``keep_alive`` seconds, and a request
    head (request line and headers) over 64 KiB answered 431 (:mod:`receiver._protocol`)."""
    check_reload(reload, workers)
    if isinstance(limit_concurrency, bool) or not (
        isinstance(limit_concurrency, int) and limit_concurrency >= 1
    ):
        raise ConfigurationError(
            f"--limit-concurrency must be a whole number of 1 or more, not {limit_concurrency!r}."
        )
    keep_alive = positive_number("--keep-alive", keep_alive)
    graceful_timeout = check_graceful_timeout(graceful_timeout)
    options: dict[str, Any] = {
        "app": loaded.import_string,
        "app_dir": loaded.app_dir,
        "factory": loaded.factory,
        "host": host,
        "port": port,
        "reload": reload,
        "workers": workers,
        "log_level": log_level,
        "log_config": log_config(log_level),
        "access_log": access_log,
        # The receiver reads neither the client's address nor the scheme: uvicorn's rewriting
        # of them from X-Forwarded-* only serves its access log, at about 1% of a call's CPU.
        "proxy_headers": proxy_headers,
        "timeout_graceful_shutdown": graceful_timeout,
        "http": BoundedHeadProtocol,
        "limit_concurrency": limit_concurrency,
        "timeout_keep_alive": keep_alive,
        "backlog": DEFAULT_BACKLOG,
    }
    if reload:
        options["reload_dirs"] = [loaded.app_dir]
    if certificate is not None:
        options["ssl_certfile"] = str(certificate.cert_path)
        options["ssl_keyfile"] = str(certificate.key_path)
    return options


def _exit_zero(signum: int, frame: object) -> None:
    raise SystemExit(0)


@contextlib.contextmanager
def sigterm_exits_zero() -> Iterator[None]:
    """While serving, SIGTERM ends the process with exit code 0, as Ctrl-C does.

    uvicorn handles SIGTERM itself (stop accepting, drain, shut down), then raises the signal
    again with the handler it found, so that whoever embeds it sees the signal. With the default
    handler the process would die by the signal (exit code -15, 143 in a shell) after a clean
    shutdown, which supervisors report as a failure. The handler installed here turns that second
    SIGTERM, or one that arrives before uvicorn installs its own, into ``SystemExit(0)``. With
    ``--workers`` uvicorn's supervisor replaces it in the parent and forwards SIGTERM to each
    worker, which drains the same way. The previous handler is restored on the way out."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread
        return
    previous = signal.signal(signal.SIGTERM, _exit_zero)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def dev_certificate() -> DevCertificate:
    """The cached development certificate (:func:`receiver._tls.ensure_dev_certificate`); a
    directory that cannot be written is a :class:`ConfigurationError` naming the fix."""
    try:
        return ensure_dev_certificate()
    except OSError as exc:
        raise ConfigurationError(
            f"Cannot write the development certificate ({exc.strerror}: {exc.filename});"
            " set RECEIVER_TLS_DIR to a writable directory."
        ) from None


def certificate_notes(certificate: DevCertificate, host: str, port: int) -> list[str]:
    """What to tell the user about the development certificate: where, until when, how to trust
    it."""
    local = host if host in LOCAL_HOSTS else "localhost"
    url = server_url(local, port, tls=True)
    state = "created" if certificate.created else "reused"
    lines = [
        f"Development TLS certificate ({state}, valid until {certificate.not_after:%Y-%m-%d},"
        f" for {', '.join(certificate.names)}): {certificate.cert_path}",
        f"Trust it with: curl --cacert {certificate.cert_path} {url}/healthz",
        f"or: receiver send {url}/ --insecure ...   (never use this certificate in production)",
    ]
    if host not in LOCAL_HOSTS:
        lines.append(
            f"Note: the certificate is valid for {', '.join(certificate.names)} only; clients"
            f" that reach {host} by another name must skip verification."
        )
    return lines


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def prepare(
    app: str,
    *,
    factory: bool = False,
    host: str = "127.0.0.1",
    port: int = 8080,
    reload: bool = False,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = False,
    proxy_headers: bool = False,
    tls_dev: bool = False,
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT,
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
    note: Callable[[str], None] = _to_stderr,
) -> dict[str, Any]:
    """Everything :func:`serve` does before the server starts: check the options, import
    ``app`` (with ``factory=True``, a function that takes no arguments and returns the app),
    make the development certificate when ``tls_dev`` and pass what to know about it to
    ``note`` line by line (default: stderr). Returns the keyword arguments of ``uvicorn.run``;
    raises as :func:`serve` does."""
    check_reload(reload, workers)  # before anything is imported
    loaded = load_app(app, factory=factory)
    certificate = None
    if tls_dev:
        certificate = dev_certificate()
        for line in certificate_notes(certificate, host, port):
            note(line)
    for line in settings_notes(loaded.app):
        note(line)
    return server_options(
        loaded,
        host=host,
        port=port,
        reload=reload,
        workers=workers,
        log_level=log_level.lower(),
        access_log=access_log,
        proxy_headers=proxy_headers,
        certificate=certificate,
        graceful_timeout=graceful_timeout,
        limit_concurrency=limit_concurrency,
        keep_alive=keep_alive,
    )


def run(options: Mapping[str, Any]) -> None:
    """``uvicorn.run(**options)`` with SIGTERM turned into exit code 0
    (:func:`sigterm_exits_zero`); returns when the server has stopped."""
    import uvicorn

    with sigterm_exits_zero(), _shared_metrics_dir(options.get("workers", 1)):
        uvicorn.run(**options)


@contextlib.contextmanager
def _shared_metrics_dir(workers: int) -> Iterator[None]:
    """With several workers, the directory where Prometheus's multiprocess mode keeps each
    worker's values (``PROMETHEUS_MULTIPROC_DIR``, inherited by the workers), unless one is set;
    removed when the server stops."""
    if workers <= 1 or os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        yield
        return
    directory = tempfile.mkdtemp(prefix="receiver-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    try:
        yield
    finally:
        del os.environ["PROMETHEUS_MULTIPROC_DIR"]
        shutil.rmtree(directory, ignore_errors=True)


def serve(
    app: str,
    *,
    factory: bool = False,
    host: str = "127.0.0.1",
    port: int = 8080,
    reload: bool = False,
    workers: int = 1,
    log_level: str = "info",
    access_log: bool = False,
    proxy_headers: bool = False,
    tls_dev: bool = False,
    graceful_timeout: float = DEFAULT_GRACEFUL_TIMEOUT,
    limit_concurrency: int = DEFAULT_LIMIT_CONCURRENCY,
    keep_alive: float = DEFAULT_KEEP_ALIVE,
    note: Callable[[str], None] = _to_stderr,
) -> None:
    """Serve ``app`` with uvicorn until SIGTERM or Ctrl-C, as ``receiver serve`` does; the
    arguments are its options (see :func:`prepare`)."""
    run(
        prepare(
            app,
            factory=factory,
            host=host,
            port=port,
            reload=reload,
            workers=workers,
            log_level=log_level,
            access_log=access_log,
            proxy_headers=proxy_headers,
            tls_dev=tls_dev,
            graceful_timeout=graceful_timeout,
            limit_concurrency=limit_concurrency,
            keep_alive=keep_alive,
            note=note,
        )
    )
