"""The ``receiver`` command: serve an app, send it a call like the platform, make a token, show
sample payloads.

    receiver serve acme:app --tls-dev
    receiver send https://localhost:8080/ --type ValidatePurchaseOrderDraft --insecure
    receiver token --webhook-id WBH-5433-8787 | ...
    receiver samples

The commands are a thin layer: serving is :mod:`receiver.serving` (which loads the app with
:func:`receiver._loader.load_app` and makes the development certificate), signing and calling
:mod:`receiver.testing`. Every user error is one line (click's ``Error: ...``), exit code 1 for a
failed call or a problem found at run time, 2 for a wrong command line.
"""

from __future__ import annotations

import http
import json
import re
import ssl
import sys
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, BinaryIO, Final

import click
import httpx
from click.shell_completion import CompletionItem

from receiver import serving, tokens
from receiver._loader import AppLoadError
from receiver.cli_webhooks import webhooks
from receiver.errors import ConfigurationError, SecretConfigurationError, UnknownWebhookTypeError
from receiver.secrets import is_plausible_webhook_id, validate_secret
from receiver.types import (
    KNOWN_WEBHOOK_TYPES,
    WebhookType,
    parse_known_webhook_type,
    suggestions,
)

SECRET_ENV: Final = "RECEIVER_SECRET"  # noqa: S105 - the variable's name
WEBHOOK_ID_ENV: Final = "RECEIVER_WEBHOOK_ID"
CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _package_version() -> str:
    try:
        return version("mpt-receiver")
    except PackageNotFoundError:  # pragma: no cover - only in an uninstalled checkout
        return "unknown"


@click.group(context_settings=CONTEXT)
@click.version_option(
    _package_version(), "-V", "--version", prog_name="receiver", message="%(prog)s %(version)s"
)
def main() -> None:
    """Serve and try a SoftwareOne Marketplace Platform (MPT) validation-webhook receiver.

    \b
    Examples:
      receiver demo                          # the whole loop on loopback, in seconds
      receiver new acme-webhooks             # a tested, deployable project to start from
      receiver serve acme:app --tls-dev      # https://127.0.0.1:8080, development certificate
      receiver samples                       # sample payloads, one per webhook type
      export RECEIVER_SECRET=the-webhook-secret
      receiver send https://localhost:8080/ --type ValidatePurchaseOrderDraft \\
          --webhook-id WBH-5433-8787 --insecure
      receiver token --webhook-id WBH-5433-8787   # a bearer token for curl
      receiver webhooks list                 # your webhooks on the platform (MPT_API_*)
    """


# -- serve ----------------------------------------------------------------------------------------


def _graceful_timeout(ctx: click.Context, param: click.Parameter, value: float) -> float:
    try:
        return serving.check_graceful_timeout(value)
    except ConfigurationError as exc:
        message = str(exc).removeprefix("--graceful-timeout ")
        raise click.BadParameter(message, ctx, param) from None


@main.command(
    epilog="""\b
Examples:
  receiver serve acme:app                       # acme.py in the current directory
  receiver serve src/acme/webhooks.py --reload  # a file; attribute 'app'
  receiver serve acme:create_app --factory --workers 4 --host 0.0.0.0
  receiver serve acme:app --tls-dev             # HTTPS with a cached self-signed certificate
  receiver serve acme:app --workers 2 --graceful-timeout 20   # SIGTERM: calls get 20 s to finish
"""
)
@click.argument("app", metavar="APP")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8080, show_default=True, type=click.IntRange(0, 65535), help="Port."
)
@click.option("--reload", is_flag=True, help="Restart when a file changes (development).")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Worker processes (not with --reload).",
)
@click.option(
    "--tls-dev",
    is_flag=True,
    help="Serve HTTPS with a self-signed development certificate for localhost, made once and"
    " cached in $RECEIVER_TLS_DIR, else $XDG_CACHE_HOME/mpt-receiver/tls or"
    " ~/.cache/mpt-receiver/tls.",
)
@click.option(
    "--log-level",
    default="info",
    show_default=True,
    type=click.Choice(serving.LOG_LEVELS, case_sensitive=False),
    help="Level of uvicorn's and the receiver's log (one line per call at info).",
)
@click.option(
    "--access-log/--no-access-log",
    default=False,
    show_default=True,
    help="uvicorn's access log too (the receiver already logs each call).",
)
@click.option(
    "--proxy-headers/--no-proxy-headers",
    default=False,
    show_default=True,
    help="Take the client's address and scheme from X-Forwarded-For and X-Forwarded-Proto when"
    " the proxy is trusted ($FORWARDED_ALLOW_IPS, default 127.0.0.1,::1), for the access log;"
    " the receiver's checks, call line and metrics use neither.",
)
@click.option(
    "--factory", is_flag=True, help="APP is a function that takes no arguments and returns the app."
)
@click.option(
    "--graceful-timeout",
    default=serving.DEFAULT_GRACEFUL_TIMEOUT,
    show_default=True,
    type=float,
    callback=_graceful_timeout,
    metavar="SECONDS",
    help="On SIGTERM or Ctrl-C, how long calls in progress may take to finish; those still"
    " running then are cancelled (their callers get a 500). Handlers also stop at their"
    " deadline (10 s unless the app sets another). Keep it below your orchestrator's kill delay"
    " (Kubernetes: terminationGracePeriodSeconds).",
)
@click.option(
    "--limit-concurrency",
    default=serving.DEFAULT_LIMIT_CONCURRENCY,
    show_default=True,
    type=click.IntRange(min=1),
    help="Connections and calls at once (idle keep-alive connections count); more get 503.",
)
@click.option(
    "--keep-alive",
    default=serving.DEFAULT_KEEP_ALIVE,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How long an idle keep-alive connection is kept; keep a proxy's idle timeout below it.",
)
def serve(
    app: str,
    host: str,
    port: int,
    reload: bool,
    workers: int,
    tls_dev: bool,
    log_level: str,
    access_log: bool,
    proxy_headers: bool,
    factory: bool,
    graceful_timeout: float,
    limit_concurrency: int,
    keep_alive: float,
) -> None:
    """Run APP with uvicorn.

    APP is 'module:attribute' (imported from the current directory) or
    'path/to/file.py:attribute'; ':attribute' defaults to ':app'. A file inside a package (a
    directory with __init__.py) is imported under its package name, so its relative imports
    work. APP is imported once here to check it before the server starts.

    SIGTERM (or Ctrl-C) stops the server gracefully: it refuses new connections at once, closes
    idle keep-alive connections, lets the calls in progress finish for up to --graceful-timeout
    seconds, then exits with code 0. With --workers, SIGTERM to the parent process stops every
    worker that way; the parent passes it on within half a second, and new connections made
    before it exits wait in the listen queue and are then reset instead of refused.

    Production defaults: at most --limit-concurrency connections and calls at once (503 past it),
    idle keep-alive connections closed after --keep-alive seconds, request headers over 64 KiB
    answered 431. uvicorn has no timeout for reading a request's headers: put a proxy in front
    that has one (and TLS) when the endpoint faces the internet.
    """
    try:
        serving.check_reload(reload, workers)  # a usage error (exit 2), before any import
    except ConfigurationError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        options = serving.prepare(
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
            note=lambda line: click.echo(line, err=True),
        )
    except (AppLoadError, ConfigurationError) as exc:
        raise click.ClickException(str(exc)) from None
    serving.run(options)  # outside the try: an error while serving keeps its traceback


# -- shared options -------------------------------------------------------------------------------


def _secret(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        raise click.UsageError(
            f"Missing --secret: pass the webhook's secret with --secret or, to keep it out of"
            f" your shell history, in the environment variable {SECRET_ENV}.",
            ctx,
        )
    if not value:
        raise click.BadParameter("the secret is empty.", ctx, param)
    try:
        validate_secret(value)
    except SecretConfigurationError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None
    return value


def _webhook_id(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        raise click.UsageError(
            f"Missing --webhook-id: pass the webhook's id (e.g. --webhook-id WBH-5433-8787) or"
            f" set {WEBHOOK_ID_ENV}.",
            ctx,
        )
    if not is_plausible_webhook_id(value):
        raise click.BadParameter(
            f"{value!r} is not a webhook id (1-64 letters, digits, '_', '.', ':' or '-', e.g."
            " WBH-5433-8787); the receiver would refuse it as unknown.",
            ctx,
            param,
        )
    return value


def secret_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--secret",
        envvar=SECRET_ENV,
        show_envvar=True,
        callback=_secret,
        help="The webhook's secret. Prefer the environment variable: it stays out of your shell"
        " history. Never printed.",
    )(fn)


def webhook_id_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--webhook-id",
        envvar=WEBHOOK_ID_ENV,
        show_envvar=True,
        callback=_webhook_id,
        help="The webhook's id (the token's webhook_id claim), e.g. WBH-5433-8787.",
    )(fn)


# -- token ----------------------------------------------------------------------------------------


def make_token(
    secret: str, webhook_id: str, *, ttl: int = tokens.PLATFORM_TOKEN_TTL, audience: str | None
) -> str:
    """A token as the platform signs it: iss 'mpt', iat = nbf = now, exp = now + ttl."""
    return tokens.sign(secret, tokens.platform_claims(webhook_id, ttl=ttl, audience=audience))


@main.command(
    epilog="""\b
Examples:
  export RECEIVER_SECRET=the-webhook-secret
  TOKEN=$(receiver token --webhook-id WBH-5433-8787)
  curl -s https://localhost:8080/ --cacert ~/.cache/mpt-receiver/tls/cert.pem \\
       -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \\
       -d "$(receiver samples purchase-order)"
"""
)
@secret_option
@webhook_id_option
@click.option(
    "--ttl",
    default=tokens.PLATFORM_TOKEN_TTL,
    show_default=True,
    type=click.IntRange(min=1),
    help="Seconds until the token expires (the receiver also refuses tokens issued more than"
    " 330 s ago, whatever the ttl).",
)
@click.option("--audience", help="The 'aud' claim, when the receiver checks audience=.")
def token(secret: str, webhook_id: str, ttl: int, audience: str | None) -> None:
    """Print a bearer token signed like the platform's, and nothing else."""
    click.echo(make_token(secret, webhook_id, ttl=ttl, audience=audience))


# -- send and samples -----------------------------------------------------------------------------


def unknown_choice(what: str, value: str, close: Sequence[str], listing: str) -> str:
    """``Unknown <what> 'x'. Did you mean 'y'?`` with the ``close`` names or, with none, where
    to find them."""
    if close:
        return f"Unknown {what} {value!r}. Did you mean {' or '.join(map(repr, close))}?"
    return f"Unknown {what} {value!r}; {listing}."


if TYPE_CHECKING:
    from receiver.testing import CallResult

    _ParamType = click.ParamType[WebhookType]
else:  # click < 8.3 has no generic ParamType
    _ParamType = click.ParamType


class WebhookTypeParam(_ParamType):
    """``--type``: a known webhook type, spelled as :func:`parse_known_webhook_type` reads it."""

    name = "TYPE"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> WebhookType:
        if isinstance(value, WebhookType) and value.known:
            return value
        try:
            return parse_known_webhook_type(str(value))
        except UnknownWebhookTypeError as exc:
            listing = "known types: " + ", ".join(KNOWN_WEBHOOK_TYPES)
            message = unknown_choice("webhook type", exc.value, exc.suggestions, listing)
            self.fail(message, param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        return [
            CompletionItem(str(kind))
            for kind in KNOWN_WEBHOOK_TYPES
            if kind.lower().startswith(incomplete.lower())
        ]


def read_payload(source: BinaryIO, name: str) -> dict[str, Any]:
    """The JSON object in ``source``; ValueError says what is wrong with it."""
    try:
        data = json.loads(source.read())
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not UTF-8 text; save it as UTF-8 JSON.") from None
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    if not isinstance(data, dict):
        raise ValueError(
            f"{name} holds a JSON {type(data).__name__}, not an object; the platform sends one"
            " object (an Order, an Account, ...)."
        )
    return data


def sample_descriptions() -> list[tuple[str, str, str]]:
    """``(name, webhook type, description)`` of every named sample."""
    from receiver.testing import samples

    return [
        (name, str(info.webhook_type), info.description)
        for name, info in ((name, samples.info(name)) for name in samples.NAMES)
    ]


def sample_info(name: str) -> tuple[str, WebhookType]:
    """The sample's canonical name and webhook type (``snake_case`` names work too);
    ValueError suggests close names."""
    from receiver.testing import samples

    try:
        info = samples.info(name)
    except KeyError:
        close = suggestions(name, samples.NAMES)
        raise ValueError(
            unknown_choice("sample", name, close, "`receiver samples` lists them")
        ) from None
    return info.name, info.webhook_type


def load_sample(name: str) -> dict[str, Any]:
    """A fresh copy of the sample ``name``; ValueError suggests close names."""
    from receiver.testing import samples

    canonical, _ = sample_info(name)
    return samples.get(canonical)


def _ssl_text(error: ssl.SSLError) -> str:
    text = str(error.args[1]) if len(error.args) > 1 else str(error)
    return re.sub(r"\s*\(_ssl\.c:\d+\)$", "", text)


def describe_transport_error(exc: BaseException, url: str) -> str:
    """One line saying why no answer came from ``url`` and what to do."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for error in chain:
        if isinstance(error, ssl.SSLCertVerificationError):
            reason = getattr(error, "verify_message", None) or "certificate verify failed"
            return (
                f"TLS verification of {url} failed ({reason}). For the development certificate"
                " of `receiver serve --tls-dev`, pass --insecure."
            )
    for error in chain:
        if isinstance(error, ssl.SSLError):
            return (
                f"TLS handshake with {url} failed ({_ssl_text(error)}); if the server"
                " serves plain HTTP, use an http:// URL."
            )
    for error in chain:
        if isinstance(error, ConnectionRefusedError):
            return (
                f"Connection to {url} refused: nothing is listening there. Start the receiver"
                " (receiver serve APP) or check the URL's host and port."
            )
    if any(isinstance(error, httpx.TimeoutException) for error in chain):
        return (
            f"No answer from {url} in time; raise --timeout or check that the receiver is"
            " running and its handler is not stuck."
        )
    # A TLS server that gets plain HTTP either closes the connection or resets it, depending
    # on timing; both mean the same to the user.
    if any(
        isinstance(error, (httpx.RemoteProtocolError, ConnectionResetError, BrokenPipeError))
        for error in chain
    ):
        hint = (
            "; if the server uses TLS (receiver serve --tls-dev), use an https:// URL"
            if url.startswith("http://")
            else ""
        )
        return f"{url} closed the connection without an HTTP answer{hint}."
    if any(isinstance(error, httpx.ConnectError) for error in chain):
        return f"Cannot connect to {url} ({exc}); check the URL's host and port."
    return f"The call to {url} failed: {type(exc).__name__}: {' '.join(str(exc).split())}"


def status_line(status: int, duration: float) -> str:
    """``200 OK in 12.3 ms``."""
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    return f"{status} {phrase} in {duration * 1000:.1f} ms".replace("  ", " ")


def _check_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    parsed = httpx.URL(value) if "://" in value else None
    if parsed is None or parsed.scheme not in ("http", "https") or not parsed.host:
        raise click.BadParameter(
            f"{value!r} is not an http(s) URL; give the receiver's address, e.g."
            " https://localhost:8080/.",
            ctx,
            param,
        )
    return value


@main.command(
    epilog="""\b
Examples:
  export RECEIVER_SECRET=the-webhook-secret RECEIVER_WEBHOOK_ID=WBH-5433-8787
  receiver send http://127.0.0.1:8080/ --type ValidatePurchaseOrderDraft
  receiver send https://localhost:8080/ -t validateChangeOrderDraft --insecure
  receiver send http://127.0.0.1:8080/ -t ValidatePurchaseOrderDraft --payload order.json
  receiver samples purchase-order | jq '.lines[0].quantity = 0' \\
      | receiver send http://127.0.0.1:8080/ -t ValidatePurchaseOrderDraft --payload -
  receiver send http://127.0.0.1:8080/ -t ValidatePurchaseOrderDraft --expired  # expect 401
"""
)
@click.argument("url", callback=_check_url)
@click.option(
    "--type",
    "-t",
    "webhook_type",
    type=WebhookTypeParam(),
    help="The webhook type, e.g. ValidatePurchaseOrderDraft (lowerCamelCase works too)."
    " Default with --sample: the sample's.",
)
@click.option(
    "--payload",
    type=click.File("rb"),
    help="A JSON file with the object to send ('-' reads stdin). Default: the type's sample.",
)
@click.option("--sample", metavar="NAME", help="Send this sample (see `receiver samples`).")
@secret_option
@webhook_id_option
@click.option("--audience", help="The token's 'aud' claim, when the receiver checks audience=.")
@click.option("--insecure", is_flag=True, help="Do not verify the server's TLS certificate.")
@click.option(
    "--expired", is_flag=True, help="Send an expired token (the receiver must answer 401)."
)
@click.option(
    "--wrong-secret",
    is_flag=True,
    help="Sign with another secret (the receiver must answer 401).",
)
@click.option("--path", help="Path to call under URL, e.g. /ValidatePurchaseOrderDraft.")
@click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for the answer.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the answer's body only.")
def send(
    url: str,
    webhook_type: WebhookType | None,
    payload: BinaryIO | None,
    sample: str | None,
    secret: str,
    webhook_id: str,
    audience: str | None,
    insecure: bool,
    expired: bool,
    wrong_secret: bool,
    path: str | None,
    timeout: float,
    as_json: bool,
) -> None:
    """Sign and send one call to the receiver at URL, like the platform does.

    Prints the answer's status and time, then the changes the receiver made to the object (or the
    error body). Exits 0 on a 2xx answer, 1 otherwise. The secret and the token are never
    printed.
    """
    from receiver.testing import PlatformClient, expired_token, samples, wrong_secret_token

    if payload is not None and sample is not None:
        raise click.UsageError("--payload and --sample cannot be combined: send one of them.")
    if expired and wrong_secret:
        raise click.UsageError(
            "--expired and --wrong-secret cannot be combined: break the token one way at a time."
        )
    if webhook_type is None and sample is None:
        raise click.UsageError(
            "Missing --type: name the webhook type, e.g. --type ValidatePurchaseOrderDraft, or"
            " send a named sample with --sample NAME (see `receiver samples`)."
        )
    if payload is not None:
        try:
            name = str(getattr(payload, "name", "<stdin>"))
            body = read_payload(payload, "stdin" if name in ("<stdin>", "-") else name)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--payload'") from None
    elif sample is not None:
        try:
            name, sample_type = sample_info(sample)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--sample'") from None
        body = samples.get(name)
        webhook_type = webhook_type or sample_type
    assert webhook_type is not None  # given, or the sample's
    if payload is None and sample is None:
        body = samples.for_type(webhook_type)
    token = None
    if expired:
        token = expired_token(secret, webhook_id, audience=audience)
    elif wrong_secret:
        token = wrong_secret_token(secret, webhook_id, audience=audience)
    client = PlatformClient(
        url,
        secret=secret,
        webhook_id=webhook_id,
        audience=audience,
        timeout=timeout,
        verify=not insecure,
    )
    try:
        result = client.call(webhook_type, body, path=path, token=token)
    except TimeoutError:
        raise click.ClickException(
            f"No answer from {client.path_for(webhook_type, path)} within {timeout:g} s; raise"
            " --timeout or check that the receiver is running and its handler is not stuck."
        ) from None
    except httpx.HTTPError as exc:
        raise click.ClickException(
            describe_transport_error(exc, client.path_for(webhook_type, path))
        ) from None
    ok = 200 <= result.status < 300
    if as_json:
        click.echo(result.text)
    else:
        for line in describe_result(result):
            click.echo(line)
    if not ok:
        sys.exit(1)


def describe_result(result: CallResult) -> list[str]:
    """What ``receiver send`` prints: the call, the status and time, then the changes the answer
    made (for a 2xx JSON object) or the body."""
    lines = [f"{result.webhook_type} {result.object_id or '(no id)'} -> {result.path}"]
    verdict = ""
    if result.refused:
        verdict = ": refused"
    elif result.accepted:
        verdict = ": accepted"
    lines.append(status_line(result.status, result.duration) + verdict)
    if 200 <= result.status < 300 and isinstance(result.json, dict):
        changes = result.changes
        if changes:
            lines.append("changes:")
            lines.extend(f"  {line}" for line in str(changes).splitlines())
        else:
            lines.append("changes: none")
    elif result.text:
        lines.append(result.text)
    return lines


@main.command(
    epilog="""\b
Examples:
  receiver samples                          # the names, with what each is
  receiver samples purchase-order > order.json
"""
)
@click.argument("name", required=False)
def samples(name: str | None) -> None:
    """List the sample payloads, or print one as JSON (to edit and send with --payload)."""
    if name is None:
        rows = sample_descriptions()
        name_width = max(len(row[0]) for row in rows)
        type_width = max(len(row[1]) for row in rows)
        for sample_name, webhook_type, description in rows:
            click.echo(f"{sample_name:<{name_width}}  {webhook_type:<{type_width}}  {description}")
        return
    try:
        data = load_sample(name)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="'NAME'") from None
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


# -- the local platform --------------------------------------------------------------------------


@main.command(
    epilog="""\b
Examples:
  receiver simulate                               # in-memory, http://127.0.0.1:8090
  receiver simulate --db platform.sqlite --allow-http --token dev-token
  receiver simulate --host 0.0.0.0 --allowed-host simulator   # in a container named simulator
  curl -s -H "Authorization: Bearer dev-token" \\
       http://127.0.0.1:8090/public/v1/notifications/webhooks
"""
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8090, show_default=True, type=click.IntRange(0, 65535), help="0: any free."
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False, writable=True),
    help="SQLite file (created on first use); in memory when omitted.",
)
@click.option("--token", help="The API's Bearer token; generated and printed when omitted.")
@click.option(
    "--allow-http",
    is_flag=True,
    help="Accept http:// webhook URLs to loopback (the platform itself only calls https://).",
)
@click.option(
    "--call-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    help="Seconds to wait for the vendor's answer.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name to answer besides localhost, 127.0.0.0/8 and ::1 (repeatable; '*' for"
    " any). Others get 400, so no web page can reach the simulator through DNS rebinding.",
)
def simulate(
    host: str,
    port: int,
    db: str | None,
    token: str | None,
    allow_http: bool,
    call_timeout: float,
    allowed_hosts: tuple[str, ...],
) -> None:
    """Run a local platform: the Webhook API, signed validation calls, statistics, a dashboard."""
    from receiver.simulator import serve_simulator

    try:
        serve_simulator(
            host=host,
            port=port,
            db=db,
            token=token,
            allow_http=allow_http,
            call_timeout=call_timeout,
            allowed_hosts=allowed_hosts,
        )
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from None


@main.command(
    epilog="""\b
Examples:
  receiver demo                 # the whole loop in under a minute, then stops
  receiver demo --keep-running  # leaves the simulator and the endpoint up (Ctrl-C stops)
"""
)
@click.option(
    "--keep-running", is_flag=True, help="Leave both servers up and print the dashboard URL."
)
def demo(keep_running: bool) -> None:
    """Start a local platform and an example endpoint, register webhooks, send a realistic set
    of orders with real signed calls, and print what happened and the webhook statistics."""
    from receiver.simulator import run_demo

    sys.exit(run_demo(keep_running=keep_running))


# -- new ------------------------------------------------------------------------------------------


def stdin_is_interactive() -> bool:
    """Whether ``receiver new`` may ask for what is missing: only when stdin is a terminal
    (never in a pipe, a script or CI)."""
    isatty = getattr(sys.stdin, "isatty", None)
    return bool(isatty is not None and isatty())


@main.command(
    epilog="""\b
Examples:
  receiver new acme-webhooks        # ValidatePurchaseOrderDraft, in ./acme-webhooks
  receiver new acme-webhooks --types ValidatePurchaseOrderDraft,validateChangeOrderDraft
  receiver new acme-webhooks --types all --directory ~/src/acme-webhooks
  receiver new                      # on a terminal: asks for the name and the types
"""
)
@click.argument("name", required=False)
@click.option(
    "--types",
    "types_",
    metavar="T1,T2",
    help="The webhook types to answer, comma-separated, in any casing"
    " (ValidateChangeOrderDraft, validateChangeOrderDraft, validate_change_order_draft), or"
    " 'all'.  [default: ValidatePurchaseOrderDraft]",
)
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False),
    help="Where to create the project.  [default: ./NAME]",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a directory that has files: files of the same names are replaced, other"
    " files are kept.",
)
@click.option(
    "--receiver-spec",
    metavar="REQUIREMENT",
    help="The project's requirement on mpt-receiver, e.g. 'mpt-receiver @"
    " file:///path/to/mpt_receiver-0.1.0-py3-none-any.whl'.  [default: where this receiver was"
    " installed from: its wheel, its checkout, or this version's minor series from an index]",
)
def new(
    name: str | None,
    types_: str | None,
    directory: str | None,
    force: bool,
    receiver_spec: str | None,
) -> None:
    """Create a project: an app with one handler per webhook type, a test file per handler, a
    README, the deployment files (a Dockerfile that runs `receiver serve`, docker-compose.yml
    with two replicas sharing Redis, a Kubernetes manifest in deploy/) and their tests, a CI
    workflow, .env.example and .gitignore.

    NAME is the project's name (acme-webhooks); its package is acme_webhooks. On a terminal,
    what is missing is asked for; otherwise a missing NAME is an error.
    """
    from pathlib import Path

    from receiver import scaffold

    def checked(check: Callable[[str], object]) -> Callable[[str], str]:
        def convert(value: str) -> str:
            try:
                check(value)
            except scaffold.ScaffoldError as exc:
                raise click.UsageError(str(exc)) from None  # click.prompt asks again
            return value.strip()

        return convert

    interactive = stdin_is_interactive()
    if name is None:
        if not interactive:
            raise click.UsageError(
                "Missing argument 'NAME': name the project, e.g. receiver new acme-webhooks."
            )
        name = click.prompt("Project name", value_proc=checked(scaffold.project_names))
    if types_ is None and interactive:
        click.echo(f"Webhook types: {', '.join(KNOWN_WEBHOOK_TYPES)}, or all.")
        types_ = click.prompt(
            "Types to answer (comma-separated)",
            default=",".join(scaffold.DEFAULT_TYPES),
            value_proc=checked(scaffold.parse_types),
        )
    assert name is not None  # given or asked for
    try:
        kinds = scaffold.DEFAULT_TYPES if types_ is None else scaffold.parse_types(types_)
    except scaffold.ScaffoldError as exc:
        raise click.BadParameter(str(exc), param_hint="'--types'") from None
    try:
        names = scaffold.project_names(name)
        requirement = receiver_spec or scaffold.default_receiver_spec()
        target = scaffold.create_project(
            name, types=kinds, directory=directory, force=force, receiver_spec=requirement
        )
    except scaffold.InvalidNameError as exc:
        raise click.BadParameter(str(exc), param_hint="'NAME'") from None
    except scaffold.ScaffoldError as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(
            f"Cannot write the project ({exc.strerror}: {exc.filename})."
        ) from None
    try:
        shown = str(target.relative_to(Path.cwd()))
    except ValueError:
        shown = str(target)
    click.echo(f"Created {shown}/ ({', '.join(kinds)}).")
    click.echo(f"It requires {requirement.strip()} (in pyproject.toml).")
    click.echo()
    click.echo("Next:")
    for line in (
        f"cd {shown}",
        "python -m venv .venv && . .venv/bin/activate",
        'pip install -e ".[dev]"',
        "pytest",
        "cp .env.example .env    # then set the webhooks' ids and secrets",
        f"uvicorn {names.package}.app:app --env-file .env --reload",
    ):
        click.echo(f"  {line}")


# -- webhooks (receiver/cli_webhooks.py) ---------------------------------------------------------

main.add_command(webhooks)


if __name__ == "__main__":  # pragma: no cover - python -m receiver.cli (tested in a subprocess)
    main(prog_name="receiver")
