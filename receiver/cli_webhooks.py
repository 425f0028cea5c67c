"""``receiver webhooks``: your webhooks on the platform, from the shell (a thin layer over
:mod:`receiver.platform`).

    receiver webhooks list [--json]
    receiver webhooks show WBH-1234-5678 [--json]
    receiver webhooks create --type ValidatePurchaseOrderDraft --url https://acme.example/ \\
        --criteria product.id=PRD-1111-1111 --secrets-file secrets.json
    receiver webhooks update|delete|enable|disable WBH-1234-5678 ...
    receiver webhooks sync acme:app --url https://acme.example/ --criteria product.id=PRD-...
    receiver webhooks rotate WBH-1234-5678 --secrets-file secrets.json [--apply --receiver-url URL]
    receiver webhooks stats [--json] [--fail-when failures-since-last-success>3]

The API's address and token come from MPT_API_BASE_URL and MPT_API_TOKEN, or --api-url and
--api-token. A secret is written to the file given with --secrets-file (mode 0600, merged with
what it holds), and printed only with --show-secret(s). Exit codes: 0 done, 1 failed, 2 a wrong
command line, 3 a --fail-when condition holds.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import click

from receiver._loader import AppLoadError, load_app
from receiver.errors import (
    ConfigurationError,
    PlatformError,
    SecretRotationError,
    UnknownWebhookTypeError,
)
from receiver.models.webhook import Call, Webhook
from receiver.platform import WebhooksClient, rotation, rql, sync
from receiver.platform import report as reporting
from receiver.platform.client import DEFAULT_TIMEOUT
from receiver.platform.connection import BASE_URL_ENV, TOKEN_ENV
from receiver.platform.report import REPORT_SELECT
from receiver.platform.secrets_file import write_secrets
from receiver.types import WebhookType, parse_known_webhook_type

CONTEXT: Final[dict[str, Any]] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
CONDITION_HOLDS_EXIT: Final = 3
ADMIN_TOKEN_ENV: Final = "RECEIVER_ADMIN_TOKEN"  # noqa: S105 - the variable's name


@click.group(context_settings=CONTEXT)
def webhooks() -> None:
    """Your webhooks on the platform: list, show, create, change, register an app's (sync),
    rotate a secret, and watch the platform's statistics.

    \b
    The platform API's address and token: MPT_API_BASE_URL (without /public/v1) and
    MPT_API_TOKEN, or --api-url and --api-token on each command. http:// is accepted for
    loopback hosts only (the simulator: `receiver simulate --allow-http`).
    """


# -- shared options and output --------------------------------------------------------------------


def api_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--api-url, --api-token and --timeout."""
    for option in reversed(
        (
            click.option(
                "--api-url",
                envvar=BASE_URL_ENV,
                show_envvar=True,
                help="The platform API's base URL, e.g. https://api.platform.softwareone.com.",
            ),
            click.option(
                "--api-token",
                envvar=TOKEN_ENV,
                show_envvar=True,
                help="The API token. Prefer the environment variable: it stays out of your shell"
                " history. Never printed.",
            ),
            click.option(
                "--timeout",
                default=DEFAULT_TIMEOUT.read,
                show_default=True,
                type=click.FloatRange(min=0, min_open=True),
                metavar="SECONDS",
                help="Seconds to wait for each answer (transient failures of reads, updates and"
                " deletes are retried a few times within 30 s).",
            ),
        )
    ):
        fn = option(fn)
    return fn


@contextmanager
def platform_api(
    api_url: str | None, api_token: str | None, timeout: float
) -> Iterator[WebhooksClient]:
    """A client, with every error of the platform or of the configuration as one line."""
    try:
        with WebhooksClient(api_url, api_token, timeout=timeout) as api:
            yield api
    except (ConfigurationError, PlatformError, SecretRotationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None


def _webhook_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    value = value.strip()
    if not value or "/" in value or any(char.isspace() for char in value):
        raise click.BadParameter(f"{value!r} is not a webhook id, like WBH-1234-5678.", ctx, param)
    return value


webhook_id_argument = click.argument("webhook_id", metavar="ID", callback=_webhook_id)


def _webhook_type(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    if value is None:
        return None
    try:
        return parse_known_webhook_type(value.strip())
    except UnknownWebhookTypeError as exc:
        raise click.BadParameter(str(exc).split(" Known types")[0], ctx, param) from None


def _criteria(ctx: click.Context, param: click.Parameter, value: Sequence[str]) -> dict[str, str]:
    try:
        return sync.parse_criteria(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


criteria_option = click.option(
    "--criteria",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_criteria,
    help="A criterion, e.g. product.id=PRD-1111-1111 (repeat for more). Each webhook needs its"
    " family's key: product.id (orders), program.id (enrollments), form.id (answers).",
)


def _url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.lower().startswith(("https://", "http://")):
        raise click.BadParameter(
            f"{value!r} is not a URL; give the receiver's https:// address, e.g."
            " https://acme.example.com/.",
            ctx,
            param,
        )
    return value


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Aligned columns; the last one is not padded."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _object(hook: Webhook) -> str:
    return str(hook.object.id) if hook.object is not None and hook.object.id else "-"


def _criteria_text(criteria: dict[str, str] | None) -> str:
    return ", ".join(f"{key}={value}" for key, value in (criteria or {}).items()) or "-"


def describe_call(call: Call | None) -> str:
    """A call in one line, for `show`: when, status, success or not, how long, the reason."""
    if call is None:
        return "-"
    text = reporting.describe_call(call, width=200)
    outcome = "succeeded" if call.success else "failed"
    took = ""
    if call.call_time and call.response_time:
        seconds = (call.response_time - call.call_time).total_seconds()
        took = f" in {seconds * 1000:.0f} ms"
    when, _, rest = text.partition(" ")
    time_, _, rest = rest.partition(" ")
    status, _, reason = rest.partition(": ")
    return f"{when} {time_}  {status}, {outcome}{took}" + (f": {reason}" if reason else "")


def describe_webhook(hook: Webhook) -> list[str]:
    """What `show` prints: the webhook, its statistics and its three last calls."""
    stats = hook.statistics
    lines = [f"{hook.id}  {hook.type}  {hook.status}"]
    fields = [
        ("url", hook.url or "-"),
        ("object", f"{hook.object_type or '?'} {_object(hook)}"),
        ("criteria", _criteria_text(hook.criteria)),
        ("description", hook.description or "-"),
    ]
    if stats is not None:
        fields.append(
            (
                "statistics",
                f"{stats.total} calls: {stats.successes} succeeded, {stats.failures} failed;"
                f" {stats.failures_since_last_success} failed since the last success",
            )
        )
    fields += [
        ("last call", describe_call(hook.last_call)),
        ("last success", describe_call(hook.last_success)),
        ("last failure", describe_call(hook.last_failure)),
    ]
    lines.extend(f"  {name:<13} {value}" for name, value in fields)
    return lines


def _store_secret(hook: Webhook, secrets_file: Path | None, show: bool, notes: list[str]) -> None:
    """Write (and print, when asked) the secret of a webhook just created."""
    assert hook.id is not None
    assert hook.secret is not None
    if secrets_file is not None:
        write_secrets(secrets_file, {hook.id: [hook.secret]})
        notes.append(f"its secret is in {secrets_file}")
    if show:
        notes.append(f"secret: {hook.secret}")


secrets_file_option = click.option(
    "--secrets-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The RECEIVER_SECRETS file ({webhook_id: secret}) to write new secrets to: created"
    " with mode 0600, merged with what it holds. Deploy it as RECEIVER_SECRETS.",
)


def _filters(
    webhook_type: WebhookType | None,
    product: str | None,
    status: str | None,
    expressions: Sequence[str],
) -> list[str]:
    try:
        found = list(expressions)
        if webhook_type is not None:
            found.append(rql.eq("type", webhook_type))
        if product is not None:
            found.append(rql.eq("object.id", product))
        if status is not None:
            found.append(rql.eq("status", status))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    return found


def filter_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """--type, --product, --status and --filter."""
    for option in reversed(
        (
            click.option(
                "--type", "webhook_type", callback=_webhook_type, help="Only this webhook type."
            ),
            click.option(
                "--product", metavar="ID", help="Only the webhooks of this object (PRD-...)."
            ),
            click.option(
                "--status",
                type=click.Choice(["Enabled", "Disabled"], case_sensitive=False),
                help="Only enabled or disabled webhooks.",
            ),
            click.option(
                "--filter",
                "expressions",
                multiple=True,
                metavar="RQL",
                help="An RQL filter as the platform writes it, e.g. 'like(url,*acme*)'.",
            ),
        )
    ):
        fn = option(fn)
    return fn


# -- list, show -----------------------------------------------------------------------------------


@webhooks.command("list")
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the webhooks as a JSON array.")
@api_options
def list_command(
    webhook_type: WebhookType | None,
    product: str | None,
    status: str | None,
    expressions: tuple[str, ...],
    as_json: bool,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """List the webhooks the token can see (every page), as a table or JSON."""
    filters = _filters(webhook_type, product, status, expressions)
    with platform_api(api_url, api_token, timeout) as api:
        found = api.list(*filters)
    if as_json:
        _dump([hook.to_dict() for hook in found])
        return
    if not found:
        click.echo("No webhooks." + (" (none match the filters)" if filters else ""))
        return
    rows = [
        (
            hook.id or "?",
            str(hook.type or "?"),
            hook.status or "?",
            _object(hook),
            hook.url or "-",
        )
        for hook in found
    ]
    click.echo(table(("ID", "TYPE", "STATUS", "OBJECT", "URL"), rows))


@webhooks.command()
@webhook_id_argument
@click.option("--json", "as_json", is_flag=True, help="Print the webhook as JSON.")
@api_options
def show(
    webhook_id: str, as_json: bool, api_url: str | None, api_token: str | None, timeout: float
) -> None:
    """Show a webhook with the platform's statistics and its last call, success and failure."""
    with platform_api(api_url, api_token, timeout) as api:
        hook = api.get(webhook_id)
    if as_json:
        _dump(hook.to_dict())
        return
    for line in describe_webhook(hook):
        click.echo(line)


# -- create, update, delete, enable, disable -------------------------------------------------------


@webhooks.command()
@click.option(
    "--type",
    "webhook_type",
    required=True,
    callback=_webhook_type,
    help="The webhook type, e.g. ValidatePurchaseOrderDraft (lowerCamelCase works too).",
)
@click.option("--url", required=True, callback=_url, help="The receiver's https:// URL.")
@criteria_option
@click.option("--description", help="What the webhook is for.")
@click.option(
    "--secret",
    envvar="RECEIVER_SECRET",
    show_envvar=True,
    help="The secret to give it; generated (secrets.token_urlsafe) when omitted.",
)
@secrets_file_option
@click.option("--show-secret", is_flag=True, help="Print the secret (it is shown only once).")
@api_options
def create(
    webhook_type: WebhookType,
    url: str,
    criteria: dict[str, str],
    description: str | None,
    secret: str | None,
    secrets_file: Path | None,
    show_secret: bool,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """Create a webhook. Its secret is shown by the platform once: it goes to --secrets-file,
    or is printed with --show-secret (one of them is needed unless you chose it, --secret)."""
    if not criteria:
        raise click.UsageError(
            "Missing --criteria: scope the webhook, e.g. --criteria product.id=PRD-1111-1111."
        )
    if secret is None and secrets_file is None and not show_secret:
        raise click.UsageError(
            "The platform shows a new webhook's secret only once: pass --secrets-file PATH to"
            " keep it (or --show-secret to print it, or --secret to choose it)."
        )
    with platform_api(api_url, api_token, timeout) as api:
        hook = api.create(webhook_type, url, criteria, description=description, secret=secret)
        notes: list[str] = []
        _store_secret(hook, secrets_file, show_secret, notes)
    click.echo(f"Created {hook.id} ({hook.type}, {hook.status}) -> {hook.url}")
    for note in notes:
        click.echo(f"  {note}")


@webhooks.command()
@webhook_id_argument
@click.option("--url", callback=_url, help="A new URL.")
@criteria_option
@click.option("--description", help="A new description.")
@api_options
def update(
    webhook_id: str,
    url: str | None,
    criteria: dict[str, str],
    description: str | None,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """Change a webhook's URL, criteria or description (what is not given stays). To change
    its secret, use `receiver webhooks rotate`."""
    if url is None and not criteria and description is None:
        raise click.UsageError("Nothing to change: give --url, --criteria or --description.")
    with platform_api(api_url, api_token, timeout) as api:
        hook = api.update(webhook_id, url=url, criteria=criteria or None, description=description)
    click.echo(f"Updated {hook.id} ({hook.type}, {hook.status}) -> {hook.url}")
    click.echo(f"  criteria: {_criteria_text(hook.criteria)}")


@webhooks.command()
@webhook_id_argument
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@api_options
def delete(
    webhook_id: str, yes: bool, api_url: str | None, api_token: str | None, timeout: float
) -> None:
    """Delete a webhook, for good (the platform cannot restore it)."""
    if not yes:
        click.confirm(f"Delete {webhook_id} for good?", abort=True)
    with platform_api(api_url, api_token, timeout) as api:
        api.delete(webhook_id)
    click.echo(f"Deleted {webhook_id}.")


@webhooks.command()
@webhook_id_argument
@api_options
def enable(webhook_id: str, api_url: str | None, api_token: str | None, timeout: float) -> None:
    """Enable a webhook: the platform calls it again."""
    with platform_api(api_url, api_token, timeout) as api:
        api.enable(webhook_id)
    click.echo(f"Enabled {webhook_id}.")


@webhooks.command()
@webhook_id_argument
@api_options
def disable(webhook_id: str, api_url: str | None, api_token: str | None, timeout: float) -> None:
    """Disable a webhook: the platform stops calling it, and what it misses is not queued."""
    with platform_api(api_url, api_token, timeout) as api:
        api.disable(webhook_id)
    click.echo(f"Disabled {webhook_id}.")


# -- sync -----------------------------------------------------------------------------------------


@webhooks.command(
    name="sync",
    epilog="""\b
Examples:
  receiver webhooks sync acme:app --url https://acme.example.com/ \\
      --criteria product.id=PRD-1111-1111                       # the plan, nothing changed
  receiver webhooks sync acme:app --url https://acme.example.com/ \\
      --criteria product.id=PRD-1111-1111 --apply --secrets-file secrets.json
""",
)
@click.argument("app", metavar="APP")
@click.option("--url", required=True, callback=_url, help="The receiver's https:// base URL.")
@criteria_option
@click.option("--description", help="The webhooks' description (compared only when given).")
@click.option("--apply", is_flag=True, help="Carry the plan out (without it: only print it).")
@secrets_file_option
@click.option("--show-secrets", is_flag=True, help="Print the secrets of created webhooks.")
@click.option(
    "--delete-extra",
    is_flag=True,
    help="Delete the webhooks of the same objects whose types the app does not handle.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the plan (and what was done) as JSON.")
@api_options
def sync_command(
    app: str,
    url: str,
    criteria: dict[str, str],
    description: str | None,
    apply: bool,
    secrets_file: Path | None,
    show_secrets: bool,
    delete_extra: bool,
    as_json: bool,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """Register APP's webhooks: one per handler type, at URL/<WebhookType> (or URL itself for
    the types its webhooks= map routes), scoped by --criteria.

    Prints the plan (create, update, enable, keep; extra webhooks of the same objects are
    listed and kept); --apply carries it out. A second run plans nothing. The secrets of
    created webhooks are written to --secrets-file, never printed unless --show-secrets.
    """
    if not criteria:
        raise click.UsageError(
            "Missing --criteria: scope the webhooks, e.g. --criteria product.id=PRD-1111-1111."
        )
    try:
        loaded = load_app(app).app
        wanted = sync.desired_webhooks(loaded, url, criteria)
    except (AppLoadError, ConfigurationError) as exc:
        raise click.ClickException(str(exc)) from None
    with platform_api(api_url, api_token, timeout) as api:
        existing = api.list(*sync.existing_filters(wanted))
        plan = sync.make_plan(wanted, existing, description=description, delete_extra=delete_extra)
        if apply and plan.creates and secrets_file is None and not show_secrets:
            raise click.UsageError(
                f"The plan creates {len(plan.creates)} webhook(s), whose secrets the platform"
                " shows once: pass --secrets-file PATH to keep them (or --show-secrets)."
            )
        if not as_json:
            click.echo(f"Plan for {app} at {url}:")
            for line in plan.lines():
                click.echo(f"  {line}")
        if not plan.changes:
            if as_json:
                _dump({"plan": [action.to_dict() for action in plan.actions], "applied": []})
            else:
                click.echo("Nothing to change: the platform matches the app.")
            return
        if not apply:
            if as_json:
                _dump({"plan": [action.to_dict() for action in plan.actions], "applied": []})
            else:
                click.echo(
                    f"{len(plan.changes)} change(s). Run again with --apply to carry them out."
                )
            return
        notes: list[str] = []

        def created(hook: Webhook) -> None:
            mine: list[str] = []
            _store_secret(hook, secrets_file, show_secrets, mine)
            notes.append(f"created {hook.id} ({hook.type}): " + "; ".join(mine))

        done = sync.apply_plan(plan, api, on_created=created)
    if as_json:
        _dump(
            {
                "plan": [action.to_dict() for action in plan.actions],
                "applied": [
                    {**item.action.to_dict(), "id": item.webhook.id}
                    if item.webhook is not None
                    else item.action.to_dict()
                    for item in done
                ],
            }
        )
        return
    click.echo(f"Applied {len(done)} change(s).")
    for note in notes:
        click.echo(f"  {note}")
    if any(item.webhook is not None for item in done) and secrets_file is not None:
        click.echo(
            f"Deploy {secrets_file} as RECEIVER_SECRETS so that the receiver accepts the new"
            " webhooks' calls."
        )


# -- rotate ---------------------------------------------------------------------------------------


@webhooks.command(
    epilog="""\b
Examples:
  receiver webhooks rotate WBH-1234-5678 --secrets-file secrets.json   # 1: old + new in the file
  # deploy secrets.json as RECEIVER_SECRETS, then:
  receiver webhooks rotate WBH-1234-5678 --secrets-file secrets.json \\
      --apply --receiver-url https://acme.example.com/                 # 2: prove, then switch
""",
)
@webhook_id_argument
@click.option(
    "--secrets-file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The RECEIVER_SECRETS file that holds the webhook's current secret.",
)
@click.option(
    "--apply",
    is_flag=True,
    help="Step two: prove the new secret on the deployed receiver, then set it on the platform.",
)
@click.option(
    "--receiver-url",
    callback=_url,
    help="The deployed receiver's URL (its root, or the webhook's URL), for --apply.",
)
@click.option("--audience", help="The token's 'aud' claim, when the receiver checks audience=.")
@click.option("--insecure", is_flag=True, help="Do not verify the receiver's TLS certificate.")
@api_options
def rotate(
    webhook_id: str,
    secrets_file: Path,
    apply: bool,
    receiver_url: str | None,
    audience: str | None,
    insecure: bool,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """Rotate a webhook's secret without a refused call.

    Without --apply: writes a new secret beside the current one in --secrets-file (the
    receiver then accepts both once you deploy it). With --apply --receiver-url: proves that the
    deployed receiver accepts the new secret (POST /_receiver/verify, 204), sets it on the
    platform, and says when the old one can be removed. A receiver that refuses the new secret
    stops the rotation with nothing changed on the platform.
    """
    if not apply:
        if receiver_url is not None:
            raise click.UsageError("--receiver-url goes with --apply (step two).")
        try:
            started = rotation.begin(secrets_file, webhook_id)
        except (ConfigurationError, SecretRotationError) as exc:
            raise click.ClickException(str(exc)) from None
        said = "now holds" if started.written else "already holds"
        click.echo(
            f"{secrets_file} {said} the old and the new secret of {webhook_id}"
            f" ({len(started.old) + 1} secrets; the new one is last)."
        )
        click.echo(
            "Next: deploy it as RECEIVER_SECRETS (the receiver then accepts both), then run"
            f" `receiver webhooks rotate {webhook_id} --secrets-file {secrets_file} --apply"
            " --receiver-url <your receiver's URL>`."
        )
        return
    if receiver_url is None:
        raise click.UsageError(
            "--apply needs --receiver-url: the deployed receiver's URL, where the new secret is"
            " proved before the platform signs with it."
        )
    with platform_api(api_url, api_token, timeout) as api:
        done = rotation.complete(
            api,
            secrets_file,
            webhook_id,
            receiver_url,
            audience=audience,
            timeout=timeout,
            verify=not insecure,
        )
    after = done.remove_old_after.strftime("%Y-%m-%d %H:%M:%S UTC")
    click.echo(
        f"The receiver accepts the new secret; the platform signs {webhook_id}'s calls with it"
        " from now on."
    )
    if not done.old_accepted:
        click.echo(
            "Note: the receiver did not accept the old secret either, so the calls before this"
            " update were being refused."
        )
    click.echo(
        f"Remove the old secret from {secrets_file} (keep the last one) and deploy it after"
        f" {after}: until then a call signed before the update may still arrive."
    )


# -- stats ----------------------------------------------------------------------------------------


def _condition(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> reporting.Condition | None:
    if value is None:
        return None
    try:
        return reporting.parse_condition(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


@webhooks.command(
    epilog="""\b
Examples:
  receiver webhooks stats
  receiver webhooks stats --admin-url https://acme.example.com/ --json
  receiver webhooks stats --fail-when 'failures-since-last-success>3'   # exit 3 when it holds
""",
)
@filter_options
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
@click.option(
    "--fail-when",
    callback=_condition,
    metavar="CONDITION",
    help="Exit with code 3 when a webhook's platform-side statistics meet it, e.g."
    " failures-since-last-success>3 (fields: failures-since-last-success, failures, total,"
    " successes; operators >, >=, <, <=, =).",
)
@click.option(
    "--admin-url", callback=_url, help="The receiver's root URL, to show its own statistics too."
)
@click.option(
    "--admin-token",
    envvar=ADMIN_TOKEN_ENV,
    show_envvar=True,
    help="The receiver's admin token (its RECEIVER_ADMIN_TOKEN), for --admin-url.",
)
@click.option("--insecure", is_flag=True, help="Do not verify the receiver's TLS certificate.")
@api_options
def stats(
    webhook_type: WebhookType | None,
    product: str | None,
    status: str | None,
    expressions: tuple[str, ...],
    as_json: bool,
    fail_when: reporting.Condition | None,
    admin_url: str | None,
    admin_token: str | None,
    insecure: bool,
    api_url: str | None,
    api_token: str | None,
    timeout: float,
) -> None:
    """The platform's statistics of each webhook (calls, successes, failures, failures since the
    last success, the last failure's status and reason), beside the receiver's own when
    --admin-url is given."""
    if admin_url is not None and not admin_token:
        raise click.UsageError(
            f"--admin-url needs the receiver's admin token: --admin-token or {ADMIN_TOKEN_ENV}."
        )
    filters = _filters(webhook_type, product, status, expressions)
    with platform_api(api_url, api_token, timeout) as api:
        found = api.list(*filters, select=REPORT_SELECT)
        own = None
        if admin_url is not None:
            assert admin_token is not None
            own = reporting.receiver_statistics(
                admin_url, admin_token, timeout=timeout, verify=not insecure
            )
    rows = reporting.make_rows(found, own)
    failing = [
        row for row in rows if fail_when is not None and fail_when.holds(row.webhook.statistics)
    ]
    if as_json:
        _dump(
            {
                "webhooks": [row.to_dict() for row in rows],
                "failing": [row.webhook.id for row in failing],
                "condition": None if fail_when is None else str(fail_when),
            }
        )
    else:
        _print_stats(rows, own is not None)
        for row in failing:
            click.echo(
                f"{row.webhook.id}: {fail_when} holds"
                f" ({reporting.counts(row.webhook.statistics)} calls/ok/failed/since-ok).",
                err=True,
            )
    if failing:
        sys.exit(CONDITION_HOLDS_EXIT)


def _print_stats(rows: Sequence[reporting.Row], with_receiver: bool) -> None:
    if not rows:
        click.echo("No webhooks.")
        return
    header = ["WEBHOOK", "TYPE", "STATUS", "PLATFORM calls/ok/failed/since-ok"]
    if with_receiver:
        header.append("RECEIVER calls/ok/failed/since-ok")
    header.append("LAST FAILURE (platform)")
    lines = []
    for row in rows:
        hook = row.webhook
        cells = [
            hook.id or "?",
            str(hook.type or "?"),
            hook.status or "?",
            reporting.counts(hook.statistics),
        ]
        if with_receiver:
            cells.append("-" if row.receiver is None else reporting.counts(row.receiver.statistics))
        cells.append(reporting.describe_call(hook.last_failure, width=100))
        lines.append(cells)
    click.echo(table(header, lines))
